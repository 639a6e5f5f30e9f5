// Watch and approve: one workflow's live timeline, its status, its pending approval.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../html.js";
import { api } from "../api.js";
import { can } from "../auth.js";
import { followWorkflow } from "../stream.js";
import { fmtClock, fmtNumber, fmtPct, fmtTime, fmtUnits, label } from "../format.js";
import { ErrorBox, Message, Status, TableRegion } from "../ui.js";
import { Clarification } from "./clarification.js";
import { History } from "./history.js";

const REFRESH_ON = new Set(["agent_completed", "human_input_required", "workflow_complete", "error"]);
const MODE_TEXT = {
  connecting: "Connecting to the live stream…",
  live: "Live (WebSocket)",
  reconnecting: "Connection lost: reconnecting and replaying what was missed…",
  polling: "Live stream unavailable: polling for events",
};

function agentsOf(events) {
  const agents = new Map();
  for (const e of events) {
    if (!e.agent) continue;
    const row = agents.get(e.agent) || { agent: e.agent, state: "waiting", progress: 0, duration: null, message: "" };
    if (e.type === "agent_started") row.state = "running";
    if (e.type === "agent_progress" && e.progress_pct !== undefined) row.progress = e.progress_pct;
    if (e.type === "agent_completed") {
      row.state = "completed";
      row.duration = e.duration_seconds ?? null;
      row.progress = 100;
    }
    if (e.type === "human_input_required") row.state = "awaiting_decision";
    if (e.type === "error") row.state = "failed";
    row.message = e.message || row.message;
    agents.set(e.agent, row);
  }
  return [...agents.values()];
}

