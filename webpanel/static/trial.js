// Trial page: per scored recording, the stabilogram (COP against time) and the statokinesigram
// (AP against ML, equal scales, with the 95% ellipse), drawn with the vendored uPlot from
// /api/v1/trials/<id>/charts (positions in cm, the ellipse outline computed by the station).
(function () {
  "use strict";
  const root = document.getElementById("charts");
  if (!root) return; // no samples here: a trial running, or recorded on another station
  const COLOURS = { ml: "#0b63c5", ap: "#b35c00", path: "#0b63c5", ellipse: "#b3261e" };
  // uPlot's line builder thins points that share a pixel column, which only suits data sorted
  // by x: the x-y path is kept under a quarter of the chart's width in pixels per point.
  const XY_MAX_POINTS = 1000;
  const charts = [];

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  const num = Messages.number;
  const cm = (u, v) => (v == null ? "–" : `${num(v, 2)} cm`);

  function stabilogram(segment, box) {
    return new uPlot({
      width: box.clientWidth || 600,
      height: 240,
      scales: { x: { time: false } },
      series: [
        { label: t("trial.time"), value: (u, v) => (v == null ? "–" : `${num(v, 2)} s`) },
        { label: t("trial.ml"), stroke: COLOURS.ml, width: 1.5, value: cm },
        { label: t("trial.ap"), stroke: COLOURS.ap, width: 1.5, value: cm },
      ],
      axes: [{ label: t("trial.time_axis") }, { label: t("trial.position_axis") }],
    }, [segment.t_s, segment.ml_cm, segment.ap_cm], box);
  }

  function thinned(values, step) {
    return values.filter((_, i) => i % step === 0);
  }

  function extent(values) {
    return values.reduce((e, v) => [Math.min(e[0], v), Math.max(e[1], v)], [Infinity, -Infinity]);
  }

  // Equal scales: the same cm per pixel on both axes whatever the plot area's shape.
  function equalise(u, centre, half) {
    const w = u.bbox.width, h = u.bbox.height;
    const hx = half * Math.max(1, w / h), hy = half * Math.max(1, h / w);
    u.batch(() => {
      u.setScale("x", { min: centre[0] - hx, max: centre[0] + hx });
      u.setScale("y", { min: centre[1] - hy, max: centre[1] + hy });
    });
  }

  function statokinesigram(segment, box) {
    const step = Math.ceil(segment.ml_cm.length / XY_MAX_POINTS);
    const ml = thinned(segment.ml_cm, step), ap = thinned(segment.ap_cm, step);
    const line = { paths: uPlot.paths.linear(), points: { show: false } };
    const data = [null, [ml, ap]];
    const series = [{}, { ...line, label: t("trial.cop_path"), stroke: COLOURS.path, width: 1 }];
    let xs = ml, ys = ap;
    if (segment.ellipse) {
      data.push([segment.ellipse.ml_cm, segment.ellipse.ap_cm]);
      series.push({ ...line, label: t("trial.ellipse", { pct: Messages.percent(95) }), stroke: COLOURS.ellipse, width: 2 });
      xs = xs.concat(segment.ellipse.ml_cm);
      ys = ys.concat(segment.ellipse.ap_cm);
    }
    const ex = extent(xs), ey = extent(ys);
    const centre = segment.centred ? [0, 0] : [(ex[0] + ex[1]) / 2, (ey[0] + ey[1]) / 2];
    const half = 1.1 * Math.max(0.5, ...[ex[0], ex[1]].map((v) => Math.abs(v - centre[0])),
      ...[ey[0], ey[1]].map((v) => Math.abs(v - centre[1])));
    const size = Math.min(box.clientWidth || 360, 440);
    const u = new uPlot({
      mode: 2,
      width: size,
      height: size,
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: false, auto: false, range: [centre[0] - half, centre[0] + half] },
        y: { auto: false, range: [centre[1] - half, centre[1] + half] },
      },
      axes: [
        { label: t("trial.ml_axis"), size: 56 },
        { label: t("trial.ap_axis"), size: 56 },
      ],
      series,
    }, data, box);
    equalise(u, centre, half);
    return { u, centre, half };
  }

  function draw(segment) {
    const section = element("div", "segment");
    section.append(element("h3", "", segment.title));
    if (segment.ellipse) {
      const e = segment.ellipse;
      section.append(element("p", "muted small", t("trial.ellipse_summary", {
        pct: Messages.percent(95), convention: e.convention || t("trial.prediction"),
        area: num(e.area_cm2, 2), major: num(e.semi_major_cm, 2), minor: num(e.semi_minor_cm, 2),
        angle: num(e.angle_deg, 0),
      })));
    }
    const grid = element("div", "charts");
    const left = element("figure", "chart"), right = element("figure", "chart");
    left.append(element("h3", "", t("trial.stabilogram")));
    right.append(element("h3", "", t("trial.statokinesigram")));
    const leftPlot = element("div", "plot"), rightPlot = element("div", "plot");
    left.append(leftPlot);
    right.append(rightPlot);
    grid.append(left, right);
    section.append(grid);
    root.append(section);
    const time = stabilogram(segment, leftPlot);
    const xy = statokinesigram(segment, rightPlot);
    charts.push({ time, xy, leftPlot, rightPlot });
  }

  function resize() {
    for (const c of charts) {
      c.time.setSize({ width: c.leftPlot.clientWidth || 600, height: 240 });
      const size = Math.min(c.rightPlot.clientWidth || 360, 440);
      c.xy.u.setSize({ width: size, height: size });
      equalise(c.xy.u, c.xy.centre, c.xy.half);
    }
  }

  Panel.request(`/api/v1/trials/${root.dataset.trial}/charts`)
    .then((data) => {
      root.textContent = "";
      if (!data.segments.length) {
        root.append(element("p", "muted", t("trial.no_data")));
        return;
      }
      data.segments.forEach(draw);
      let pending;
      window.addEventListener("resize", () => {
        clearTimeout(pending);
        pending = setTimeout(resize, 150);
      });
    })
    .catch((err) => {
      root.textContent = "";
      const warning = element("p", "warn");
      warning.textContent = t("trial.charts_failed", { error: err.message });
      root.append(warning);
    });
})();
