// Station health badge in the header, refreshed every 5 s.
(function () {
  const badge = document.getElementById("health");
  async function refresh() {
    try {
      const r = await fetch("/api/v1/health");
      const h = await r.json();
      badge.className = "health " + h.status;
      badge.textContent = `${h.status === "ok" ? "Station OK" : "Check station"} · ${h.loop.measured_rate_hz} Hz`;
    } catch (e) {
      badge.className = "health degraded";
      badge.textContent = "Station unreachable";
    }
  }
  refresh();
  setInterval(refresh, 5000);
})();
