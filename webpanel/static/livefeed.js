// What the panel's live view and the patient display share: the live stream (GET /api/v1/live,
// server-sent events) with the centre-of-pressure trail of the last 2 s, and the drawing of the
// centre of pressure and the drill's targets seen from above: front at the top, the patient's
// right on the right (the way the patient leans, as in a mirror in front of them).
window.BalanceLive = (function () {
  const TRAIL_S = 2.0;
  const POINT_TARGET_MM = 15; // ring drawn around a target that is a point to reach

  // Call onMessage(msg, trail) for every event; trail holds the frames of the last 2 s
  // ([t_s, ml_mm, ap_mm, total_n, left_pct, pitch_deg, roll_deg], COP null when nobody stands).
  function connect(onMessage) {
    const trail = [];
    const source = new EventSource("/api/v1/live");
    source.onmessage = (ev) => {
      const msg = JSON.parse(ev.data);
      msg.frames.forEach((f) => {
        if (trail.length && f[0] < trail[trail.length - 1][0]) trail.length = 0; // station restarted
        trail.push(f);
      });
      const newest = trail.length ? trail[trail.length - 1][0] : 0;
      while (trail.length && trail[0][0] < newest - TRAIL_S) trail.shift();
      onMessage(msg, trail);
    };
    return source;
  }

  // Write to the page only what changed: messages come 20 times a second, and every write,
  // even of the same value, has the browser recompute the page's style and layout.
  function setText(el, text) {
    if (el.textContent !== text) el.textContent = text;
  }
  // A number a person reads changes at most 4 times a second: at the stream's 20 its last
  // digits blur, and each change has the tablet lay the page out again for nothing anyone
  // can read. The picture (the canvas, the load bar) keeps the stream's rate.
  const READING_MS = 250;
  const readingWritten = new WeakMap();
  function setReading(el, text) {
    const now = performance.now();
    if (el.textContent === text || now - (readingWritten.get(el) ?? -Infinity) < READING_MS) return;
    readingWritten.set(el, now);
    el.textContent = text;
  }
  function setHidden(el, hidden) {
    if (el.hidden !== hidden) el.hidden = hidden;
  }
  function setClass(el, name) {
    if (el.className !== name) el.className = name;
  }
  function setStyle(el, property, value) {
    if (el.style[property] !== value) el.style[property] = value;
  }

  function zones(drill) {
    return drill ? [drill.home_zone, drill.target_zone].filter(Boolean) : [];
  }

  // Half the width of the view in mm: at least minMm, and enough to show every target with a
  // margin.
  function spanMm(drill, minMm) {
    let span = minMm;
    zones(drill).forEach((z) => {
      const r = z.radius_mm || POINT_TARGET_MM;
      span = Math.max(span, Math.abs(z.ml_mm) + r + 20, Math.abs(z.ap_mm) + r + 20);
    });
    return Math.ceil(span / 25) * 25;
  }

  // Fit the canvas's pixels to its displayed size (sharp on high-density screens).
  function fitCanvas(canvas) {
    const ratio = window.devicePixelRatio || 1;
    const rect = canvas.getBoundingClientRect();
    const w = Math.max(1, Math.round(rect.width * ratio));
    const h = Math.max(1, Math.round(rect.height * ratio));
    if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
    return ratio;
  }

  // Draw the scene; style: {minSpanMm, background, grid (every 5 cm) or cross (through the
  // centre), labels, home, target, targetOn, trail, dot, dotRing, dotPx, trailPx, scale}: the
  // smallest half-width shown in mm, colours (null: not drawn) and sizes in CSS pixels.
  function draw(canvas, trail, drill, centreLit, style) {
    const ratio = fitCanvas(canvas);
    const ctx = canvas.getContext("2d");
    const w = canvas.width, h = canvas.height, size = Math.min(w, h);
    const span = spanMm(drill, style.minSpanMm);
    const px = (mm) => (mm / span) * (size / 2);
    const x = (ml) => w / 2 + px(ml), y = (ap) => h / 2 - px(ap);
    ctx.fillStyle = style.background;
    ctx.fillRect(0, 0, w, h);
    if (style.grid) {
      ctx.strokeStyle = style.grid; ctx.lineWidth = ratio;
      for (let mm = -Math.floor(span / 50) * 50; mm <= span; mm += 50) {
        ctx.beginPath(); ctx.moveTo(x(mm), 0); ctx.lineTo(x(mm), h); ctx.stroke();
        ctx.beginPath(); ctx.moveTo(0, y(mm)); ctx.lineTo(w, y(mm)); ctx.stroke();
      }
    }
    if (style.cross) {
      ctx.strokeStyle = style.cross; ctx.lineWidth = 2 * ratio;
      ctx.beginPath(); ctx.moveTo(x(0), 0); ctx.lineTo(x(0), h); ctx.moveTo(0, y(0)); ctx.lineTo(w, y(0));
      ctx.stroke();
    }
    if (style.labels) {
      ctx.fillStyle = style.labels; ctx.font = `${14 * style.scale * ratio}px system-ui, sans-serif`;
      ctx.textAlign = "center"; ctx.textBaseline = "top";
      ctx.fillText(t("livefeed.front"), w / 2, 6 * ratio);
      ctx.textBaseline = "middle"; ctx.textAlign = "left";
      ctx.fillText(t("livefeed.left"), 8 * ratio, h / 2 - 14 * ratio);
      ctx.textAlign = "right";
      ctx.fillText(t("livefeed.right"), w - 8 * ratio, h / 2 - 14 * ratio);
    }
    if (drill && drill.home_zone) {
      const z = drill.home_zone;
      ctx.setLineDash([8 * ratio, 6 * ratio]);
      ctx.strokeStyle = style.home; ctx.lineWidth = 3 * ratio * style.scale;
      ctx.beginPath(); ctx.arc(x(z.ml_mm), y(z.ap_mm), px(z.radius_mm), 0, 2 * Math.PI); ctx.stroke();
      ctx.setLineDash([]);
    }
    if (drill && drill.target_zone) {
      const z = drill.target_zone, cx = x(z.ml_mm), cy = y(z.ap_mm);
      const colour = centreLit ? style.targetOn : style.target;
      ctx.strokeStyle = colour; ctx.fillStyle = colour; ctx.lineWidth = 4 * ratio * style.scale;
      ctx.beginPath(); ctx.arc(cx, cy, px(z.radius_mm || POINT_TARGET_MM), 0, 2 * Math.PI);
      ctx.globalAlpha = z.radius_mm ? 0.3 : 0.15; ctx.fill(); ctx.globalAlpha = 1; ctx.stroke();
      const tick = px(POINT_TARGET_MM) * 0.6;
      ctx.beginPath(); ctx.moveTo(cx - tick, cy); ctx.lineTo(cx + tick, cy);
      ctx.moveTo(cx, cy - tick); ctx.lineTo(cx, cy + tick); ctx.stroke();
    }
    const pts = trail.filter((f) => f[1] !== null);
    if (pts.length > 1) {
      ctx.strokeStyle = style.trail; ctx.lineWidth = style.trailPx * ratio; ctx.lineJoin = "round";
      ctx.beginPath();
      pts.forEach((f, i) => (i ? ctx.lineTo(x(f[1]), y(f[2])) : ctx.moveTo(x(f[1]), y(f[2]))));
      ctx.stroke();
    }
    const last = trail[trail.length - 1];
    if (last && last[1] !== null) {
      const r = style.dotPx * ratio;  // kept inside the view, so a big lean never loses the dot
      const dx = Math.min(w - r, Math.max(r, x(last[1]))), dy = Math.min(h - r, Math.max(r, y(last[2])));
      ctx.fillStyle = style.dot;
      ctx.beginPath(); ctx.arc(dx, dy, r, 0, 2 * Math.PI); ctx.fill();
      if (style.dotRing) {
        ctx.strokeStyle = style.dotRing; ctx.lineWidth = 3 * ratio; ctx.stroke();
      }
    }
  }

  return { connect, draw, spanMm, setText, setReading, setHidden, setClass, setStyle, TRAIL_S };
})();
