// What every page of the panel shares, loaded by base.html before the page's own scripts:
// requests to the station's API (the CSRF token, the idle-logout timer, the station's error
// message), and showing an error. Page scripts call Panel.request instead of fetch, so
// window.fetch is left as the browser made it.
//
//   Panel.request(url, {method, body}) -> Promise of the parsed JSON answer (null when the
//     answer has no JSON body). `body`, when given, is sent as JSON. A state-changing method
//     (not GET, HEAD, OPTIONS, TRACE) to the station itself carries X-CSRFToken from
//     <meta name="csrf-token">; an answer with X-Idle-Logout-S restarts the idle timer.
//     Rejects with a Panel.RequestError: `message` the station's own ({"error": {"message"}})
//     or "the station answered <status>" / "the station did not answer" (messages.js: in the
//     page's language), `status` (0 when
//     there was no answer), `code` and `field` as the station sent them, `body` the parsed
//     answer (or null).
//   Panel.showError(element, error, before = "", after = "") -> puts before + the error's
//     message + after in element; a null error empties it.
//   Panel.withoutField(error) -> the message without its leading "field: " names, for showing
//     beside the field it names.
window.Panel = (function () {
  "use strict";
  const SAFE = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);
  const meta = document.querySelector('meta[name="csrf-token"]');
  const FIELD_PREFIX = /^([\w.[\]]+: )+/;  // "steps[1].params.distance_mm: "

  // Idle logout: after [panel] idle_logout_min without a request that refreshed the session,
  // log out (the server refuses the stale session anyway) and show the login page. The idle
  // time comes from <body data-idle-logout-s> (only when logged in); responses that refreshed
  // the session say so with an X-Idle-Logout-S header.
  const idle = (function () {
    const idleMs = Number(document.body.dataset.idleLogoutS) * 1000;
    const form = document.getElementById("logout-form");
    if (!idleMs || !form) return { restart() {} };
    let timer;
    function restart() {
      clearTimeout(timer);
      timer = setTimeout(() => { form.elements.reason.value = "idle"; form.submit(); }, idleMs);
    }
    restart();
    return { restart };
  })();

  class RequestError extends Error {
    constructor(message, status, body) {
      super(message);
      this.name = "RequestError";
      this.status = status;
      this.body = body;
      const error = body && body.error;
      this.code = error ? error.code : undefined;
      this.field = error ? error.field : undefined;
    }
  }

  async function request(url, { method = "GET", body } = {}) {
    const init = { method: method.toUpperCase(), headers: {} };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const sameOrigin = new URL(url, window.location.href).origin === window.location.origin;
    if (meta && sameOrigin && !SAFE.has(init.method)) init.headers["X-CSRFToken"] = meta.content;
    let response;
    try {
      response = await fetch(url, init);
    } catch (e) {
      throw new RequestError(t("panel.no_answer"), 0, null);
    }
    if (response.headers.has("X-Idle-Logout-S")) idle.restart();
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const error = data && data.error;
      const message = error && error.message ? error.message : t("panel.answered", { status: String(response.status) });
      throw new RequestError(message, response.status, data);
    }
    return data;
  }

  function showError(element, error, before = "", after = "") {
    element.textContent = error ? before + error.message + after : "";
  }

  function withoutField(error) {
    return error.message.replace(FIELD_PREFIX, "");
  }

  return { request, showError, withoutField, RequestError };
})();
