// The charts of the client portal and the staffing forecast. Data from the page's
// json_script elements, labels from the canvases' data attributes (no inline script: CSP).
document.addEventListener("DOMContentLoaded", function () {
  // Axis ticks and tooltips read in the page's language ("30.000" in Italian).
  if (window.Chart) { window.Chart.defaults.locale = document.documentElement.lang || "en"; }
  if (!window.Chart) { return; }
  var source = document.getElementById("portal-chart-data");
  if (source) {
    var data = JSON.parse(source.textContent);
    var aging = document.getElementById("aging-chart");
    if (aging) {
      new window.Chart(aging, {
        type: "bar",
        data: {labels: data.aging.labels, datasets: [
          {label: data.aging.currency, data: data.aging.values, backgroundColor: "#1f7a5c"}]},
        options: {maintainAspectRatio: false, plugins: {legend: {display: false}},
                  scales: {y: {beginAtZero: true}}}
      });
    }
    var months = document.getElementById("months-chart");
    if (months) {
      new window.Chart(months, {
        data: {labels: data.months.labels, datasets: [
          {type: "bar", label: months.dataset.labelCash, data: data.months.cash,
           backgroundColor: "#1f7a5c", yAxisID: "y"},
          {type: "line", label: months.dataset.labelNps, data: data.months.nps,
           borderColor: "#c0572b", spanGaps: true, yAxisID: "nps"}]},
        options: {maintainAspectRatio: false,
                  scales: {y: {beginAtZero: true, position: "left"},
                           nps: {min: -100, max: 100, position: "right",
                                 grid: {drawOnChartArea: false}}}}
      });
    }
  }
  var staffing = document.getElementById("staffing-chart-data");
  var canvas = document.getElementById("staffing-chart");
  if (staffing && canvas) {
    var plan = JSON.parse(staffing.textContent);
    new window.Chart(canvas, {
      data: {labels: plan.labels, datasets: [
        {type: "bar", label: canvas.dataset.labelCalls, data: plan.calls,
         backgroundColor: "#7aa6c2", yAxisID: "y"},
        {type: "line", label: canvas.dataset.labelAgents, data: plan.agents,
         borderColor: "#1f7a5c", stepped: true, yAxisID: "agents"}]},
      options: {maintainAspectRatio: false,
                scales: {y: {beginAtZero: true, position: "left"},
                         agents: {beginAtZero: true, position: "right",
                                  grid: {drawOnChartArea: false}}}}
    });
  }
});
