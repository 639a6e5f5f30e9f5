// Plan: the season in plain words -> extracted parameters (editable, with confidence and
// clarification questions) -> start the forecast workflow. Or start from the text itself: the
// workflow reads it and asks, on its own page, what the text leaves open.
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.js";
import { api } from "../api.js";
import { can } from "../auth.js";
import { ErrorBox, Message } from "../ui.js";

export const FIELDS = [
  { key: "forecast_horizon_weeks", label: "Season length (weeks)", type: "number", min: 1, max: 52, step: 1 },
  { key: "season_start_date", label: "Season start (a Monday)", type: "date" },
  { key: "replenishment_strategy", label: "Replenishment", type: "select", options: ["none", "weekly", "bi-weekly"] },
  { key: "dc_holdback_percentage", label: "DC holdback (0 to 1)", type: "number", min: 0, max: 1, step: 0.05 },
  { key: "markdown_checkpoint_week", label: "Markdown checkpoint week (empty: none)", type: "number", min: 1, max: 52, step: 1, optional: true },
  { key: "markdown_threshold", label: "Sell-through target (0 to 1)", type: "number", min: 0, max: 1, step: 0.05 },
  { key: "variance_threshold", label: "Variance threshold (0 to 1)", type: "number", min: 0, max: 1, step: 0.05 },
];

const SAMPLE =
  "Zara-style 12-week spring season starting March 3rd 2025, no replenishment, ship everything up front, markdown check at week 6";

function toPayload(values) {
  const out = {};
  for (const field of FIELDS) {
    const raw = values[field.key];
    if (raw === "" || raw === null || raw === undefined) {
      if (field.optional) out[field.key] = null;
      continue;
    }
    out[field.key] = field.type === "number" ? Number(raw) : raw;
  }
  return out;
}

export function Plan() {
  const [text, setText] = useState(SAMPLE);
  const [categories, setCategories] = useState([]);
  const [category, setCategory] = useState("");
  const [extracted, setExtracted] = useState(null);
  const [values, setValues] = useState(null);
  const [error, setError] = useState(null);
  const [startError, setStartError] = useState(null);
  const [busy, setBusy] = useState(false);
  const mayStart = can("planner");

  useEffect(() => {
    api("/api/categories")
      .then(({ data }) => {
        setCategories(data.items);
        if (data.items.length) setCategory((c) => c || data.items[0].category_id);
      })
      .catch(setError);
  }, []);

  const extract = async (event) => {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const { data } = await api("/api/parameters/extract", { method: "POST", json: { text } });
      setExtracted(data);
      setValues({ ...data.parameters });
      const mentioned = categories.find((c) => text.toLowerCase().includes(c.name.toLowerCase()));
      if (mentioned) setCategory(mentioned.category_id);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  const post = async (json, onError) => {
    setBusy(true);
    try {
      const { data } = await api("/api/workflows/forecast", { method: "POST", json });
      location.hash = `#/workflow/${encodeURIComponent(data.workflow_id)}`;
    } catch (failure) {
      onError(failure);
    } finally {
      setBusy(false);
    }
  };
  const start = (event) => {
    event.preventDefault();
    setStartError(null);
    post({ category_id: category, parameters: toPayload(values) }, setStartError);
  };
  const startFromText = () => {
    setError(null);
    post({ category_id: category, text }, setError);
  };

  const confidence = extracted?.confidence?.fields || {};
  const chosen = categories.find((c) => c.category_id === category);
  return html`<section>
    <h1>Plan a season</h1>
    <form onSubmit=${extract} class="card">
      <div class="field">
        <label for="category">Category</label>
        <select id="category" value=${category} onChange=${(e) => setCategory(e.target.value)}>
          ${categories.map((c) => html`<option value=${c.category_id}>${c.name}</option>`)}
        </select>
        ${chosen && html`<p class="help">${chosen.stores} stores, ${chosen.weeks} weeks of history (${chosen.date_range.start} to ${chosen.date_range.end})</p>`}
      </div>
      <div class="field">
        <label for="season-text">Describe the season in plain words</label>
        <textarea id="season-text" rows="3" maxlength="4000" value=${text} aria-describedby="season-text-help"
          onInput=${(e) => setText(e.target.value)}></textarea>
        <p id="season-text-help" class="help">Extract the parameters to check and edit them before starting${mayStart
          ? ", or start from the text: the workflow asks on its page for what the text leaves open (the start date, the season's length)"
          : ""}.</p>
      </div>
      <div class="actions">
        <button type="submit" disabled=${busy || !text.trim()}>Extract parameters</button>
        ${mayStart && html`<button type="button" class="secondary" onClick=${startFromText}
          disabled=${busy || !text.trim() || !category}>Start from the text</button>`}
      </div>
    </form>
    <${ErrorBox} error=${error} />
    ${values &&
    html`<form onSubmit=${start} class="card" aria-labelledby="params-heading">
      <h2 id="params-heading">Season parameters</h2>
      <p class="help">For ${chosen ? chosen.name : "the category chosen above"}, read by ${extracted.source === "llm" ? "the language model" : "the deterministic rules"};
        overall confidence <strong>${extracted.confidence?.overall || "–"}</strong>. Edit anything before starting.</p>
      ${extracted.clarification_questions?.length > 0 &&
      html`<${Message} kind="warning">
        <p><strong>Please check:</strong></p>
        <ul class="questions">${extracted.clarification_questions.map((q) => html`<li>${q}</li>`)}</ul>
      <//>`}
      <div class="grid">
        ${FIELDS.map((field) => {
          const id = `param-${field.key}`;
          const level = confidence[field.key];
          const missing = extracted.missing_fields?.includes(field.key);
          const value = values[field.key] ?? "";
          const set = (e) => setValues({ ...values, [field.key]: e.target.value });
          return html`<div class="field">
            <label for=${id}>${field.label}</label>
            ${field.type === "select"
              ? html`<select id=${id} value=${value} onChange=${set} aria-describedby=${`${id}-conf`}>
                  ${field.options.map((o) => html`<option value=${o}>${o}</option>`)}
                </select>`
              : html`<input id=${id} type=${field.type} value=${value} min=${field.min} max=${field.max}
                  step=${field.step} onInput=${set} aria-describedby=${`${id}-conf`} />`}
            <p id=${`${id}-conf`} class=${`confidence ${level || "none"}`}>
              Confidence: ${level || "n/a"}${missing ? " (default, not in the text)" : ""}
            </p>
          </div>`;
        })}
      </div>
      ${extracted.reasoning && html`<details><summary>How the text was read</summary><p>${extracted.reasoning}</p></details>`}
      <${ErrorBox} error=${startError} />
      ${mayStart
        ? html`<button type="submit" disabled=${busy || !category}>Start forecast</button>`
        : html`<${Message}>Your role cannot start workflows (it needs planner).<//>`}
    </form>`}
  </section>`;
}
