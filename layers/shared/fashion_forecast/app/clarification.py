"""A pre-season forecast started from a planner's plain words: the flow's first step extracts
the season parameters (app.parameters); what the text leaves open on a required field, and
every question the extraction asks, pauses the workflow on a task token until the planner
answers (docs/domain.md, "Starting from text")."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pydantic import ValidationError

from fashion_forecast.app import audit, workflows
from fashion_forecast.app.parameters import extract_parameters
from fashion_forecast.domain.errors import InvalidRequestError
from fashion_forecast.extraction.models import (
    MAX_TEXT_CHARS,
    Confidence,
    ExtractionResult,
    field_errors,
)
from fashion_forecast.models.approvals import ApprovalAction, ApprovalKind, Decision
from fashion_forecast.models.audit import AuditAction, EntityType
from fashion_forecast.models.identity import Caller
from fashion_forecast.models.parameters import SeasonRequest
from fashion_forecast.models.workflows import Workflow, WorkflowType
from fashion_forecast.ports import Container

# the fields a season started from text must have settled, with the question that asks each
REQUIRED_FIELDS = {
    "season_start_date": "When does the season start? Answer with a date (YYYY-MM-DD).",
    "forecast_horizon_weeks": "How many weeks does the season run? Answer with a whole number "
    "of weeks.",
}
MAX_ANSWER_CHARS = 1000
_WHOLE = re.compile(r"\s*\d{1,4}\s*")


def start_from_text(c: Container, category_id: str, text: str, *, caller: Caller) -> Workflow:
    """A pre-season forecast workflow whose parameters the flow extracts from `text`. The
    category must have enough history (422 before anything is stored)."""
    workflows.category_summary(c, category_id)
    return workflows.start_workflow(
        c, WorkflowType.FORECAST, category_id, {"text": text}, caller=caller
    )


def questions_for(result: ExtractionResult) -> list[dict[str, Any]]:
    """One question per required field the extraction did not settle (missing, or settled
    with low confidence), then the extraction's own questions (no field: free text); ids q1,
    q2... in that order."""
    asked: list[tuple[str | None, str]] = [
        (name, question)
        for name, question in REQUIRED_FIELDS.items()
        if name in result.missing_fields
        or getattr(result.confidence.fields, name) is Confidence.LOW
    ]
    asked.extend((None, question) for question in result.clarification_questions)
    return [
        {"id": f"q{i}", "field": name, "question": question}
        for i, (name, question) in enumerate(asked, 1)
    ]


def extract_step(c: Container, workflow_id: str) -> dict[str, Any]:
    """The flow's ExtractParameters step. Without questions the extracted parameters are
    checked like a direct request's and stored on the workflow (Demand reads them there);
    with questions the extraction is stored for the Clarification step."""
    workflow = c.workflows.get(workflow_id)
    text = str(workflow.input["text"])
    result = extract_parameters(c.language_model, text, c.clock.now().date())
    questions = questions_for(result)
    extracted = result.parameters.model_dump(mode="json")
    if questions:
        extraction = {"parameters": extracted, "questions": questions}
        c.workflows.set_fields(workflow_id, input={**workflow.input, "extraction": extraction})
        return {"parameters": extracted, "questions": len(questions)}
    request = SeasonRequest.model_validate(extracted)
    parameters = workflows.season_for(c, workflow.category_id, request).model_dump(mode="json")
    c.workflows.set_fields(workflow_id, input={**workflow.input, "parameters": parameters})
    return {"parameters": parameters, "questions": 0}


def _problem(question_id: str, message: str) -> dict[str, Any]:
    return {"field": f"answers.{question_id}", "message": message}


def _parse(question: dict[str, Any], answer: str) -> tuple[Any, str | None]:
    """An answer -> (the field's value, None), or (None, what is wrong with it)."""
    field = question["field"]
    if not answer.strip():
        return None, "must not be blank"
    if len(answer) > MAX_ANSWER_CHARS:
        return None, f"at most {MAX_ANSWER_CHARS} characters"
    if field == "season_start_date":
        try:
            return dt.date.fromisoformat(answer.strip()).isoformat(), None
        except ValueError:
            return None, "not an ISO date (YYYY-MM-DD)"
    if field == "forecast_horizon_weeks":
        if not _WHOLE.fullmatch(answer):
            return None, "not a whole number of weeks"
        return int(answer), None
    return answer.strip(), None


def merged_parameters(
    c: Container, workflow: Workflow, data: dict[str, Any], answers: dict[str, str]
) -> dict[str, Any]:
    """The season the answers settle, validated like a direct request (SeasonRequest and
    workflows.season_for): an unknown or unanswered question, an answer that does not parse,
    or a season the rules refuse is an InvalidRequestError (422) naming `answers.<id>`."""
    questions = {q["id"]: q for q in data["questions"]}
    problems = [_problem(q, "no such question") for q in answers if q not in questions]
    problems += [_problem(q, "not answered") for q in questions if q not in answers]
    values: dict[str, Any] = {}
    free_text: list[str] = []
    for qid, answer in answers.items():
        if qid not in questions:
            continue
        value, wrong = _parse(questions[qid], answer)
        if wrong is not None:
            problems.append(_problem(qid, wrong))
        elif questions[qid]["field"] is None:
            free_text.append(value)
        else:
            values[questions[qid]["field"]] = value
    if problems:
        raise InvalidRequestError(
            "the answers do not settle the season: "
            + "; ".join(f"{p['field']} {p['message']}" for p in problems),
            details=problems,
        )
    base = dict(data["parameters"])
    if free_text:  # the extraction's own questions: re-read the text with the answers
        text = "\n".join([str(workflow.input["text"]), *free_text])[:MAX_TEXT_CHARS]
        reread = extract_parameters(c.language_model, text, c.clock.now().date())
        base = reread.parameters.model_dump(mode="json")
    try:
        request = SeasonRequest.model_validate({**base, **values})
    except ValidationError as exc:
        details = field_errors(exc.errors())
        raise InvalidRequestError(
            "the answers do not make a valid season: "
            + "; ".join(f"{d['field']}: {d['message']}" for d in details),
            details=details,
        ) from exc
    return workflows.season_for(c, workflow.category_id, request).model_dump(mode="json")


def answer(c: Container, workflow_id: str, answers: dict[str, str], *, caller: Caller) -> Workflow:
    """Answer a workflow's clarification once: the merged parameters are stored on the
    workflow and handed to the waiting execution. A second answer is a ConflictError, a late
    one a GoneError (as for approvals); answers that do not settle a valid season are an
    InvalidRequestError and the pause stays, with nothing recorded."""
    workflow = c.workflows.get(workflow_id)
    approval = workflows.current_approval(c, workflow, ApprovalKind.CLARIFICATION)
    parameters = merged_parameters(c, workflow, approval.data, answers)
    decision = Decision(
        action=ApprovalAction.ACCEPT,
        answers=answers,
        decided_at=c.clock.now(),
        decided_by=caller.name,
    )
    resumed = workflows.hand_over(
        c,
        workflow,
        approval,
        decision,
        output=parameters,
        input={**workflow.input, "parameters": parameters},
    )
    audit.record(
        c,
        caller,
        AuditAction.CLARIFICATION_ANSWERED,
        EntityType.WORKFLOW,
        workflow_id,
        {
            "approval_id": approval.approval_id,
            "answers": answers,
            "before": approval.data["parameters"],
            "after": parameters,
        },
    )
    return resumed
