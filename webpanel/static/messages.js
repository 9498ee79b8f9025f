// The page scripts' words in the page's language: the station renders them from its gettext
// catalog into <script type="application/json" id="messages"> (webpanel/script_messages.py,
// templates/script_messages.html, included before the first page script), keyed by a short
// stable key. Numbers, times and percentages in the page's language (<html lang>) too.
//
//   t(key, values) -> the message `key`, each {name} replaced by values[name] (a number
//     formatted for the page's language). A message with plural forms takes the one for
//     values.count (else values.num) under the language's plural rules. An unknown key
//     shows as itself.
//   Messages.number(value, digits) -> value with exactly `digits` decimals (any number of
//     them, up to 3, without `digits`); "–" for none.
//   Messages.percent(value, digits) -> value (a percentage: 45 for 45 %) as the language
//     writes a percentage; "–" for none.
//   Messages.time(date) -> the time of day of a Date or an ISO text.
window.Messages = (function () {
  "use strict";
  const lang = document.documentElement.lang || "en";
  let messages = null;
  let plural = null;

  function all() {
    if (messages === null) {
      const block = document.getElementById("messages");
      messages = block ? JSON.parse(block.textContent) : {};
    }
    return messages;
  }

  function missing(value) {
    return value === null || value === undefined || Number.isNaN(value);
  }

  // One formatter per style and number of decimals, made once: making one costs far more
  // than using it, and the live view formats a dozen numbers 20 times a second.
  const formats = new Map();
  function formatter(style, digits) {
    const key = `${style} ${digits}`;
    if (!formats.has(key)) {
      const decimals = digits === undefined
        ? { maximumFractionDigits: 3 } : { minimumFractionDigits: digits, maximumFractionDigits: digits };
      formats.set(key, new Intl.NumberFormat(lang, { style, ...decimals }));
    }
    return formats.get(key);
  }

  function number(value, digits) {
    if (missing(value)) return "–";
    return formatter("decimal", digits).format(value);
  }

  function percent(value, digits = 0) {
    if (missing(value)) return "–";
    return formatter("percent", digits).format(value / 100);
  }

  function time(when) {
    return new Date(when).toLocaleTimeString(lang);
  }

  function t(key, values = {}) {
    let text = all()[key];
    if (text === undefined) return key;
    if (typeof text === "object") {
      plural = plural || new Intl.PluralRules(lang);
      const count = Number(values.count ?? values.num);
      text = text[plural.select(count)] ?? text.other;
    }
    return text.replace(/\{(\w+)\}/g, (whole, name) => {
      if (!(name in values)) return whole;
      const value = values[name];
      return typeof value === "number" ? number(value) : String(value);
    });
  }

  return { t, number, percent, time, lang };
})();
window.t = window.Messages.t;
