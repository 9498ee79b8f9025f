// Patient list: search as you type (the form still works without script).
(function () {
  const form = document.getElementById("search");
  const input = document.getElementById("q");
  const list = document.getElementById("patient-list");
  const none = document.getElementById("no-patients");
  const DEBOUNCE_MS = 250;
  let timer = null;
  let asked = 0;

  function ageYears(birth) {
    if (!birth) return null;
    const [y, m, d] = birth.split("-").map(Number);
    const now = new Date();
    const before = now.getMonth() + 1 < m || (now.getMonth() + 1 === m && now.getDate() < d);
    return now.getFullYear() - y - (before ? 1 : 0);
  }

  function item(p) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = "/patients/" + p.id;
    const name = document.createElement("strong");
    name.textContent = p.name;
    a.append(name);
    const extra = [];
    if (p.code) extra.push(p.code);
    const age = ageYears(p.birth_date);
    if (age !== null) extra.push(age + " years");
    if (p.affected_side && p.affected_side !== "none") extra.push("affected side: " + p.affected_side);
    extra.forEach((text) => {
      const span = document.createElement("span");
      span.className = "muted";
      span.textContent = " · " + text;
      a.append(span);
    });
    li.append(a);
    return li;
  }

  async function search() {
    const q = input.value.trim();
    const mine = ++asked;
    const r = await fetch("/api/v1/patients?q=" + encodeURIComponent(q));
    if (!r.ok || mine !== asked) return;  // a newer search is on its way
    const patients = (await r.json()).patients;
    list.replaceChildren(...patients.map(item));
    none.hidden = patients.length > 0;
    none.textContent = q ? `No patient matches “${q}”.` : "No patients yet: add the first one below.";
    history.replaceState(null, "", q ? "?q=" + encodeURIComponent(q) : location.pathname);
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(search, DEBOUNCE_MS);
  });
  form.addEventListener("submit", (ev) => { ev.preventDefault(); clearTimeout(timer); search(); });
})();
