// Number, percent and date formatting shared by the views.
const units = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });

export const fmtUnits = (n) => (n === null || n === undefined ? "–" : units.format(n));
export const fmtNumber = (n) => (n === null || n === undefined ? "–" : decimal.format(n));
export const fmtPct = (f, digits = 1) =>
  f === null || f === undefined ? "–" : `${(f * 100).toFixed(digits)}%`;
export const fmtSignedPct = (f) =>
  f === null || f === undefined ? "–" : `${f >= 0 ? "+" : ""}${(f * 100).toFixed(1)}%`;
export const fmtTime = (iso) => (iso ? new Date(iso).toLocaleString() : "–");
export const fmtClock = (iso) => (iso ? new Date(iso).toLocaleTimeString() : "");
export const label = (key) => key.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
export const shortId = (id) => (id && id.length > 13 ? `${id.slice(0, 8)}…` : id);
