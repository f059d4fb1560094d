// Processing progress: polls GET /api/v1/sessions/{id}/progress every two
// seconds while a recording is uploading, queued or processing, and shows
// it in a <progress> bar with a status line that screen readers announce
// (role="status"), at most once per 10 % or change of stage so that they
// are not flooded. Used by the session page (#processing) and, after an
// upload, by the upload page (window.LecternProgress.watch).
(function () {
  'use strict';

  var stages = {
    '': 'Waiting to start…',
    probing: 'Checking the file…',
    transcoding: 'Converting for streaming…',
    stills: 'Making thumbnails…',
    publishing: 'Finishing…',
    done: 'Ready.'
  };
  var states = {
    uploading: 'Waiting for the upload to finish.',
    queued: 'Queued: processing starts shortly.',
    ready: 'Ready.',
    failed: 'Processing failed.'
  };

  function describe(p) {
    if (p.state === 'processing') { return stages[p.stage || ''] || 'Processing…'; }
    return states[p.state] || 'Processing…';
  }

  // watch polls url and updates els: {bar, percent, status, failed}.
  // onEnd(progress) is called once, when the state is ready or failed.
  function watch(url, els, onEnd) {
    var every = 2000;
    var announced = null;
    var stopped = false;
    function show(p) {
      var pct = Math.max(0, Math.min(100, Math.floor((p.progress || 0) * 100)));
      if (p.state === 'ready') { pct = 100; }
      if (els.bar) { els.bar.value = pct; els.bar.textContent = pct + ' %'; }
      if (els.percent) { els.percent.textContent = pct + ' %'; }
      var text = describe(p);
      if (p.state === 'processing') { text += ' ' + pct + ' %'; }
      var key = p.state + '|' + (p.stage || '') + '|' + Math.floor(pct / 10);
      if (els.status && key !== announced) {
        announced = key;
        els.status.textContent = text;
      }
    }
    function poll() {
      if (stopped) { return; }
      fetch(url, { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } })
        .then(function (r) {
          return r.json().catch(function () { return {}; }).then(function (body) {
            if (!r.ok) {
              var err = new Error((body.error && body.error.message) || ('HTTP ' + r.status));
              err.status = r.status;
              throw err;
            }
            return body;
          });
        })
        .then(function (p) {
          show(p);
          if (p.state === 'ready' || p.state === 'failed') {
            stopped = true;
            if (p.state === 'failed' && els.failed) {
              els.failed.textContent = 'This recording could not be processed: ' + (p.message || 'no reason was given.');
            }
            if (onEnd) { onEnd(p); }
            return;
          }
          window.setTimeout(poll, every);
        })
        .catch(function (err) {
          if (err.status === 401 || err.status === 403 || err.status === 404) {
            stopped = true;
            if (els.status) { els.status.textContent = err.message; }
            return;
          }
          if (els.status) { els.status.textContent = 'Lost contact with the server; trying again…'; }
          announced = null;
          window.setTimeout(poll, every * 2);
        });
    }
    poll();
    return { stop: function () { stopped = true; } };
  }

  window.LecternProgress = { watch: watch, describe: describe };

  // The session page.
  var section = document.getElementById('processing');
  if (!section) { return; }
  watch(section.getAttribute('data-progress-url'), {
    bar: document.getElementById('processing-bar'),
    percent: document.getElementById('processing-percent'),
    status: document.getElementById('processing-status'),
    failed: document.getElementById('processing-failed-live')
  }, function (p) {
    if (p.state !== 'ready') { return; }
    var watchSection = document.getElementById('watch');
    if (watchSection) { watchSection.hidden = false; }
    section.hidden = true;
    if (window.LecternPlayer) { window.LecternPlayer.start(); }
    var status = document.getElementById('player-resume');
    if (status) { status.textContent = 'The recording is ready to watch.'; }
  });
}());
