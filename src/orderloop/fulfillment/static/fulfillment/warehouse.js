/* Warehouse pages: a barcode scanner types into the focused field and presses Enter. Keep the scan
   field focused, give every scan a clear signal (a short high beep and a green flash when accepted;
   a long low buzz, a red flash and a vibration when refused), and let htmx show refusals (4xx). */
(function () {
  var audio = null;
  function tone(frequency, ms, type) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var oscillator = audio.createOscillator();
      var gain = audio.createGain();
      oscillator.type = type;
      oscillator.frequency.value = frequency;
      gain.gain.value = 0.25;
      oscillator.connect(gain);
      gain.connect(audio.destination);
      oscillator.start();
      oscillator.stop(audio.currentTime + ms / 1000);
    } catch (error) { /* no sound available: the colours and the message still say it */ }
  }
  function signal() {
    var element = document.querySelector("[data-scan-outcome]");
    if (!element) { return; }
    var outcome = element.getAttribute("data-scan-outcome");
    document.body.classList.remove("flash-ok", "flash-bad");
    void document.body.offsetWidth; // restart the animation
    if (outcome === "refused") {
      tone(160, 500, "square");
      document.body.classList.add("flash-bad");
      if (navigator.vibrate) { navigator.vibrate([150, 80, 150]); }
    } else if (outcome) {
      tone(1250, 90, "sine");
      document.body.classList.add("flash-ok");
    }
  }
  function focusScan() {
    var input = document.querySelector("[data-scanner]");
    if (input) { input.focus(); }
  }
  document.addEventListener("DOMContentLoaded", function () { signal(); focusScan(); });
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status >= 400 && status < 500) { event.detail.shouldSwap = true; event.detail.isError = false; }
  });
  // Only an answer that re-drew the scan field takes the cursor back there; other swaps on the page
  // (the notification badge's poll) must not pull it out of the field being typed in.
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || !target.querySelector || !(target.matches("[data-scanner]") || target.querySelector("[data-scanner]"))) {
      return;
    }
    signal();
    focusScan();
  });
  // The quantity key (the button, F3, or "*" typed into the scan field): type how many units the next
  // scan confirms, Enter, then scan; without it every scan confirms one unit.
  function focusQuantity() {
    var key = document.querySelector("[data-quantity-key]");
    var field = key && document.getElementById(key.getAttribute("data-quantity-key"));
    if (field) { field.focus(); field.select(); }
    return Boolean(field);
  }
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-quantity-key]")) { focusQuantity(); }
  });
  // F2 (or "/" outside a field) brings the cursor back to the scan field.
  document.addEventListener("keydown", function (event) {
    var active = document.activeElement || {};
    var inField = /INPUT|TEXTAREA|SELECT/.test(active.tagName || "");
    if (event.key === "F2" || (event.key === "/" && !inField)) { event.preventDefault(); focusScan(); return; }
    var onScan = active.hasAttribute && active.hasAttribute("data-scanner");
    if (event.key === "F3" || (event.key === "*" && onScan)) {
      if (focusQuantity()) { event.preventDefault(); }
      return;
    }
    // Enter in the count goes back to the scan field (the count waits for the scan), unless a code is
    // there already: then it sends.
    if (event.key === "Enter" && active.form && active.form.querySelector("[data-quantity-key]") && active.type === "number") {
      var scanField = active.form.querySelector("[data-scanner]");
      if (scanField && !scanField.value) { event.preventDefault(); scanField.focus(); }
    }
  });
})();
