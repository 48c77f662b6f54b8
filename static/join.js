// The join page, with JavaScript: the meeting opens inside the page through Jitsi's
// IFrame API, and leaving it takes the person straight to their own check-out.
// Without JavaScript (or if Jitsi's script cannot load) the plain link and the check-out
// button still work.
(function () {
  "use strict";
  var holder = document.getElementById("meeting");
  var joinLink = document.getElementById("join-web");
  var form = document.getElementById("checkout-form");
  if (!holder || !joinLink || !form) { return; }
  var participant = form.querySelector("input[name=participant]");
  var status = document.getElementById("meeting-status");
  var api = null;
  var leaving = false;

  function checkOut() {
    if (leaving) { return; }
    leaving = true;
    if (status) { status.textContent = holder.getAttribute("data-text-leaving"); }
    form.submit();
  }

  function start() {
    var Api = window.JitsiMeetExternalAPI;
    if (typeof Api !== "function") { window.location.href = joinLink.href; return; }
    holder.hidden = false;
    api = new Api(holder.getAttribute("data-domain"), {
      roomName: holder.getAttribute("data-room"),
      parentNode: holder,
      width: "100%",
      height: "100%",
      lang: document.documentElement.lang
    });
    api.addListener("videoConferenceJoined", function (e) {
      if (e && /^[A-Za-z0-9_-]{1,64}$/.test(String(e.id))) { participant.value = String(e.id); }
    });
    api.addListener("videoConferenceLeft", checkOut);
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
