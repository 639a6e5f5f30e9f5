// The workflow list, newest first, with filters and paging.
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.js";
import { api } from "../api.js";
import { fmtTime, label, shortId } from "../format.js";
import { ErrorBox, Status, TableRegion } from "../ui.js";

const STATUSES = ["", "pending", "running", "awaiting_approval", "awaiting_clarification", "completed", "failed", "cancelled"];
const TYPES = ["", "forecast", "reforecast", "markdown"];

export function WorkflowList() {
  const [filters, setFilters] = useState({ status: "", workflow_type: "", category_id: "" });
  const [categories, setCategories] = useState([]);
  const [items, setItems] = useState(null);
  const [cursor, setCursor] = useState(null);
  const [error, setError] = useState(null);

  const load = async (append = false) => {
    setError(null);
    const query = new URLSearchParams({ limit: "20" });
    for (const [key, value] of Object.entries(filters)) if (value) query.set(key, value);
    if (append && cursor) query.set("cursor", cursor);
    try {
      const { data } = await api(`/api/workflows?${query}`);
      setItems((old) => (append ? [...(old || []), ...data.items] : data.items));
      setCursor(data.next_cursor);
    } catch (failure) {
      setError(failure);
    }
  };

  useEffect(() => {
    api("/api/categories").then(({ data }) => setCategories(data.items)).catch(() => {});
  }, []);
  useEffect(() => {
    load();
  }, [filters]);

  const select = (key, options, text) => html`<div class="field">
    <label for=${`filter-${key}`}>${text}</label>
    <select id=${`filter-${key}`} value=${filters[key]} onChange=${(e) => setFilters({ ...filters, [key]: e.target.value })}>
      ${options.map(([value, name]) => html`<option value=${value}>${name}</option>`)}
    </select>
  </div>`;

  return html`<section>
    <h1>Workflows</h1>
    <form class="card filters" onSubmit=${(e) => { e.preventDefault(); load(); }} aria-label="Filters">
      ${select("status", STATUSES.map((s) => [s, s ? label(s) : "Any status"]), "Status")}
      ${select("workflow_type", TYPES.map((t) => [t, t ? label(t) : "Any type"]), "Type")}
      ${select("category_id", [["", "Any category"], ...categories.map((c) => [c.category_id, c.name])], "Category")}
      <button type="submit" class="secondary">Refresh</button>
    </form>
    <${ErrorBox} error=${error} />
    ${items &&
    html`<${TableRegion} label="Workflow list">
      <table>
        <caption>${items.length ? `${items.length} workflow${items.length === 1 ? "" : "s"}` : "No workflows match"}</caption>
        <thead><tr><th scope="col">Workflow</th><th scope="col">Type</th><th scope="col">Category</th><th scope="col">Status</th><th scope="col">Progress</th><th scope="col">Created</th></tr></thead>
        <tbody>
          ${items.map((w) => html`<tr>
            <th scope="row"><a href=${`#/workflow/${encodeURIComponent(w.workflow_id)}`}>${shortId(w.workflow_id)}</a></th>
            <td>${label(w.workflow_type)}</td><td>${w.category_id}</td><td><${Status} value=${w.status} /></td>
            <td>${w.progress_pct}%</td><td>${fmtTime(w.created_at)}</td>
          </tr>`)}
        </tbody>
      </table>
    <//>`}
    ${cursor && html`<button type="button" class="secondary" onClick=${() => load(true)}>Load more</button>`}
  </section>`;
}
