// CSRF: every same-origin fetch that can change state (not GET, HEAD, OPTIONS) carries the
// page's token from <meta name="csrf-token"> as X-CSRFToken, so page scripts need not.
(function () {
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (!meta) return;
  const token = meta.content;
  const SAFE = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);
  const fetchBefore = window.fetch;
  window.fetch = function (resource, init = {}) {
    const isRequest = resource instanceof Request;
    const method = (init.method || (isRequest ? resource.method : "GET")).toUpperCase();
    const url = new URL(isRequest ? resource.url : String(resource), window.location.href);
    if (!SAFE.has(method) && url.origin === window.location.origin) {
      const headers = new Headers(init.headers || (isRequest ? resource.headers : undefined));
      if (!headers.has("X-CSRFToken")) headers.set("X-CSRFToken", token);
      init = { ...init, headers };
    }
    return fetchBefore.call(window, resource, init);
  };
})();
