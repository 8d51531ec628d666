// Behaviour every page shares. No inline handlers anywhere: the Content-Security-Policy
// allows scripts from our own static files only.
document.addEventListener("change", function (event) {
  var target = event.target;
  if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit") && target.form) {
    target.form.submit();
  }
});

// The courtesy-call outcome form: keys 1-8 choose an outcome, and an outcome that needs a
// date moves the focus to it. One listener for the page; the form itself is swapped by htmx.
document.addEventListener("keydown", function (event) {
  var target = event.target;
  if (target && (target.tagName === "TEXTAREA" || target.tagName === "SELECT"
      || (target.tagName === "INPUT" && target.type !== "radio"))) { return; }
  var radios = document.querySelectorAll('#outcome input[name="outcome"]');
  var index = parseInt(event.key, 10);
  if (index >= 1 && index <= radios.length) {
    radios[index - 1].checked = true; radios[index - 1].focus(); event.preventDefault();
    var needs = {payment_date: "id_payment_date", callback: "id_callback_at"}[radios[index - 1].value];
    if (needs) { document.getElementById(needs).focus(); }
  }
});
