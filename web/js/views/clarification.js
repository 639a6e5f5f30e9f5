// Answer a clarification pause: a forecast started from text whose text left required fields
// open (or whose extraction asked something) waits `awaiting_clarification` with questions
// (`{id, field, question}`) and the extracted parameters in `pending_approval.data`.
// POST /api/workflows/{id}/clarification answers every question with a string.
import { useState } from "preact/hooks";
import { html } from "../html.js";
import { api, ApiError } from "../api.js";
import { can } from "../auth.js";
import { fmtPct, fmtTime } from "../format.js";
import { ErrorBox, Message } from "../ui.js";
import { FIELDS } from "./plan.js";

// the plan form's labels without their input hints: "DC holdback (0 to 1)" -> "DC holdback"
const FIELD_LABEL = Object.fromEntries(FIELDS.map((f) => [f.key, f.label.replace(/\s*\(.*\)$/, "")]));
const FRACTIONS = new Set(FIELDS.filter((f) => f.type === "number" && f.max === 1).map((f) => f.key));
const ORDER = FIELDS.map((f) => f.key);

function shown(key, value) {
  if (value === null || value === undefined || value === "") return "none";
  return FRACTIONS.has(key) ? fmtPct(value, 0) : String(value);
}

/** The extracted parameters in the plan form's order, any others after them. */
const inOrder = (parameters) =>
  Object.entries(parameters).sort(([a], [b]) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99));

/** The 422's details by question id: `answers.q2` names its question, a parameter name
 * (`forecast_horizon_weeks` from the parameters' validation, `parameters.season_start_date`
 * from the season rules) the question that asks it; the rest is listed once, above the
 * submit button. */
export function fieldProblems(details, questions) {
  const byQuestion = {};
  const other = [];
  for (const detail of details) {
    const name = String(detail.field || "").replace(/^parameters\./, "");
    const asked = name.startsWith("answers.")
      ? questions.find((q) => `answers.${q.id}` === name)
      : questions.find((q) => q.field && q.field === name);
    if (asked) byQuestion[asked.id] = [byQuestion[asked.id], detail.message].filter(Boolean).join("; ");
    else other.push(name ? `${FIELD_LABEL[name] || name}: ${detail.message}` : detail.message);
  }
  return { byQuestion, other };
}

function AnswerInput({ question, value, problem, onInput }) {
  const id = `answer-${question.id}`;
  const common = {
    id,
    name: question.id,
    required: true,
    value,
    onInput: (e) => onInput(e.target.value),
    "aria-invalid": problem ? "true" : undefined,
    "aria-describedby": problem ? `${id}-error ${id}-help` : `${id}-help`,
  };
  let input;
  let help;
  if (question.field === "season_start_date") {
    input = html`<input type="date" ...${common} />`;
    help = "Pick or type the date week 1 starts on (a Monday).";
  } else if (question.field === "forecast_horizon_weeks") {
    input = html`<input type="text" inputmode="numeric" autocomplete="off" maxlength="12" ...${common} />`;
    help = "A whole number of weeks (1 to 52).";
  } else {
    input = html`<textarea rows="2" maxlength="1000" ...${common}></textarea>`;
    help = "Your answer in plain words: it is read again with the season's text.";
  }
  return html`<div class="field">
    <label for=${id}>${question.question}</label>
    ${input}
    ${problem && html`<p id=${`${id}-error`} class="field-error" data-testid=${`${id}-error`}>${problem}</p>`}
    <p id=${`${id}-help`} class="help">${help}</p>
  </div>`;
}

/** Why the answers could not be sent, when the pause itself is gone (409/410): the page
 * keeps the sentence and shows the workflow as it is now. */
export function staleReason(error) {
  const ref = error.requestId ? ` (request ${error.requestId})` : "";
  if (error.status === 410) return `Too late: the questions expired and the workflow stopped. ${error.message}${ref}`;
  return `These questions were already answered, or the workflow moved on: ${error.message}${ref}`;
}

const NO_PROBLEMS = { byQuestion: {}, other: [], message: null };

export function Clarification({ workflow, onAnswered, onStale }) {
  const pause = workflow.pending_approval;
  const questions = pause.data.questions || [];
  const parameters = pause.data.parameters || {};
  const asked = new Set(questions.map((q) => q.field).filter(Boolean));
  const [answers, setAnswers] = useState(() => Object.fromEntries(questions.map((q) => [q.id, ""])));
  const [problems, setProblems] = useState(NO_PROBLEMS);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const mayAnswer = can("planner");

  const submit = async (event) => {
    event.preventDefault();
    setError(null);
    setProblems(NO_PROBLEMS);
    setBusy(true);
    try {
      const { data } = await api(`/api/workflows/${encodeURIComponent(workflow.workflow_id)}/clarification`, {
        method: "POST",
        json: { answers },
      });
      onAnswered(data);
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 422) {
        const found = { ...fieldProblems(failure.details, questions), message: failure.message };
        setProblems(found);
        const first = questions.find((q) => found.byQuestion[q.id]);
        if (first) document.getElementById(`answer-${first.id}`)?.focus();
      } else if (failure instanceof ApiError && (failure.status === 409 || failure.status === 410)) {
        onStale(staleReason(failure));
      } else {
        setError(failure);
      }
    } finally {
      setBusy(false);
    }
  };

  const invalid = problems.message !== null;
  return html`<section class="card clarification" aria-labelledby="clarification-heading">
    <h2 id="clarification-heading">Questions before the forecast</h2>
    <p class="help">The season's text left ${questions.length === 1 ? "one thing" : `${questions.length} things`} open.
      The forecast starts once ${questions.length === 1 ? "it is" : "they are"} answered.</p>
    <h3>Read from the text</h3>
    <dl class="facts" data-testid="extracted-parameters">
      ${inOrder(parameters).map(([key, value]) => html`<div>
        <dt>${FIELD_LABEL[key] || key}</dt>
        <dd data-key=${key}>${shown(key, value)}${asked.has(key) ? html` <span class="help">(asked below)</span>` : ""}</dd>
      </div>`)}
    </dl>
    ${pause.expires_at && html`<p class="help">Unanswered, the workflow stops at ${fmtTime(pause.expires_at)}.</p>`}
    ${mayAnswer
      ? html`<form onSubmit=${submit} aria-labelledby="clarification-heading">
          ${questions.map((q) => html`<${AnswerInput} key=${q.id} question=${q} value=${answers[q.id]}
            problem=${problems.byQuestion[q.id]} onInput=${(value) => setAnswers({ ...answers, [q.id]: value })} />`)}
          ${invalid &&
          html`<${Message} kind="error">
            <p>Some answers need another look (nothing was stored; the workflow still waits): ${problems.message}</p>
            ${problems.other.length > 0 && html`<ul>${problems.other.map((text) => html`<li>${text}</li>`)}</ul>`}
          <//>`}
          <${ErrorBox} error=${error} />
          <button type="submit" disabled=${busy}>Send answers</button>
        </form>`
      : html`<ol class="questions" aria-label="Questions">${questions.map((q) => html`<li>${q.question}</li>`)}</ol>
        <${Message}>Your role cannot answer these questions (it needs planner).<//>`}
  </section>`;
}
