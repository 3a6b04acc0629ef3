// The edit page's live counter and preview. The server counts (POST /preview, the same code that
// checks the text on saving), so the number shown is the number the server will apply.
(function () {
  "use strict";
  var area = document.querySelector("textarea[data-preview-url]");
  if (!area) return;
  var out = document.getElementById("count");
  var shown = document.querySelector("[data-preview-text]");
  var token = area.form.querySelector("input[name=csrf_token]").value;
  var timer = null;
  var asked = 0;

  function render(data) {
    out.textContent = data.message;
    out.classList.toggle("over", data.over > 0);
    if (!shown) return;
    var nodes = data.segments.map(function (seg) {
      if (seg.kind === "text") return document.createTextNode(seg.text);
      var span = document.createElement("span");
      span.className = "pv-" + seg.kind;
      span.textContent = seg.text;
      return span;
    });
    shown.replaceChildren.apply(shown, nodes);
  }

  function ask() {
    var mine = ++asked;
    var body = new URLSearchParams({ platform: area.dataset.platform, text: area.value });
    area.setAttribute("aria-busy", "true");
    fetch(area.dataset.previewUrl, {
      method: "POST",
      headers: { "X-CSRF-Token": token },
      body: body,
      credentials: "same-origin"
    }).then(function (response) {
      if (!response.ok) throw new Error(response.status);
      return response.json();
    }).then(function (data) {
      if (mine === asked) render(data);  // an older answer arriving late is dropped
    }).catch(function () {
      if (mine === asked) out.textContent = "Could not count just now: the server checks on saving.";
    }).finally(function () {
      if (mine === asked) area.removeAttribute("aria-busy");
    });
  }

  area.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 150);
  });
  // Typed into before this script ran (a slow phone): the count on the page is the old text's.
  if (area.value !== area.defaultValue) ask();
})();
