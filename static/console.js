// Progressive enhancement for the facilitator console: live events over a WebSocket.
// Without it the page works with ordinary forms and the Refresh link.
(function () {
  "use strict";
  var root = document.querySelector("[data-live-url]");
  if (!root || !("WebSocket" in window)) { return; }
  var status = document.getElementById("live-status");
  var events = document.getElementById("events");
  var people = document.getElementById("participants");
  var assistant = document.getElementById("assistant-state");
  var names = {};
  var delay = 1000;
  // Words come from the page, already translated; "{name}" marks where a name goes.
  function text(key, name) {
    return (root.getAttribute("data-text-" + key) || "").replace("{name}", function () { return name || ""; });
  }
  function say(words) { status.textContent = words; }
  function nameOf(id) { return names[id] || text("someone"); }

  function log(words, href) {
    var item = document.createElement("li");
    item.textContent = new Date().toLocaleTimeString() + " " + words;
    if (href) {
      var link = document.createElement("a");
      link.href = href;
      link.textContent = text("open-flag");
      item.appendChild(document.createTextNode(" "));
      item.appendChild(link);
    }
    events.insertBefore(item, events.firstChild);
    while (events.children.length > 50) { events.removeChild(events.lastChild); }
  }

  function badge(words, extra) {
    var span = document.createElement("span");
    span.className = "badge" + (extra ? " " + extra : "");
    span.textContent = words;
    return span;
  }

  function render(p) {
    var item = document.getElementById("participant-" + p.id) || document.createElement("li");
    item.id = "participant-" + p.id;
    item.textContent = "";
    var name = document.createElement("span");
    name.className = "name";
    name.textContent = p.displayName || text("someone");
    item.appendChild(name);
    if (p.kind === "phone") { item.appendChild(document.createTextNode(" ")); item.appendChild(badge(text("phone"))); }
    if (p.room) { item.appendChild(document.createTextNode(" ")); item.appendChild(badge(text("in-room").replace("{room}", function () { return p.room; }))); }
    if (p.handRaised) { item.appendChild(document.createTextNode(" ")); item.appendChild(badge(text("hand"), "hand")); }
    if (!item.parentNode) { people.appendChild(item); }
    var empty = document.getElementById("participants-empty");
    if (empty) { empty.remove(); }
  }

  var state = {};
  function update(id, changes) {
    var p = state[id] || { id: id, displayName: names[id] };
    for (var key in changes) { if (Object.prototype.hasOwnProperty.call(changes, key)) { p[key] = changes[key]; } }
    state[id] = p;
    render(p);
  }

  function setAssistant(key) { if (assistant) { assistant.textContent = text(key); } }

  var handlers = {
    consoleReady: function () { say(text("ready")); },
    videoConferenceJoined: function () { setAssistant("connected"); refreshRights(); },
    participantJoined: function (e) {
      names[e.id] = e.displayName;
      update(e.id, e);
      log(text("joined", nameOf(e.id)));
    },
    participantLeft: function (e) {
      var item = document.getElementById("participant-" + e.id);
      if (item) { item.remove(); }
      log(text("left", nameOf(e.id)));
      delete state[e.id];
    },
    displayNameChange: function (e) {
      names[e.id] = e.displayname;
      update(e.id, { displayName: e.displayname });
      log(text("renamed", e.displayname));
    },
    raiseHandUpdated: function (e) {
      update(e.id, { handRaised: e.handRaised });
      log(text(e.handRaised ? "hand-up" : "hand-down", nameOf(e.id)));
    },
    participantUpdated: function (e) {
      var renamed = e.changed && e.changed.indexOf("name") >= 0;
      names[e.id] = e.displayName;
      update(e.id, { displayName: e.displayName, kind: e.kind, role: e.role });
      if (renamed) { log(text("renamed", e.displayName)); }
      if (e.changed && e.changed.indexOf("role") >= 0) { refreshRights(); }
    },
    participantMoved: function (e) {
      update(e.id, { room: e.room });
      log(e.room ? text("moved", nameOf(e.id)).replace("{room}", function () { return e.room; }) : text("back", nameOf(e.id)));
    },
    participantRoleChanged: function (e) {
      if (!e.self) { return; }
      var words = text(e.role === "moderator" ? "moderator" : "not-moderator");
      say(words); log(words); refreshRights();
    },
    connectionInterrupted: function (e) {
      if (e.removed) { setAssistant("removed"); log(text("removed")); return; }
      setAssistant("reconnecting"); log(text("interrupted"));
    },
    connectionRestored: function () { setAssistant("connected"); log(text("restored")); refreshRights(); },
    keypadAnswer: function (e) { log(text("keypad", nameOf(e.id)).replace("{key}", String(e.answer))); },
    checkoutFlagged: function (e) {
      var words = text(e.level === "urgent" ? "urgent" : "flagged");
      if (e.chatNow) { words += " " + text("chat-now", e.name || text("someone")); }
      if (e.level === "urgent") { say(words); }  // also in the status line, not only the log
      log(words, /^[0-9]+$/.test(String(e.flagId)) ? "/review/flags/" + e.flagId : null);
    },
    queueUpdated: function (e) { announce(e); refreshQueue(); refreshBreakouts(); },
    breakoutsUpdated: function () { refreshBreakouts(); },
    warmupsUpdated: function () { refreshWarmups(); },
    groupRoomUpdated: function () { refreshBreakouts(); },
    teamUpdated: function (e) {
      if (!teamBody) { return; }  // hosts: no team panel, nothing they could answer
      if (e.change === "asked") { log(text("asked")); }
      refreshTeam();
    },
    sessionEnded: function () { log(text("ended")); window.location.reload(); }
  };

  // Panels the server renders (warm-ups with their chart, breakout groups, the team): after
  // a change each is fetched again, unless the facilitator is using one of its controls;
  // then once they leave it. Their forms post and reload the page.
  function livePanel(id, attribute) {
    var body = document.getElementById(id);
    var waiting = false;
    function refresh() {
      if (!body || !window.fetch) { return; }
      if (body.contains(document.activeElement)) { waiting = true; return; }
      fetch(body.getAttribute(attribute) + window.location.search, { credentials: "same-origin", headers: { "X-Requested-With": "console" } })
        .then(function (r) { return r.ok && !r.redirected ? r.text() : null; })
        .then(function (html) {
          if (html === null) { return; }
          if (body.contains(document.activeElement)) { waiting = true; return; }
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.querySelector("main") || doc.body;
          body.textContent = "";
          while (fresh.firstChild) { body.appendChild(fresh.firstChild); }
        })
        .catch(function () { /* the next event or a reload will catch up */ });
    }
    if (body) {
      body.addEventListener("focusout", function () {
        window.setTimeout(function () {
          if (waiting && !body.contains(document.activeElement)) { waiting = false; refresh(); }
        }, 0);
      });
    }
    return refresh;
  }
  var refreshWarmups = livePanel("warmups-body", "data-warmups-url");
  var refreshBreakouts = livePanel("breakouts-body", "data-breakouts-url");
  var refreshTeam = livePanel("team-body", "data-team-url");  // only for those who run it
  var teamBody = document.getElementById("team-body");
  // Breakout groups: fetched again every 15 s while groups are open (their time left).
  window.setInterval(function () {
    if (document.getElementById("breakout-time")) { refreshBreakouts(); }
  }, 15000);

  // The speaking queue: the server renders the panel; after any change this fetches it
  // again, keeps keyboard focus on the same button, and says who speaks now and next.
  var queueBody = document.getElementById("queue-body");
  var announcer = document.getElementById("queue-announce");
  var lastSpeaker = null;
  var lastSeq = -1;
  function announce(e) {
    if (!announcer || e.seq < lastSeq) { return; }  // an older change arriving late
    lastSeq = e.seq;
    var now = e.speaker ? e.speaker.name : null;
    var next = e.entries && e.entries.length ? e.entries[0].name : null;
    var words = now ? text("now", now) : text("nobody");
    if (next) { words += " " + text("next", next); }
    if (now !== lastSpeaker || !now) { announcer.textContent = words; }
    lastSpeaker = now;
  }
  // What has focus inside the panel, to find it again after the panel is replaced.
  function focusKey() {
    var el = document.activeElement;
    if (!el || !queueBody || !queueBody.contains(el)) { return null; }
    var who = el.form ? el.form.querySelector("input[name=participant]") : null;
    return { name: el.name, value: el.value, who: who ? who.value : "", tag: el.tagName };
  }
  function keepChoices() {
    var chosen = queueBody.querySelector("input[name=policy]:checked");
    var select = queueBody.querySelector("select[name=participant]");
    return { policy: chosen ? chosen.value : null, person: select ? select.value : null };
  }
  function restoreChoices(choices) {
    if (choices.policy) {
      var radio = queueBody.querySelector("input[name=policy][value='" + CSS.escape(choices.policy) + "']");
      if (radio) { radio.checked = true; }
    }
    var select = queueBody.querySelector("select[name=participant]");
    if (select && choices.person) { select.value = choices.person; }
  }
  function restoreFocus(key) {
    if (!key) { return; }
    var controls = queueBody.querySelectorAll("button, input, select");
    for (var i = 0; i < controls.length; i += 1) {
      var c = controls[i];
      var who = c.form ? c.form.querySelector("input[name=participant]") : null;
      var sameRow = (who ? who.value : "") === key.who || key.tag === "SELECT" || c.type === "radio";
      if (c.name === key.name && c.value === key.value && sameRow && !c.disabled) { c.focus(); return; }
    }
    // The row is gone (served, skipped, lowered): focus the queue's heading, never a button
    // that a second key press would set off.
    var heading = document.getElementById("queue-heading");
    if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
  }
  var fetching = 0;
  function refreshQueue() {
    if (!queueBody) { return; }
    fetching += 1;
    var mine = fetching;
    fetch(queueBody.getAttribute("data-queue-url"), { credentials: "same-origin", headers: { "X-Requested-With": "console" } })
      .then(function (r) {
        if (r.redirected) { window.location.href = r.url; return null; }  // signed out
        return r.ok ? r.text() : null;
      })
      .then(function (html) {
        if (html === null || mine !== fetching) { return; }  // a newer refresh is on its way
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelector("main") || doc.body;
        var key = focusKey();
        var choices = keepChoices();
        queueBody.textContent = "";
        while (fresh.firstChild) { queueBody.appendChild(fresh.firstChild); }
        restoreChoices(choices);
        restoreFocus(key);
      })
      .catch(function () { /* the next event or a reload will catch up */ });
  }
  if (queueBody && window.fetch && window.FormData) {
    queueBody.addEventListener("submit", function (ev) {
      var form = ev.target;
      if (!form.hasAttribute("data-queue-form")) { return; }
      ev.preventDefault();
      var data = new FormData(form);
      if (ev.submitter && ev.submitter.name) { data.append(ev.submitter.name, ev.submitter.value); }
      // form.action would be the buttons named "action": read the attribute itself.
      fetch(form.getAttribute("action"), { method: "POST", body: data, credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) {
          if (r.redirected) { window.location.href = r.url; return; }  // signed out
          if (r.status === 409) { say(text("stale")); }
          else if (!r.ok) { say(text("refused")); }
          refreshQueue();
        })
        .catch(function () {
          // No answer: send the form the ordinary way, with the button that was pressed.
          if (ev.submitter && ev.submitter.name) {
            var hidden = document.createElement("input");
            hidden.type = "hidden";
            hidden.name = ev.submitter.name;
            hidden.value = ev.submitter.value;
            form.appendChild(hidden);
          }
          form.submit();
        });
    });
  }

  // Moderator rights: the server renders the panel; refreshed when a role changes.
  var rightsBody = document.getElementById("rights-body");
  function refreshRights() {
    if (!rightsBody || !window.fetch) { return; }
    fetch(rightsBody.getAttribute("data-rights-url"), { credentials: "same-origin", headers: { "X-Requested-With": "console" } })
      .then(function (r) {
        if (r.redirected) { window.location.href = r.url; return null; }  // signed out
        return r.ok ? r.text() : null;
      })
      .then(function (html) {
        if (html === null) { return; }
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelector("main") || doc.body;
        if (rightsBody.contains(document.activeElement)) { return; }  // never pull focus away
        rightsBody.textContent = "";
        while (fresh.firstChild) { rightsBody.appendChild(fresh.firstChild); }
      })
      .catch(function () { /* the next event or a reload will catch up */ });
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + root.getAttribute("data-live-url"));
    socket.onopen = function () { refreshQueue(); };  // catch up on anything missed
    socket.onmessage = function (message) {
      var event;
      try { event = JSON.parse(message.data); } catch (err) { return; }
      var handler = handlers[event.event];
      if (handler) { handler(event); delay = 1000; }
    };
    socket.onclose = function () {
      say(text("paused"));
      window.setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();

  // The join link's copy button: only where the browser lets a page copy.
  var copy = document.querySelector("[data-copy]");
  var copied = document.querySelector(".copy-status");
  if (copy && copied && navigator.clipboard && window.isSecureContext !== false) {
    copy.hidden = false;
    copy.addEventListener("click", function () {
      var link = document.getElementById(copy.getAttribute("data-copy"));
      navigator.clipboard.writeText(link ? link.href : "").then(function () {
        copied.textContent = copied.getAttribute("data-text-copied");
      }, function () {
        copied.textContent = copied.getAttribute("data-text-not-copied");
      });
    });
  }
}());
