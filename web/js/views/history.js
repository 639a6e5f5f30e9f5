// A workflow's history: the states its executions went through (GET /steps) and its audit
// trail (GET /audit, newest first, page by page). Both load again when the status changes.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../html.js";
import { api } from "../api.js";
import { fmtNumber, fmtTime, label } from "../format.js";
import { ErrorBox, Status, TableRegion } from "../ui.js";

const AUDIT_PAGE = 20;
const FINISHED = new Set(["completed", "failed", "cancelled"]);
const SETTLE_DELAYS = [1, 2, 3, 5, 8]; // seconds between looks at a finished run's steps
const END_STATES = new Set(["Succeed", "Fail"]);
/** A finished workflow's execution is over: nothing running, it ended in a Succeed or Fail state
 * or was stopped (a cancel), and the history said the same twice (a cancelled workflow's open
 * step reads "cancelled" while the stopped execution may still be closing it). No steps at all
 * when the execution no longer exists. */
const settled = (steps, before) => {
  const last = steps[steps.length - 1];
  if (!last) return true;
  const ended = END_STATES.has(last.type) || last.outcome === "cancelled";
  return ended && !steps.some((s) => s.outcome === "running") && JSON.stringify(steps) === before;
};
const KIND = { user: "user", api_key: "API key", system: "automatic" };

export function History({ workflowId, status }) {
  return html`<${Steps} workflowId=${workflowId} status=${status} />
    <${Audit} workflowId=${workflowId} status=${status} />`;
}

const path = (workflowId, tail) => `/api/workflows/${encodeURIComponent(workflowId)}/${tail}`;
const stamp = (iso) => html`<time datetime=${iso}>${fmtTime(iso)}</time>`;

function Steps({ workflowId, status }) {
  const [steps, setSteps] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    let current = true;
    let timer = null;
    let tries = 0;
    let before = null;
    const fetchSteps = () =>
      api(path(workflowId, "steps"))
        .then(({ data }) => {
          if (!current) return;
          setSteps(data.steps);
          setError(null);
          // a finished workflow's execution may still be closing its last states: look again
          if (FINISHED.has(data.status) && !settled(data.steps, before) && tries < SETTLE_DELAYS.length) {
            timer = setTimeout(fetchSteps, SETTLE_DELAYS[tries++] * 1000);
          }
          before = JSON.stringify(data.steps);
        })
        .catch((failure) => current && setError(failure));
    fetchSteps();
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [workflowId, status]);

  return html`<div class="card history">
    <h2>Steps</h2>
    <${ErrorBox} error=${error} />
    ${steps === null
      ? !error && html`<p>Loading…</p>`
      : steps.length === 0
        ? html`<p>No steps recorded yet.</p>`
        : html`<${TableRegion} label="Steps">
          <table data-testid="steps">
            <caption>States the workflow's executions entered, in order</caption>
            <thead><tr><th scope="col">Step</th><th scope="col">Attempt</th><th scope="col">Started</th>
              <th scope="col">Duration</th><th scope="col">Outcome</th><th scope="col">Error</th></tr></thead>
            <tbody>
              ${steps.map((s) => html`<tr>
                <th scope="row">${s.name} <span class="help">${s.type}</span></th>
                <td>${s.attempt === 0 ? "first run" : `retry ${s.attempt}`}${s.attempts > 1 ? `, ${s.attempts} tries` : ""}</td>
                <td>${stamp(s.entered_at)}</td>
                <td>${s.duration_seconds === null ? "–" : `${fmtNumber(s.duration_seconds)} s`}</td>
                <td><${Status} value=${s.outcome} /></td>
                <td class="wrap">${s.error ? [s.error.error, s.error.cause].filter(Boolean).join(": ") : "–"}</td>
              </tr>`)}
            </tbody>
          </table>
        <//>`}
  </div>`;
}

function Audit({ workflowId, status }) {
  const [entries, setEntries] = useState(null);
  const [cursor, setCursor] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const region = useRef(null);
  const load = (after) =>
    api(`${path(workflowId, "audit")}?limit=${AUDIT_PAGE}${after ? `&cursor=${encodeURIComponent(after)}` : ""}`);

  useEffect(() => {
    let current = true;
    load(null)
      .then(({ data }) => current && (setEntries(data.items), setCursor(data.next_cursor), setError(null)))
      .catch((failure) => current && setError(failure));
    return () => (current = false);
  }, [workflowId, status]);

  const more = async () => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const { data } = await load(cursor);
      setEntries((list) => [...list, ...data.items]);
      setCursor(data.next_cursor);
      // the button goes with the last page: keep the keyboard in the table, not on the body
      if (!data.next_cursor) region.current?.querySelector(".table-region")?.focus();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  return html`<div class="card history" ref=${region}>
    <h2>Audit trail</h2>
    ${entries === null
      ? !error && html`<p>Loading…</p>`
      : entries.length === 0
        ? html`<p>No audit entries yet.</p>`
        : html`<${TableRegion} label="Audit trail">
          <table data-testid="audit">
            <caption>Who did what to this workflow, newest first</caption>
            <thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">What changed</th></tr></thead>
            <tbody>
              ${entries.map((e) => html`<tr key=${e.entry_id}>
                <th scope="row">${stamp(e.timestamp)}</th>
                <td>${e.actor} <span class="help">(${KIND[e.actor_kind] || e.actor_kind})</span></td>
                <td>${label(e.action)}</td>
                <td class="wrap"><${Change} change=${e.change} /></td>
              </tr>`)}
            </tbody>
          </table>
        <//>`}
    <${ErrorBox} error=${error} />
    ${cursor && html`<button type="button" class="secondary" onClick=${more} aria-busy=${busy}>
      ${busy ? "Loading…" : "Show older entries"}</button>`}
  </div>`;
}

const scalar = (v) => (typeof v === "number" ? fmtNumber(v) : v === null || v === undefined ? "–" : String(v));
const plain = (v) => v === null || typeof v !== "object" || (Array.isArray(v) && !v.some((i) => i && typeof i === "object"));

/** An entry's change as a short list: plain values inline, before -> after per field, nested
 * objects (a start's input) folded away. */
function Change({ change }) {
  const { before, after, ...rest } = change || {};
  const items = Object.entries(rest)
    .filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) =>
      plain(v)
        ? html`<li>${label(k)}: ${Array.isArray(v) ? v.map(scalar).join(", ") : scalar(v)}</li>`
        : html`<li><details><summary>${label(k)}</summary><pre>${JSON.stringify(v, null, 1)}</pre></details></li>`,
    );
  if (before && typeof before === "object") {
    for (const [k, v] of Object.entries(before)) {
      const set = after && k in after ? ` → ${scalar(after[k])}` : "";
      items.push(html`<li>${label(k)}: ${scalar(v)}${set}</li>`);
    }
  }
  return items.length ? html`<ul class="change">${items}</ul>` : "–";
}
