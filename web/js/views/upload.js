// Upload: a week's sales for a forecast (answers with its variance and any flow it started)
// and historical sales; a refused file shows its row-by-row errors against the file's lines.
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.js";
import { api, ApiError, explain } from "../api.js";
import { can } from "../auth.js";
import { fmtUnits, label, shortId } from "../format.js";
import { ErrorBox, Message, TableRegion } from "../ui.js";

const POLL_MS = 1000;
const POLL_LIMIT = 60;

function RowErrors({ error, lines }) {
  if (!(error instanceof ApiError) || !error.details.length || !("row" in error.details[0])) {
    return html`<${ErrorBox} error=${error} />`;
  }
  return html`<div>
    <${Message} kind="error">${explain(error)}<//>
    <${TableRegion} label="Problems in the file">
      <table data-testid="row-errors">
        <caption>Problems in the file (row 1 is the header)</caption>
        <thead><tr><th scope="col">Row</th><th scope="col">Column</th><th scope="col">Problem</th><th scope="col">The row in the file</th></tr></thead>
        <tbody>
          ${error.details.map((d) => html`<tr>
            <th scope="row">${d.row ?? "–"}</th><td>${d.column ?? "–"}</td><td>${d.message}</td>
            <td><code>${d.row && lines[d.row - 1] !== undefined ? lines[d.row - 1] : ""}</code></td>
          </tr>`)}
        </tbody>
      </table>
    <//>
  </div>`;
}

async function readLines(file) {
  try {
    return (await file.text()).split(/\r\n|\n|\r/);
  } catch {
    return [];
  }
}

/** "reforecast-<forecast>-w06" -> "Re-forecast workflow, week 6" (ids name flow and week). */
function flowName(id) {
  const match = id.match(/^(reforecast|markdown)-.+-w(\d+)$/);
  if (!match) return `Workflow ${shortId(id)}`;
  return `${match[1] === "reforecast" ? "Re-forecast" : "Markdown"} workflow, week ${Number(match[2])}`;
}

