/* Behaviour every page shares; loaded by base.html. A static file, because the Content
   Security Policy allows no inline script and no style attribute (docs/security.md).

   - Colours that come from data (a code's colour in a codebook): the element carries
     data-colour (and data-colour-as="background" for a swatch) and gets it here through
     the CSSOM, which the policy allows. */
(function () {
  "use strict";
  var colour = /^#[0-9a-fA-F]{3,8}$|^[a-zA-Z]+$/;
  Array.prototype.forEach.call(document.querySelectorAll("[data-colour]"), function (el) {
    var value = el.getAttribute("data-colour");
    if (!colour.test(value)) return;
    if (el.getAttribute("data-colour-as") === "background") { el.style.backgroundColor = value; }
    else { el.style.borderLeftColor = value; }
  });
})();

/* A link to pass on (a one-time questionnaire link, an invitation) sits in a read-only
   box marked data-select-on-focus: focusing it selects the whole link, ready to copy. */
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("[data-select-on-focus]"), function (el) {
    el.addEventListener("focus", function () { el.select(); });
  });
})();

/* The warning before the idle timeout, on pages with a form (partnership/session_warning.py).
   The server says how many seconds the session has left; shortly before the end a warning
   with "Stay logged in" appears, which sends one request (so the page and what was typed
   stay). If the session ends anyway, the typed values are kept in this tab's
   sessionStorage and filled in again when the same page opens after logging in. */
(function () {
  "use strict";
  var box = document.getElementById("session-warning");
  if (!box) return;
  var forms = Array.prototype.filter.call(document.querySelectorAll("main form"), function (f) {
    return (f.getAttribute("method") || "").toLowerCase() === "post" &&
      f.querySelector("input:not([type=hidden]):not([type=submit]), textarea, select");
  });
  if (!forms.length) return;
  var deadline = Date.now() + parseInt(box.getAttribute("data-seconds-left"), 10) * 1000;
  var warn = parseInt(box.getAttribute("data-warn-seconds"), 10) * 1000;
  var text = document.getElementById("session-warning-text");
  var countdown = box.querySelector("[data-countdown]");
  var stay = box.querySelector("[data-stay]");
  var draftKey = "werkplaats-draft:" + location.pathname;
  var skip = { hidden: 1, password: 1, file: 1, submit: 1, button: 1, reset: 1 };
  var warnTimer = null, tick = null;

  function eachField(fn) {
    forms.forEach(function (form, fi) {
      Array.prototype.forEach.call(form.elements, function (el, ei) {
        if (el.name && !skip[el.type] && el.name !== "csrfmiddlewaretoken") fn(el, fi + ":" + ei + ":" + el.name);
      });
    });
  }
  function saveDraft() {
    var data = {};
    eachField(function (el, key) {
      data[key] = (el.type === "checkbox" || el.type === "radio") ? el.checked : el.value;
    });
    try { sessionStorage.setItem(draftKey, JSON.stringify(data)); } catch (e) { /* full */ }
  }
  function restoreDraft() {
    var raw = null;
    try { raw = sessionStorage.getItem(draftKey); } catch (e) { return; }
    if (!raw) return;
    var data = JSON.parse(raw);
    eachField(function (el, key) {
      if (!(key in data)) return;
      if (el.type === "checkbox" || el.type === "radio") { el.checked = !!data[key]; } else { el.value = data[key]; }
    });
    sessionStorage.removeItem(draftKey);
    var note = document.createElement("p");
    note.className = "info"; note.setAttribute("role", "status");
    note.textContent = box.getAttribute("data-restored");
    forms[0].parentNode.insertBefore(note, forms[0]);
  }
  function clock(ms) {
    var s = Math.max(0, Math.round(ms / 1000)), m = Math.floor(s / 60), r = s % 60;
    return m + ":" + (r < 10 ? "0" : "") + r + " " + box.getAttribute("data-unit");
  }
  function ended() {
    clearInterval(tick);
    saveDraft();
    text.textContent = box.getAttribute("data-ended");
    stay.hidden = true;
    box.hidden = false;
  }
  function update() {
    var left = deadline - Date.now();
    if (left <= 0) { ended(); return; }
    countdown.textContent = clock(left);
  }
  function schedule() {
    clearTimeout(warnTimer); clearInterval(tick);
    box.hidden = true;
    warnTimer = setTimeout(function () {
      box.hidden = false; update(); tick = setInterval(update, 1000);
    }, Math.max(0, deadline - warn - Date.now()));
  }
  stay.addEventListener("click", function () {
    var token = document.querySelector("input[name=csrfmiddlewaretoken]");
    fetch(box.getAttribute("data-keep-alive"), {
      method: "POST", credentials: "same-origin", redirect: "manual",
      headers: { "X-CSRFToken": token ? token.value : "" }
    }).then(function (response) {
      if (response.status !== 204) { ended(); return; }
      deadline = Date.now() + parseInt(response.headers.get("X-Session-Seconds-Left"), 10) * 1000;
      schedule();
    }, function () { /* no connection: the warning stays, the button can be tried again */ });
  });
  forms.forEach(function (form) {
    form.addEventListener("submit", function () {
      if (Date.now() < deadline) { try { sessionStorage.removeItem(draftKey); } catch (e) { /* */ } }
      else { saveDraft(); }
    });
  });
  restoreDraft();
  schedule();
})();
