// Progress page: one trend chart per drill and headline measure, a line per condition, drawn
// with the vendored uPlot from the series the page embeds (#progress-data). Results that failed
// the data-quality checks are drawn as hollow points only, outside the line.
(function () {
  "use strict";
  const charts = JSON.parse(document.getElementById("progress-data").textContent);
  // Okabe-Ito (blue, vermillion, ink, reddish purple, bluish green) and a violet: 3:1 or more
  // on white, apart for protanopes and deuteranopes (tests/browser/test_accessibility.py); each
  // line also has its own dash, so no line is told by its colour alone
  const PALETTE = ["#0072b2", "#d55e00", "#1b2733", "#cc79a7", "#009e73", "#785ef0"];
  const DASHES = [[], [10, 5], [2, 4], [12, 4, 2, 4], [6, 6], [2, 2]];
  const plots = [];
  const DAY_S = 86400;

  // A single date gets a week around it; a span gets 5% on each side (points off the edges).
  // From the data itself: uPlot widens a single time value by 86400 / ms before asking.
  function padDays(u) {
    const times = u.data[0], min = times[0], max = times[times.length - 1];
    if (min === max) return [min - 3 * DAY_S, max + 3 * DAY_S];
    const pad = Math.max((max - min) * 0.05, DAY_S / 4);
    return [min - pad, max + pad];
  }

  function seriesData(chart) {
    const times = [...new Set(chart.lines.flatMap((l) => l.points.map((p) => p.t)))].sort((a, b) => a - b);
    const index = new Map(times.map((t, i) => [t, i]));
    const data = [times];
    const series = [{ label: t("progress.date") }];
    const unit = chart.unit ? ` ${chart.unit}` : "";
    const digits = new Intl.NumberFormat(Messages.lang, { minimumSignificantDigits: 3, maximumSignificantDigits: 3 });
    const value = (u, v) => (v == null ? "–" : `${digits.format(v)}${unit}`);
    chart.lines.forEach((line, k) => {
      const colour = PALETTE[k % PALETTE.length];
      const good = new Array(times.length).fill(null), flagged = new Array(times.length).fill(null);
      for (const p of line.points) (p.good ? good : flagged)[index.get(p.t)] = p.value;
      const name = line.condition ? line.condition.charAt(0).toUpperCase() + line.condition.slice(1) : chart.label;
      data.push(good);
      series.push({ label: name, stroke: colour, width: 2, spanGaps: true, value,
        dash: DASHES[k % DASHES.length],
        points: { show: true, size: 8, fill: colour } });
      if (flagged.some((v) => v != null)) {
        data.push(flagged);
        series.push({ label: t("progress.not_good", { name }), stroke: colour, value,
          paths: () => null, points: { show: true, size: 10, fill: "#fff", width: 2 } });
      }
    });
    return { data, series };
  }

  document.querySelectorAll("[data-chart]").forEach((box) => {
    const chart = charts[Number(box.dataset.chart)];
    const { data, series } = seriesData(chart);
    const u = new uPlot({
      width: box.clientWidth || 600,
      height: 220,
      series,
      scales: { x: { time: true, range: padDays } },
      axes: [{}, { label: chart.unit || chart.label }],
    }, data, box);
    plots.push({ u, box });
  });

  let pending;
  window.addEventListener("resize", () => {
    clearTimeout(pending);
    pending = setTimeout(() => plots.forEach((p) => p.u.setSize({ width: p.box.clientWidth || 600, height: 220 })), 150);
  });
})();
