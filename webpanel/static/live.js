// Patient page: start a drill (its parameters checked as they are typed, and the station's
// answer shown beside the field it names), stop it, and the live view: centre of pressure with
// the last 2 s and the targets, lights as the patient sees them, countdown and timers, the
// phase in plain words and the left/right load split.
(function () {
  const root = document.querySelector(".run");
  const patientId = Number(root.dataset.patient);
  const form = document.getElementById("start-form");
  const drillSelect = document.getElementById("drill");
  const startButton = document.getElementById("start");
  const startError = document.getElementById("start-error");
  const canvas = document.getElementById("cop");
  const liveCard = document.getElementById("live-card");
  const $ = (id) => document.getElementById(id);
  const STYLE = {
    minSpanMm: 150, background: "#fbfcfd", grid: "#e1e7ee", cross: null, labels: "#5b6b7a",
    home: "#5b6b7a", target: "#1c7c3c", targetOn: "#0f9d3a", trail: "rgba(11,99,197,.45)",
    dot: "#0b63c5", dotRing: null, dotPx: 11, trailPx: 2.5, scale: 1,
  };
  const TITLES = Object.fromEntries(
    JSON.parse($("drill-catalog").textContent).map((d) => [d.name, d.title]));
  let lastTrial = null;
  let stoppingForPain = false;  // a stop for pain sent, its answer (the trial) not yet back
  let latest = { msg: null, trail: [] };

  // --- parameters -----------------------------------------------------------------------------
  function fieldset() {
    return form.querySelector(`fieldset.params[data-drill="${drillSelect.value}"]`);
  }

  function showParams() {
    form.querySelectorAll("fieldset.params").forEach((fs) => {
      fs.hidden = fs.dataset.drill !== drillSelect.value;
      fs.disabled = fs.hidden;
    });
    clearErrors();
  }

  function setError(el, message) {
    const slot = el.closest("label").querySelector("[data-error-for]");
    slot.textContent = message || "";
    if (message) el.setAttribute("aria-invalid", "true"); else el.removeAttribute("aria-invalid");
  }

  function clearErrors() {
    form.querySelectorAll("[data-error-for]").forEach((s) => { s.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
    startError.textContent = "";
  }

  // What is wrong with a number input's value, from the drill's schema (min, max, type), or "".
  function problem(input) {
    const unit = input.dataset.unit ? " " + input.dataset.unit : "";
    const range = `${input.min}–${input.max}${unit}`;
    const text = input.value.trim();
    if (text === "") return `Enter a value: ${range}`;
    const value = Number(text);
    if (!Number.isFinite(value)) return `Enter a number: ${range}`;
    if (input.dataset.type === "int" && !Number.isInteger(value)) return `Enter a whole number: ${range}`;
    if (value < Number(input.min) || value > Number(input.max)) {
      return `${text}${unit} is outside ${range}`;
    }
    return "";
  }

  form.addEventListener("input", (ev) => {
    if (ev.target.matches("input[type=number]")) setError(ev.target, problem(ev.target));
  });

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors();
    const inputs = [...fieldset().querySelectorAll("input, select")];
    const bad = inputs.filter((i) => i.type === "number" && problem(i));
    bad.forEach((i) => setError(i, problem(i)));
    if (bad.length) { bad[0].focus(); return; }
    const params = {};
    inputs.forEach((i) => { params[i.name] = i.type === "number" ? Number(i.value) : i.value; });
    startButton.disabled = true;
    try {
      await Panel.request("/api/v1/trials", {
        method: "POST", body: { patient_id: patientId, drill: drillSelect.value, params },
      });
    } catch (e) {
      startButton.disabled = false;
      showServerError(e);
      return;
    }
    showLive();
  });

  // Put the station's error (a Panel.RequestError) beside the field it names (params.<name>
  // or drill).
  function showServerError(error) {
    const field = error.field || "";
    let el = null;
    if (field.startsWith("params.")) el = fieldset().querySelector(`[name="${field.slice(7)}"]`);
    else if (field === "drill") el = drillSelect;
    if (el) {
      setError(el, Panel.withoutField(error));  // beside it, the field is named
      el.focus();
    } else Panel.showError(startError, error);
  }

  function showLive() {
    const box = liveCard.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) liveCard.scrollIntoView({ behavior: "smooth" });
  }

  drillSelect.addEventListener("change", showParams);
  showParams();

  // --- the live view --------------------------------------------------------------------------
  // what each drill's phases and stages mean, as the drill describes itself (its catalog entry)
  const WORDS = Object.fromEntries(
    JSON.parse($("drill-catalog").textContent).map((d) => [d.name, d.words]));
  const STATUS_TEXT = {
    off: "off", blue: "blue: step on, stand still", amber: "amber: get ready",
    green: "green: recording", red: "red: over the limit",
  };

  function phaseText(msg) {
    const d = msg.drill;
    if (!d) {
      if (!msg.on_platform) return "No drill running · platform empty";
      return msg.settled ? "No drill running · patient standing still" : "No drill running · someone on";
    }
    const said = WORDS[d.drill] || { phases: {}, stages: {} };
    const words = said.phases[d.phase] || d.phase;
    const stage = said.stages[d.stage];
    return d.phase === "recording" && stage ? `${words}: ${stage}` : words;
  }

  function detailText(d) {
    if (!d) return "";
    const parts = [];
    if (d.patient_id !== patientId) parts.push("Another patient's drill");
    if (d.program_step !== null && d.program_step !== undefined) parts.push(`Program step ${d.program_step + 1}`);
    if (d.condition) {
      parts.push(`Condition ${d.condition} of 4: eyes ${d.eyes}, ${d.surface} surface`);
      parts.push(`attempt ${d.attempt} of ${d.max_attempts}`);
    }
    if (d.leg) parts.push(`Trial ${d.trial} of ${d.trials}: ${d.leg} leg, eyes ${d.eyes}`);
    if (d.stepping_leg) parts.push(`Trial ${d.trial} of ${d.gait_trials}: the ${d.stepping_leg} foot steps first`);
    if (d.stages_total) {
      const stance = ((WORDS[d.drill] || {}).stages || {})[d.stage] || d.stage;
      const held = d.stages_held !== undefined ? `, ${d.stages_held} held` : "";
      parts.push(`Stage ${d.stage_number} of ${d.stages_total}: ${stance}${held}`);
      if (d.one_foot_leg) parts.push(`stage ${d.stages_total} on the ${d.one_foot_leg} leg`);
    }
    if (d.time_held_s !== undefined && d.stages_total) parts.push(`held ${d.time_held_s.toFixed(1)} s`);
    if (d.errors !== undefined && d.errors !== null) {
      parts.push(`${d.errors} errors${d.in_position ? "" : " · out of position"}`);
    }
    if (d.total_errors_so_far) parts.push(`${d.total_errors_so_far} in earlier conditions`);
    if (d.best_stance_time_s) parts.push(`best ${d.best_stance_time_s.toFixed(1)} s`);
    if (d.directions_total) parts.push(`Direction ${d.direction || "–"}, ${d.directions_done} of ${d.directions_total} done`);
    if (d.targets_total) parts.push(`Target ${d.target || "–"} of ${d.targets_total}: ${d.hits} hit, ${d.misses} missed`);
    if (d.held_s) parts.push(`held ${d.held_s.toFixed(1)} s`);
    if (d.trials_total) parts.push(`Cue ${d.trial} of ${d.trials_total}`);
    if (d.pace_per_min) parts.push(`Beat ${d.beat} of ${d.beats}, ${d.beats_reached} reached, ${d.pace_per_min} per minute`);
    if (d.limit_bw_pct !== undefined) {
      const load = d.operated_load_bw_pct === null ? "–" : d.operated_load_bw_pct.toFixed(0);
      parts.push(`Operated ${d.side} leg: ${load}% of body weight (limit ${d.limit_bw_pct}%), over the limit ${d.exceedances} times`);
    }
    if (d.tilt_deg !== undefined && d.tilt_deg !== null) parts.push(`Tilt ${d.tilt_deg.toFixed(1)}°`);
    if (d.reason) parts.push(d.reason);
    return parts.join(" · ");
  }

  function clock(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  }

  function showClocks(d) {
    const counting = d && d.countdown_s !== undefined;
    $("countdown-box").hidden = !counting;
    $("countdown").textContent = counting ? `${d.countdown_s} s` : "–";
    const left = d ? (d.remaining_s ?? d.rest_left_s ?? d.target_time_left_s) : undefined;
    $("remaining").textContent = left !== undefined ? `${left.toFixed(1)} s` : "–";
    $("elapsed").textContent = d ? clock(d.elapsed_s) : "–";
  }

  function showLights(cues) {
    const lights = cues.lights || {};
    document.querySelectorAll(".led-cross [data-light]").forEach((el) => {
      el.classList.toggle("on", !!lights[el.dataset.light]);
    });
    const colour = cues.status_colour || "off";
    $("led-status").className = "led status " + colour;
    $("status-text").textContent = STATUS_TEXT[colour] || colour;
  }

  // The bar: the cells' left/right split; in weight-bearing, each leg's load (the drill reads it
  // from the COP between the feet, as its limit is checked), so bar and limit line agree.
  function showSplit(frame, d) {
    const bearing = d && d.limit_bw_pct !== undefined;
    let leftPct = frame ? frame[4] : null;
    if (bearing) {
      const leg = d.operated_load_bw_pct;
      const onLeft = leg === null ? null : (d.side === "left" ? leg : 100 - leg);
      leftPct = onLeft === null ? null : Math.min(100, Math.max(0, onLeft));
    }
    $("split-label").textContent = bearing
      ? "Load on each leg, % of body weight" : "Load on the left / right side of the platform";
    const left = $("split-left"), right = $("split-right");
    left.style.width = leftPct === null ? "50%" : `${leftPct}%`;
    right.style.width = leftPct === null ? "50%" : `${100 - leftPct}%`;
    const shown = leftPct === null ? null : Math.round(leftPct);  // the two add up to 100
    left.firstElementChild.textContent = shown === null ? "L –" : `L ${shown}%`;
    right.firstElementChild.textContent = shown === null ? "R –" : `R ${100 - shown}%`;
    const limit = $("split-limit");
    limit.hidden = !bearing;
    $("split").classList.toggle("over", !!(bearing && d.over_limit));
    $("split-note").textContent = bearing ? `Line: the ${d.side} leg's limit, ${d.limit_bw_pct}% of body weight` : "";
    if (bearing) limit.style.left = d.side === "left" ? `${d.limit_bw_pct}%` : `${100 - d.limit_bw_pct}%`;
  }

  // While the station's core is not answering, the panel's messages say so (msg.core) and
  // carry no frames: say since when, and that the stop button on the station still works.
  function showCore(core) {
    const banner = $("core-down");
    banner.hidden = !core;
    if (core) {
      const since = new Date(core.since).toLocaleTimeString();
      banner.textContent = `The station's core is not answering since ${since}: drills cannot `
        + "start or be seen here until it is back (it restarts by itself). The stop button on "
        + "the station always works.";
    }
  }

  function show(msg, trail) {
    const d = msg.drill;
    const frame = trail[trail.length - 1];
    showCore(msg.core);
    $("drill-name").textContent = d ? TITLES[d.drill] || d.drill : "";
    $("phase").textContent = phaseText(msg);
    $("phase").className = "phase" + (d ? " phase-" + d.phase : "");
    $("detail").textContent = detailText(d);
    showClocks(d);
    showLights(msg.cues || {});
    showSplit(frame && frame[4] !== null ? frame : null, d);
    $("load").textContent = frame ? `${(frame[3] / 9.80665).toFixed(1)} kg` : "–";
    $("tilt").textContent = frame && frame[5] !== null
      ? `forward ${frame[5].toFixed(1)}°, right ${frame[6].toFixed(1)}°` : "no IMU reading";
    const say = $("instruction");
    say.hidden = !msg.instruction;
    say.textContent = msg.instruction ? "Tell the patient: " + msg.instruction.text : "";
    $("fail-attempt-box").hidden = !(d && d.attempt_failable);
    $("fail-attempt").textContent = (d && d.fail_label) || "Failed attempt";
    startButton.disabled = !!d;  // one drill at a time; STOP stays enabled
    $("stop-pain").hidden = !d;
    root.classList.toggle("running", !!d);  // the settings fold away, the live view moves up
    document.querySelectorAll("[data-start-program]").forEach((b) => { b.disabled = !!d; });
    if (d) lastTrial = d;
    else if (lastTrial) trialEnded();
  }

  // When a trial of this patient ends, reload to list its result, unless a form is being
  // filled in (then say so instead of losing the input).
  function trialEnded() {
    const ended = lastTrial;
    lastTrial = null;
    if (ended.patient_id !== patientId) return;
    // a stop for pain asks where it hurts next: that dialog reloads the page itself
    if ($("pain-dialog").open || stoppingForPain) return;
    const busy = !document.getElementById("program-form").hidden
      || document.getElementById("edit-patient").open;
    if (!busy) { setTimeout(() => location.reload(), 400); return; }
    const link = document.createElement("a");
    link.href = `/trials/${ended.trial_id}`;
    link.textContent = "The drill has ended: open its result";
    $("latest").replaceChildren(link);
  }

  function render() {
    if (!latest.msg) return;
    const d = latest.msg.drill;
    const lit = !!((latest.msg.cues || {}).lights || {}).centre;
    BalanceLive.draw(canvas, latest.trail, d, lit, STYLE);
  }

  BalanceLive.connect((msg, trail) => {
    latest = { msg, trail };
    show(msg, trail);
    render();
  });
  window.addEventListener("resize", render);

  $("stop").addEventListener("click", () => {
    Panel.request("/api/v1/stop", { method: "POST" }).catch((e) => Panel.showError(startError, e,
      "Could not stop from the panel: ", ". Use the stop button on the station."));
  });
  // Stop for pain: the stop goes first, on STOP's own lane; where it hurts is asked after.
  const painDialog = $("pain-dialog");
  const painWhere = $("pain-where");
  $("stop-pain").addEventListener("click", () => {
    stoppingForPain = true;  // the live view may see the drill end before this answer
    Panel.request("/api/v1/stop", { method: "POST", body: { for: "pain" } })
      .then((r) => {
        stoppingForPain = false;
        if (!r.trial_id) { location.reload(); return; }
        painDialog.dataset.trialId = r.trial_id;
        painWhere.value = "";
        $("pain-error").textContent = "";
        painDialog.showModal();
        painWhere.focus();
      })
      .catch((e) => {
        stoppingForPain = false;
        Panel.showError(startError, e, "Could not stop from the panel: ",
          ". Use the stop button on the station.");
      });
  });
  document.querySelectorAll("[data-pain-site]").forEach((b) => b.addEventListener("click", () => {
    painWhere.value = b.dataset.painSite;
    painWhere.focus();
  }));
  $("pain-form").addEventListener("submit", (event) => {
    event.preventDefault();
    Panel.request(`/api/v1/trials/${painDialog.dataset.trialId}/pain`, {
      method: "POST", body: { where: painWhere.value },
    }).then(() => { painDialog.close(); location.reload(); })
      .catch((e) => { $("pain-error").textContent = `Not saved: ${Panel.withoutField(e)}`; });
  });
  $("pain-skip").addEventListener("click", () => { painDialog.close(); location.reload(); });
  $("fail-attempt").addEventListener("click", () => {
    Panel.request("/api/v1/drill/failed-attempt", { method: "POST" })
      .catch((e) => Panel.showError(startError, e, "Could not mark the attempt: "));
  });
  // The simulated person's buttons: what they do shows in the live view, a refusal nowhere.
  document.querySelectorAll("[data-person]").forEach((b) => b.addEventListener("click", () =>
    Panel.request("/api/v1/sim/person", {
      method: "POST", body: { on_platform: b.dataset.person === "true" },
    }).catch(() => {})));
  BalanceLive.draw(canvas, [], null, false, STYLE);
})();
