/* Offline use (issue 23): the phone keeps the user's own pages and the progress reports typed without signal.

   - Registers the service worker (/sw.js), which answers the kept pages when there is no network.
   - Keeps the user's pages (the list comes from /offline/pages/, read through the gate): after login, then at most
     every KEEP_EVERY_MS, with a header that tells the server the copy is for the phone (it shows no one-time
     message then).
   - The progress form (form[data-offline-form]) is never lost: the report is first kept in IndexedDB (photos made
     no larger than the portal keeps them), then sent to POST /api/v1/progress-reports/ with its own
     Idempotency-Key, so a retry after a dropped connection never makes a second report. Without network it waits
     (待上传, counted in the header) and is sent when the network returns, or on demand from the 待上传 page. A
     refusal (the project was suspended meanwhile, a rule failed) comes back onto the report, on its field.
   - The store belongs to one user: logging out empties it (with the server's Clear-Site-Data), and a page of
     another user on the same phone empties it before anything is shown.
   Texts come from the page (offline.context_processors), in the user's language. */
(function () {
  "use strict";
  var configElement = document.getElementById("offline-config");
  if (!configElement) return;
  var config = JSON.parse(configElement.textContent);
  var text = config.text;
  var DB_NAME = "qiancun-offline";
  var KEEP_EVERY_MS = 30 * 60 * 1000;
  var KEEP_PARALLEL = 3;
  var KEEP_AFTER_MS = 1500;
  var PHOTO_TYPES = ["image/jpeg", "image/png", "image/webp"];
  var FIELDS = ["report_date", "percent_complete", "amount_spent", "narrative", "problems", "correction_reason"];
  var supported = "indexedDB" in window && "caches" in window && window.idb && window.crypto && crypto.randomUUID;
  var state = {db: null, syncing: null, retry: null, editing: null};
  // A page the service worker answered from the phone (no network, or none in time).
  var keptCopy = document.documentElement.dataset.keptCopy === "1";
  var RETRY_FIRST_MS = 5 * 1000;
  var RETRY_MAX_MS = 60 * 1000;

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, name) { return name in values ? values[name] : whole; });
  }

  // --- The store -----------------------------------------------------------------------------------------------
  function database() {
    if (!state.db) {
      state.db = idb.openDB(DB_NAME, 1, {
        upgrade: function (db) {
          var reports = db.createObjectStore("reports", {keyPath: "id"});
          reports.createIndex("owner", "owner");
          db.createObjectStore("meta", {keyPath: "name"});
        },
        // Another tab empties the store (logout): this tab lets go of it at once, and opens it again when needed.
        blocking: function (currentVersion, blockedVersion, event) { event.target.close(); state.db = null; },
        terminated: function () { state.db = null; }
      });
    }
    return state.db;
  }

  async function meta(name) {
    var row = await (await database()).get("meta", name);
    return row ? row.value : null;
  }

  async function setMeta(name, value) {
    await (await database()).put("meta", {name: name, value: value});
  }

  async function reports() {
    var rows = await (await database()).getAllFromIndex("reports", "owner", config.user);
    return rows.sort(function (a, b) { return a.created < b.created ? -1 : 1; });
  }

  async function wipe() {
    // Everything this phone keeps (logout): the queue and the kept pages. (The worker's own cache holds the shell
    // and the fallback page only, which are nobody's.) Other tabs close their connection when asked (blocking);
    // the deletion is waited for, up to a few seconds.
    if (state.db) { (await state.db).close(); state.db = null; }
    await new Promise(function (resolve) {
      var request = indexedDB.deleteDatabase(DB_NAME);
      var timer = setTimeout(resolve, 5000);
      request.onsuccess = request.onerror = function () { clearTimeout(timer); resolve(); };
    });
    await caches.delete(config.pagesCache);
  }

  async function claimForThisUser() {
    // Another user's kept pages never show here: they go. Their waiting reports stay, unseen and unsent (every read
    // of the queue is by owner), until they log in again on this phone and send them; logging out removes them.
    var owner = await meta("owner");
    if (owner !== null && owner !== config.user) {
      await caches.delete(config.pagesCache);
      await (await database()).delete("meta", "pagesKeptAt");
      await (await database()).delete("meta", "pagesRound");
    }
    if (owner !== config.user) await setMeta("owner", config.user);
  }

  // --- The header's count and the banner ---------------------------------------------------------------------------
  async function showCount() {
    var n = (await reports()).length;
    document.querySelectorAll("[data-queue-link]").forEach(function (link) {
      link.hidden = n === 0;
      link.querySelector("[data-queue-count]").textContent = String(n);
    });
    return n;
  }

  function showNetwork() {
    var offline = !navigator.onLine || keptCopy;
    document.querySelectorAll("[data-offline-banner]").forEach(function (banner) { banner.hidden = !offline; });
    // A kept copy is for reading: its other forms wait for the network (the progress form keeps its report).
    document.querySelectorAll("form[method=post]:not([data-offline-form]):not(.logout) button[type=submit]").forEach(function (button) {
      if (offline) { button.dataset.offlineDisabled = "1"; button.disabled = true; }
      else if (button.dataset.offlineDisabled) { delete button.dataset.offlineDisabled; button.disabled = false; }
    });
    var syncNow = document.querySelector("[data-sync-now]");
    if (syncNow) syncNow.disabled = offline;
  }

  function flash(message) { sessionStorage.setItem("qiancun-flash", message); }

  function showFlash() {
    var message = sessionStorage.getItem("qiancun-flash");
    if (!message) return;
    sessionStorage.removeItem("qiancun-flash");
    var list = document.querySelector("main .messages");
    if (!list) {
      list = document.createElement("ul");
      list.className = "messages";
      document.querySelector("main").prepend(list);
    }
    var item = document.createElement("li");
    item.className = "msg-success";
    item.setAttribute("role", "status");
    item.textContent = message;
    list.appendChild(item);
  }

  // --- Keeping the user's pages ------------------------------------------------------------------------------------
  // A round keeps every page of the list once; it is resumed where it stopped (a page left before the round ended, the
  // network gone) instead of starting again, and counts as done only when every page was kept. The next round starts
  // KEEP_EVERY_MS after the last one ended.
  async function keepPages(force) {
    if (!navigator.onLine) return;
    var keptAt = await meta("pagesKeptAt");
    if (!(await caches.has(config.pagesCache))) { keptAt = null; await setMeta("pagesRound", null); }  // emptied at login
    if (!force && keptAt && Date.now() - keptAt < KEEP_EVERY_MS) { document.documentElement.dataset.offlineKept = "fresh"; return; }
    var round = await meta("pagesRound");
    if (!round || force || Date.now() - round.started > KEEP_EVERY_MS) round = {started: Date.now(), done: []};
    var response = await fetch(config.pages, {credentials: "same-origin", headers: {Accept: "application/json"}});
    if (!response.ok) return;
    var listing = await response.json();
    if (listing.user !== config.user) return;
    var cache = await caches.open(config.pagesCache);
    var wanted = new Set(listing.pages.map(function (path) { return new URL(path, location.origin).href; }));
    var done = new Set(round.done);
    var queue = Array.from(wanted).filter(function (url) { return !done.has(url); });
    var missed = 0;
    async function worker() {
      while (queue.length) {
        var url = queue.shift();
        try {
          var headers = {Accept: "text/html"};
          headers[config.keepingHeader] = "1";
          var page = await fetch(url, {credentials: "same-origin", headers: headers});
          if (page.ok && !page.redirected) {
            await cache.put(url, page);
            done.add(url);
            round.done = Array.from(done);
            await setMeta("pagesRound", round);
          } else { missed += 1; }
        } catch (error) { missed += queue.length + 1; queue.length = 0; return; }  // the network went: resume later
      }
    }
    var workers = [];
    for (var i = 0; i < KEEP_PARALLEL; i += 1) workers.push(worker());
    await Promise.all(workers);
    // Pages no longer in the list (a project finished, moved out of the area) are not kept.
    (await cache.keys()).forEach(function (request) {
      var url = new URL(request.url);
      if (!wanted.has(url.origin + url.pathname)) cache.delete(request);
    });
    if (!missed) { await setMeta("pagesKeptAt", Date.now()); await setMeta("pagesRound", null); }
    document.documentElement.dataset.offlineKept = String(done.size);
  }

  // --- Photos --------------------------------------------------------------------------------------------------
  function PhotoProblem(message) { this.message = message; }

  async function preparePhoto(file) {
    var bitmap;
    try {
      bitmap = await createImageBitmap(file);
    } catch (error) {
      throw new PhotoProblem(format(text.brokenPhoto, {name: file.name}));
    }
    var edge = Math.max(bitmap.width, bitmap.height);
    bitmap.close();
    if (edge <= config.maxEdge && file.size <= config.maxBytes && PHOTO_TYPES.indexOf(file.type) >= 0) {
      return {name: file.name, type: file.type, blob: file};  // already what the portal keeps: the file itself
    }
    // Larger than the portal keeps: made smaller here, before it is stored, with the capture time and place kept
    // (the EXIF block is copied over, without its orientation, which the drawing has applied).
    var smaller;
    try {
      smaller = await imageCompression(file, {
        maxWidthOrHeight: config.maxEdge, maxSizeMB: (config.maxBytes * 0.9) / (1024 * 1024), useWebWorker: false,
        preserveExif: true, fileType: "image/jpeg", initialQuality: 0.85
      });
    } catch (error) {
      throw new PhotoProblem(format(text.brokenPhoto, {name: file.name}));
    }
    var name = file.name.replace(/\.[^.]*$/, "") + ".jpg";
    return {name: name, type: "image/jpeg", blob: smaller};
  }

  // --- Sending -------------------------------------------------------------------------------------------------
  async function currentSession() {
    var response = await fetch(config.session, {credentials: "same-origin", headers: {Accept: "application/json"}});
    if (response.status === 401) return {loggedOut: true};
    if (!response.ok) return {busy: true};
    return response.json();
  }

  function refusal(status, body) {
    var error = {status: status, code: (body && body.code) || "error", message: (body && body.message) || text.refused,
                 fieldErrors: (body && body.field_errors) || {}};
    if (error.code === "idempotency_key_reused") error.message = text.keyReused;
    return error;
  }

  // Writes the outcome of a send onto the report only if it is still the copy that was sent: an edit saved (or a
  // deletion made) meanwhile is never overwritten or removed.
  async function settle(sent, outcome, error) {
    var db = await database();
    var tx = db.transaction("reports", "readwrite");
    var stored = await tx.store.get(sent.id);
    if (stored && stored.updated === sent.updated) {
      if (outcome === "sent") await tx.store.delete(sent.id);
      else { stored.status = "refused"; stored.error = error; await tx.store.put(stored); }
    } else if (stored && outcome === "sent") {
      // The copy before the edit was received: the edit cannot be sent under the same key (the server would refuse
      // it as another body); the official checks the project page.
      stored.status = "refused";
      stored.error = refusal(422, {code: "idempotency_key_reused"});
      await tx.store.put(stored);
    }
    await tx.done;
  }

  // A refusal is the API's own answer about the report (JSON with a code); anything else (a proxy's page, a login
  // redirect, a CSRF failure, a timeout) is a reason to try again later.
  async function answerOf(response) {
    var type = response.headers.get("Content-Type") || "";
    if (response.redirected || type.indexOf("application/json") !== 0) return null;
    try { return await response.json(); } catch (error) { return null; }
  }

  // One report: "sent", "refused" (kept with its error), or "wait" (no network, the server busy: it stays).
  async function send(report, token) {
    var body = new FormData();
    body.append("project", report.project);
    FIELDS.forEach(function (name) { body.append(name, report.fields[name] || ""); });
    report.photos.forEach(function (photo) { body.append("photos", photo.blob, photo.name); });
    var response;
    try {
      response = await fetch(config.api, {
        method: "POST", body: body, credentials: "same-origin",
        // The answer's language is the user's (the language cookie goes with the request).
        headers: {"X-CSRFToken": token, "Idempotency-Key": report.key, Accept: "application/json"}
      });
    } catch (error) {
      return "offline";
    }
    if (response.status === 201) { await settle(report, "sent"); return "sent"; }
    var payload = await answerOf(response);
    var csrf = response.status === 403 && payload && /CSRF/i.test(payload.message || "");
    if (!payload || !payload.code || csrf || response.status === 401 || response.status === 408 ||
        response.status === 429 || response.status >= 500) {
      return "wait";
    }
    await settle(report, "refused", refusal(response.status, payload));
    return "refused";
  }

  // Every waiting report of this user (or only one), one after the other, in one tab at a time (a Web Lock where
  // the browser has them). A report that must wait for a reason other than the network does not hold up the rest.
  function syncAll(only) {
    var run = function () { return syncNow(only); };
    var previous = state.syncing || Promise.resolve();
    var next = previous.catch(function () {}).then(function () {
      return navigator.locks ? navigator.locks.request("qiancun-sync", run) : run();
    });
    state.syncing = next;
    return next.finally(function () {
      if (state.syncing === next) state.syncing = null;
      showCount();
    });
  }

  async function syncNow(only) {
    var outcome = {sent: 0, refused: 0, waiting: 0, problem: null};
    if (!navigator.onLine) { outcome.problem = text.offlineNow; return outcome; }
    var pending = (await reports()).filter(function (report) {
      // The report open on this page's form is sent by the form only.
      return only ? report.id === only : report.status !== "refused" && report.id !== state.editing;
    });
    if (!pending.length) return outcome;
    var session = await currentSession().catch(function () { return {offline: true}; });
    if (session.offline) { outcome.problem = text.offlineNow; outcome.waiting = pending.length; return outcome; }
    if (session.loggedOut) { outcome.problem = text.loginToSend; outcome.waiting = pending.length; return outcome; }
    if (session.busy) { outcome.problem = text.busy; outcome.waiting = pending.length; return outcome; }
    if (session.user !== config.user) { outcome.problem = text.otherUser; outcome.waiting = pending.length; return outcome; }
    for (var i = 0; i < pending.length; i += 1) {
      var result = await send(pending[i], session.csrf_token);
      if (result === "sent") outcome.sent += 1;
      else if (result === "refused") outcome.refused += 1;
      else if (result === "wait") { outcome.waiting += 1; outcome.problem = text.busy; }
      else { outcome.waiting += pending.length - i; outcome.problem = text.offlineNow; break; }
    }
    return outcome;
  }

  async function syncAndTell() {
    var outcome = await syncAll();
    var status = document.querySelector("[data-sync-status]");
    var parts = [];
    if (outcome.sent) parts.push(format(text.sentMany, {n: outcome.sent}));
    if (outcome.refused) parts.push(text.refusedSome);
    if (outcome.problem) parts.push(outcome.problem);
    if (status) status.textContent = parts.join(" ");
    else if (outcome.sent) showToast(parts.join(" "));
    if (document.querySelector("[data-queue-list]")) renderQueue();
    return outcome;
  }

  // While reports wait, they are tried again after 5 s, then 10, 20, 40 and every minute (the browser does not always
  // say when the network returns: a weak signal comes and goes without an "online" event).
  function retryWhileWaiting(delay) {
    clearTimeout(state.retry);
    delay = delay || RETRY_FIRST_MS;
    state.retry = setTimeout(async function () {
      var waiting = (await reports()).filter(function (report) { return report.status !== "refused"; });
      if (!waiting.length) return;
      if (document.visibilityState === "visible" && navigator.onLine) {
        var outcome = await syncAndTell();
        if (outcome.sent && keptCopy) { keptCopy = false; showNetwork(); }
        if (outcome.sent && !outcome.waiting) return;
      }
      retryWhileWaiting(Math.min(delay * 2, RETRY_MAX_MS));
    }, delay);
  }

  function showToast(message) {
    flash(message);
    showFlash();
  }

  // --- The progress form -------------------------------------------------------------------------------------
  function fieldBox(form, name) {
    var input = form.elements.namedItem(name.replace(/[.[].*$/, ""));  // "photos.0", "photos[0]": the photos field
    if (input && !input.closest && input.length) input = input[0];
    return input && input.closest ? input.closest(".field") : null;
  }

  function clearErrors(form) {
    form.querySelectorAll("[data-offline-error]").forEach(function (node) { node.remove(); });
    form.querySelectorAll(".field.offline-error").forEach(function (box) {
      box.classList.remove("has-error", "offline-error");
      box.querySelectorAll("[aria-invalid]").forEach(function (input) { input.removeAttribute("aria-invalid"); });
    });
    var summary = form.querySelector("[data-offline-errors]");
    summary.hidden = true;
    summary.textContent = "";
  }

  function showErrors(form, error, heading) {
    clearErrors(form);
    var summary = form.querySelector("[data-offline-errors]");
    var list = document.createElement("ul");
    var lines = [];
    Object.keys(error.fieldErrors || {}).forEach(function (name) {
      var messages = [].concat(error.fieldErrors[name]);
      var box = fieldBox(form, name);
      if (box) {
        var label = box.querySelector("label");
        box.classList.add("has-error", "offline-error");
        box.querySelectorAll("input, textarea, select").forEach(function (input) { input.setAttribute("aria-invalid", "true"); });
        messages.forEach(function (message) {
          var p = document.createElement("p");
          p.className = "field-error";
          p.dataset.offlineError = "1";
          p.dataset.field = name;
          p.textContent = (label ? label.firstChild.textContent.trim() + "：" : "") + message;
          box.appendChild(p);
          lines.push(p.textContent);
        });
      } else {
        lines = lines.concat(messages);
      }
    });
    if (!lines.length || error.code !== "invalid") lines.unshift(error.message);
    lines.forEach(function (line) {
      var li = document.createElement("li");
      li.textContent = line;
      list.appendChild(li);
    });
    var title = document.createElement("h2");
    title.textContent = heading || text.refused;
    summary.append(title, list);
    summary.hidden = false;
    summary.focus();
  }

  function showProblem(form, message, field) {
    // A problem found on the phone (not the server's refusal): headed as any form's errors.
    var fieldErrors = {};
    if (field) fieldErrors[field] = [message];
    showErrors(form, {code: field ? "invalid" : "local", message: message, fieldErrors: fieldErrors}, text.correct);
  }

  function renderKeptPhotos(form, report) {
    var input = form.querySelector("input[type=file][name=photos]");
    if (!input) return;
    var holder = form.querySelector("[data-queued-photos]");
    if (!holder) {
      holder = document.createElement("fieldset");
      holder.dataset.queuedPhotos = "1";
      var legend = document.createElement("legend");
      legend.textContent = text.keptPhotos;
      var grid = document.createElement("div");
      grid.className = "queued-photos";
      holder.append(legend, grid);
      input.closest(".field").appendChild(holder);
    }
    var grid2 = holder.querySelector(".queued-photos");
    grid2.textContent = "";
    holder.hidden = !report.photos.length;
    report.photos.forEach(function (photo, index) {
      var figure = document.createElement("figure");
      var img = document.createElement("img");
      img.alt = photo.name;
      img.src = URL.createObjectURL(photo.blob);
      var label = document.createElement("label");
      var box = document.createElement("input");
      box.type = "checkbox";
      box.name = "remove_kept_photo";
      box.value = String(index);
      label.append(box, document.createTextNode(text.remove));
      figure.append(img, label);
      grid2.appendChild(figure);
    });
  }

  function fillForm(form, report) {
    FIELDS.forEach(function (name) {
      var input = form.elements[name];
      if (input) input.value = report.fields[name] || "";
    });
    renderKeptPhotos(form, report);
    var note = form.querySelector("[data-offline-editing]");
    note.textContent = text.editingQueued;
    note.hidden = false;
    if (report.error) showErrors(form, report.error);
  }

  // The submit handler is in place before anything is awaited: a report is never sent the old way by accident.
  function setUpForm(form, claimed) {
    var button = form.querySelector("button[type=submit]");
    var label = button.textContent;
    var editing = null;
    var loaded = (async function () {
      await claimed;
      var wanted = new URLSearchParams(location.search).get("queued");
      if (!wanted) return;
      var found = await (await database()).get("reports", wanted);
      if (found && found.owner === config.user && String(found.project) === form.dataset.project) {
        editing = found;
        state.editing = found.id;  // not sent in the background while it is being changed here
        fillForm(form, editing);
      }
    })();
    var submitting = false;

    // When the phone cannot keep the report (no IndexedDB, storage full) but has a network, the form is sent as it
    // always was; without a network the reason is said and nothing typed is lost.
    function sendTheClassicWay(message) {
      if (navigator.onLine && !keptCopy && !editing) { form.submit(); return; }
      submitting = false;
      done({text: message});
    }

    function done(message) {
      button.disabled = false;
      button.textContent = label;
      if (message) showProblem(form, message.text, message.field);
    }

    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      event.stopImmediatePropagation();
      if (submitting) return;  // a second tap while the first is being kept
      submitting = true;
      try {
        await loaded;
      } catch (error) {
        return sendTheClassicWay(format(text.unsaved, {error: error && error.message}));
      }
      clearErrors(form);
      button.disabled = true;
      button.textContent = text.saving;
      var input = form.querySelector("input[type=file][name=photos]");
      var removed = Array.from(form.querySelectorAll("[name=remove_kept_photo]:checked")).map(function (box) { return Number(box.value); });
      var keptPhotos = editing ? editing.photos.filter(function (photo, index) { return removed.indexOf(index) < 0; }) : [];
      var files = Array.from((input && input.files) || []);
      if (keptPhotos.length + files.length > config.maxPhotos) {
        submitting = false;
        return done({text: format(text.tooManyPhotos, {n: config.maxPhotos}), field: "photos"});
      }
      var photos = keptPhotos.slice();
      try {
        for (var i = 0; i < files.length; i += 1) photos.push(await preparePhoto(files[i]));
      } catch (problem) {
        submitting = false;
        if (problem instanceof PhotoProblem) return done({text: problem.message, field: "photos"});
        throw problem;
      }
      var fields = {};
      FIELDS.forEach(function (name) { fields[name] = form.elements[name] ? form.elements[name].value : ""; });
      var now = new Date().toISOString();
      var report = {
        id: editing ? editing.id : crypto.randomUUID(),
        key: editing ? editing.key : crypto.randomUUID(),
        owner: config.user,
        project: Number(form.dataset.project),
        projectName: form.dataset.projectName,
        projectUrl: form.dataset.projectUrl,
        fields: fields,
        photos: photos,
        status: "waiting",
        error: null,
        created: editing ? editing.created : now,
        updated: now
      };
      try {
        await (await database()).put("reports", report);
      } catch (error) {
        var full = error && (error.name === "QuotaExceededError" || /quota/i.test(error.message || ""));
        return sendTheClassicWay(full ? text.storageFull : format(text.unsaved, {error: error && error.message}));
      }
      if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(function () {});
      editing = report;
      state.editing = report.id;
      if (input) { input.value = ""; input.dispatchEvent(new Event("change")); }
      renderKeptPhotos(form, report);
      showCount();
      if (!navigator.onLine) { flash(text.queued); location.assign(config.queue); return; }
      button.textContent = text.sending;
      var outcome = await syncAll(report.id);
      if (outcome.sent) { flash(text.sent); location.assign(report.projectUrl); return; }
      submitting = false;
      if (outcome.refused) {
        editing = await (await database()).get("reports", report.id);
        done();
        fillForm(form, editing);
        return;
      }
      flash(outcome.problem === text.offlineNow || !outcome.problem ? text.queued : outcome.problem + " " + text.queued);
      location.assign(config.queue);
    });
  }

  // --- The 待上传 page ---------------------------------------------------------------------------------------------
  async function renderQueue() {
    var list = document.querySelector("[data-queue-list]");
    var rows = await reports();
    list.textContent = "";
    document.querySelector("[data-queue-empty]").hidden = rows.length > 0;
    rows.forEach(function (report) {
      var li = document.createElement("li");
      li.className = report.status === "refused" ? "refused" : "waiting";
      li.dataset.report = report.id;
      var title = document.createElement("h2");
      var link = document.createElement("a");
      link.href = report.projectUrl;
      link.textContent = report.projectName;
      title.appendChild(link);
      var state = document.createElement("p");
      state.className = "state";
      state.textContent = report.status === "refused" ? text.refusedState : text.waiting;
      var facts = document.createElement("p");
      facts.textContent = [report.fields.report_date, report.fields.percent_complete + "%",
                           format(text.photoCount, {n: report.photos.length})].join(" · ");
      li.append(title, state, facts);
      if (report.error) {
        var errors = document.createElement("ul");
        errors.className = "errors";
        var lines = [];
        Object.keys(report.error.fieldErrors || {}).forEach(function (name) { lines = lines.concat(report.error.fieldErrors[name]); });
        if (!lines.length || report.error.code !== "invalid") lines.unshift(report.error.message);
        lines.forEach(function (line) { var item = document.createElement("li"); item.textContent = line; errors.appendChild(item); });
        li.appendChild(errors);
      }
      var actions = document.createElement("div");
      actions.className = "actions";
      var edit = document.createElement("a");
      edit.className = "button";
      edit.href = report.projectUrl + "progress/new/?queued=" + encodeURIComponent(report.id);
      edit.textContent = text.edit;
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "danger";
      remove.textContent = text.delete;
      remove.addEventListener("click", async function () {
        if (!window.confirm(text.confirmDelete)) return;
        await (await database()).delete("reports", report.id);
        await showCount();
        renderQueue();
      });
      actions.append(edit, remove);
      li.appendChild(actions);
      list.appendChild(li);
    });
  }

  // --- Logout --------------------------------------------------------------------------------------------------
  // Logging out empties the phone, after asking when reports wait. Without network the phone is emptied at once
  // (a shared phone is handed over in the village) and the session is ended the next time a page opens online.
  var LOGOUT_PENDING = "qiancun-logout-pending";

  function guardLogout() {
    document.querySelectorAll("form.logout").forEach(function (form) {
      form.addEventListener("submit", async function (event) {
        if (form.dataset.cleared) return;
        event.preventDefault();
        var n = 0;
        try { n = (await reports()).length; } catch (error) { n = 0; }
        if (n && !window.confirm(format(text.logoutWaiting, {n: n}))) return;
        await wipe();
        form.dataset.cleared = "1";
        if (!navigator.onLine || keptCopy) {
          localStorage.setItem(LOGOUT_PENDING, String(config.user));
          location.assign(config.fallback);
          return;
        }
        form.submit();
      });
    });
  }

  function finishPendingLogout() {
    if (localStorage.getItem(LOGOUT_PENDING) !== String(config.user) || !navigator.onLine || keptCopy) return false;
    localStorage.removeItem(LOGOUT_PENDING);
    var form = document.querySelector("form.logout");
    if (!form) return false;
    form.dataset.cleared = "1";
    form.submit();
    return true;
  }

  // --- Start -------------------------------------------------------------------------------------------------
  async function start() {
    showFlash();
    showNetwork();
    window.addEventListener("online", function () { keptCopy = false; showNetwork(); syncAndTell(); });
    document.addEventListener("visibilitychange", function () { if (document.visibilityState === "visible") retryWhileWaiting(); });
    window.addEventListener("offline", showNetwork);
    if (!supported) {
      var form = document.querySelector("form[data-offline-form]");
      if (form && !navigator.onLine) showProblem(form, text.noStorage);
      return;
    }
    if (finishPendingLogout()) return;
    var forms = document.querySelectorAll("form[data-offline-form]");
    guardLogout();
    var claimed = claimForThisUser();
    forms.forEach(function (form) { setUpForm(form, claimed); });
    await claimed;
    var syncNow = document.querySelector("[data-sync-now]");
    if (syncNow) syncNow.addEventListener("click", syncAndTell);
    if (document.querySelector("[data-queue-list]")) await renderQueue();
    var waiting = await showCount();
    document.documentElement.dataset.offlineReady = "1";
    if ("serviceWorker" in navigator) {
      try { await navigator.serviceWorker.register(config.serviceWorker, {scope: "/"}); } catch (error) { /* pages still work */ }
    }
    if (waiting && navigator.onLine && !forms.length) await syncAndTell();
    retryWhileWaiting();
    // Pages are kept once the page has been open a moment: someone tapping through pages is not slowed down by it.
    await new Promise(function (resolve) { setTimeout(resolve, KEEP_AFTER_MS); });
    await keepPages(false).catch(function () { /* kept next time */ });
  }

  start();
  window.qiancunOffline = {sync: syncAndTell, keepPages: keepPages, wipe: wipe, reports: reports};
})();
