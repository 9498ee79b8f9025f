// Visit page: while the therapist types the billed minutes, show the CPT 97112 units they give
// (asked from the station, which applies the 8-minute rule in one place).
(function () {
  "use strict";
  const input = document.getElementById("nmr_minutes");
  const preview = document.getElementById("units-preview");
  let pending;

  function show() {
    const raw = input.value.trim();
    if (!/^\d+$/.test(raw)) {
      preview.textContent = raw ? "Enter whole minutes." : "";
      return;
    }
    Panel.request(`/api/v1/billing/97112?minutes=${encodeURIComponent(raw)}`)
      .then((body) => { preview.textContent = `${body.explanation}.`; })
      .catch((e) => Panel.showError(preview, e.body && e.body.error ? e : null));  // the station's word only
  }

  input.addEventListener("input", () => {
    clearTimeout(pending);
    pending = setTimeout(show, 200);
  });
})();
