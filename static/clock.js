// Keeps the net-time clocks on a page running while it is open: each element with
// data-net-minutes counts on from the value the server rendered, by the time since the page
// loaded (the browser's own clock may be set differently from the server's).
(function () {
  "use strict";
  var loaded = performance.now();
  var clocks = document.querySelectorAll("[data-net-minutes][data-running='true']");
  if (!clocks.length) return;
  function text(minutes, lang) {
    var h = Math.floor(minutes / 60), m = minutes % 60;
    if (lang === "en") return h ? h + " h " + m + " min" : m + " min";
    return h ? h + " 小时 " + m + " 分钟" : m + " 分钟";
  }
  function tick() {
    var passed = Math.floor((performance.now() - loaded) / 60000);
    clocks.forEach(function (el) {
      var minutes = parseInt(el.dataset.netMinutes, 10) + passed;
      el.textContent = text(minutes, document.documentElement.lang);
      var late = minutes > parseInt(el.dataset.targetMinutes, 10);
      (el.closest("[data-late-mark]") || el).classList.toggle("late-mark", late);
    });
  }
  setInterval(tick, 30000);
  // Lets a page (or a test) bring the clocks up to date at once.
  document.addEventListener("permitflow:tick", tick);
})();
