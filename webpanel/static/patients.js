// Patient list: search as you type, 50 patients at a time with "More patients" (the form and
// the link still work without script).
(function () {
  const form = document.getElementById("search");
  const input = document.getElementById("q");
  const list = document.getElementById("patient-list");
  const none = document.getElementById("no-patients");
  const more = document.getElementById("more-patients");
  const moreLink = document.getElementById("more-link");
  const DEBOUNCE_MS = 250;
  let timer = null;
  let asked = 0;
  let next = null;  // the API's "next": where the following page starts

  function ageYears(birth) {
    if (!birth) return null;
    const [y, m, d] = birth.split("-").map(Number);
    const now = new Date();
    const before = now.getMonth() + 1 < m || (now.getMonth() + 1 === m && now.getDate() < d);
    return now.getFullYear() - y - (before ? 1 : 0);
  }

  function side(code) {
    const words = { left: t("patients.side_left"), right: t("patients.side_right"), both: t("patients.side_both") };
    return words[code] || code;
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
    if (age !== null) extra.push(t("patients.years", { num: age }));
    if (p.affected_side && p.affected_side !== "none") extra.push(t("patients.affected_side", { side: side(p.affected_side) }));
    extra.forEach((text) => {
      const span = document.createElement("span");
      span.className = "muted";
      span.textContent = " · " + text;
      a.append(span);
    });
    li.append(a);
    return li;
  }

  function page(q, after) {
    let url = "/api/v1/patients?q=" + encodeURIComponent(q);
    if (after !== null) url += "&after=" + after;
    return Panel.request(url).catch(() => null);  // a refused page leaves the list as it is
  }

  function showMore(nextAfter) {
    next = nextAfter;
    more.hidden = next === null;
  }

  async function search() {
    const q = input.value.trim();
    const mine = ++asked;
    const found = await page(q, null);
    if (!found || mine !== asked) return;  // a newer search is on its way
    list.replaceChildren(...found.patients.map(item));
    showMore(found.next);
    none.hidden = found.patients.length > 0;
    none.textContent = q ? t("patients.no_match", { query: q }) : t("patients.none_yet");
    history.replaceState(null, "", q ? "?q=" + encodeURIComponent(q) : location.pathname);
  }

  async function showNextPage() {
    const q = input.value.trim();
    const mine = asked;
    const found = await page(q, next);
    if (!found || mine !== asked) return;
    list.append(...found.patients.map(item));
    showMore(found.next);
  }

  const start = new URL(moreLink.href || location.href, location.href).searchParams.get("after");
  showMore(more.hidden || start === null ? null : Number(start));
  moreLink.addEventListener("click", (ev) => { ev.preventDefault(); showNextPage(); });

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(search, DEBOUNCE_MS);
  });
  form.addEventListener("submit", (ev) => { ev.preventDefault(); clearTimeout(timer); search(); });
})();
