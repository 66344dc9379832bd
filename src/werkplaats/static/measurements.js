/* Save every answer the moment it is given; keep unsent answers in localStorage so a lost
   connection or a closed browser loses nothing; keys 1-9 for the professional's form. */
(function () {
  "use strict";
  var root = document.querySelector(".questionnaire");
  if (!root) return;
  var answerUrl = root.getAttribute("data-answer-url");
  var form = root.querySelector("form.answers");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var queueKey = "werkplaats-pending:" + answerUrl;
  var i18n = document.documentElement.lang === "en"
    ? { saved: "Saved", waiting: "Not sent yet: no connection. It will be sent automatically." }
    : { saved: "Opgeslagen", waiting: "Nog niet verstuurd: geen verbinding. Dit gaat vanzelf zodra er weer verbinding is." };

  function pending() {
    try { return JSON.parse(localStorage.getItem(queueKey) || "{}"); } catch (e) { return {}; }
  }
  function setPending(p) {
    try { localStorage.setItem(queueKey, JSON.stringify(p)); } catch (e) { /* private mode */ }
  }
  function status(item, text, bad) {
    var box = form.querySelector('fieldset[data-item="' + item + '"] [data-status]');
    if (box) { box.textContent = text; box.className = "status" + (bad ? " bad" : " ok"); }
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
  function send(item, value) {
    var p = pending(); p[item] = value; setPending(p);
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
        var q = pending(); delete q[item]; setPending(q);
        if (r.ok) { status(item, i18n.saved, false); progress(data); branching(data); return true; }
        status(item, data.error || "", true); return false;
      });
    }).catch(function () { status(item, i18n.waiting, true); return false; });
  }
  function flush() {
    var p = pending();
    Object.keys(p).forEach(function (item) {
      // Show the answer that is still waiting, then send it.
      var values = Array.isArray(p[item]) ? p[item] : [p[item]];
      values.forEach(function (v) {
        var box = form.querySelector('input[name="' + item + '"][value="' + CSS.escape(String(v)) + '"]');
        if (box) box.checked = true;
      });
      send(item, p[item]);
    });
  }
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
    send(input.name, input.value).then(function (ok) {
      var next = form.querySelector("[data-next]");
      if (ok && next) { window.location.href = form.querySelector("input[name=next]").value; }
    });
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
  }
})();
