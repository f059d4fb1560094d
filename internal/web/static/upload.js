// The upload page: sends the chosen (or dropped) file to the tus 1.0
// endpoint with tus-js-client, in pieces, carrying on where it stopped
// after a dropped connection (retryDelays) or a closed tab (the upload's
// address is remembered for the same file until it is complete). The
// <progress> bar shows how much is sent; the status line is announced to
// screen readers every 10 %. When the last byte is in, the recording's
// processing progress is polled (progress.js) and a link to it is shown.
(function () {
  'use strict';

  var form = document.getElementById('upload-form');
  if (!form) { return; }
  function el(id) { return document.getElementById(id); }
  var ui = {
    file: el('upload-file'), drop: el('upload-drop'), help: el('upload-file-help'), title: el('upload-title'),
    folder: el('upload-folder'), keepDraft: el('upload-keep-draft'), start: el('upload-start'),
    error: el('upload-error'), section: el('upload-progress-section'), bar: el('upload-progress'),
    percent: el('upload-percent'), status: el('upload-status'), pause: el('upload-pause'), cancel: el('upload-cancel'),
    processing: el('upload-processing'), pbar: el('upload-processing-bar'), ppercent: el('upload-processing-percent'),
    pstatus: el('upload-processing-status'), done: el('upload-done'), link: el('upload-session-link'),
    another: el('upload-another')
  };
  if (!window.tus || !window.tus.isSupported) {
    ui.error.textContent = 'This browser cannot upload from this page. Try a recent version of Firefox, Chrome, Edge or Safari.';
    return;
  }
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute('content') : '';
  var endpoint = form.getAttribute('data-endpoint');
  var chosen = null;
  var upload = null;
  var sessionID = '';
  var running = false;
  var announced = -1;

  function size(n) {
    var units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
    var i = 0;
    while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
    return (i === 0 ? n : n.toFixed(1)) + ' ' + units[i];
  }

  function choose(f) {
    chosen = f || null;
    ui.error.textContent = '';
    ui.help.textContent = chosen
      ? 'Chosen: ' + chosen.name + ' (' + size(chosen.size) + '). Choose or drop another file to change it.'
      : 'Choose a file, or drag one from your computer and drop it on this box.';
  }

  ui.file.addEventListener('change', function () { choose(ui.file.files[0]); });
  ['dragenter', 'dragover'].forEach(function (type) {
    ui.drop.addEventListener(type, function (e) {
      e.preventDefault();
      if (e.dataTransfer) { e.dataTransfer.dropEffect = 'copy'; }
      ui.drop.classList.add('dragging');
    });
  });
  ['dragleave', 'dragend'].forEach(function (type) {
    ui.drop.addEventListener(type, function () { ui.drop.classList.remove('dragging'); });
  });
  ui.drop.addEventListener('drop', function (e) {
    e.preventDefault();
    ui.drop.classList.remove('dragging');
    var files = e.dataTransfer && e.dataTransfer.files;
    if (!files || files.length === 0) { return; }
    try { ui.file.files = files; } catch (err) { /* older browsers: keep our own reference */ }
    choose(files[0]);
  });

  function setBusy(busy) {
    running = busy;
    [ui.file, ui.title, ui.folder, ui.keepDraft, ui.start].forEach(function (c) { c.disabled = busy; });
  }

  function progress(sent, total) {
    var pct = total > 0 ? Math.floor(sent / total * 100) : 0;
    ui.bar.value = pct;
    ui.bar.textContent = pct + ' %';
    ui.percent.textContent = pct + ' %';
    var step = Math.floor(pct / 10);
    if (step !== announced) {
      announced = step;
      ui.status.textContent = 'Uploaded ' + pct + ' % (' + size(sent) + ' of ' + size(total) + ').';
    }
  }

  function message(err) {
    var res = err && err.originalResponse;
    if (res) {
      try {
        var body = JSON.parse(res.getBody());
        if (body && body.error && body.error.message) { return body.error.message; }
      } catch (e) { /* not JSON */ }
      if (res.getStatus() === 403) { return 'This page has expired. Reload it and try again.'; }
    }
    return 'The upload stopped: the connection to the server was lost. Choose the same file again to carry on from where it stopped.';
  }

  function idFromURL(url) {
    var parts = (url || '').split('/');
    return parts[parts.length - 1] || '';
  }

  function finished() {
    setBusy(false);
    window.removeEventListener('beforeunload', warn);
    sessionID = sessionID || idFromURL(upload && upload.url);
    progress(1, 1);
    ui.status.textContent = 'Upload complete. Lectern is now preparing the recording for viewing.';
    ui.pause.hidden = true;
    ui.cancel.hidden = true;
    ui.another.hidden = false;
    if (!sessionID) { return; }
    ui.link.href = '/sessions/' + encodeURIComponent(sessionID);
    ui.done.hidden = false;
    ui.processing.hidden = false;
    if (window.LecternProgress) {
      window.LecternProgress.watch('/api/v1/sessions/' + encodeURIComponent(sessionID) + '/progress', {
        bar: ui.pbar, percent: ui.ppercent, status: ui.pstatus, failed: ui.error
      }, function (p) {
        if (p.state === 'ready') { ui.link.textContent = 'Watch the recording'; }
      });
    }
  }

  function warn(e) { if (running) { e.preventDefault(); e.returnValue = ''; } }

  function begin() {
    ui.error.textContent = '';
    if (!chosen) {
      ui.error.textContent = 'Choose a recording to upload first.';
      ui.file.focus();
      return;
    }
    var meta = { filename: chosen.name, filetype: chosen.type || 'application/octet-stream' };
    var title = ui.title.value.trim();
    if (title) { meta.title = title; }
    if (ui.folder.value) { meta.folder_id = ui.folder.value; }
    if (ui.keepDraft.checked) { meta.keep_draft = 'true'; }
    announced = -1;
    sessionID = '';
    ui.section.hidden = false;
    ui.done.hidden = true;
    ui.processing.hidden = true;
    ui.pause.hidden = false;
    ui.cancel.hidden = false;
    ui.pause.textContent = 'Pause';
    progress(0, chosen.size);
    setBusy(true);
    window.addEventListener('beforeunload', warn);
    upload = new window.tus.Upload(chosen, {
      endpoint: endpoint,
      chunkSize: 32 * 1024 * 1024,
      retryDelays: [0, 1000, 3000, 5000, 10000, 20000, 30000, 60000],
      removeFingerprintOnSuccess: true,
      metadata: meta,
      headers: { 'X-CSRF-Token': csrf },
      onAfterResponse: function (req, res) {
        var id = res.getHeader('Lectern-Session-Id');
        if (id) { sessionID = id; }
      },
      onShouldRetry: function (err, attempt) {
        var status = err.originalResponse ? err.originalResponse.getStatus() : 0;
        if (status >= 400 && status < 500 && status !== 409 && status !== 423 && status !== 429) { return false; }
        ui.status.textContent = 'The connection dropped; trying again (attempt ' + (attempt + 1) + ')…';
        announced = -1;
        return true;
      },
      onProgress: progress,
      onError: function (err) {
        setBusy(false);
        window.removeEventListener('beforeunload', warn);
        ui.error.textContent = message(err);
        ui.status.textContent = 'The upload stopped.';
        ui.pause.hidden = true;
      },
      onSuccess: finished
    });
    upload.findPreviousUploads().then(function (previous) {
      if (previous.length > 0) {
        upload.resumeFromPreviousUpload(previous[0]);
        ui.status.textContent = 'Carrying on with an earlier upload of this file…';
      }
      upload.start();
    });
  }

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    if (!running) { begin(); }
  });

  ui.pause.addEventListener('click', function () {
    if (!upload) { return; }
    if (running) {
      upload.abort();
      running = false;
      ui.pause.textContent = 'Resume';
      ui.status.textContent = 'Paused. Press Resume to carry on.';
      announced = -1;
    } else {
      running = true;
      ui.pause.textContent = 'Pause';
      upload.start();
    }
  });

  ui.cancel.addEventListener('click', function () {
    if (!upload || !window.confirm('Cancel this upload? What has been sent is deleted.')) { return; }
    upload.abort(true).then(function () {
      ui.status.textContent = 'Upload cancelled.';
    }).catch(function () {
      ui.status.textContent = 'Upload stopped.';
    });
    setBusy(false);
    window.removeEventListener('beforeunload', warn);
    ui.pause.hidden = true;
    ui.cancel.hidden = true;
    ui.section.hidden = true;
    ui.file.focus();
  });
}());
