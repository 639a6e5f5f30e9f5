// Small shared pieces: messages, API error boxes, a scrollable table region.
import { html } from "./html.js";
import { explain } from "./api.js";

export function Message({ kind = "info", children }) {
  const role = kind === "error" ? "alert" : "status";
  return html`<div class=${`message ${kind}`} role=${role}>${children}</div>`;
}

export function ErrorBox({ error }) {
  if (!error) return null;
  return html`<${Message} kind="error">${explain(error)}<//>`;
}

export function TableRegion({ label, children }) {
  return html`<div class="table-region" role="region" aria-label=${label} tabindex="0">${children}</div>`;
}

export function Status({ value }) {
  return html`<span class=${`badge status-${value}`}>${String(value).replace(/_/g, " ")}</span>`;
}