function WeeklyResult({ result }) {
  const v = result.variance;
  return html`<div class="card" data-testid="weekly-result">
    <h3>Week ${result.week_number}: ${label(result.status)}</h3>
    <p>${fmtUnits(result.rows_imported)} rows imported${result.skipped_rows ? `, ${result.skipped_rows} of other categories skipped` : ""}.</p>
    ${v &&
    html`<dl class="facts">
      <div><dt>Plan to date</dt><dd>${fmtUnits(v.forecasted_cumulative)}</dd></div>
      <div><dt>Sold to date</dt><dd>${fmtUnits(v.actual_cumulative)}</dd></div>
      <div><dt>Variance</dt><dd data-testid="variance">${v.display || "–"}</dd></div>
      <div><dt>Threshold</dt><dd>±${Math.round(v.variance_threshold * 100)}% ${v.threshold_exceeded ? "(exceeded)" : ""}</dd></div>
      <div><dt>Action</dt><dd>${label(v.action_taken)}</dd></div>
    </dl>`}
    ${v?.note && html`<p>${v.note}</p>`}
    ${result.pending_weeks?.length > 0 && html`<p>Waiting for earlier weeks: ${result.pending_weeks.join(", ")}</p>`}
    ${result.error && html`<${Message} kind="error">${result.error.message || JSON.stringify(result.error)}<//>`}
    ${result.workflows_started?.length > 0 &&
    html`<p>Started: ${result.workflows_started.map((id) => html`<a class="started" href=${`#/workflow/${encodeURIComponent(id)}`}>${flowName(id)}</a>${" "}`)}</p>`}
  </div>`;
}

export function Upload() {
  const [forecasts, setForecasts] = useState([]);
  const [forecastId, setForecastId] = useState("");
  const [week, setWeek] = useState("");
  const [weekly, setWeekly] = useState({});
  const [history, setHistory] = useState({});
  const [loadError, setLoadError] = useState(null);
  const mayUpload = can("planner");

  useEffect(() => {
    api("/api/forecasts?limit=50")
      .then(({ data }) => {
        setForecasts(data.items);
        if (data.items.length) setForecastId(data.items[0].forecast_id);
      })
      .catch(setLoadError);
  }, []);

  const sendWeekly = async (event) => {
    event.preventDefault();
    const file = event.target.elements["weekly-file"].files[0];
    if (!file) return setWeekly({ error: new Error("Choose a CSV file.") });
    const form = new FormData();
    form.append("forecast_id", forecastId);
    if (week) form.append("week_number", week);
    form.append("file", file);
    setWeekly({ busy: true });
    const lines = await readLines(file);
    try {
      let { status, data } = await api("/api/data/upload-weekly-sales", { method: "POST", form });
      for (let i = 0; status === 202 && i < POLL_LIMIT; i++) {
        setWeekly({ busy: true, note: data.message });
        await new Promise((r) => setTimeout(r, POLL_MS));
        ({ data } = await api(data.status_url));
        status = ["accepted", "rejected"].includes(data.status) ? 200 : 202;
      }
      setWeekly({ result: data });
    } catch (failure) {
      setWeekly({ error: failure, lines });
    }
  };

  const sendHistory = async (event) => {
    event.preventDefault();
    const file = event.target.elements["history-file"].files[0];
    if (!file) return setHistory({ error: new Error("Choose a CSV file.") });
    const form = new FormData();
    form.append("file", file);
    setHistory({ busy: true });
    const lines = await readLines(file);
    try {
      const { data } = await api("/api/data/upload-historical-sales", { method: "POST", form });
      setHistory({ result: data });
    } catch (failure) {
      setHistory({ error: failure, lines });
    }
  };

  if (!mayUpload) {
    return html`<section><h1>Upload sales</h1><${Message}>Your role cannot upload files (it needs planner).<//></section>`;
  }
  return html`<section>
    <h1>Upload sales</h1>
    <${ErrorBox} error=${loadError} />
    <form class="card" onSubmit=${sendWeekly} aria-labelledby="weekly-heading">
      <h2 id="weekly-heading">Weekly sales of a season</h2>
      <p class="help">CSV columns store_id, week_number, units_sold, category (optional).</p>
      <div class="grid">
        <div class="field">
          <label for="weekly-forecast">Forecast</label>
          <select id="weekly-forecast" value=${forecastId} onChange=${(e) => setForecastId(e.target.value)}>
            ${forecasts.map((f) => html`<option value=${f.forecast_id}>${f.category_id}, from ${f.season_start_date} (${shortId(f.forecast_id)})</option>`)}
          </select>
        </div>
        <div class="field">
          <label for="weekly-week">Week (empty: the file's latest)</label>
          <input id="weekly-week" type="number" min="1" max="52" step="1" value=${week} onInput=${(e) => setWeek(e.target.value)} />
        </div>
        <div class="field">
          <label for="weekly-file">CSV file</label>
          <input id="weekly-file" name="weekly-file" type="file" accept=".csv,text/csv" />
        </div>
      </div>
      <button type="submit" disabled=${weekly.busy || !forecastId}>Upload week</button>
      ${weekly.busy && html`<p role="status">${weekly.note || "Uploading and measuring the variance…"}</p>`}
      ${weekly.error && html`<${RowErrors} error=${weekly.error} lines=${weekly.lines || []} />`}
    </form>
    ${weekly.result && html`<${WeeklyResult} result=${weekly.result} />`}
    <form class="card" onSubmit=${sendHistory} aria-labelledby="history-heading">
      <h2 id="history-heading">Historical sales</h2>
      <p class="help">CSV columns date, store_id, category, quantity_sold, revenue (optional). Weeks in the file replace the stored ones.</p>
      <div class="field">
        <label for="history-file">CSV file</label>
        <input id="history-file" name="history-file" type="file" accept=".csv,text/csv" />
      </div>
      <button type="submit" disabled=${history.busy}>Upload history</button>
      ${history.error && html`<${RowErrors} error=${history.error} lines=${history.lines || []} />`}
      ${history.result &&
      html`<${Message} kind="success">Imported ${fmtUnits(history.result.rows_imported)} rows, ${history.result.weeks_imported} weeks
        (${history.result.date_range.start} to ${history.result.date_range.end}) for ${history.result.categories_detected.join(", ")}.<//>`}
    </form>
  </section>`;
}
