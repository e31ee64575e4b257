// Bar charts for the outcomes dashboard. Data comes from <script id="insight-chart-data"> (built in
// insight/dashboards.py from the same tables shown under each chart). A suppressed count ("fewer than 5") is
// null and drawn as no bar; the table beside every chart carries the numbers, so nothing depends on the chart.
(function () {
  "use strict";
  var source = document.getElementById("insight-chart-data");
  if (!source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  document.querySelectorAll("canvas[data-insight-chart]").forEach(function (canvas) {
    var chart = data[canvas.dataset.insightChart];
    if (!chart || !chart.values.some(function (v) { return v !== null && v > 0; })) {
      canvas.parentNode.hidden = true;  // nothing to draw: the table says so
      return;
    }
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: chart.labels,
        datasets: [{ label: chart.label, data: chart.values, backgroundColor: "#005eb8", borderColor: "#003087",
                     borderWidth: 1 }],
      },
      options: {
        indexAxis: "y",
        animation: reduceMotion ? false : { duration: 300 },
        maintainAspectRatio: false,
        plugins: { legend: { display: false }, title: { display: true, text: chart.title } },
        scales: { x: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: chart.label } } },
      },
    });
  });
})();
