// See: a forecast's curve (history, forecast, 80% interval, actuals, versions), method
// weights, allocation by cluster and store, weekly actual vs plan, markdown.
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.js";
import { api } from "../api.js";
import { Chart, day } from "../chart.js";
import { fmtNumber, fmtPct, fmtSignedPct, fmtTime, fmtUnits, label, shortId } from "../format.js";
import { ErrorBox, Message, Status, TableRegion } from "../ui.js";

const HISTORY_WEEKS = 52;

async function optional(path) {
  try {
    return (await api(path)).data;
  } catch (error) {
    if (error.status === 404) return null;
    throw error;
  }
}

export function Results({ forecastId }) {
  const [state, setState] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    const id = encodeURIComponent(forecastId);
    (async () => {
      const { data: forecast } = await api(`/api/forecasts/${id}`);
      const [allocation, markdown, variance, history] = await Promise.all([
        optional(`/api/allocations/${id}`),
        optional(`/api/markdowns/${id}`),
        optional(`/api/variance/${id}`),
        optional(`/api/categories/${encodeURIComponent(forecast.category_id)}/history?weeks=${HISTORY_WEEKS}`),
      ]);
      setState({ forecast, allocation, markdown, variance, history });
    })().catch(setError);
  }, [forecastId]);

  if (error) return html`<section><h1>Forecast</h1><${ErrorBox} error=${error} /></section>`;
  if (!state) return html`<section><h1>Forecast</h1><p>Loading…</p></section>`;
  const { forecast, allocation, markdown, variance, history } = state;
  return html`<section>
    <h1>Forecast: ${forecast.category_id} from ${forecast.parameters.season_start_date}</h1>
    <div class="card">
      <dl class="facts">
        <div><dt>Season demand</dt><dd>${fmtUnits(forecast.total_demand)}</dd></div>
        <div><dt>Weeks</dt><dd>${forecast.parameters.forecast_horizon_weeks}</dd></div>
        <div><dt>Plan in effect</dt><dd>version ${forecast.plan_version} of ${forecast.versions.length}</dd></div>
        <div><dt>History used</dt><dd>${forecast.history_weeks} weeks</dd></div>
        <div><dt>Workflow</dt><dd><a href=${`#/workflow/${encodeURIComponent(forecast.workflow_id)}`}>${shortId(forecast.workflow_id)}</a></dd></div>
      </dl>
    </div>
    <${ForecastChart} forecast=${forecast} history=${history} />
    <${Weights} forecast=${forecast} />
    ${allocation ? html`<${Allocation} allocation=${allocation} />` : html`<${Message}>No allocation yet.<//>`}
    <${InSeason} forecast=${forecast} rows=${variance?.items || []} />
    <${Markdown} markdown=${markdown} checkpoint=${forecast.parameters.markdown_checkpoint_week} />
  </section>`;
}

function ForecastChart({ forecast, history }) {
  const past = history?.weeks || [];
  const weeks = forecast.weekly;
  const xs = [...past.map((p) => day(p.week_start)), ...weeks.map((w) => day(w.week_start))];
  const pad = (values) => [...past.map(() => null), ...values];
  const others = forecast.versions.filter((v) => v.version !== forecast.version);
  const series = [
    { label: "History", stroke: "#555", width: 1.5 },
    { label: "Forecast", stroke: "#0b5cad", width: 2.5 },
    { label: "80% upper", stroke: "#7aa7d6", dash: [4, 4] },
    { label: "80% lower", stroke: "#7aa7d6", dash: [4, 4] },
    { label: "Actuals", stroke: "#b3261e", width: 2, points: { show: true, size: 7 } },
    ...others.map((v) => ({ label: `Version ${v.version} (${v.status})`, stroke: "#8a6d00", dash: [2, 6] })),
  ];
  const data = [
    xs,
    [...past.map((p) => p.units), ...weeks.map(() => null)],
    pad(weeks.map((w) => w.forecast)),
    pad(weeks.map((w) => w.upper)),
    pad(weeks.map((w) => w.lower)),
    pad(weeks.map((w) => forecast.actuals[w.week] ?? null)),
    ...others.map((v) => {
      const by = Object.fromEntries(v.weekly.map((w) => [w.week, w.forecast]));
      return pad(weeks.map((w) => by[w.week] ?? null));
    }),
  ];
  return html`<div class="card">
    <h2>Weekly demand</h2>
    <${Chart} title=${`Units per week: ${past.length ? `last ${past.length} weeks of history, ` : ""}forecast with its 80% interval, actuals`}
      series=${series} data=${data} bands=${[{ series: [3, 4], fill: "rgba(11, 92, 173, 0.12)" }]} />
    <details>
      <summary>The forecast as a table</summary>
      <${TableRegion} label="Forecast by week">
        <table>
          <caption>Forecast version ${forecast.version}</caption>
          <thead><tr><th scope="col">Week</th><th scope="col">Starts</th><th scope="col">Forecast</th><th scope="col">80% interval</th><th scope="col">Actual</th></tr></thead>
          <tbody>${weeks.map((w) => html`<tr><th scope="row">${w.week}</th><td>${w.week_start}</td><td>${fmtUnits(w.forecast)}</td>
            <td>${fmtUnits(w.lower)}–${fmtUnits(w.upper)}</td><td>${fmtUnits(forecast.actuals[w.week])}</td></tr>`)}</tbody>
        </table>
      <//>
    </details>
    <h3>Versions</h3>
    <ul class="versions">${forecast.versions.map((v) => html`<li>Version ${v.version}: ${v.reason}, ${fmtUnits(v.total_demand)} units <${Status} value=${v.status} /> <span class="help">${fmtTime(v.created_at)}</span></li>`)}</ul>
  </div>`;
}

function Weights({ forecast }) {
  const methods = Object.keys(forecast.method_weights).sort((a, b) => forecast.method_weights[b] - forecast.method_weights[a]);
  return html`<div class="card">
    <h2>Forecast methods</h2>
    <${TableRegion} label="Method weights">
      <table>
        <caption>Ensemble weights and backtest error (WAPE)</caption>
        <thead><tr><th scope="col">Method</th><th scope="col">Weight</th><th scope="col">Backtest WAPE</th></tr></thead>
        <tbody>${methods.map((m) => html`<tr><th scope="row">${label(m)}</th>
          <td><span class="bar" style=${`--w:${forecast.method_weights[m]}`}></span> ${fmtPct(forecast.method_weights[m])}</td>
          <td>${fmtPct(forecast.backtest[m])}</td></tr>`)}</tbody>
      </table>
    <//>
    ${Object.keys(forecast.dropped_methods).length > 0 && html`<p>Dropped: ${Object.entries(forecast.dropped_methods).map(([m, why]) => `${m} (${why})`).join("; ")}</p>`}
  </div>`;
}

const STORE_COLUMNS = [
  ["store_id", "Store"],
  ["cluster_name", "Cluster"],
  ["weight", "Weight"],
  ["quantity", "Quantity"],
];

function Allocation({ allocation }) {
  const [sort, setSort] = useState({ key: "quantity", descending: true });
  const rows = [...allocation.store_allocations].sort((a, b) => {
    const x = a[sort.key];
    const y = b[sort.key];
    const order = typeof x === "number" ? x - y : String(x).localeCompare(String(y));
    return sort.descending ? -order : order;
  });
  const toggle = (key) => setSort((s) => ({ key, descending: s.key === key ? !s.descending : key !== "store_id" && key !== "cluster_name" }));
  return html`<div class="card">
    <h2>Allocation <${Status} value=${allocation.status} /></h2>
    <dl class="facts">
      <div><dt>Manufacturing quantity</dt><dd>${fmtUnits(allocation.manufacturing_qty)}</dd></div>
      <div><dt>Safety stock</dt><dd>${fmtPct(allocation.safety_stock_pct)}</dd></div>
      <div><dt>Initial allocation</dt><dd>${fmtUnits(allocation.initial_allocation)}</dd></div>
      <div><dt>DC holdback</dt><dd>${fmtUnits(allocation.holdback)}</dd></div>
      <div><dt>Ordered and approved</dt><dd>${fmtUnits(allocation.ordered_approved_qty)}</dd></div>
    </dl>
    ${allocation.proposed.length > 0 && html`<p>Awaiting approval: ${allocation.proposed.map((p) => `${fmtUnits(p.order_units)} units (${p.kind.replace("_", " ")})`).join(", ")}</p>`}
    <${TableRegion} label="Allocation by cluster">
      <table data-testid="cluster-table">
        <caption>By cluster</caption>
        <thead><tr><th scope="col">Cluster</th><th scope="col">Stores</th><th scope="col">Share</th><th scope="col">Quantity</th></tr></thead>
        <tbody>${allocation.clusters.map((c) => html`<tr><th scope="row">${c.name}</th><td>${c.store_count}</td><td>${fmtPct(c.share)}</td><td>${fmtUnits(c.quantity)}</td></tr>`)}</tbody>
      </table>
    <//>
    <${TableRegion} label="Allocation by store">
      <table data-testid="store-table">
        <caption>By store (${rows.length} stores; choose a column heading to sort)</caption>
        <thead><tr>${STORE_COLUMNS.map(([key, text]) => html`<th scope="col" aria-sort=${sort.key === key ? (sort.descending ? "descending" : "ascending") : "none"}>
          <button type="button" class="sort" onClick=${() => toggle(key)}>${text}${sort.key === key ? (sort.descending ? " ▼" : " ▲") : ""}</button></th>`)}</tr></thead>
        <tbody>${rows.map((s) => html`<tr><th scope="row">${s.store_id}</th><td>${s.cluster_name}</td><td>${fmtPct(s.weight)}</td><td>${fmtUnits(s.quantity)}</td></tr>`)}</tbody>
      </table>
    <//>
  </div>`;
}

function InSeason({ forecast, rows }) {
  const plan = forecast.versions.find((v) => v.version === forecast.plan_version) || forecast;
  const threshold = forecast.parameters.variance_threshold;
  let planSum = 0;
  let actualSum = 0;
  const weeks = plan.weekly.map((w) => {
    planSum += w.forecast;
    const known = forecast.actuals[w.week];
    if (known !== undefined) actualSum += known;
    return { week: w.week, start: w.week_start, plan: planSum, actual: known !== undefined ? actualSum : null };
  });
  const data = [
    weeks.map((w) => day(w.start)),
    weeks.map((w) => w.plan),
    weeks.map((w) => w.plan * (1 + threshold)),
    weeks.map((w) => w.plan * (1 - threshold)),
    weeks.map((w) => w.actual),
  ];
  const series = [
    { label: "Plan (cumulative)", stroke: "#0b5cad", width: 2 },
    { label: `+${Math.round(threshold * 100)}% threshold`, stroke: "#8a6d00", dash: [4, 4] },
    { label: `−${Math.round(threshold * 100)}% threshold`, stroke: "#8a6d00", dash: [4, 4] },
    { label: "Sold (cumulative)", stroke: "#b3261e", width: 2, points: { show: true, size: 7 } },
  ];
  return html`<div class="card">
    <h2>In season: actual vs plan</h2>
    ${Object.keys(forecast.actuals).length
      ? html`<${Chart} title=${`Cumulative units sold against the plan in effect (version ${forecast.plan_version}) and its ±${Math.round(threshold * 100)}% variance band`}
          series=${series} data=${data} bands=${[{ series: [2, 3], fill: "rgba(138, 109, 0, 0.10)" }]} height=${260} />`
      : html`<p>No weekly sales uploaded yet.</p>`}
    ${rows.length > 0 &&
    html`<${TableRegion} label="Variance by week">
      <table data-testid="variance-table">
        <caption>Variance by week (cumulative)</caption>
        <thead><tr><th scope="col">Week</th><th scope="col">Plan</th><th scope="col">Sold</th><th scope="col">Variance</th><th scope="col">Threshold</th><th scope="col">Action</th></tr></thead>
        <tbody>${rows.map((r) => html`<tr class=${r.threshold_exceeded ? "exceeded" : ""}><th scope="row">${r.week}</th>
          <td>${fmtUnits(r.forecasted_cumulative)}</td><td>${fmtUnits(r.actual_cumulative)}</td><td>${r.display || fmtSignedPct(r.variance_pct)}</td>
          <td>±${fmtPct(r.variance_threshold, 0)}${r.threshold_exceeded ? " exceeded" : ""}</td>
          <td>${label(r.action_taken)}${r.reforecast_workflow_id ? html` <a href=${`#/workflow/${encodeURIComponent(r.reforecast_workflow_id)}`}>re-forecast</a>` : ""}${r.markdown_workflow_id ? html` <a href=${`#/workflow/${encodeURIComponent(r.markdown_workflow_id)}`}>markdown</a>` : ""}</td></tr>`)}</tbody>
      </table>
    <//>`}
  </div>`;
}

function Markdown({ markdown, checkpoint }) {
  return html`<div class="card">
    <h2>Markdown</h2>
    ${!markdown
      ? html`<p>${checkpoint ? `No markdown yet: it is checked at week ${checkpoint}.` : "No markdown checkpoint in this season."}</p>`
      : html`<dl class="facts">
            <div><dt>Status</dt><dd><${Status} value=${markdown.status} /></dd></div>
            <div><dt>Markdown</dt><dd>${fmtPct(markdown.markdown_pct ?? markdown.recommended_markdown_pct)}</dd></div>
            <div><dt>Expected lift</dt><dd>${fmtPct(markdown.expected_lift)}</dd></div>
            <div><dt>Projected sell-through</dt><dd>${fmtPct(markdown.sell_through)}</dd></div>
            <div><dt>Checkpoint week</dt><dd>${markdown.checkpoint_week}</dd></div>
            <div><dt>Elasticity</dt><dd>${fmtNumber(markdown.elasticity)}</dd></div>
          </dl>
          <p>${markdown.reasoning}</p>`}
  </div>`;
}
