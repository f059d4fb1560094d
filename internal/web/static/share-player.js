// Plays the recording of a share link: native HLS where the browser has
// it (Safari), hls.js elsewhere. The playlist URL carries a short-lived
// playback token; the page itself carries no other secret.
(function () {
  'use strict';
  var video = document.getElementById('share-player');
  if (!video) { return; }
  var src = video.getAttribute('data-src');
  var error = document.getElementById('share-player-error');
  function fail(message) { if (error) { error.textContent = message; } }
  if (window.Hls && window.Hls.isSupported()) {
    var hls = new window.Hls();
    hls.on(window.Hls.Events.ERROR, function (_, data) {
      if (data && data.fatal) { fail('The recording could not be played. Reload the page to try again.'); }
    });
    hls.loadSource(src);
    hls.attachMedia(video);
  } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
    video.src = src;
  } else {
    fail('This browser cannot play the recording. Try a recent version of Firefox, Chrome, Edge or Safari.');
  }
}());
