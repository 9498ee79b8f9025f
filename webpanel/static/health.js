// Station health badge in the header, refreshed every 5 s: a restart of the station's core in
// the last hour is named, and while the core does not answer, since when.
(function () {
  const RECENT_MS = 3600 * 1000;
  const badge = document.getElementById("health");
  const clock = (iso) => Messages.time(iso);
  // The health while the core is down comes with a 503: its body says since when.
  async function health() {
    try {
      return await Panel.request("/api/v1/health");
    } catch (e) {
      if (e.body && e.body.status) return e.body;
      throw e;
    }
  }

  async function refresh() {
    try {
      const h = await health();
      if (h.status === "unreachable") {  // the panel answers, the station's core does not
        badge.className = "health degraded";
        badge.textContent = t("health.core_unreachable", { time: clock(h.core.since) });
        return;
      }
      badge.className = "health " + h.status;
      let text = `${h.status === "ok" ? t("health.ok") : t("health.check")} · ${Messages.number(h.loop.measured_rate_hz)} Hz`;
      const restarted = h.core && h.core.restarted_at;
      if (restarted && Date.now() - Date.parse(restarted) < RECENT_MS) {
        text += ` · ${t("health.core_restarted", { time: clock(restarted) })}`;
      }
      badge.textContent = text;
    } catch (e) {
      badge.className = "health degraded";
      badge.textContent = t("health.unreachable");
    }
  }
  refresh();
  setInterval(refresh, 5000);
})();
