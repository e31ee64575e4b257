// Trend charts for results. Data comes from <script id="chart-data"> (built in clinical/charts.py).
// Readable without colour: each line has its own point shape and dash pattern, the target is a labelled
// dashed line, and every chart has a table of the same numbers next to it.
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function ukDate(iso) {
    var d = new Date(iso + "T00:00:00");
    return d.toLocaleDateString("en-GB", { month: "short", year: "numeric" });
  }

  function flat(value, count) {
    var out = [];
    for (var i = 0; i < count; i++) { out.push(value); }
    return out;
  }

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var series = data[canvas.dataset.chart];
    if (!series) { return; }
    var labels = series.points.map(function (p) { return ukDate(p.t); });
    var datasets = [{
      label: series.paired ? "Top number (systolic)" : series.label,
      data: series.points.map(function (p) { return p.y; }),
      borderColor: "#005eb8", backgroundColor: "#005eb8", pointStyle: "circle", pointRadius: 4, borderWidth: 2,
    }];
    if (series.paired) {
      datasets.push({
        label: "Bottom number (diastolic)",
        data: series.points.map(function (p) { return p.y2; }),
        borderColor: "#212b32", backgroundColor: "#212b32", pointStyle: "triangle", pointRadius: 5,
        borderWidth: 2, borderDash: [2, 2],
      });
    }
    if (series.target !== null) {
      datasets.push({
        label: "Target " + (series.paired ? "(top number)" : ""), data: flat(series.target, labels.length),
        borderColor: "#4c6272", borderDash: [8, 6], pointRadius: 0, borderWidth: 2, fill: false,
      });
    }
    if (series.target2 !== null) {
      datasets.push({
        label: "Target (bottom number)", data: flat(series.target2, labels.length),
        borderColor: "#768692", borderDash: [3, 6], pointRadius: 0, borderWidth: 2, fill: false,
      });
    }
    new Chart(canvas, {
      type: "line",
      data: { labels: labels, datasets: datasets },
      options: {
        animation: reduceMotion ? false : { duration: 300 },
        maintainAspectRatio: false,
        plugins: { legend: { labels: { usePointStyle: true } } },
        scales: { y: { title: { display: true, text: series.unit } } },
      },
    });
  });
})();
