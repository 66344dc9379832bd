/* Questionnaires: every answer is saved the moment it is given, and unsent answers wait
   in localStorage, so a lost connection or a closed browser loses nothing.

   Choosing is not moving on (WCAG 3.2.2): arrow keys change the answer and save it, but
   the page moves to the next question only after a pointer click on an answer, Enter or
   Space on it, or the "Next" button. Offline, "Next" stays on the page and says so; the
   move happens by itself once the answer has been sent. Keys 1-9 choose in the
   professional's compact form. */
(function () {
  "use strict";
  var root = document.querySelector(".questionnaire");
  if (!root) return;
  var answerUrl = root.getAttribute("data-answer-url");
  var form = root.querySelector("form.answers");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var queueKey = "werkplaats-pending:" + answerUrl;
  var moveKey = "werkplaats-move:" + answerUrl;
  var english = document.documentElement.lang === "en";
  var i18n = english
    ? { saved: "Saved", waiting: "Not sent yet: no connection. It will be sent automatically.",
        offline: "There is no connection. Your answer is kept on this device; the next question opens as soon as the connection is back." }
    : { saved: "Opgeslagen", waiting: "Nog niet verstuurd: geen verbinding. Dit gaat vanzelf zodra er weer verbinding is.",
        offline: "Er is geen verbinding. Uw antwoord is op dit apparaat bewaard; de volgende vraag komt vanzelf zodra er weer verbinding is." };
  var nextInput = form.querySelector("input[name=next]");
  var nextButton = form.querySelector("[data-next]");
  var overall = root.querySelector("[data-save-status]");
  var pointer = false;   // the last choice came from a pointer (mouse, touch, pen)
  var moveAfterSave = false;

  function read(key) {
    try { return JSON.parse(localStorage.getItem(key) || "{}"); } catch (e) { return {}; }
  }
  function write(key, value) {
    try { localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* private mode */ }
  }
  function say(text, bad) {
    if (overall) { overall.textContent = text; overall.className = "save-status" + (bad ? " bad" : " ok"); }
  }
  function status(item, text, bad) {
    var box = form.querySelector('fieldset[data-item="' + item + '"] [data-status]');
    if (box) { box.textContent = text; box.className = "status" + (bad ? " bad" : " ok"); }
    say(text, bad);
  }
  function progress(data) {
    var a = root.querySelector("[data-answered]"), p = root.querySelector("[data-progress]");
    if (a && data.answered !== undefined) a.textContent = data.answered;
    if (p && data.answered !== undefined) p.value = data.answered;
  }
  function branching(data) {
    // Show the questions that apply after this answer, hide (and disable) the others.
    if (!data.shown) return;
    var shown = {};
    data.shown.forEach(function (id) { shown[id] = true; });
    form.querySelectorAll("[data-item]").forEach(function (el) {
      var id = el.getAttribute("data-item"), hide = !shown[id];
      el.hidden = hide;
      if (el.tagName === "FIELDSET") el.disabled = hide;
      var header = form.querySelector('[data-section-of="' + id + '"]');
      if (header) header.hidden = hide;
    });
    var total = root.querySelector("[data-progress]");
    if (total && data.total !== undefined) total.max = data.total;
  }
  function moveOn() {
    if (!nextInput) return;
    write(moveKey, {});
    window.location.href = nextInput.value;
  }
  function wantMove() {
    // Remember across a reload that the person asked to move on while offline.
    if (nextInput) write(moveKey, { to: nextInput.value });
  }
  function send(item, value) {
    var p = read(queueKey); p[item] = value; write(queueKey, p);
    var body = new URLSearchParams({ item: item });
    if (Array.isArray(value)) {
      body.append("multiple", "1");
      value.forEach(function (v) { body.append("values", v); });
    } else {
      body.append("value", value);
    }
    return fetch(answerUrl, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Accept": "application/json" }
    }).then(function (r) {
      return r.json().then(function (data) {
        var q = read(queueKey); delete q[item]; write(queueKey, q);
        if (r.ok) { status(item, i18n.saved, false); progress(data); branching(data); return true; }
        status(item, data.error || "", true); return false;
      });
    }).catch(function () { status(item, i18n.waiting, true); return false; });
  }
  function flush() {
    var p = read(queueKey);
    var items = Object.keys(p);
    var wanted = read(moveKey).to;
    Promise.all(items.map(function (item) {
      // Show the answer that is still waiting, then send it.
      var values = Array.isArray(p[item]) ? p[item] : [p[item]];
      values.forEach(function (v) {
        var box = form.querySelector('input[name="' + item + '"][value="' + CSS.escape(String(v)) + '"]');
        if (box) box.checked = true;
      });
      return send(item, p[item]);
    })).then(function (results) {
      if (wanted && results.every(Boolean) && nextInput && wanted === nextInput.value) moveOn();
    });
  }

  form.addEventListener("pointerdown", function () { pointer = true; });
  form.addEventListener("keydown", function (ev) {
    pointer = false;
    var input = ev.target;
    if (input.type !== "radio" || !nextButton) return;
    if (ev.key === " " || ev.key === "Enter") {
      ev.preventDefault();
      if (!input.checked) {
        moveAfterSave = true;
        input.checked = true;
        input.dispatchEvent(new Event("change", { bubbles: true }));
      } else if (navigator.onLine === false) {
        wantMove(); say(i18n.offline, true);
      } else {
        moveOn();
      }
    }
  });
  form.addEventListener("change", function (ev) {
    var input = ev.target;
    var fieldset = input.closest("fieldset.q");
    if (!fieldset || !input.name || input.type === "hidden") return;
    var item = fieldset.getAttribute("data-item");
    if (input.type === "checkbox") {
      var chosen = Array.prototype.map.call(
        fieldset.querySelectorAll("input[type=checkbox]:checked"), function (b) { return b.value; });
      send(item, chosen);
      return;
    }
    if (input.type !== "radio") { send(item, input.value); return; }
    var move = nextButton && (pointer || moveAfterSave);
    pointer = false; moveAfterSave = false;
    if (move) wantMove();
    send(input.name, input.value).then(function (ok) {
      if (ok && move) moveOn();
      else if (move) say(i18n.offline, true);
    });
  });
  form.addEventListener("submit", function (ev) {
    // Offline, a form post would show the browser's own error page: stay, and say why.
    if (navigator.onLine === false) {
      ev.preventDefault();
      wantMove();
      say(i18n.offline, true);
    }
  });
  window.addEventListener("online", flush);
  flush();

  if (root.classList.contains("compact")) {
    form.addEventListener("keydown", function (ev) {
      if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
      var n = parseInt(ev.key, 10);
      if (!(n >= 1 && n <= 9)) return;
      var fieldset = ev.target.closest("fieldset.q");
      if (!fieldset) return;
      var radios = fieldset.querySelectorAll("input[type=radio]");
      if (n > radios.length) return;
      ev.preventDefault();
      radios[n - 1].checked = true;
      radios[n - 1].dispatchEvent(new Event("change", { bubbles: true }));
      var sets = Array.prototype.slice.call(form.querySelectorAll("fieldset.q"));
      var following = sets[sets.indexOf(fieldset) + 1];
      var target = following ? following.querySelector("input[type=radio]:checked") || following.querySelector("input[type=radio]") : form.querySelector("button[name=send]");
      if (target) target.focus();
    });
    var first = form.querySelector("fieldset.q input[type=radio]");
    if (first) first.focus();
  } else if (root.hasAttribute("data-one")) {
    // One question per screen: the question has focus when it opens, so the keyboard and
    // a screen reader start at the question, not at the menu.
    var open = form.querySelector("fieldset.q input[type=radio]:checked") || form.querySelector("fieldset.q input[type=radio]");
    if (open) open.focus();
  }

  // "Read aloud" where the device has a voice for the page's language; hidden elsewhere.
  var speak = root.querySelector("[data-read-aloud]");
  if (speak && "speechSynthesis" in window) {
    var lang = document.documentElement.lang || "nl";
    var voiceFor = function () {
      return window.speechSynthesis.getVoices().filter(function (v) {
        return v.lang && v.lang.toLowerCase().indexOf(lang) === 0;
      })[0];
    };
    var show = function () { if (voiceFor()) speak.hidden = false; };
    show();
    window.speechSynthesis.addEventListener("voiceschanged", show);
    speak.addEventListener("click", function () {
      window.speechSynthesis.cancel();
      var parts = Array.prototype.map.call(form.querySelectorAll("fieldset.q"), function (fs) {
        var legend = fs.querySelector("legend").textContent;
        var options = Array.prototype.map.call(fs.querySelectorAll(".options label span"), function (s) { return s.textContent; });
        return legend + ". " + options.join(". ");
      });
      var utterance = new SpeechSynthesisUtterance(parts.join(". "));
      utterance.lang = lang; utterance.voice = voiceFor() || null;
      window.speechSynthesis.speak(utterance);
    });
  }
})();
