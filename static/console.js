// Progressive enhancement for the facilitator console: live events over a WebSocket.
// Without it the page works with ordinary forms and the Refresh link.
(function () {
  "use strict";
  var root = document.querySelector("[data-live-url]");
  if (!root || !("WebSocket" in window)) { return; }
  var status = document.getElementById("live-status");
  var events = document.getElementById("events");
  var people = document.getElementById("participants");
  var delay = 1000;
  // Words come from the page, already translated; "{name}" marks where a name goes.
  function text(key, name) {
    return (root.getAttribute("data-text-" + key) || "").replace("{name}", name || "");
  }

  function say(text) { status.textContent = text; }

  function log(text) {
    var item = document.createElement("li");
    item.textContent = new Date().toLocaleTimeString() + " " + text;
    events.insertBefore(item, events.firstChild);
    while (events.children.length > 50) { events.removeChild(events.lastChild); }
  }

  var handlers = {
    consoleReady: function () { say(text("ready")); },
    participantJoined: function (e) {
      var item = document.createElement("li");
      item.textContent = e.displayName || text("someone");
      item.id = "participant-" + e.id;
      people.appendChild(item);
      var empty = document.getElementById("participants-empty");
      if (empty) { empty.remove(); }
      log(text("joined", e.displayName || text("someone")));
    },
    participantLeft: function (e) {
      var item = document.getElementById("participant-" + e.id);
      if (item) { item.remove(); }
      log(text("left", e.displayName || text("someone")));
    },
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
