// Idle logout: after [panel] idle_logout_min without a request that refreshed the session,
// log out (the server refuses the stale session anyway) and show the login page. The idle
// time comes from <body data-idle-logout-s>; responses that refreshed the session say so
// with an X-Idle-Logout-S header.
(function () {
  const idleMs = Number(document.body.dataset.idleLogoutS) * 1000;
  const form = document.getElementById("logout-form");
  if (!idleMs || !form) return;
  let timer;
  function restart() {
    clearTimeout(timer);
    timer = setTimeout(() => { form.elements.reason.value = "idle"; form.submit(); }, idleMs);
  }
  const fetchBefore = window.fetch;
  window.fetch = async function (...args) {
    const response = await fetchBefore(...args);
    if (response.headers.has("X-Idle-Logout-S")) restart();
    return response;
  };
  restart();
})();
