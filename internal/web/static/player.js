// The session page's player. It asks GET /api/v1/sessions/{id}/playback
// for a short-lived playback token and the HLS playlist under it, plays it
// with hls.js (or natively where the browser has HLS and no Media Source
// Extensions, as Safari on iPhone), resumes where the viewer left off,
// reports progress every 10 s and when paused or left, and asks for a new
// token when the server refuses an old one (403). The buttons, the speed
// choice and the keys J, K, L and C work alongside the native controls.
(function () {
  'use strict';

  var section = document.getElementById('watch');
  var video = document.getElementById('player-video');
  if (!section || !video) { return; }

  var playbackURL = section.getAttribute('data-playback-url');
  var reportURL = section.getAttribute('data-report-url');
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute('content') : '';

  function el(id) { return document.getElementById(id); }
  var ui = {
    toggle: el('player-toggle'), back: el('player-back'), forward: el('player-forward'),
    seek: el('player-seek'), time: el('player-time'), speed: el('player-speed'),
    captions: el('player-captions'), resume: el('player-resume'), restart: el('player-restart'),
    message: el('player-message'), preview: el('player-preview'), previewTime: el('player-preview-time')
  };

  var REPORT_EVERY = 10000;
  var SKIP = 10;
  var data = null;       // the latest /playback answer
  var hls = null;
  var started = false;
  var refreshing = null; // the pending token refresh
  var lastRefresh = 0;
  var resumed = false;
  var seg = null;        // the stretch being played now: [start, end]
  var pending = [];      // stretches played since the last report
  var lastReported = -1;
  var sprite = [];       // scrub-preview cues: {start, end, url, x, y, w, h}

  function say(text) { if (ui.message) { ui.message.textContent = text; } }

  function clock(s) {
    s = Math.max(0, Math.floor(s || 0));
    var h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, sec = s % 60;
    var mm = h > 0 ? String(m).padStart(2, '0') : String(m);
    return (h > 0 ? h + ':' : '') + mm + ':' + String(sec).padStart(2, '0');
  }

  function fetchJSON(url, init) {
    return fetch(url, init).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (!r.ok) {
          var err = new Error((body.error && body.error.message) || ('The server answered ' + r.status + '.'));
          err.status = r.status;
          throw err;
        }
        return body;
      });
    });
  }

  function getPlayback() {
    return fetchJSON(playbackURL, { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } });
  }

  // withToken rewrites a media URL to carry the current token, so that
  // what hls.js requested under an expired token is asked under the new.
  function withToken(url) {
    if (!data) { return url; }
    return url.replace(/\/hls\/([^/]+)\/[^/]+\//, '/hls/$1/' + data.token + '/');
  }

  // refresh asks /playback again for a fresh token; concurrent callers
  // share one request, and it is not asked more than every 5 s.
  function refresh() {
    if (refreshing) { return refreshing; }
    var wait = Math.max(0, lastRefresh + 5000 - Date.now());
    refreshing = new Promise(function (resolve) { window.setTimeout(resolve, wait); })
      .then(getPlayback)
      .then(function (d) { data = d; lastRefresh = Date.now(); refreshing = null; return d; })
      .catch(function (err) {
        refreshing = null;
        lastRefresh = Date.now();
        say('This recording cannot be played now: ' + err.message);
        throw err;
      });
    return refreshing;
  }

  function enable() {
    [ui.toggle, ui.back, ui.forward, ui.seek, ui.speed].forEach(function (b) { if (b) { b.disabled = false; } });
  }

  function attach() {
    if (window.Hls && window.Hls.isSupported()) {
      hls = new window.Hls({
        enableWorker: false, // the site's CSP allows no blob: workers
        xhrSetup: function (xhr, url) { xhr.open('GET', withToken(url), true); }
      });
      hls.on(window.Hls.Events.ERROR, onHlsError);
      hls.attachMedia(video);
      hls.loadSource(data.hls_url);
      return;
    }
    if (video.canPlayType('application/vnd.apple.mpegurl')) {
      video.src = data.hls_url;
      video.addEventListener('error', onNativeError);
      return;
    }
    say('This browser cannot play the recording. Try a recent version of Firefox, Chrome, Edge or Safari.');
  }

  function onHlsError(_, e) {
    var code = e && e.response && e.response.code;
    if (code === 403) {
      var at = video.currentTime;
      refresh().then(function () {
        if (e.fatal) { hls.startLoad(at); }
      }).catch(function () { /* said already */ });
      return;
    }
    if (!e || !e.fatal) { return; }
    if (e.type === window.Hls.ErrorTypes.MEDIA_ERROR) {
      hls.recoverMediaError();
      return;
    }
    // Any other lost request: the token may have expired on the way.
    refresh().then(function () { hls.startLoad(video.currentTime); }).catch(function () {
      say('The recording could not be played. Reload the page to try again.');
    });
  }

  function onNativeError() {
    var at = video.currentTime, playing = !video.paused;
    refresh().then(function (d) {
      video.src = d.hls_url;
      video.addEventListener('loadedmetadata', function once() {
        video.removeEventListener('loadedmetadata', once);
        video.currentTime = at;
        if (playing) { video.play().catch(function () {}); }
      });
    }).catch(function () {});
  }

  function addCaptions(list) {
    (list || []).forEach(function (c, i) {
      if (!c || !c.url) { return; }
      var t = document.createElement('track');
      t.kind = c.kind || 'captions';
      t.src = c.url;
      t.srclang = c.language || c.lang || 'en';
      t.label = c.label || c.language || ('Captions ' + (i + 1));
      if (c.default) { t.default = true; }
      video.appendChild(t);
    });
    if (ui.captions && video.textTracks.length > 0) {
      ui.captions.disabled = false;
      syncCaptions();
    }
  }

  function captionTracks() {
    var out = [];
    for (var i = 0; i < video.textTracks.length; i++) {
      var t = video.textTracks[i];
      if (t.kind === 'captions' || t.kind === 'subtitles') { out.push(t); }
    }
    return out;
  }

  function syncCaptions() {
    var on = captionTracks().some(function (t) { return t.mode === 'showing'; });
    ui.captions.setAttribute('aria-pressed', on ? 'true' : 'false');
    ui.captions.textContent = on ? 'Captions on' : 'Captions off';
  }

  function toggleCaptions() {
    var tracks = captionTracks();
    if (tracks.length === 0) { return; }
    var on = tracks.some(function (t) { return t.mode === 'showing'; });
    tracks.forEach(function (t, i) { t.mode = (!on && i === 0) ? 'showing' : 'disabled'; });
    syncCaptions();
  }

  function applyResume() {
    if (resumed || !data) { return; }
    resumed = true;
    var at = data.resume && data.resume.position_seconds;
    var end = video.duration || data.duration_seconds || 0;
    if (at > 5 && at < end - 5) {
      video.currentTime = at;
      ui.resume.textContent = 'Carrying on where you left off, at ' + clock(at) + '.';
      ui.restart.hidden = false;
    }
  }

  // Watched stretches: extended while the video plays on, cut at a seek.
  function track() {
    var t = video.currentTime;
    if (video.paused || video.seeking) { return; }
    if (seg && t >= seg[1] - 0.05 && t - seg[1] < 3) {
      seg[1] = t;
    } else {
      cut();
      seg = [t, t];
    }
  }
  function cut() {
    if (seg && seg[1] > seg[0]) { pending.push([seg[0], seg[1]]); }
    seg = null;
  }

  function report(leaving) {
    if (!data) { return; }
    if (seg && seg[1] > seg[0]) { pending.push([seg[0], seg[1]]); seg = [seg[1], seg[1]]; }
    var pos = video.currentTime || 0;
    if (pending.length === 0 && Math.abs(pos - lastReported) < 0.5) { return; }
    var ranges = pending.splice(0, 400);
    lastReported = pos;
    var send = function (token) {
      return fetch(reportURL, {
        method: 'POST', credentials: 'same-origin', keepalive: true,
        headers: { 'Content-Type': 'application/json', 'X-Playback-Token': token, 'X-CSRF-Token': csrf },
        body: JSON.stringify({ position_seconds: pos, watched_ranges: ranges })
      });
    };
    send(data.token).then(function (r) {
      if (r.status === 403 && !leaving) {
        return refresh().then(function (d) { return send(d.token); });
      }
      return r;
    }).catch(function () {
      pending = ranges.concat(pending); // try again with the next report
      lastReported = -1;
    });
  }

  function showTime() {
    var d = isFinite(video.duration) ? video.duration : (data ? data.duration_seconds : 0);
    ui.time.textContent = clock(video.currentTime) + ' / ' + clock(d);
    if (ui.seek && document.activeElement !== ui.seek) {
      ui.seek.max = String(Math.floor(d || 0));
      ui.seek.value = String(Math.floor(video.currentTime));
    }
    ui.seek.setAttribute('aria-valuetext', clock(video.currentTime) + ' of ' + clock(d));
  }

  function skip(by) {
    var d = isFinite(video.duration) ? video.duration : Infinity;
    video.currentTime = Math.max(0, Math.min(d, video.currentTime + by));
  }

  function togglePlay() {
    if (video.paused || video.ended) {
      video.play().catch(function (err) {
        if (err && err.name === 'AbortError') { return; } // paused again before it started
        say('The recording could not start: ' + err.message);
      });
    } else {
      video.pause();
    }
  }

  // Scrub preview from the sprite's WebVTT ("sprite_001.jpg#xywh=0,0,160,90").
  function loadSprite(url) {
    fetch(url, { credentials: 'same-origin' }).then(function (r) { return r.ok ? r.text() : ''; }).then(function (text) {
      var cue = /(\d+):(\d+):(\d+(?:\.\d+)?)\s+-->\s+(\d+):(\d+):(\d+(?:\.\d+)?)\s*\n([^\n#]+)#xywh=(\d+),(\d+),(\d+),(\d+)/g;
      var m;
      var out = [];
      while ((m = cue.exec(text)) !== null) {
        out.push({
          start: (+m[1]) * 3600 + (+m[2]) * 60 + parseFloat(m[3]),
          end: (+m[4]) * 3600 + (+m[5]) * 60 + parseFloat(m[6]),
          url: new URL(m[7].trim(), new URL(url, window.location.href)).href,
          x: +m[8], y: +m[9], w: +m[10], h: +m[11]
        });
      }
      sprite = out;
    }).catch(function () { sprite = []; });
  }

  function preview(at, fraction) {
    if (!ui.preview || sprite.length === 0) { return; }
    var c = null;
    for (var i = 0; i < sprite.length; i++) {
      if (at >= sprite[i].start && at < sprite[i].end) { c = sprite[i]; break; }
    }
    if (!c) { c = sprite[sprite.length - 1]; }
    var s = ui.preview.style;
    s.width = c.w + 'px';
    s.height = c.h + 'px';
    s.backgroundImage = 'url("' + withToken(c.url) + '")';
    s.backgroundPosition = (-c.x) + 'px ' + (-c.y) + 'px';
    s.left = 'calc(' + (fraction * 100).toFixed(2) + '% - ' + (c.w / 2) + 'px)';
    ui.previewTime.textContent = clock(at);
    ui.preview.hidden = false;
  }
  function hidePreview() { if (ui.preview) { ui.preview.hidden = true; } }

  function wire() {
    ui.toggle.addEventListener('click', togglePlay);
    ui.back.addEventListener('click', function () { skip(-SKIP); });
    ui.forward.addEventListener('click', function () { skip(SKIP); });
    ui.captions.addEventListener('click', toggleCaptions);
    ui.restart.addEventListener('click', function () {
      video.currentTime = 0;
      ui.restart.hidden = true;
      ui.resume.textContent = 'Playing from the beginning.';
    });
    var saved = null;
    try { saved = window.localStorage.getItem('lectern.speed'); } catch (e) { saved = null; }
    if (saved && ui.speed.querySelector('option[value="' + saved + '"]')) { ui.speed.value = saved; }
    ui.speed.addEventListener('change', function () {
      video.playbackRate = parseFloat(ui.speed.value) || 1;
      try { window.localStorage.setItem('lectern.speed', ui.speed.value); } catch (e) { /* private mode */ }
    });
    video.addEventListener('ratechange', function () {
      var v = String(video.playbackRate);
      if (ui.speed.querySelector('option[value="' + v + '"]')) { ui.speed.value = v; }
    });
    ui.seek.addEventListener('input', function () {
      var at = parseFloat(ui.seek.value) || 0;
      var max = parseFloat(ui.seek.max) || 1;
      preview(at, at / max);
    });
    ui.seek.addEventListener('change', function () {
      video.currentTime = parseFloat(ui.seek.value) || 0;
      hidePreview();
    });
    ui.seek.addEventListener('pointermove', function (e) {
      var r = ui.seek.getBoundingClientRect();
      var f = Math.max(0, Math.min(1, (e.clientX - r.left) / r.width));
      preview(f * (parseFloat(ui.seek.max) || 0), f);
    });
    ui.seek.addEventListener('pointerleave', hidePreview);
    ui.seek.addEventListener('blur', hidePreview);

    video.addEventListener('loadedmetadata', function () {
      video.playbackRate = parseFloat(ui.speed.value) || 1;
      applyResume();
      showTime();
    });
    video.addEventListener('timeupdate', function () { track(); showTime(); });
    video.addEventListener('seeking', cut);
    video.addEventListener('play', function () { ui.toggle.textContent = 'Pause'; });
    video.addEventListener('pause', function () { ui.toggle.textContent = 'Play'; cut(); report(false); });
    video.addEventListener('ended', function () { cut(); report(false); });
    window.setInterval(function () { if (!video.paused) { report(false); } }, REPORT_EVERY);
    window.addEventListener('pagehide', function () { cut(); report(true); });
    document.addEventListener('visibilitychange', function () {
      if (document.visibilityState === 'hidden') { report(true); }
    });
    section.addEventListener('keydown', function (e) {
      if (e.altKey || e.ctrlKey || e.metaKey) { return; }
      var t = e.target;
      if (t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA')) { return; }
      switch (e.key) {
        case 'k': case 'K': togglePlay(); break;
        case 'j': case 'J': skip(-SKIP); break;
        case 'l': case 'L': skip(SKIP); break;
        case 'c': case 'C': toggleCaptions(); break;
        default: return;
      }
      e.preventDefault();
    });
  }

  function start() {
    if (started) { return; }
    started = true;
    section.hidden = false;
    wire();
    getPlayback().then(function (d) {
      data = d;
      lastRefresh = Date.now();
      if (d.poster_url) { video.poster = d.poster_url; }
      addCaptions(d.captions);
      if (d.sprite_vtt_url) { loadSprite(d.sprite_vtt_url); }
      enable();
      attach();
      showTime();
    }).catch(function (err) {
      say('This recording cannot be played now: ' + err.message);
    });
  }

  window.LecternPlayer = { start: start };
  if (!section.hidden) { start(); }
}());
