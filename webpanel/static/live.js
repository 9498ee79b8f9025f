// Patient page: start/stop a drill and draw the live centre of pressure from /api/v1/live (SSE).
(function () {
  const root = document.querySelector(".run");
  const patientId = Number(root.dataset.patient);
  const canvas = document.getElementById("cop");
  const ctx = canvas.getContext("2d");
  const HALF_MM = 150;          // the view spans ±15 cm around the platform centre
  const TRAIL = 150;            // frames kept in the trail (1.5 s at 100 Hz)
  const trail = [];
  let lastTrial = null;

  const drillSelect = document.getElementById("drill");
  function showParams() {
    document.querySelectorAll("fieldset.params").forEach((fs) => {
      fs.hidden = fs.dataset.drill !== drillSelect.value;
      fs.disabled = fs.hidden;
    });
  }
  drillSelect.addEventListener("change", showParams);
  showParams();

  function toPx(mm) { return (mm / HALF_MM) * (canvas.width / 2); }

  function draw() {
    const w = canvas.width, h = canvas.height;
    ctx.clearRect(0, 0, w, h);
    ctx.strokeStyle = "#e1e7ee"; ctx.lineWidth = 1;
    for (let mm = -HALF_MM; mm <= HALF_MM; mm += 50) {
      ctx.beginPath(); ctx.moveTo(w / 2 + toPx(mm), 0); ctx.lineTo(w / 2 + toPx(mm), h); ctx.stroke();
      ctx.beginPath(); ctx.moveTo(0, h / 2 - toPx(mm)); ctx.lineTo(w, h / 2 - toPx(mm)); ctx.stroke();
    }
    ctx.fillStyle = "#5b6b7a"; ctx.font = "13px system-ui";
    ctx.fillText("front", w / 2 - 16, 16); ctx.fillText("L", 6, h / 2 - 6); ctx.fillText("R", w - 14, h / 2 - 6);
    const pts = trail.filter((p) => p[1] !== null);
    if (pts.length > 1) {
      ctx.strokeStyle = "rgba(11,99,197,.45)"; ctx.lineWidth = 2; ctx.beginPath();
      pts.forEach((p, i) => {
        const x = w / 2 + toPx(p[1]), y = h / 2 - toPx(p[2]);
        if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
      });
      ctx.stroke();
    }
    const last = trail[trail.length - 1];
    if (last && last[1] !== null) {
      ctx.fillStyle = "#0b63c5"; ctx.beginPath();
      ctx.arc(w / 2 + toPx(last[1]), h / 2 - toPx(last[2]), 12, 0, 2 * Math.PI); ctx.fill();
    }
  }

  const STATUS_TEXT = {
    off: "", blue: "step on and stand still", amber: "get ready",
    green: "recording", red: "stopped",
  };

  function showState(msg) {
    const d = msg.drill;
    document.getElementById("phase").textContent = d ? d.phase
      : msg.on_platform ? (msg.settled ? "idle · standing still" : "idle · someone on") : "idle · empty";
    let timer = "–";
    if (d && d.countdown_s !== undefined) timer = String(d.countdown_s);
    else if (d && d.remaining_s !== undefined) timer = d.remaining_s.toFixed(1) + " s";
    document.getElementById("timer").textContent = timer;
    const last = trail[trail.length - 1];
    document.getElementById("load").textContent = last ? (last[3] / 9.80665).toFixed(1) + " kg" : "–";
    document.getElementById("split").textContent = last && last[4] !== null
      ? last[4].toFixed(0) + "% / " + (100 - last[4]).toFixed(0) + "%" : "–";
    document.getElementById("tilt").textContent = last && last[5] !== null
      ? "fwd " + last[5].toFixed(1) + "°, right " + last[6].toFixed(1) + "°" : "no IMU reading";
    const cues = msg.cues || {};
    const lights = cues.lights || {};
    document.querySelectorAll("[data-light]").forEach((el) => {
      el.classList.toggle("on", !!lights[el.dataset.light]);
    });
    const colour = cues.status_colour || "off";
    const status = document.getElementById("led-status");
    status.className = "led status " + colour;
    document.getElementById("status-text").textContent = STATUS_TEXT[colour] || "";
    const say = document.getElementById("instruction");
    say.hidden = !msg.instruction;
    say.textContent = msg.instruction ? "Tell the patient: " + msg.instruction.text : "";
    document.getElementById("start").disabled = !!d;
    if (d) lastTrial = d.trial_id;
    else if (lastTrial) { const id = lastTrial; lastTrial = null; setTimeout(() => location.reload(), 400); }
  }

  function connect() {
    const source = new EventSource("/api/v1/live");
    source.onmessage = (ev) => {
      const msg = JSON.parse(ev.data);
      msg.frames.forEach((f) => trail.push(f));
      trail.splice(0, Math.max(0, trail.length - TRAIL));
      showState(msg);
      draw();
    };
  }

  document.getElementById("start-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const error = document.getElementById("start-error");
    error.textContent = "";
    const params = {};
    document.querySelector(`fieldset.params[data-drill="${drillSelect.value}"]`)
      .querySelectorAll("input, select").forEach((i) => { params[i.name] = i.value; });
    const r = await fetch("/api/v1/trials", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ patient_id: patientId, drill: drillSelect.value, params }),
    });
    if (!r.ok) {
      const body = await r.json();
      error.textContent = body.error.message;
    }
  });

  document.getElementById("stop").addEventListener("click", () => fetch("/api/v1/stop", { method: "POST" }));
  document.querySelectorAll("[data-person]").forEach((b) => b.addEventListener("click", () =>
    fetch("/api/v1/sim/person", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ on_platform: b.dataset.person === "true" }) })));

  draw();
  connect();
})();
