// The staff dashboards' charts (templates/insights/dashboards/). Every canvas names the
// json_script element holding its data (data-chart); numbers are formatted in the page's
// language. A canvas with data-drill-url opens the drill-down of the clicked bar.
document.addEventListener("DOMContentLoaded", function () {
  var lang = document.documentElement.lang || "en";

  Array.prototype.forEach.call(document.querySelectorAll("select[data-navigate]"), function (select) {
    select.addEventListener("change", function () { window.location.href = select.value; });
  });

  if (!window.Chart) { return; }

  function formatter(unit, currency) {
    if (unit === "money") {
      var money = new Intl.NumberFormat(lang, {style: "currency", currency: currency || "EUR", maximumFractionDigits: 0});
      return function (v) { return money.format(v); };
    }
    var plain = new Intl.NumberFormat(lang, {maximumFractionDigits: 1});
    if (unit === "percent") { return function (v) { return plain.format(v) + "%"; }; }
    return function (v) { return plain.format(v); };
  }

  Array.prototype.forEach.call(document.querySelectorAll("canvas[data-chart]"), function (canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) { return; }
    var data = JSON.parse(source.textContent);
    var format = formatter(data.unit, canvas.dataset.currency);
    var options = {
      locale: lang,
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      spanGaps: true,
      scales: {y: {beginAtZero: true, ticks: {callback: format}}},
      plugins: {tooltip: {callbacks: {label: function (item) {
        return item.dataset.label + ": " + (item.raw === null ? "n/a" : format(item.raw));
      }}}}
    };
    var drill = canvas.dataset.drillUrl;
    if (drill && data.keys) {
      options.onClick = function (_event, elements) {
        if (!elements.length) { return; }
        var key = data.keys[elements[0].index];
        window.location.href = drill.replace("/current/", "/" + key + "/");
      };
      options.onHover = function (event, elements) {
        event.native.target.style.cursor = elements.length ? "pointer" : "default";
      };
    }
    var chart = new window.Chart(canvas, {
      type: data.type,
      data: {labels: data.labels, datasets: data.datasets.map(function (set) {
        return {label: set.label, data: set.data};
      })},
      options: options
    });
    canvas.dataset.drawn = chart.data.datasets.length ? "true" : "false";
  });
});
