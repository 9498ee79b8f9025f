// Visit page: while the therapist types the billed minutes, show the CPT 97112 units they give
// and, when they bill more units than the visit's trials support, the station's warning (asked
// from the station, which applies the 8-minute rule and the check in one place).
(function () {
  "use strict";
  const input = document.getElementById("nmr_minutes");
  const preview = document.getElementById("units-preview");
  const warning = document.getElementById("preview-warning");
  const visitId = input.form.dataset.visitId;
  let pending;

  function warn(text) {
    warning.textContent = text ? `${text}.` : "";
    warning.hidden = !text;
  }

  function show() {
    const raw = input.value.trim();
    warn(null);
    if (!/^\d+$/.test(raw)) {
      preview.textContent = raw ? t("visit.whole_minutes") : "";
      return;
    }
    const query = `minutes=${encodeURIComponent(raw)}&visit_id=${encodeURIComponent(visitId)}`;
    Panel.request(`/api/v1/billing/97112?${query}`)
      .then((body) => { preview.textContent = `${body.explanation}.`; warn(body.warning); })
      .catch((e) => Panel.showError(preview, e.body && e.body.error ? e : null));  // the station's word only
  }

  input.addEventListener("input", () => {
    clearTimeout(pending);
    pending = setTimeout(show, 200);
  });
})();
