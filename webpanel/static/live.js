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
  const { setText, setReading, setHidden, setClass, setStyle } = BalanceLive;
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
    if (text === "") return t("live.enter_value", { range });
    const value = Number(text);
    if (!Number.isFinite(value)) return t("live.enter_number", { range });
    if (input.dataset.type === "int" && !Number.isInteger(value)) return t("live.enter_whole", { range });
    if (value < Number(input.min) || value > Number(input.max)) {
      return t("live.outside", { value: `${text}${unit}`, range });
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
  // why a trial ended, when the station itself gave the reason, in the reader's words
  const END_REASONS = JSON.parse($("end-reasons").textContent);
  const STATUS_TEXT = {
    off: t("live.status_off"), blue: t("live.status_blue"), amber: t("live.status_amber"),
    green: t("live.status_green"), red: t("live.status_red"),
  };
  const EYES = { open: t("live.eyes_open"), closed: t("live.eyes_closed") };
  const SURFACES = { firm: t("live.surface_firm"), foam: t("live.surface_foam") };
  const LEGS = { left: t("live.leg_left"), right: t("live.leg_right") };
  const eyes = (code) => EYES[code] || code;

  function phaseText(msg) {
    const d = msg.drill;
    if (!d) {
      if (!msg.on_platform) return t("live.no_drill_empty");
      return msg.settled ? t("live.no_drill_still") : t("live.no_drill_on");
    }
    const said = WORDS[d.drill] || { phases: {}, stages: {} };
    const words = said.phases[d.phase] || d.phase;
    const stage = said.stages[d.stage];
    return d.phase === "recording" && stage ? `${words}: ${stage}` : words;
  }

  function detailText(d) {
    if (!d) return "";
    const parts = [];
    const num = Messages.number, pct = Messages.percent;
    if (d.patient_id !== patientId) parts.push(t("live.other_patient"));
    if (d.program_step !== null && d.program_step !== undefined) parts.push(t("live.program_step", { step: d.program_step + 1 }));
    if (d.condition) {
      parts.push(t("live.condition", {
        condition: d.condition, total: 4, eyes: eyes(d.eyes), surface: SURFACES[d.surface] || d.surface,
      }));
      parts.push(t("live.attempt", { attempt: d.attempt, max: d.max_attempts }));
    }
    if (d.leg) parts.push(t("live.leg_trial", { trial: d.trial, trials: d.trials, leg: LEGS[d.leg] || d.leg, eyes: eyes(d.eyes) }));
    if (d.stepping_leg) {
      const trial = { trial: d.trial, trials: d.gait_trials };
      parts.push(d.stepping_leg === "right" ? t("live.gait_right", trial) : t("live.gait_left", trial));
    }
    if (d.stages_total) {
      const stance = ((WORDS[d.drill] || {}).stages || {})[d.stage] || d.stage;
      const held = d.stages_held !== undefined ? `, ${t("live.stages_held", { count: d.stages_held })}` : "";
      parts.push(t("live.stage", { number: d.stage_number, total: d.stages_total, stance }) + held);
      if (d.one_foot_leg) {
        const stage = { stage: d.stages_total };
        parts.push(d.one_foot_leg === "right" ? t("live.one_foot_right", stage) : t("live.one_foot_left", stage));
      }
    }
    if (d.time_held_s !== undefined && d.stages_total) parts.push(t("live.held", { seconds: num(d.time_held_s, 1) }));
    if (d.errors !== undefined && d.errors !== null) {
      parts.push(t("live.errors", { count: d.errors }) + (d.in_position ? "" : ` · ${t("live.out_of_position")}`));
    }
    if (d.total_errors_so_far) parts.push(t("live.earlier_errors", { count: d.total_errors_so_far }));
    if (d.best_stance_time_s) parts.push(t("live.best", { seconds: num(d.best_stance_time_s, 1) }));
    if (d.directions_total) {
      parts.push(t("live.direction", { direction: d.direction || "–", done: d.directions_done, total: d.directions_total }));
    }
    if (d.targets_total) {
      parts.push(t("live.target", { target: d.target || "–", total: d.targets_total, hits: d.hits, misses: d.misses }));
    }
    if (d.held_s) parts.push(t("live.held", { seconds: num(d.held_s, 1) }));
    if (d.trials_total) parts.push(t("live.cue", { trial: d.trial, total: d.trials_total }));
    if (d.pace_per_min) {
      parts.push(t("live.beat", { beat: d.beat, beats: d.beats, reached: d.beats_reached, pace: d.pace_per_min }));
    }
    if (d.limit_bw_pct !== undefined) {
      const leg = { load: pct(d.operated_load_bw_pct), limit: pct(d.limit_bw_pct), count: d.exceedances };
      parts.push(d.side === "right" ? t("live.operated_right", leg) : t("live.operated_left", leg));
    }
    if (d.tilt_deg !== undefined && d.tilt_deg !== null) parts.push(t("live.tilt", { degrees: num(d.tilt_deg, 1) }));
    if (d.reason) parts.push(END_REASONS[d.reason] || d.reason);
    return parts.join(" · ");
  }

  // The tilt in words a therapist reads at a glance: the side each axis leans to, never a sign.
  function tiltWords(forwardDeg, rightDeg) {
    const size = (deg) => ({ degrees: Messages.number(Math.abs(deg), 1) });
    const ap = forwardDeg < 0 ? t("live.tilt_back", size(forwardDeg)) : t("live.tilt_forward", size(forwardDeg));
    const ml = rightDeg < 0 ? t("live.tilt_left", size(rightDeg)) : t("live.tilt_right", size(rightDeg));
    return `${ap}, ${ml}`;
  }

  function clock(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  }

  function showClocks(d) {
    const counting = d && d.countdown_s !== undefined;
    setHidden($("countdown-box"), !counting);
    setText($("countdown"), counting ? `${Messages.number(d.countdown_s)} s` : "–");
    const left = d ? (d.remaining_s ?? d.rest_left_s ?? d.target_time_left_s) : undefined;
    setReading($("remaining"), left !== undefined ? `${Messages.number(left, 1)} s` : "–");
    setText($("elapsed"), d ? clock(d.elapsed_s) : "–");
  }

  function showLights(cues) {
    const lights = cues.lights || {};
    document.querySelectorAll(".led-cross [data-light]").forEach((el) => {
      el.classList.toggle("on", !!lights[el.dataset.light]);
    });
    const colour = cues.status_colour || "off";
    setClass($("led-status"), "led status " + colour);
    setText($("status-text"), STATUS_TEXT[colour] || colour);
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
    setText($("split-label"), bearing ? t("live.split_legs") : t("live.split_sides"));
    const left = $("split-left"), right = $("split-right");
    const width = leftPct === null ? 50 : Math.round(leftPct * 10) / 10;  // 0.1 %: under a pixel
    setStyle(left, "width", `${width}%`);
    setStyle(right, "width", `${Math.round((100 - width) * 10) / 10}%`);
    const shown = leftPct === null ? null : Math.round(leftPct);  // the two add up to 100
    setReading(left.firstElementChild, t("live.left_share", { pct: shown === null ? "–" : Messages.percent(shown) }));
    setReading(right.firstElementChild, t("live.right_share", { pct: shown === null ? "–" : Messages.percent(100 - shown) }));
    const limit = $("split-limit");
    setHidden(limit, !bearing);
    $("split").classList.toggle("over", !!(bearing && d.over_limit));
    const line = bearing && { limit: Messages.percent(d.limit_bw_pct) };
    setText($("split-note"), !bearing ? ""
      : d.side === "right" ? t("live.limit_right", line) : t("live.limit_left", line));
    if (bearing) setStyle(limit, "left", d.side === "left" ? `${d.limit_bw_pct}%` : `${100 - d.limit_bw_pct}%`);
  }

  // While the station's core is not answering, the panel's messages say so (msg.core) and
  // carry no frames: say since when, and that the stop button on the station still works.
  function showCore(core) {
    const banner = $("core-down");
    setHidden(banner, !core);
    if (core) {
      setText(banner, t("live.core_down", { time: Messages.time(core.since) }));
    }
  }

  function show(msg, trail) {
    const d = msg.drill;
    const frame = trail[trail.length - 1];
    showCore(msg.core);
    setText($("drill-name"), d ? TITLES[d.drill] || d.drill : "");
    setText($("phase"), phaseText(msg));
    setClass($("phase"), "phase" + (d ? " phase-" + d.phase : ""));
    setText($("detail"), detailText(d));
    showClocks(d);
    showLights(msg.cues || {});
    showSplit(frame && frame[4] !== null ? frame : null, d);
    setReading($("load"), frame ? `${Messages.number(frame[3] / 9.80665, 1)} kg` : "–");
    setReading($("tilt"), frame && frame[5] !== null
      ? tiltWords(frame[5], frame[6])
      : t("live.no_imu"));
    const say = $("instruction");
    setHidden(say, !msg.instruction);
    setText(say, msg.instruction ? t("live.tell_patient", { text: msg.instruction.text }) : "");
    setHidden($("fail-attempt-box"), !(d && d.attempt_failable));
    setText($("fail-attempt"), (d && d.fail_label) || t("live.failed_attempt"));
    startButton.disabled = !!d;  // one drill at a time; STOP stays enabled
    setHidden($("stop-pain"), !d);
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
    link.textContent = t("live.drill_ended");
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
    Panel.request("/api/v1/stop", { method: "POST" }).catch(stopFailed);
  });
  function stopFailed(e) {
    startError.textContent = t("live.stop_failed", { error: e.message });
  }
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
        stopFailed(e);
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
      .catch((e) => { $("pain-error").textContent = t("live.pain_not_saved", { error: Panel.withoutField(e) }); });
  });
  $("pain-skip").addEventListener("click", () => { painDialog.close(); location.reload(); });
  $("fail-attempt").addEventListener("click", () => {
    Panel.request("/api/v1/drill/failed-attempt", { method: "POST" })
      .catch((e) => { startError.textContent = t("live.attempt_not_marked", { error: e.message }); });
  });
  // The simulated person's buttons: what they do shows in the live view, a refusal nowhere.
  document.querySelectorAll("[data-person]").forEach((b) => b.addEventListener("click", () =>
    Panel.request("/api/v1/sim/person", {
      method: "POST", body: { on_platform: b.dataset.person === "true" },
    }).catch(() => {})));
  BalanceLive.draw(canvas, [], null, false, STYLE);
})();
