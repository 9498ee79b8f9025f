// Patient display: whatever drill is running, for a monitor facing the patient. A large dot
// moves the way the patient leans (their right on the right, forward up), with the target, a
// big countdown and a few big words; high contrast for poor eyesight. Tap to fill the screen.
// Everything in the language of the patient on the platform: the page reloads in it when the
// live stream names another (pages.display sets it).
(function () {
  const canvas = document.getElementById("display-cop");
  const words = document.getElementById("words");
  const count = document.getElementById("big-count");
  const timeLeft = document.getElementById("time-left");
  const { setText, setHidden } = BalanceLive;
  const STYLE = {
    minSpanMm: 150, background: "#000", grid: null, cross: "#333", labels: "#9e9e9e",
    // Okabe-Ito: the yellow dot and the sky-blue target stay apart for every kind of colour
    // blindness (tests/browser/test_accessibility.py), and the target is a ring, the dot a disc
    home: "#ffffff", target: "#56b4e9", targetOn: "#b4e0f7", trail: "rgba(255,212,0,.45)",
    dot: "#ffd400", dotRing: "#ffffff", dotPx: 34, trailPx: 10, scale: 2,
  };
  // the patient's words for each drill, as the drill describes itself (its catalog entry)
  const WORDS = JSON.parse(document.getElementById("drill-words").textContent);
  let latest = null;

  function say(msg) {
    const d = msg.drill;
    if (!d) return msg.on_platform ? "" : words.dataset.idle;
    const said = WORDS[d.drill] || { patient: {}, patient_stages: {} };
    const w = said.patient;
    if (d.phase === "announce" && d.eyes && d.surface) {  // mCTSIB: the next condition
      return w[`eyes-${d.eyes}`] + (d.surface === "foam" ? ` · ${w.foam}` : "");
    }
    // the instruction as the station said it: in the patient's language, the page's (below)
    if (d.phase === "announce" && msg.instruction) return msg.instruction.text;
    if (d.phase !== "recording") return w[d.phase] || "";
    if (d.limit_bw_pct !== undefined) {
      return d.over_limit ? w[`over-limit-${d.side}`] : w.recording;
    }
    if (said.patient_stages[d.stage]) return said.patient_stages[d.stage];
    if (d.target_zone) return w.target;
    if (d.home_zone) return w.home;
    return w.recording || "";
  }

  function show(msg) {
    const d = msg.drill;
    setText(words, say(msg));
    const counting = d && d.countdown_s !== undefined;
    setHidden(count, !counting);
    setText(count, counting ? String(d.countdown_s) : "");
    const left = d && (d.phase === "recording" ? d.remaining_s ?? d.target_time_left_s : d.rest_left_s);
    setText(timeLeft, left !== undefined && left !== null ? `${Messages.number(Math.ceil(left))} s` : "");
  }

  function render() {
    if (!latest) return;
    const lit = !!((latest.msg.cues || {}).lights || {}).centre;
    BalanceLive.draw(canvas, latest.trail, latest.msg.drill, lit, STYLE);
  }

  BalanceLive.connect((msg, trail) => {
    if (msg.language && msg.language !== document.documentElement.lang) {
      // a patient who reads another language stepped on: the words come in theirs
      window.location.replace(`?lang=${encodeURIComponent(msg.language)}`);
      return;
    }
    latest = { msg, trail };
    show(msg);
    render();
  });
  window.addEventListener("resize", render);
  canvas.addEventListener("click", () => {
    if (!document.fullscreenElement && document.documentElement.requestFullscreen) {
      document.documentElement.requestFullscreen().catch(() => {});
    }
  });
  BalanceLive.draw(canvas, [], null, false, STYLE);
})();
