// The join page, with JavaScript: the meeting opens inside the page through Jitsi's
// IFrame API, and leaving it takes the person to their check-out. That is their own link
// when the meeting assistant sent it to them privately (only a private message from the
// assistant counts: anyone else could send a link), otherwise a new one that asks their
// name. Breakout groups held as separate calls: the assistant's message with the
// group's link (privately) or the way back (in the group's chat) takes the page there by
// itself, and leaving a group's call leads back to the main meeting, not the check-out.
// Without JavaScript, or if Jitsi's script cannot load, the plain links and the check-out
// button still work.
(function () {
  "use strict";
  var holder = document.getElementById("meeting");
  var joinLink = document.getElementById("join-web");
  var form = document.getElementById("checkout-form");
  if (!holder || !joinLink || !form) { return; }
  var status = document.getElementById("meeting-status");
  // Moving to a breakout room (and back) also "leaves" the meeting: wait before going.
  var leaveDelay = Number(holder.getAttribute("data-leave-delay")) || 4000;
  var ownLink = null;
  var pending = null;
  var leaving = false;

  var joinPrefix = holder.getAttribute("data-join-prefix") || "";
  var backTo = holder.getAttribute("data-back-to");

  function checkOut() {
    if (leaving) { return; }
    leaving = true;
    if (backTo) { window.location.href = backTo; return; }
    if (status) { status.textContent = holder.getAttribute("data-text-leaving"); }
    if (ownLink) { window.location.href = ownLink; } else { form.submit(); }
  }

  function fromAssistant(e) {
    var assistant = holder.getAttribute("data-assistant");
    var prefix = holder.getAttribute("data-checkout-prefix");
    if (!e || !assistant || e.from !== assistant) { return; }
    var moving = String(e.message || "").match(/https?:\/\/[^\s]+\/join\/[A-Za-z0-9]+(\/groups\/[0-9]+)?(?=[\s.]|$)/);
    if (joinPrefix && moving && moving[0].indexOf(joinPrefix) === 0 && (e.privateMessage || backTo)) {
      leaving = true;  // to the group's call, or back from it: no check-out on the way
      window.location.href = moving[0];
      return;
    }
    if (!e.privateMessage) { return; }
    var found = String(e.message || "").match(/https?:\/\/[^\s]+\/checkout\/[A-Za-z0-9_-]{43}/);
    if (found && found[0].indexOf(prefix) === 0) { ownLink = found[0]; }
  }

  function start() {
    var Api = window.JitsiMeetExternalAPI;
    if (typeof Api !== "function") { window.location.href = joinLink.href; return; }
    holder.hidden = false;
    var api = new Api(holder.getAttribute("data-domain"), {
      roomName: holder.getAttribute("data-room"),
      parentNode: holder,
      width: "100%",
      height: "100%",
      lang: document.documentElement.lang
    });
    var frame = api.getIFrame && api.getIFrame();
    if (frame) { frame.setAttribute("title", holder.getAttribute("data-text-frame")); }
    api.addListener("incomingMessage", fromAssistant);
    api.addListener("videoConferenceJoined", function () {
      if (pending) { clearTimeout(pending); pending = null; }
    });
    api.addListener("videoConferenceLeft", function () {
      if (pending) { clearTimeout(pending); }
      pending = setTimeout(checkOut, leaveDelay);
    });
    api.addListener("readyToClose", checkOut);
    joinLink.hidden = true;
    if (status) { status.textContent = holder.getAttribute("data-text-open"); }
    holder.focus();
  }

  joinLink.addEventListener("click", function (event) {
    event.preventDefault();
    if (window.JitsiMeetExternalAPI) { start(); return; }
    var script = document.createElement("script");
    script.src = holder.getAttribute("data-api");
    script.onload = start;
    script.onerror = function () { window.location.href = joinLink.href; };
    document.head.appendChild(script);
  });
})();
