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
  // a number in the page's language, with `digits` decimals and its unit (a percentage as the
  // language writes one)
  function num(value, digits, unit = "") {
    if (value === null || value === undefined || Number.isNaN(value)) return "–";
    if (Math.abs(value) < 0.5 * 10 ** -digits) value = 0;  // no "-0.0"
    if (unit === "%") return Messages.percent(Number(value), digits);
    const text = Messages.number(Number(value), digits);
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
  const DEVICE_NAMES = {
    loadcells: t("tech.load_cells"), imu: t("tech.imu"), cues: t("tech.cues"), stop_button: t("tech.stop_button"),
  };
  const NONE = t("tech.none");

  function rate(device) {
    if (device.measured_rate_sps !== undefined) {
      return t("tech.rate_sps", { measured: num(device.measured_rate_sps, 1), rate: device.rate_sps });
    }
    if (device.measured_rate_hz !== undefined) {
      return t("tech.rate_hz", { measured: num(device.measured_rate_hz, 1), rate: num(device.rate_hz, 0) });
    }
    return "";
  }
  function faults(device) {
    if (device.faults_total === undefined) return "";
    const kinds = Object.entries(device.faults || {}).map(([kind, n]) => `${n} ${kind}`);
    return device.faults_total ? `${device.faults_total} (${kinds.join(", ")})` : NONE;
  }

  function showDiagnostics(d) {
    const loop = d.loop;
    const late = loop.lateness_ms || {};
    const temp = d.cpu_temperature_c;
    const schema = d.schema_version;
    readout(document.getElementById("diag-station"), [
      [t("tech.software"), `balance-station ${d.version}`],
      [t("tech.hardware"), d.simulated ? t("tech.simulation") : "Raspberry Pi"],
      [t("tech.cpu_temperature"), temp === null ? t("tech.no_temperature") : num(temp, 1, "°C"),
        temp !== null && temp >= 80 ? "error" : temp !== null && temp >= 70 ? "warn" : ""],
      [t("tech.schema"), schema.current === schema.latest
        ? t("tech.schema_current", { version: schema.current })
        : t("tech.schema_other", { version: schema.current, latest: schema.latest })],
      [t("tech.config_file"), d.config_file || t("tech.no_config")],
      [t("tech.running_drill"), d.drill ? d.drill.name : NONE],
      [t("tech.held_by"), d.platform_holder || t("tech.nobody")],
      ["Python", t("tech.python", { python: d.python, system: d.system })],
    ]);
    const lateShare = loop.ticks ? (100 * loop.late_ticks) / loop.ticks : 0;
    readout(document.getElementById("diag-loop"), [
      [t("tech.rate"), t("tech.rate_hz", { measured: num(loop.measured_rate_hz, 1), rate: num(loop.rate_hz, 0) })],
      [t("tech.ticks"), num(loop.ticks, 0)],
      [t("tech.late_ticks"), `${num(loop.late_ticks, 0)} (${num(lateShare, 2, "%")})`, lateShare > 1 ? "warn" : ""],
      [t("tech.resyncs"), num(loop.resyncs, 0), loop.resyncs ? "warn" : ""],
      [t("tech.late_median"), num(late.p50, 2, "ms")],
      [t("tech.late_p99"), num(late.p99, 2, "ms"), late.p99 > 1000 / loop.rate_hz / 2 ? "warn" : ""],
      [t("tech.late_max"), num(late.max, 2, "ms")],
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
        el("td", { textContent: device.last_error || (device.faults_total === undefined ? "" : NONE), className: "last-error" }),
      ]));
    document.getElementById("diag-devices").replaceChildren(...rows);
    const disk = d.disk;
    const backups = d.backups;
    readout(document.getElementById("diag-storage"), [
      [t("tech.data_directory"), disk ? disk.path : "–"],
      [t("tech.free_disk"), disk ? t("tech.disk_use", {
        free: bytes(disk.free_bytes), total: bytes(disk.total_bytes), used: num(disk.used_pct, 1, "%"),
      }) : "–", disk && disk.used_pct >= 90 ? "error" : ""],
      [t("tech.database"), d.database
        ? t("tech.database_size", { size: bytes(d.database.size_bytes), wal: bytes(d.database.wal_bytes) })
        : t("tech.in_memory")],
      [t("tech.backups"), backups.latest
        ? t("tech.backups_kept", { count: backups.count, keep: backups.keep, latest: backups.latest.taken_at })
        : t("tech.no_backups", { keep: backups.keep }),
      backups.latest ? "" : "warn"],
    ]);
    const active = d.active_calibration;
    readout(document.getElementById("diag-calibration"), [
      [t("tech.in_use"), d.calibration],
      [t("tech.largest_residual"), active && active.max_residual_pct !== null
        ? t("tech.of_largest_load", { pct: num(active.max_residual_pct, 3, "%") }) : "–"],
      [t("tech.cop_correction"), active && active.cop_rmse_mm !== null
        ? t("tech.cop_error", { error: num(active.cop_rmse_mm, 2, "mm") }) : t("tech.no_cop")],
    ]);
  }

  function startDiagnostics() {
    const updated = document.getElementById("diag-updated");
    const error = document.getElementById("diag-error");
    let waiting = false;  // paused until a touch
    async function refresh() {
      waiting = paused();
      if (waiting) {
        updated.textContent = t("tech.paused");
        return;
      }
      try {
        showDiagnostics(await call("GET", "/diagnostics"));
        error.textContent = "";
        updated.textContent = t("tech.updated", { time: Messages.time(new Date()) });
      } catch (e) {
        error.textContent = t("tech.cannot_diagnose", { error: e.message });
      }
    }
    refresh();
    setInterval(refresh, 3000);
    document.addEventListener("pointerdown", () => { if (waiting) refresh(); });
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
        error.textContent = t("cal.cannot_read", { error: e.message });
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
      $("cal-title").textContent = s.mode === "check" ? t("cal.check_title") : t("cal.title");
      $("cal-progress").textContent = stepping ? t("cal.step", { number: s.index + 1, total: s.steps.length }) : "";
      $("cal-meta").textContent = t("cal.opened", { who: s.opened_by, time: s.opened_at.slice(11, 16) }) +
        (s.saved ? ` · ${t("cal.saved_as", { id: String(s.saved.id) })}` : "");
      $("cal-in-use").textContent = s.calibration_in_use;
      $("cal-step").hidden = !stepping;
      if (stepping) {
        $("cal-step-title").textContent = step.title;
        $("cal-instruction").textContent = t("cal.then_measure", { instruction: step.instruction, button: $("cal-measure").textContent.trim() });
        $("cal-place").hidden = !s.simulated;
        $("cal-place").textContent = step.masses.length ? t("cal.place_mass") : t("cal.clear_platform");
      }
      $("cal-place").disabled = $("cal-measure").disabled = measuring;
      $("cal-measuring").hidden = !measuring || !stepping;
      const last = s.index > 0 && s.steps[s.index - 1];
      $("cal-last").hidden = !stepping || !last || !last.result;
      if (last && last.result) $("cal-last").textContent = t("cal.measured", { step: last.title, result: stepResult(last) });
      $("cal-review").hidden = s.phase !== "review";
      if (s.phase === "review") showFit(s);
      $("cal-save").disabled = measuring || !s.fit;
      $("cal-verdict").hidden = s.phase !== "done";
      if (s.phase === "done") showVerdict(s.check);
      $("cal-close").textContent = s.phase === "done" ? t("cal.close") : s.saved ? t("cal.close_unchecked") : t("cal.cancel");
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
        const others = rise.filter((_, i) => i !== step.corner).map((v) => num(v, 0)).join(", ");
        return t("cal.corner_rose", { corner: CORNERS[step.corner], rise: num(rise[step.corner], 0), others });
      }
      if (step.kind === "tare") {
        return t("cal.counts", {
          counts: r.counts.map((c, i) => `${CORNERS[i]} ${num(c, 0)} ± ${num(r.noise_counts[i], 0)}`).join(", "),
        });
      }
      return t("cal.reads", { kg: num(r.reads_kg, 3, "kg"), newtons: num(r.reads_n, 2, "N") });
    }
    function showSteps(s) {
      $("cal-steps").replaceChildren(...s.steps.map((step, i) => {
        const done = Boolean(step.result);
        const current = i === s.index && (s.phase === "calibrate" || s.phase === "check");
        return el("li", { className: done ? "done" : current ? "now" : "" }, [
          el("strong", { textContent: step.title }),
          el("span", {
            className: "small muted",
            textContent: done ? ` ${t("cal.conversions", { result: stepResult(step), count: step.result.conversions })}`
              : current ? ` ${t("cal.now")}` : "",
          }),
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
        $("cal-problems").replaceChildren(el("li", { className: "flag-fail", textContent: t("cal.fit_failed", { error: s.fit_error }) }));
        return;
      }
      $("cal-fit").replaceChildren(...fit.corners.map((c) => el("tr", {}, [
        el("th", { scope: "row", textContent: c.mark, title: c.corner }),
        el("td", { textContent: Number(c.gain_n_per_count).toExponential(5) }),
        el("td", { textContent: num(c.tare_counts, 0) }),
        el("td", { textContent: num(c.noise_n, 3) }),
        el("td", { textContent: `${num(c.max_residual_n, 4)} (${num(c.max_residual_pct, 3, "%")})` }),
        el("td", { textContent: num(c.off_cell_max_pct, 2) }),
        el("td", {
          textContent: c.linear ? t("cal.linear") : t("cal.not_linear", { limit: Messages.percent(c.linearity_limit_pct, 1) }),
          className: c.linear ? "ok-text" : "error",
        }),
      ])));
      $("cal-cop").textContent = fit.cop ? t("cal.cop_fit", {
        positions: fit.cop.positions, before: num(fit.cop.rmse_before_mm, 2, "mm"), after: num(fit.cop.rmse_after_mm, 2, "mm"),
      }) : "";
      $("cal-problems").replaceChildren(...fit.problems.map((p) => el("li", { className: "flag-warn", textContent: p })));
      $("cal-save").textContent = fit.problems.length ? t("cal.save_anyway") : t("cal.save");
    }

    function showVerdict(c) {
      const box = $("cal-verdict");
      box.className = `verdict ${c.passed ? "pass" : "fail"}`;
      box.replaceChildren(
        el("p", { className: "verdict-word", textContent: c.passed ? t("cal.pass") : t("cal.fail") }),
        el("p", { textContent: t("cal.check_reads", {
          mass: num(c.mass_kg, 3, "kg"), reads: num(c.reads_kg, 3, "kg"), newtons: num(c.reads_n, 2, "N"),
          empty: signed(c.empty_reads_n, 2, "N"),
        }) }),
        el("p", { textContent: t("cal.check_error", {
          newtons: signed(c.error_n, 2, "N"), pct: signed(c.error_pct, 2, "%"), kg: signed(c.error_kg, 3, "kg"),
          tolerance: num(c.tolerance_pct, 1, "%"),
        }) }),
        el("p", { className: "muted small", textContent: t("cal.checked_with", { calibration: c.calibration }) }),
        ...(c.passed ? [] : [el("p", { textContent: t("cal.check_advice") })]),
      );
    }

    async function showStored() {
      try {
        const { calibrations } = await call("GET", "/calibrations");
        $("cal-stored").replaceChildren(...(calibrations.length ? calibrations.map((c) => el("tr", {}, [
          el("td", { textContent: `#${c.id}` }, c.active ? [el("span", { className: "badge", textContent: t("cal.active") })] : []),
          el("td", { textContent: c.created_at.replace("T", " ").slice(0, 16) }),
          el("td", { textContent: c.technician }),
          el("td", { textContent: c.max_residual_pct === null ? "–" : num(c.max_residual_pct, 3, "%") }),
          el("td", { textContent: c.cop_rmse_mm === null ? t("tech.no_cop") : num(c.cop_rmse_mm, 2, "mm") }),
          el("td", { textContent: c.note }),
        ])) : [el("tr", {}, [el("td", { colSpan: 6, textContent: t("cal.none_stored") })])]));
      } catch (e) {
        error.textContent = t("cal.cannot_list", { error: e.message });
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
      if (s && s.phase === "review" && !window.confirm(t("cal.drop"))) return;
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
