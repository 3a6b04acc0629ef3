// Live character count for post text. X's rule, approximately (the server re-checks exactly
// with bot.twitter_text.weighted_length): links count 23, most Latin text 1, CJK and emoji 2.
(function () {
  "use strict";
  var URL_RE = /\bhttps?:\/\/[^\s<>"]+|\b(?:[a-z0-9-]+\.)+[a-z]{2,}(?:\/[^\s<>"]*)?/gi;
  var LIGHT = [[0x0000, 0x10ff], [0x2000, 0x200d], [0x2010, 0x201f], [0x2032, 0x2037]];

  function weight(ch) {
    var code = ch.codePointAt(0);
    for (var i = 0; i < LIGHT.length; i++) {
      if (code >= LIGHT[i][0] && code <= LIGHT[i][1]) return 1;
    }
    return 2;
  }

  function xLength(text) {
    text = text.normalize("NFC");
    var total = 0;
    var rest = text.replace(URL_RE, function () { total += 23; return ""; });
    // Emoji sequences (joined with ZWJ or modifiers) count 2 as a whole.
    rest = rest.replace(/\p{Extended_Pictographic}(?:\uFE0F|\p{Emoji_Modifier}|\u200D\p{Extended_Pictographic})*/gu,
      function () { total += 2; return ""; });
    for (var ch of rest) total += weight(ch);
    return total;
  }

  function update(area, out) {
    var limit = parseInt(area.dataset.countLimit, 10);
    var n = area.dataset.countPlatform === "x" ? xLength(area.value) : area.value.length;
    var name = area.dataset.countPlatform === "x" ? "X" : "Facebook";
    out.textContent = n + " of " + limit + " characters on " + name +
      (n > limit ? " (" + (n - limit) + " too many)" : "");
    out.classList.toggle("over", n > limit);
  }

  document.querySelectorAll("textarea[data-count-platform]").forEach(function (area) {
    var out = document.getElementById(area.getAttribute("aria-describedby").split(" ")[0]);
    if (!out) return;
    area.addEventListener("input", function () { update(area, out); });
    update(area, out);
  });
})();
