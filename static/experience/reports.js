// The experience report's monthly chart: NPS and its 95% interval per month. Data from the
// page's JSON block, labels from the canvas's data attributes (no inline script: CSP).
document.addEventListener("DOMContentLoaded", function () {
  // Axis ticks and tooltips read in the page's language ("30.000" in Italian).
  if (window.Chart) { window.Chart.defaults.locale = document.documentElement.lang || "en"; }
  var canvas = document.getElementById("nps-months");
  var source = document.getElementById("nps-months-data");
  if (!canvas || !source || !window.Chart) { return; }
  var rows = JSON.parse(source.textContent);
  var pick = function (key) { return rows.map(function (row) { return row[key]; }); };
  new window.Chart(canvas, {
    type: "line",
    data: {labels: pick("label"), datasets: [
      {label: canvas.dataset.labelScore, data: pick("score"), borderWidth: 2},
      {label: canvas.dataset.labelLow, data: pick("low"), borderDash: [4, 4], borderWidth: 1,
       pointRadius: 0},
      {label: canvas.dataset.labelHigh, data: pick("high"), borderDash: [4, 4], borderWidth: 1,
       pointRadius: 0}]},
    options: {scales: {y: {min: -100, max: 100}}, maintainAspectRatio: true}
  });
});
