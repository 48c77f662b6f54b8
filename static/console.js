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
    return (root.getAttribute("data-text-" + key) || "").replace("{name}", name || "");
  }
  function say(words) { status.textContent = words; }
  function nameOf(id) { return names[id] || text("someone"); }

  function log(words) {
    var item = document.createElement("li");
    item.textContent = new Date().toLocaleTimeString() + " " + words;
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
    videoConferenceJoined: function () { setAssistant("connected"); },
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
    participantKindChanged: function (e) { update(e.id, { kind: e.kind }); },
    connectionInterrupted: function (e) {
      if (e.removed) { setAssistant("removed"); log(text("removed")); return; }
      setAssistant("reconnecting"); log(text("interrupted"));
    },
    connectionRestored: function () { setAssistant("connected"); log(text("restored")); },
    keypadAnswer: function (e) { log(text("keypad", nameOf(e.id)).replace("{key}", String(e.answer))); },
    checkoutFlagged: function (e) { log(text(e.level === "urgent" ? "urgent" : "flagged")); },
    sessionEnded: function () { log(text("ended")); window.location.reload(); }
  };

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + root.getAttribute("data-live-url"));
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
}());
