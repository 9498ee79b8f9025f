// Technician pages: the diagnostics refresh themselves every 3 s; the calibration wizard is
// driven step by step through /api/v1/technician/calibration and shows the live load each
// second while it is open. Refreshing pauses after 10 min without a touch or a key, so the
// panel's idle logout still happens on an unattended tablet.
(function () {
  "use strict";
  const API = "/api/v1/technician";
  const PAUSE_AFTER_MS = 10 * 60 * 1000;
  let lastInput = Date.now();
  for (const type of ["pointerdown", "keydown"]) {
    document.addEventListener(type, () => { lastInput = Date.now(); }, { passive: true });
  }
  const paused = () => Date.now() - lastInput > PAUSE_AFTER_MS;

  function el(tag, props = {}, children = []) {
    const node = Object.assign(document.createElement(tag), props);
    node.append(...children);
    return node;
  }
  function num(value, digits, unit = "") {
    if (value === null || value === undefined || Number.isNaN(value)) return "–";
    if (Math.abs(value) < 0.5 * 10 ** -digits) value = 0;  // no "-0.0"
    const text = Number(value).toLocaleString("en-GB", {
      minimumFractionDigits: digits, maximumFractionDigits: digits });
    return unit ? `${text} ${unit}` : text;
  }
  function signed(value, digits, unit = "") {
    return (value >= 0 ? "+" : "") + num(value, digits, unit);
  }
  function bytes(n) {
    if (n === null || n === undefined) return "–";
    const units = ["B", "kB", "MB", "GB", "TB"];
    let i = 0;
    while (n >= 1000 && i < units.length - 1) { n /= 1000; i += 1; }
    return num(n, i === 0 ? 0 : 1, units[i]);
  }
  function readout(dl, rows) {
    dl.replaceChildren(...rows.flatMap(([term, value, cls]) => [
      el("dt", { textContent: term }), el("dd", { textContent: value, className: cls || "" })]));
  }
  function call(method, path, body) {
    return Panel.request(API + path, { method, body });
  }

  // --- diagnostics -----------------------------------------------------------------------------
  const DEVICE_NAMES = { loadcells: "Load cells", imu: "IMU", cues: "Lights and buzzer", stop_button: "Stop button" };

  function rate(device) {
    if (device.measured_rate_sps !== undefined) return `${num(device.measured_rate_sps, 1)} of ${device.rate_sps} samples/s`;
    if (device.measured_rate_hz !== undefined) return `${num(device.measured_rate_hz, 1)} of ${num(device.rate_hz, 0)} Hz`;
    return "";
  }
  function faults(device) {
    if (device.faults_total === undefined) return "";
    const kinds = Object.entries(device.faults || {}).map(([kind, n]) => `${n} ${kind}`);
    return device.faults_total ? `${device.faults_total} (${kinds.join(", ")})` : "none";
  }

  function showDiagnostics(d) {
    const loop = d.loop;
    const late = loop.lateness_ms || {};
    const temp = d.cpu_temperature_c;
    const schema = d.schema_version;
    readout(document.getElementById("diag-station"), [
      ["Software", `balance-station ${d.version}`],
      ["Hardware", d.simulated ? "simulation (emulated chips)" : "Raspberry Pi"],
      ["CPU temperature", temp === null ? "not reported by this machine" : num(temp, 1, "°C"),
        temp !== null && temp >= 80 ? "error" : temp !== null && temp >= 70 ? "warn" : ""],
      ["Database schema", `version ${schema.current}` + (schema.current === schema.latest ? " (current)" : ` (this software knows ${schema.latest})`)],
      ["Config file", d.config_file || "none (built-in defaults)"],
      ["Running drill", d.drill ? d.drill.name : "none"],
      ["Platform held by", d.platform_holder || "nobody (drills may start)"],
      ["Python", `${d.python} on ${d.system}`],
    ]);
    const lateShare = loop.ticks ? (100 * loop.late_ticks) / loop.ticks : 0;
    readout(document.getElementById("diag-loop"), [
      ["Rate", `${num(loop.measured_rate_hz, 1)} of ${num(loop.rate_hz, 0)} Hz`],
      ["Ticks", num(loop.ticks, 0)],
      ["Late ticks", `${num(loop.late_ticks, 0)} (${num(lateShare, 2)} %)`, lateShare > 1 ? "warn" : ""],
      ["Restarts of the schedule", num(loop.resyncs, 0), loop.resyncs ? "warn" : ""],
      ["Lateness, median", num(late.p50, 2, "ms")],
      ["Lateness, 99th percentile", num(late.p99, 2, "ms"), late.p99 > 1000 / loop.rate_hz / 2 ? "warn" : ""],
      ["Lateness, largest", num(late.max, 2, "ms")],
    ]);
    const rows = Object.keys(DEVICE_NAMES)
      .filter((name) => d.devices[name])
      .map((name) => [name, d.devices[name]])
      .map(([name, device]) => el("tr", {}, [
        el("th", { textContent: DEVICE_NAMES[name], scope: "row" }),
        el("td", { textContent: device.state, className: device.state === "ready" ? "ok-text" : "error" }),
        el("td", { textContent: rate(device) }),
        el("td", { textContent: faults(device), className: device.faults_total ? "warn" : "" }),
        el("td", { textContent: device.recoveries === undefined ? "" : num(device.recoveries, 0) }),
        el("td", { textContent: device.last_error || (device.faults_total === undefined ? "" : "none"), className: "last-error" }),
      ]));
    document.getElementById("diag-devices").replaceChildren(...rows);
    const disk = d.disk;
    const backups = d.backups;
    readout(document.getElementById("diag-storage"), [
      ["Data directory", disk ? disk.path : "–"],
      ["Free disk space", disk ? `${bytes(disk.free_bytes)} of ${bytes(disk.total_bytes)} (${num(disk.used_pct, 1)} % used)` : "–",
        disk && disk.used_pct >= 90 ? "error" : ""],
      ["Database", d.database ? `${bytes(d.database.size_bytes)} + ${bytes(d.database.wal_bytes)} write-ahead log` : "in memory (nothing kept)"],
      ["Backups", backups.latest ? `${backups.count} (keeps ${backups.keep}); newest ${backups.latest.taken_at}` : `none yet (keeps ${backups.keep})`,
        backups.latest ? "" : "warn"],
    ]);
    const active = d.active_calibration;
    readout(document.getElementById("diag-calibration"), [
      ["In use", d.calibration],
      ["Largest residual", active && active.max_residual_pct !== null ? num(active.max_residual_pct, 3, "% of the largest load") : "–"],
      ["COP correction", active && active.cop_rmse_mm !== null ? `yes (error ${num(active.cop_rmse_mm, 2, "mm")})` : "none"],
    ]);
  }

  function startDiagnostics() {
    const updated = document.getElementById("diag-updated");
    const error = document.getElementById("diag-error");
    async function refresh() {
      if (paused()) {
        updated.textContent = "Refreshing paused: touch the page to resume.";
        return;
      }
      try {
        showDiagnostics(await call("GET", "/diagnostics"));
        error.textContent = "";
        updated.textContent = `Updated ${new Date().toLocaleTimeString()} · every 3 s`;
      } catch (e) {
        Panel.showError(error, e, "Cannot read the diagnostics: ");
      }
    }
    refresh();
    setInterval(refresh, 3000);
    document.addEventListener("pointerdown", () => { if (updated.textContent.startsWith("Refreshing paused")) refresh(); });
  }

  // --- calibration wizard ----------------------------------------------------------------------
  const CORNERS = ["FL", "FR", "BL", "BR"];

  function startCalibration() {
    const $ = (id) => document.getElementById(id);
    const error = $("cal-error");
    const form = $("cal-start-form");
    let state = null;
    let busy = false;  // a request of ours is under way
    let timer = null;

    function fail(e) {  // beside the field it names, else above the wizard
      const slot = e.field && form.querySelector(`[data-field="${e.field}"]`);
      if (slot) slot.textContent = Panel.withoutField(e);
      else Panel.showError(error, e);
    }
    async function act(method, path, body) {
      if (busy) return;
      busy = true;
      error.textContent = "";
      form.querySelectorAll("[data-field]").forEach((slot) => { slot.textContent = ""; });
      render(state, true);
      try {
        render(await call(method, path, body));
      } catch (e) {
        fail(e);
        await poll();
      } finally {
        busy = false;
        if (state) render(state);
      }
    }
    async function poll() {
      try {
        const s = await call("GET", "/calibration");
        if (busy) showLive(s.live);  // our own request's answer brings the rest
        else render(s);
      } catch (e) {
        Panel.showError(error, e, "Cannot read the wizard: ");
      }
    }
    function schedule() {
      clearTimeout(timer);
      if (state && state.open && !paused()) timer = setTimeout(async () => { await poll(); schedule(); }, 1000);
    }
    document.addEventListener("pointerdown", () => { if (!timer || paused()) schedule(); });

    function render(s, working = false) {
      state = s;
      if (!s) return;
      $("cal-notice").hidden = !s.notice;
      $("cal-notice").textContent = s.notice || "";
      $("cal-start").hidden = s.open;
      $("cal-sim-note").hidden = !s.simulated;
      $("cal-wizard").hidden = !s.open;
      showLive(s.live);
      if (!s.open) { schedule(); return; }
      const measuring = s.measuring || working;
      const step = s.steps[s.index];
      const stepping = (s.phase === "calibrate" || s.phase === "check") && step;
      $("cal-title").textContent = s.mode === "check" ? "Check the calibration" : "Calibration";
      $("cal-progress").textContent = stepping ? `Step ${s.index + 1} of ${s.steps.length}` : "";
      $("cal-meta").textContent = `Opened by ${s.opened_by} at ${s.opened_at.slice(11, 16)}` +
        (s.saved ? ` · saved as calibration #${s.saved.id}` : "");
      $("cal-in-use").textContent = s.calibration_in_use;
      $("cal-step").hidden = !stepping;
      if (stepping) {
        $("cal-step-title").textContent = step.title;
        $("cal-instruction").textContent = `${step.instruction} Then press Measure.`;
        $("cal-place").hidden = !s.simulated;
        $("cal-place").textContent = step.masses.length ? "Place the mass (simulation)" : "Clear the platform (simulation)";
      }
      $("cal-place").disabled = $("cal-measure").disabled = measuring;
      $("cal-measuring").hidden = !measuring || !stepping;
      const last = s.index > 0 && s.steps[s.index - 1];
      $("cal-last").hidden = !stepping || !last || !last.result;
      if (last && last.result) $("cal-last").textContent = `Measured ${last.title}: ${stepResult(last)}.`;
      $("cal-review").hidden = s.phase !== "review";
      if (s.phase === "review") showFit(s);
      $("cal-save").disabled = measuring || !s.fit;
      $("cal-verdict").hidden = s.phase !== "done";
      if (s.phase === "done") showVerdict(s.check);
      $("cal-close").textContent = s.phase === "done" ? "Close" : s.saved ? "Close without the check" : "Cancel the wizard";
      $("cal-close").disabled = measuring;
      showSteps(s);
      schedule();
    }

    function showLive(live) {
      if (!live) return;
      $("cal-live-total").textContent = `${num(live.total_kg, 2, "kg")} · ${num(live.total_n, 1, "N")}`;
      $("cal-live-corners").replaceChildren(...live.forces_n.map((f, i) =>
        el("span", {}, [el("span", { className: "label", textContent: CORNERS[i] }), num(f, 1, "N")])));
    }

    function stepResult(step) {
      const r = step.result;
      if (!r) return "";
      if (step.kind === "corner") {
        const rise = r.above_tare_counts;
        return `${CORNERS[step.corner]} rose ${num(rise[step.corner], 0)} counts; the others ${rise.filter((_, i) => i !== step.corner).map((v) => num(v, 0)).join(", ")}`;
      }
      if (step.kind === "tare") return `counts ${r.counts.map((c, i) => `${CORNERS[i]} ${num(c, 0)} ± ${num(r.noise_counts[i], 0)}`).join(", ")}`;
      return `reads ${num(r.reads_kg, 3, "kg")} (${num(r.reads_n, 2, "N")})`;
    }
    function showSteps(s) {
      $("cal-steps").replaceChildren(...s.steps.map((step, i) => {
        const done = Boolean(step.result);
        const current = i === s.index && (s.phase === "calibrate" || s.phase === "check");
        return el("li", { className: done ? "done" : current ? "now" : "" }, [
          el("strong", { textContent: step.title }),
          el("span", { className: "small muted", textContent: done ? ` ${stepResult(step)} (${step.result.conversions}+ conversions)` : current ? " ← now" : "" }),
        ]);
      }));
      const list = $("cal-steps");
      const now = list.querySelector(".now");
      const where = now ? String(s.index) : "end";
      if (list.dataset.where !== where) {  // keep the current step (or the last) in view
        list.dataset.where = where;
        list.scrollTop = now ? now.offsetTop - list.clientHeight / 3 : list.scrollHeight;  // list: offsetParent
      }
    }

    function showFit(s) {
      const fit = s.fit;
      if (!fit) {
        $("cal-fit").replaceChildren();
        $("cal-cop").textContent = "";
        $("cal-problems").replaceChildren(el("li", { className: "flag-fail", textContent: `${s.fit_error}: cancel and calibrate again.` }));
        return;
      }
      $("cal-fit").replaceChildren(...fit.corners.map((c) => el("tr", {}, [
        el("th", { scope: "row", textContent: c.mark, title: c.corner }),
        el("td", { textContent: Number(c.gain_n_per_count).toExponential(5) }),
        el("td", { textContent: num(c.tare_counts, 0) }),
        el("td", { textContent: num(c.noise_n, 3) }),
        el("td", { textContent: `${num(c.max_residual_n, 4)} (${num(c.max_residual_pct, 3)} %)` }),
        el("td", { textContent: num(c.off_cell_max_pct, 2) }),
        el("td", { textContent: c.linear ? "OK" : `FAIL (limit ${c.linearity_limit_pct} %)`, className: c.linear ? "ok-text" : "error" }),
      ])));
      $("cal-cop").textContent = fit.cop ? `COP correction from ${fit.cop.positions} positions: error ${num(fit.cop.rmse_before_mm, 2, "mm")} before, ${num(fit.cop.rmse_after_mm, 2, "mm")} after.` : "";
      $("cal-problems").replaceChildren(...fit.problems.map((p) => el("li", { className: "flag-warn", textContent: p })));
      $("cal-save").textContent = fit.problems.length ? "Save anyway as the active calibration" : "Save as the active calibration";
    }

    function showVerdict(c) {
      const box = $("cal-verdict");
      box.className = `verdict ${c.passed ? "pass" : "fail"}`;
      box.replaceChildren(
        el("p", { className: "verdict-word", textContent: c.passed ? "PASS" : "FAIL" }),
        el("p", { textContent: `${num(c.mass_kg, 3, "kg")} reads ${num(c.reads_kg, 3, "kg")} (${num(c.reads_n, 2, "N")}); the empty platform read ${signed(c.empty_reads_n, 2, "N")}.` }),
        el("p", { textContent: `Error ${signed(c.error_n, 2, "N")} = ${signed(c.error_pct, 2, "%")} = ${signed(c.error_kg, 3, "kg")} (tolerance ± ${num(c.tolerance_pct, 1, "%")}).` }),
        el("p", { className: "muted small", textContent: `Checked with ${c.calibration}.` }),
        ...(c.passed ? [] : [el("p", { textContent: "Check that nothing touches the plate and the mass is what it says; if the empty platform read far from 0 N the tare has drifted. Then calibrate again." })]),
      );
    }

    async function showStored() {
      try {
        const { calibrations } = await call("GET", "/calibrations");
        $("cal-stored").replaceChildren(...(calibrations.length ? calibrations.map((c) => el("tr", {}, [
          el("td", { textContent: `#${c.id}` }, c.active ? [el("span", { className: "badge", textContent: "in use" })] : []),
          el("td", { textContent: c.created_at.replace("T", " ").slice(0, 16) }),
          el("td", { textContent: c.technician }),
          el("td", { textContent: c.max_residual_pct === null ? "–" : num(c.max_residual_pct, 3, "%") }),
          el("td", { textContent: c.cop_rmse_mm === null ? "none" : num(c.cop_rmse_mm, 2, "mm") }),
          el("td", { textContent: c.note }),
        ])) : [el("tr", {}, [el("td", { colSpan: 6, textContent: "None stored: the station uses the config's or the factory values." })])]));
      } catch (e) {
        Panel.showError(error, e, "Cannot list the calibrations: ");
      }
    }

    function syncMode() {
      const calibrate = form.elements.mode.value === "calibrate";
      form.querySelectorAll('[data-for="calibrate"]').forEach((node) => { node.hidden = !calibrate; });
    }
    form.addEventListener("change", syncMode);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const f = form.elements;
      const masses = f.masses_kg.value.split(/[,;\s]+/).filter(Boolean).map(Number);
      act("POST", "/calibration", {
        mode: f.mode.value,
        masses_kg: masses,
        check_mass_kg: Number(f.check_mass_kg.value),
        seconds: Number(f.seconds.value),
        cop_positions: f.cop_positions.checked,
      });
    });
    $("cal-place").addEventListener("click", () => act("POST", "/calibration/place"));
    $("cal-measure").addEventListener("click", () => act("POST", "/calibration/measure"));
    $("cal-save-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      await act("POST", "/calibration/save", { note: event.target.elements.note.value });
      showStored();
    });
    $("cal-close").addEventListener("click", async () => {
      const s = state;
      if (s && s.phase === "review" && !window.confirm("Drop this calibration without saving it?")) return;
      await act("DELETE", "/calibration");
      showStored();
    });
    syncMode();
    poll();
    showStored();
  }

  if (document.getElementById("diagnostics")) startDiagnostics();
  if (document.getElementById("cal-wizard")) startCalibration();
})();
