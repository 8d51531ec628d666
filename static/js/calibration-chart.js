// The calibration chart of a scoring model's page: predicted against observed bad rate per
// decile. Data from the page's json_script, labels from the canvas's data attributes.
document.addEventListener("DOMContentLoaded", function () {
  // Axis ticks and tooltips read in the page's language ("30.000" in Italian).
  if (window.Chart) { window.Chart.defaults.locale = document.documentElement.lang || "en"; }
  var canvas = document.getElementById("calibration");
  var source = document.getElementById("calibration-data");
  if (!canvas || !source || !window.Chart) { return; }
  var data = JSON.parse(source.textContent);
  new window.Chart(canvas, {
    type: "line",
    data: {labels: data.labels, datasets: [
      {label: canvas.dataset.labelPredicted, data: data.predicted},
      {label: canvas.dataset.labelObserved, data: data.observed}]},
    options: {scales: {y: {beginAtZero: true}}}
  });
});
