// The collections desk, keyboard-first (queue and case workspace). The keys are printed on
// the buttons and chips; typing in a text field never triggers them. A static file: the
// Content-Security-Policy allows no inline script.
(function () {
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 400) { event.detail.shouldSwap = true; event.detail.isError = false; }
  });
  document.addEventListener("keydown", function (event) {
    var form = document.getElementById("outcome-form");
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && form) {
      event.preventDefault(); form.requestSubmit(); return;
    }
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (target && (target.tagName === "TEXTAREA" || target.tagName === "SELECT" || (target.tagName === "INPUT" && !["radio", "checkbox"].includes(target.type)))) { return; }
    var key = event.key.toLowerCase();
    if (!form) {
      var next = document.querySelector('[data-key="' + key + '"]');
      if (next) { event.preventDefault(); next.click(); }
      return;
    }
    var chip = Array.from(form.querySelectorAll("label.chip")).find(function (label) {
      var kbd = label.querySelector("kbd");
      return kbd && kbd.textContent.trim().toLowerCase() === key && label.offsetParent !== null;
    });
    if (!chip) { return; }
    event.preventDefault();
    var input = chip.querySelector("input");
    if (input.type === "radio") { input.checked = true; } else { input.checked = !input.checked; }
    input.dispatchEvent(new Event("change", {bubbles: true}));
    var follow = {promise_to_pay: "id_promise_amount", callback_requested: "id_callback_at"}[input.value];
    if (follow && input.checked) { document.getElementById(follow).focus(); }
  });
})();
