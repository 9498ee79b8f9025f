// Patient page, Programs: start a program's step, and the program editor (name, ordered steps
// of drill + settings, optional progression rules), saved through the API; the station's
// answer to a bad value is shown beside the field it names (e.g. steps[1].params.distance_mm).
(function () {
  const patientId = Number(document.querySelector(".run").dataset.patient);
  const catalog = JSON.parse(document.getElementById("drill-catalog").textContent);
  const programs = JSON.parse(document.getElementById("program-data").textContent);
  const drills = Object.fromEntries(catalog.map((d) => [d.name, d]));
  const form = document.getElementById("program-form");
  const nameInput = document.getElementById("program-name");
  const stepList = document.getElementById("step-list");
  const ruleList = document.getElementById("rule-list");
  const formError = document.getElementById("program-error");
  let editing = null;  // the id of the program being edited, null for a new one
  let nextKey = 0;

  function el(tag, props = {}, children = []) {
    const node = Object.assign(document.createElement(tag), props);
    node.append(...children);
    return node;
  }

  function labelled(text, control, extra = []) {
    return el("label", {}, [el("span", { textContent: text }), control, ...extra,
      el("small", { className: "error", role: "alert" })]);
  }

  function errorSlot(control) {
    return control.closest("label").querySelector(".error");
  }

  function paramLabel(name) {
    const words = name.split("_");
    if (words.length > 1 && ["s", "mm", "cm", "kg", "pct", "deg", "hz", "n"].includes(words.at(-1))) words.pop();
    const text = words.join(" ");
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  // --- steps ----------------------------------------------------------------------------------
  function paramInputs(drill, values) {
    return drills[drill].params.map((p) => {
      const value = values[p.name] ?? p.default;
      let control;
      if (p.choices) {
        control = el("select", { name: p.name }, p.choices.map((c) =>
          el("option", { value: c, textContent: c, selected: c === value })));
      } else {
        control = el("input", {
          name: p.name, type: "number", value, min: p.minimum, max: p.maximum,
          step: p.type === "int" ? 1 : "any", inputMode: "decimal",
        });
        control.dataset.number = "true";
      }
      const unit = p.unit ? [el("span", { className: "unit", textContent: p.unit })] : [];
      const range = p.choices ? [] : [el("small", {
        className: "muted", textContent: `${p.minimum}–${p.maximum} ${p.unit}`.trim(),
      })];
      const label = labelled(paramLabel(p.name), el("span", { className: "with-unit" }, [control, ...unit]), range);
      label.title = p.help;
      return label;
    });
  }

  function addStep(step = null) {
    const drill = step ? step.drill : catalog[0].name;
    const select = el("select", { name: "drill" }, catalog.map((d) =>
      el("option", { value: d.name, textContent: d.title, selected: d.name === drill })));
    const params = el("div", { className: "step-params" }, paramInputs(drill, step ? step.params : {}));
    const number = el("strong", { className: "step-number" });
    const button = (text, label, action) => {
      const b = el("button", { type: "button", textContent: text });
      b.setAttribute("aria-label", label);
      b.dataset.action = action.name;
      b.addEventListener("click", () => action(li));
      return b;
    };
    const li = el("li", { className: "editor-step" }, [
      el("div", { className: "step-head" }, [number, labelled(t("programs.drill"), select),
        el("span", { className: "step-buttons" }, [
          button("↑", t("programs.move_up"), moveUp), button("↓", t("programs.move_down"), moveDown),
          button("✕", t("programs.remove_step"), removeStep)])]),
      params,
    ]);
    li.dataset.key = String(nextKey++);
    select.addEventListener("change", () => {
      params.replaceChildren(...paramInputs(select.value, {}));
      refreshRules();
    });
    stepList.append(li);
    refresh();
    return li;
  }

  function moveUp(li) { if (li.previousElementSibling) stepList.insertBefore(li, li.previousElementSibling); refresh(); }
  function moveDown(li) { if (li.nextElementSibling) stepList.insertBefore(li.nextElementSibling, li); refresh(); }
  function removeStep(li) {
    li.remove();
    [...ruleList.children].filter((r) => r.querySelector("[name=step]").value === li.dataset.key)
      .forEach((r) => r.remove());
    refresh();
  }

  function refresh() {
    [...stepList.children].forEach((li, i) => {
      li.querySelector(".step-number").textContent = t("programs.step", { number: i + 1 });
      li.querySelector("[data-action=removeStep]").disabled = stepList.children.length === 1;
    });
    refreshRules();
  }

  // --- rules ----------------------------------------------------------------------------------
  function stepDrill(key) {
    const li = [...stepList.children].find((s) => s.dataset.key === key);
    return li ? li.querySelector("[name=drill]").value : null;
  }

  function refreshRules() {
    [...ruleList.children].forEach((rule) => {
      const stepSelect = rule.querySelector("[name=step]");
      const chosen = stepSelect.value;
      stepSelect.replaceChildren(...[...stepList.children].map((li, i) => el("option", {
        value: li.dataset.key, selected: li.dataset.key === chosen,
        textContent: t("programs.step_drill", { number: i + 1, drill: drills[li.querySelector("[name=drill]").value].title }),
      })));
      const paramSelect = rule.querySelector("[name=param]");
      const param = paramSelect.value || rule.dataset.param;
      const numeric = drills[stepDrill(stepSelect.value)].params.filter((p) => !p.choices);
      paramSelect.replaceChildren(...numeric.map((p) => el("option", {
        value: p.name, selected: p.name === param,
        textContent: `${paramLabel(p.name)}${p.unit ? " (" + p.unit + ")" : ""}`,
      })));
    });
  }

  function addRule(rule = null, stepKeys = []) {
    const choose = (name, options, value) => el("select", { name }, options.map(([v, text]) =>
      el("option", { value: v, textContent: text, selected: v === value })));
    const number = (name, value) => el("input", { name, type: "number", step: "any", inputMode: "decimal", value: value ?? "" });
    const above = !rule || rule.above !== undefined;
    const adds = !rule || rule.add !== undefined;
    const li = el("li", { className: "editor-rule" }, [
      labelled(t("programs.after"), el("select", { name: "step" })),
      labelled(t("programs.when"), el("input", {
        name: "metric", value: rule ? rule.metric : "", autocomplete: "off",
        placeholder: t("programs.metric_example", { metric: "hit_rate_pct" }),
      })),
      labelled(t("programs.is"), choose("compare",
        [["above", t("programs.above")], ["below", t("programs.below")]], above ? "above" : "below")),
      labelled(t("programs.this_value"), number("threshold", rule ? rule[above ? "above" : "below"] : "")),
      labelled(t("programs.then"), choose("change",
        [["add", t("programs.add")], ["multiply", t("programs.multiply")]], adds ? "add" : "multiply")),
      labelled(t("programs.amount"), number("amount", rule ? rule[adds ? "add" : "multiply"] : "")),
      labelled(t("programs.to_setting"), el("select", { name: "param" })),
    ]);
    li.querySelector("[name=metric]").setAttribute("list", "metric-keys");
    const remove = el("button", { type: "button", textContent: "✕" });
    remove.setAttribute("aria-label", t("programs.remove_rule"));
    remove.addEventListener("click", () => li.remove());
    li.append(remove);
    if (rule) li.dataset.param = rule.param;
    ruleList.append(li);
    const stepSelect = li.querySelector("[name=step]");
    const keys = [...stepList.children].map((s) => s.dataset.key);
    stepSelect.append(el("option", { value: rule ? stepKeys[rule.step] : keys[0] }));
    stepSelect.addEventListener("change", () => { li.dataset.param = ""; refreshRules(); });
    refreshRules();
  }

  // --- open, collect, save --------------------------------------------------------------------
  function open(program) {
    editing = program ? program.id : null;
    document.getElementById("program-form-title").textContent = program ? t("programs.edit", { name: program.name }) : t("programs.new");
    nameInput.value = program ? program.name : "";
    stepList.replaceChildren();
    ruleList.replaceChildren();
    clearErrors();
    const keys = (program ? program.steps : [null]).map((s) => addStep(s).dataset.key);
    (program ? program.rules : []).forEach((r) => addRule(r, keys));
    form.hidden = false;
    form.scrollIntoView({ behavior: "smooth" });
    nameInput.focus({ preventScroll: true });
  }

  function collect() {
    const keys = [...stepList.children].map((li) => li.dataset.key);
    return {
      name: nameInput.value,
      steps: [...stepList.children].map((li) => {
        const params = {};
        li.querySelectorAll(".step-params input, .step-params select").forEach((i) => {
          params[i.name] = i.dataset.number && i.value.trim() !== "" ? Number(i.value) : i.value;
        });
        return { drill: li.querySelector("[name=drill]").value, params };
      }),
      rules: [...ruleList.children].map((li) => {
        const v = (name) => li.querySelector(`[name=${name}]`).value;
        const num = (name) => (v(name).trim() === "" ? null : Number(v(name)));
        return {
          step: keys.indexOf(v("step")), metric: v("metric").trim(), param: v("param"),
          [v("compare")]: num("threshold"), [v("change")]: num("amount"),
        };
      }),
    };
  }

  function clearErrors() {
    form.querySelectorAll(".error").forEach((e) => { e.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach((e) => e.removeAttribute("aria-invalid"));
  }

  // Show the station's error (a Panel.RequestError) beside the field it names.
  function showError(error) {
    const field = error.field || "";
    let control = null;
    let m;
    if (field === "name") control = nameInput;
    else if ((m = field.match(/^steps\[(\d+)\]\.params\.(\w+)$/))) {
      control = stepList.children[m[1]]?.querySelector(`.step-params [name="${m[2]}"]`);
    } else if ((m = field.match(/^steps\[(\d+)\]/))) {
      control = stepList.children[m[1]]?.querySelector("[name=drill]");
    } else if ((m = field.match(/^rules\[(\d+)\](?:\.(\w+))?$/))) {
      const names = { above: "threshold", below: "threshold", add: "amount", multiply: "amount" };
      const rule = ruleList.children[m[1]];
      control = rule?.querySelector(`[name="${names[m[2]] || m[2] || "metric"}"]`) || rule?.querySelector("[name=metric]");
    }
    if (field === "steps") {
      Panel.showError(form.querySelector("[data-error-for=steps]"), error);
    } else if (control) {
      errorSlot(control).textContent = Panel.withoutField(error);  // beside it, the field is named
      control.setAttribute("aria-invalid", "true");
      control.focus();
    } else {
      Panel.showError(formError, error);
    }
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors();
    const url = editing === null ? `/api/v1/patients/${patientId}/programs` : `/api/v1/programs/${editing}`;
    try {
      await Panel.request(url, { method: editing === null ? "POST" : "PUT", body: collect() });
    } catch (e) { showError(e); return; }
    location.hash = "programs";
    location.reload();
  });

  document.getElementById("new-program").addEventListener("click", () => open(null));
  document.getElementById("add-step").addEventListener("click", () => addStep());
  document.getElementById("add-rule").addEventListener("click", () => addRule());
  document.getElementById("cancel-program").addEventListener("click", () => { form.hidden = true; });
  document.querySelectorAll("[data-edit-program]").forEach((b) => b.addEventListener("click", () =>
    open(programs.find((p) => p.id === Number(b.dataset.editProgram)))));

  // --- starting steps -------------------------------------------------------------------------
  document.querySelectorAll("[data-start-program]").forEach((b) => b.addEventListener("click", async () => {
    const id = b.dataset.startProgram;
    const slot = document.querySelector(`[data-program-error="${id}"]`);
    Panel.showError(slot, null);
    try {
      await Panel.request(`/api/v1/programs/${id}/steps/${b.dataset.step}/start`, { method: "POST" });
    } catch (e) { Panel.showError(slot, e); return; }
    document.getElementById("live-card").scrollIntoView({ behavior: "smooth" });
  }));
})();
