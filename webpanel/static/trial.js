// Trial page: draw the recorded centre-of-pressure path (statokinesigram) from the raw samples.
(function () {
  const canvas = document.getElementById("path");
  const ctx = canvas.getContext("2d");
  fetch(`/api/v1/trials/${canvas.dataset.trial}/samples`).then((r) => r.json()).then((data) => {
    const ml = data.columns.cop_ml_mm, ap = data.columns.cop_ap_mm, t = data.columns.t_s;
    const start = Number(canvas.dataset.start), end = Number(canvas.dataset.end);  // "inf" -> NaN
    const pts = ml.map((x, i) => [x, ap[i], t[i]])
      .filter((p) => p[0] !== null && p[1] !== null && p[2] >= start && !(p[2] > end));
    if (!pts.length) return;
    const mean = [0, 1].map((k) => pts.reduce((s, p) => s + p[k], 0) / pts.length);
    const span = Math.max(10, ...pts.map((p) => Math.max(Math.abs(p[0] - mean[0]), Math.abs(p[1] - mean[1])))) * 1.15;
    const w = canvas.width, h = canvas.height, scale = (w / 2) / span;
    ctx.strokeStyle = "#e1e7ee";
    for (let mm = -Math.floor(span / 10) * 10; mm <= span; mm += 10) {
      ctx.beginPath(); ctx.moveTo(w / 2 + mm * scale, 0); ctx.lineTo(w / 2 + mm * scale, h); ctx.stroke();
      ctx.beginPath(); ctx.moveTo(0, h / 2 - mm * scale); ctx.lineTo(w, h / 2 - mm * scale); ctx.stroke();
    }
    ctx.strokeStyle = "#0b63c5"; ctx.lineWidth = 1.2; ctx.beginPath();
    pts.forEach((p, i) => {
      const x = w / 2 + (p[0] - mean[0]) * scale, y = h / 2 - (p[1] - mean[1]) * scale;
      if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    });
    ctx.stroke();
  });
})();