export function WorkflowPage({ workflowId, socketBase }) {
  const [workflow, setWorkflow] = useState(null);
  const [events, setEvents] = useState([]);
  const [mode, setMode] = useState("connecting");
  const [error, setError] = useState(null);
  const [cancelError, setCancelError] = useState(null);
  const [notice, setNotice] = useState(null); // { kind, text }: what became of the answers
  const stream = useRef(null);
  // One re-fetch at a time, and one more if events asked for it meanwhile: a burst of events
  // (a replay) costs two GETs, not one each, and an older answer never lands after a newer
  // one (nor after a decision's answer). An unchanged workflow keeps its state object, so
  // nothing re-renders and the decision form keeps what was typed into it.
  const fetching = useRef({ busy: false, again: false, version: 0 });
  const show = (data) => {
    fetching.current.version += 1;
    setWorkflow((old) => (old && JSON.stringify(old) === JSON.stringify(data) ? old : data));
  };
  const refresh = async () => {
    const state = fetching.current;
    if (state.busy) {
      state.again = true;
      return;
    }
    state.busy = true;
    try {
      do {
        state.again = false;
        const version = state.version;
        try {
          const { data } = await api(`/api/workflows/${encodeURIComponent(workflowId)}`);
          if (version === state.version) show(data);
        } catch (failure) {
          setError(failure);
        }
      } while (state.again);
    } finally {
      state.busy = false;
    }
  };

  useEffect(() => {
    refresh();
    stream.current = followWorkflow(workflowId, socketBase, {
      onEvent: (event) => {
        setEvents((list) => [...list, event]);
        // an assortment plan's stream tells each category's change: its table follows
        if (REFRESH_ON.has(event.type) || event.agent === "assortment") refresh();
      },
      onMode: setMode,
    });
    return () => stream.current.stop();
  }, [workflowId]);

  const cancel = async () => {
    setCancelError(null);
    try {
      const { data } = await api(`/api/workflows/${encodeURIComponent(workflowId)}/cancel`, { method: "POST" });
      show(data);
    } catch (failure) {
      setCancelError(failure);
    }
  };

  if (error && !workflow) return html`<section><h1>Workflow</h1><${ErrorBox} error=${error} /></section>`;
  if (!workflow) return html`<section><h1>Workflow</h1><p>Loading…</p></section>`;
  const finished = ["completed", "failed", "cancelled"].includes(workflow.status);
  const agents = agentsOf(events);
  return html`<section>
    <h1>${workflow.assortment
      ? `Assortment plan: ${workflow.assortment.children.length} categories`
      : `${label(workflow.workflow_type)} workflow: ${workflow.category_id}`}</h1>
    <div class="card summary">
      <dl class="facts">
        <div><dt>Status</dt><dd data-testid="workflow-status"><${Status} value=${workflow.status} /></dd></div>
        <div><dt>Progress</dt><dd><progress max="100" value=${workflow.progress_pct} aria-label="Workflow progress"></progress> ${workflow.progress_pct}%</dd></div>
        <div><dt>Current agent</dt><dd>${workflow.current_agent || "–"}</dd></div>
        <div><dt>Started</dt><dd>${fmtTime(workflow.started_at || workflow.created_at)}</dd></div>
        <div><dt>Id</dt><dd><code>${workflow.workflow_id}</code></dd></div>
        ${workflow.parent_id && html`<div><dt>Part of</dt><dd><a href=${`#/workflow/${encodeURIComponent(workflow.parent_id)}`}>the assortment plan</a></dd></div>`}
      </dl>
      ${workflow.error_message && html`<${Message} kind="error">${workflow.error_message}<//>`}
      <div class="actions">
        ${workflow.status === "completed" && html`<${ResultsLink} workflowId=${workflowId} />`}
        ${!finished && can("planner") && html`<button type="button" class="secondary" onClick=${cancel}>Cancel workflow</button>`}
      </div>
      <${ErrorBox} error=${cancelError} />
      ${notice && html`<${Message} kind=${notice.kind}>${notice.text}<//>`}
    </div>
    ${workflow.pending_approval?.kind === "clarification"
      ? html`<${Clarification} key=${workflow.pending_approval.approval_id} workflow=${workflow}
          onAnswered=${(data) => {
            setNotice({ kind: "success", text: "Answers sent: the forecast runs on with them." });
            show(data);
          }}
          onStale=${(text) => {
            setNotice({ kind: "error", text });
            refresh();
          }} />`
      : workflow.pending_approval && html`<${Approval} key=${workflow.pending_approval.approval_id}
          workflow=${workflow} onDecided=${show} />`}
    ${workflow.assortment && html`<${Categories} plan=${workflow.assortment} />`}
    ${workflow.assortment && html`<${DecideAll} planId=${workflowId} plan=${workflow.assortment} onDecided=${refresh} />`}
    <div class="card">
      <h2>Timeline</h2>
      <p class="stream-mode" role="status">${MODE_TEXT[mode] || mode}${finished && events.length ? " – stream ended" : ""}</p>
      <${TableRegion} label="Agents">
        <table>
          <caption>Agents</caption>
          <thead><tr><th scope="col">Agent</th><th scope="col">State</th><th scope="col">Progress</th><th scope="col">Duration</th><th scope="col">Last message</th></tr></thead>
          <tbody>
            ${agents.map((a) => html`<tr>
              <th scope="row">${a.agent}</th><td><${Status} value=${a.state} /></td><td>${a.progress}%</td>
              <td>${a.duration === null ? "–" : `${fmtNumber(a.duration)} s`}</td><td>${a.message}</td>
            </tr>`)}
          </tbody>
        </table>
      <//>
      <ol class="events" aria-label="Progress events" data-testid="events">
        ${events.map((e) => html`<li class=${`event ${e.type}`}>
          <span class="seq">#${e.sequence}</span>${" "}<time datetime=${e.timestamp}>${fmtClock(e.timestamp)}</time>${" "}
          <span class="etype">${e.type.replace(/_/g, " ")}</span>
          ${e.agent ? html`${" "}<strong>${e.agent}</strong>` : ""}
          ${e.message ? html` – ${e.message}` : ""}${e.error_message ? html` – ${e.error_message}` : ""}
          ${e.duration_seconds !== undefined && e.duration_seconds !== null ? html` (${fmtNumber(e.duration_seconds)} s)` : ""}
        </li>`)}
      </ol>
    </div>
    <${History} workflowId=${workflowId} status=${workflow.status} />
  </section>`;
}

// An assortment plan's categories: each one's own workflow, status and numbers.
function Categories({ plan }) {
  const counts = Object.entries(plan.counts).map(([status, n]) => `${n} ${status.replace(/_/g, " ")}`).join(", ");
  return html`<div class="card" data-testid="assortment">
    <h2>Categories</h2>
    <p>${counts}; ${fmtUnits(plan.manufacturing_qty)} units ordered in all (proposed and approved).</p>
    ${plan.skipped.length > 0 && html`<${Message} kind="info">Left out: ${plan.skipped.map((s) => `${s.category_id} (${s.message})`).join("; ")}<//>`}
    <${TableRegion} label="Categories of the plan">
      <table>
        <caption>Categories of the plan</caption>
        <thead><tr><th scope="col">Category</th><th scope="col">Status</th><th scope="col">Progress</th><th scope="col">Season demand</th><th scope="col">Order</th></tr></thead>
        <tbody>
          ${plan.children.map((child) => html`<tr>
            <th scope="row"><a href=${`#/workflow/${encodeURIComponent(child.workflow_id)}`}>${child.category_id}</a></th>
            <td><${Status} value=${child.status} />${child.error_message ? html` ${child.error_message}` : ""}</td>
            <td>${child.progress_pct}%</td><td>${fmtUnits(child.season_demand)}</td><td>${fmtUnits(child.manufacturing_qty)}</td>
          </tr>`)}
        </tbody>
      </table>
    <//>
  </div>`;
}

// The plan's orders awaiting approval, accepted or rejected in one decision: exactly the
// categories shown (one that moved on meanwhile refuses the request, and nothing is decided).
function DecideAll({ planId, plan, onDecided }) {
  const [action, setAction] = useState("accept");
  const [comment, setComment] = useState("");
  const [error, setError] = useState(null);
  const [result, setResult] = useState(null);
  const [busy, setBusy] = useState(false);
  const awaiting = plan.children.filter((child) => child.status === "awaiting_approval");
  if (awaiting.length === 0 && !result) return null;
  const units = awaiting.reduce((sum, child) => sum + (child.manufacturing_qty || 0), 0);
  const orders = `${awaiting.length} order${awaiting.length === 1 ? "" : "s"}`;

  const decide = async (event) => {
    event.preventDefault();
    setError(null);
    setResult(null);
    const body = { workflow_id: planId, action, category_ids: awaiting.map((child) => child.category_id) };
    if (comment.trim()) body.comment = comment.trim();
    setBusy(true);
    try {
      const { data } = await api("/api/approvals/manufacturing/assortment", { method: "POST", json: body });
      setResult(data);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
      onDecided();
    }
  };

  const done = result && `${result.decided.length} ${result.action === "accept" ? "accepted" : "rejected"}: ${result.decided.map((d) => d.category_id).join(", ") || "none"}.`;
  const refused = result?.refused.length > 0 && `Not decided: ${result.refused.map((r) => `${r.category_id} (${r.message})`).join("; ")}.`;
  return html`<div class="card" data-testid="decide-all" aria-labelledby="decide-all-heading">
    <h2 id="decide-all-heading">Orders awaiting approval</h2>
    ${result && html`<${Message} kind=${refused ? "error" : "success"}>${done}${refused ? html` ${refused}` : ""}<//>`}
    ${awaiting.length > 0 && (can("approver")
      ? html`<form onSubmit=${decide}>
          <p>${orders} of this plan await approval: ${awaiting.map((child) => child.category_id).join(", ")} (${fmtUnits(units)} units). Each is decided as on its own page; a modify is made there.</p>
          <fieldset class="choice">
            <legend>Decision for all ${orders}</legend>
            ${["accept", "reject"].map((o) => html`<label><input type="radio" name="decide-all" value=${o}
              checked=${action === o} onChange=${() => setAction(o)} /> ${label(o)}</label>`)}
          </fieldset>
          <div class="field"><label for="decide-all-comment">Comment (optional)</label>
            <input id="decide-all-comment" maxlength="1000" value=${comment} onInput=${(e) => setComment(e.target.value)} /></div>
          <${ErrorBox} error=${error} />
          <button type="submit" disabled=${busy}>${label(action)} ${orders} (${fmtUnits(units)} units)</button>
        </form>`
      : html`<${Message}>Your role cannot decide approvals (it needs approver).<//>`)}
  </div>`;
}

function ResultsLink({ workflowId }) {
  const [results, setResults] = useState(null);
  useEffect(() => {
    api(`/api/workflows/${encodeURIComponent(workflowId)}/results`).then(({ data }) => setResults(data)).catch(() => {});
  }, [workflowId]);
  if (!results?.forecast_id) return null;
  return html`<a class="button" href=${`#/forecast/${encodeURIComponent(results.forecast_id)}`}>See the forecast and allocation</a>`;
}

const APPROVAL_FIELDS = {
  season_demand: ["Season demand", fmtUnits],
  total_season_demand: ["Season demand", fmtUnits],
  safety_stock_pct: ["Safety stock", fmtPct],
  manufacturing_qty: ["Manufacturing quantity", fmtUnits],
  initial_allocation: ["Initial allocation", fmtUnits],
  holdback: ["DC holdback", fmtUnits],
  extra_order_qty: ["Extra order", fmtUnits],
  markdown_pct: ["Markdown", fmtPct],
  recommended_markdown_pct: ["Recommended markdown", fmtPct],
  expected_lift: ["Expected lift", fmtPct],
  sell_through: ["Projected sell-through", fmtPct],
};

function Approval({ workflow, onDecided }) {
  const approval = workflow.pending_approval;
  const manufacturing = approval.kind === "manufacturing";
  const [action, setAction] = useState("accept");
  const [safety, setSafety] = useState("");
  const [quantity, setQuantity] = useState("");
  const [markdown, setMarkdown] = useState("");
  const [comment, setComment] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const mayDecide = can("approver");

  const decide = async (event) => {
    event.preventDefault();
    setError(null);
    const body = { workflow_id: workflow.workflow_id, action };
    if (action === "modify") {
      if (manufacturing) {
        if (safety !== "") body.safety_stock_pct = Number(safety);
        if (quantity !== "") body.manufacturing_qty = Number(quantity);
      } else if (markdown !== "") body.markdown_pct = Number(markdown);
    }
    if (comment.trim()) body.comment = comment.trim();
    setBusy(true);
    try {
      const { data } = await api(`/api/approvals/${manufacturing ? "manufacturing" : "markdown"}`, { method: "POST", json: body });
      onDecided(data);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  const rows = Object.entries(approval.data).filter(([key]) => APPROVAL_FIELDS[key] || typeof approval.data[key] === "number");
  return html`<div class="card approval" aria-labelledby="approval-heading">
    <h2 id="approval-heading">${manufacturing ? "Manufacturing order" : "Markdown"} awaiting approval</h2>
    <dl class="facts numbers" data-testid="approval-numbers">
      ${rows.map(([key, value]) => {
        const [name, format] = APPROVAL_FIELDS[key] || [label(key), fmtNumber];
        return html`<div><dt>${name}</dt><dd data-key=${key}>${format(value)}</dd></div>`;
      })}
    </dl>
    ${typeof approval.data.reasoning === "string" && html`<p>${approval.data.reasoning}</p>`}
    ${approval.expires_at && html`<p class="help">Expires ${fmtTime(approval.expires_at)}</p>`}
    ${mayDecide
      ? html`<form onSubmit=${decide}>
          <fieldset class="choice">
            <legend>Decision</legend>
            ${approval.options.map((o) => html`<label><input type="radio" name="decision" value=${o}
              checked=${action === o} onChange=${() => setAction(o)} /> ${label(o)}</label>`)}
          </fieldset>
          ${action === "modify" && manufacturing &&
          html`<div class="grid">
            <div class="field"><label for="new-safety">New safety stock (0.10 to 0.50)</label>
              <input id="new-safety" type="number" min="0.1" max="0.5" step="0.01" value=${safety} onInput=${(e) => setSafety(e.target.value)} /></div>
            <div class="field"><label for="new-qty">Or a new manufacturing quantity</label>
              <input id="new-qty" type="number" min="1" step="1" value=${quantity} onInput=${(e) => setQuantity(e.target.value)} /></div>
          </div>`}
          ${action === "modify" && !manufacturing &&
          html`<div class="field"><label for="new-markdown">New markdown (0 to 0.40, 5% steps)</label>
            <input id="new-markdown" type="number" min="0" max="0.4" step="0.05" value=${markdown} onInput=${(e) => setMarkdown(e.target.value)} /></div>`}
          <div class="field"><label for="comment">Comment (optional)</label>
            <input id="comment" maxlength="1000" value=${comment} onInput=${(e) => setComment(e.target.value)} /></div>
          <${ErrorBox} error=${error} />
          <button type="submit" disabled=${busy}>Send decision: ${label(action)}</button>
        </form>`
      : html`<${Message}>Your role cannot decide approvals (it needs approver).<//>`}
  </div>`;
}
