"""In season: a weekly sales file -> actuals -> variance -> re-forecast or markdown flows.

Two entry points hand files in. The API (POST /api/data/upload-weekly-sales) validates the
file, so a bad one is a 422 before anything is stored, records the upload with the SHA-256 of
the bytes it validated, stores the file in S3 and waits (`WEEKLY_UPLOAD_WAIT_SECONDS`) for the
result; a presigned URL (POST /api/data/upload-url) lets a client PUT a large file straight to
S3. Either way the S3 ObjectCreated event of
``uploads/weekly/<forecast_id>/week-<nn>/<upload_id>.csv`` invokes the variance Lambda, the one
path that stores actuals (`process_upload`).

The Lambda validates a file too, with one saving: for an object whose SHA-256 is the one the
API recorded it skips the store-list check (reading the store attributes from S3) the API
already made on exactly these bytes. It still parses every row, because the rows are what it
stores; on 5,000 rows that pass costs about 30 ms (benchmarks/variance_latency.py).

Per S3 record, idempotent on bucket + key + ETag (functions/variance: Powertools idempotency), so a
duplicate delivery of the same event is answered from the stored result without touching
anything:

1. the key names the forecast, the week and the upload; the forecast must exist and be in
   season (its order approved), the object must be within the size limit;
2. the file is validated (domain.sales_files); a bad file is refused whole: the upload record
   says ``rejected`` with the error (code, message, up to 50 {row, column, message}), an
   ``error`` event goes to the season's progress stream (the forecast's workflow), and nothing
   else is stored;
3. the actuals of every week in the file are stored (per store and in total; a later upload of
   the same week replaces them, ordered by upload id);
4. the season's inventory position is brought up to date (app.plan.refresh_position: the
   sales of every complete week, the top-up reviews that are due, the reviews still to come
   re-planned), so every decision below reads where the season stands;
5. the weeks the upload makes evaluable get their variance row, and the flows are started
   (re-forecast over the threshold, markdown at the checkpoint) under execution names derived
   from forecast and week, so no duplicate event or upload can start a second one; see
   domain.in_season for every rule. No re-forecast starts while another of the forecast
   awaits its extra order's approval (`awaiting_reforecasts`): the proposal is not the plan
   yet, so the following weeks still trip the threshold, and a second order sized on the same
   approved units could be approved beside the first. Before a flow is started the forecast's
   earlier flows must be past the steps that rewrite the forecast (waiting for approval or
   finished); if one is
   still running after ``FLOW_QUIET_WAIT_SECONDS`` the invocation fails and is retried (S3
   invokes asynchronously: two retries), the stored actuals being rewritten identically.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger

from fashion_forecast.app import audit
from fashion_forecast.app.plan import curve_versions, refresh_position
from fashion_forecast.app.waiting import poll
from fashion_forecast.app.workflows import (
    flows_in,
    reforecast_payload,
    replan_flow_ids,
    start_workflow,
)
from fashion_forecast.domain.errors import DomainError
from fashion_forecast.domain.in_season import (
    Actions,
    WeekVariance,
    decide_actions,
    evaluate_week,
    plan_evaluation,
)
from fashion_forecast.domain.sales_files import (
    FileRejectedError,
    WeeklySalesFile,
    check_size,
    parse_weekly_sales,
)
from fashion_forecast.models.audit import AuditAction, EntityType
from fashion_forecast.models.events import ErrorEvent
from fashion_forecast.models.forecasts import FORECAST, ForecastRecord
from fashion_forecast.models.identity import SYSTEM, Caller
from fashion_forecast.models.sales import (
    UploadError,
    UploadStatus,
    VarianceAction,
    VarianceRecord,
    VarianceStatus,
    WeekActuals,
    WeeklyUpload,
    WeeklyUploadKey,
)
from fashion_forecast.models.workflows import WorkflowStatus, WorkflowType
from fashion_forecast.ports import (
    ConflictError,
    Container,
    NotFoundError,
    UnavailableError,
)

logger = Logger(service="fashion-forecast-variance")

AGENT = "variance"
BUSY = frozenset({WorkflowStatus.PENDING, WorkflowStatus.RUNNING})
WRITE_ATTEMPTS = 3


class WeekOutOfSeasonError(DomainError):
    code = "week_out_of_range"


class UploadRefusedError(DomainError):
    """The variance step refused a file the API had handed on (the upload record's error)."""

    def __init__(self, error: UploadError) -> None:
        super().__init__(error.message, details=error.details)
        self.code = error.error_code


class FlowsBusyError(RuntimeError):
    """A flow of the forecast is still rewriting it; the invocation is retried later."""


def reforecast_workflow_id(forecast_id: str, week: int) -> str:
    return f"reforecast-{forecast_id}-w{week:02d}"


def markdown_workflow_id(forecast_id: str, week: int) -> str:
    return f"markdown-{forecast_id}-w{week:02d}"


def new_upload_id(c: Container) -> str:
    """Sortable by time (a later upload of the same week wins), unique by its random tail."""
    return f"{c.clock.now():%Y%m%dT%H%M%S%f}-{c.ids.new_id().replace('-', '')[:8]}"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- checks both entry points make ---------------------------------------------------------------


def ready_forecast(c: Container, forecast_id: str) -> ForecastRecord:
    """The forecast weekly sales are uploaded against. NotFoundError when it does not exist;
    ConflictError (forecast_not_ready) until its manufacturing order has been approved."""
    forecast = c.records.get(FORECAST, forecast_id, ForecastRecord)
    workflow = c.workflows.get(forecast.workflow_id)
    if workflow.status is not WorkflowStatus.COMPLETED:
        raise ConflictError(
            f"forecast {forecast_id} is not in season yet: its workflow {workflow.workflow_id} is "
            f"{workflow.status.value}; weekly sales are taken once the order is approved",
            code="forecast_not_ready",
        )
    return forecast


def check_week(forecast: ForecastRecord, week: int) -> None:
    horizon = forecast.parameters.forecast_horizon_weeks
    if not 1 <= week <= horizon:
        raise WeekOutOfSeasonError(
            f"week {week} is outside the season of forecast {forecast.forecast_id} (1..{horizon})",
            details=[{"field": "week_number", "message": f"must be within 1..{horizon}"}],
        )


def parse_weekly_file(
    c: Container,
    forecast: ForecastRecord,
    data: bytes,
    week: int | None,
    *,
    stores_checked: bool = False,
) -> WeeklySalesFile:
    """Validate a weekly file for `forecast` (FileRejectedError when refused). The file must
    have rows for `week`, the week the upload is for; it may also carry earlier weeks.
    `stores_checked`: these exact bytes were already checked against the store list."""
    if week is not None:
        check_week(forecast, week)
    known_stores = (
        None if stores_checked else {str(r["store_id"]) for r in c.sales.store_attributes()}
    )
    parsed = parse_weekly_sales(
        data,
        horizon_weeks=forecast.parameters.forecast_horizon_weeks,
        known_stores=known_stores,
        category=forecast.category_id,
        through_week=week,
        max_bytes=c.settings.max_upload_bytes,
    )
    if week is not None and week not in parsed.weeks:
        raise FileRejectedError(
            f"The weekly sales file has no rows for week {week}, the week this upload is for "
            f"(it has week(s) {', '.join(map(str, parsed.weeks))}). Nothing was stored.",
            details=[{"row": None, "column": "week_number", "message": f"no {week} rows"}],
        )
    return parsed


# -- the API's side ------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadOutcome:
    """An upload as the caller sees it: final (accepted, with the week's variance row when it
    exists) or still processing (poll its status)."""

    upload: WeeklyUpload
    variance: VarianceRecord | None


def variance_of(c: Container, upload: WeeklyUpload) -> VarianceRecord | None:
    try:
        return c.in_season.get_variance(upload.forecast_id, upload.week)
    except NotFoundError:
        return None


def accept_weekly_file(
    c: Container, forecast_id: str, week_number: int | None, data: bytes, *, caller: Caller
) -> UploadOutcome:
    """Validate a weekly file, store it (which runs the variance step) and wait for the result
    up to WEEKLY_UPLOAD_WAIT_SECONDS. A refused file is a DomainError (422) with nothing
    stored; a file the variance step refuses an UploadRefusedError."""
    forecast = ready_forecast(c, forecast_id)
    upload_id = new_upload_id(c)
    try:
        parsed = parse_weekly_file(c, forecast, data, week_number)
    except DomainError as exc:  # refused before anything is stored: audited as the caller's
        audit.record(
            c,
            caller,
            AuditAction.UPLOAD_REFUSED,
            EntityType.UPLOAD,
            upload_id,
            {
                "forecast_id": forecast_id,
                "week": week_number,
                "source": "api",
                "error_code": exc.code,
                "message": exc.message,
            },
        )
        raise
    ref = WeeklyUploadKey(forecast_id, week_number or max(parsed.weeks), upload_id)
    upload = WeeklyUpload(
        upload_id=ref.upload_id,
        forecast_id=forecast_id,
        week=ref.week,
        bucket=c.sales.bucket,
        key=ref.key,
        source="api",
        status=UploadStatus.PROCESSING,
        created_at=c.clock.now(),
        size_bytes=len(data),
        validated_sha256=sha256(data),
    )
    c.in_season.create_upload(upload)
    logger.info("weekly file uploaded", extra={"upload_id": upload.upload_id, "by": caller.name})
    try:
        c.sales.put_weekly_upload(ref, data)
    except UnavailableError as exc:
        failed = upload.model_copy(
            update={
                "status": UploadStatus.REJECTED,
                "error": UploadError(error_code="service_unavailable", message=exc.message),
                "revision": upload.revision + 1,
            }
        )
        c.in_season.save_upload(failed)
        raise
    final = poll(
        c.clock,
        lambda: c.in_season.get_upload(forecast_id, ref.upload_id),
        lambda u: u.status.is_final,
        timeout=c.settings.weekly_upload_wait_seconds,
        max_delay=0.5,
    )
    if final.status is UploadStatus.REJECTED and final.error is not None:
        raise UploadRefusedError(final.error)
    return UploadOutcome(final, variance_of(c, final) if final.status.is_final else None)


@dataclass(frozen=True)
class PresignedUpload:
    upload: WeeklyUpload
    url: str
    expires_at: dt.datetime


def create_upload_url(
    c: Container, forecast_id: str, week: int, *, caller: Caller
) -> PresignedUpload:
    """A presigned S3 PUT for a (large) weekly file of `week`; its upload record waits for the
    file (awaiting_file)."""
    forecast = ready_forecast(c, forecast_id)
    check_week(forecast, week)
    ref = WeeklyUploadKey(forecast_id, week, new_upload_id(c))
    now = c.clock.now()
    upload = WeeklyUpload(
        upload_id=ref.upload_id,
        forecast_id=forecast_id,
        week=week,
        bucket=c.sales.bucket,
        key=ref.key,
        source="presigned_url",
        status=UploadStatus.AWAITING_FILE,
        created_at=now,
    )
    c.in_season.create_upload(upload)
    logger.info("upload url issued", extra={"upload_id": upload.upload_id, "by": caller.name})
    expires_in = c.settings.upload_url_expiry_seconds
    return PresignedUpload(
        upload=upload,
        url=c.sales.weekly_upload_url(ref, expires_in),
        expires_at=now + dt.timedelta(seconds=expires_in),
    )


def upload_status(c: Container, forecast_id: str, upload_id: str) -> UploadOutcome:
    upload = c.in_season.get_upload(forecast_id, upload_id)
    return UploadOutcome(upload, variance_of(c, upload) if upload.weeks else None)


# -- the variance step: one created object --------------------------------------------------------


def process_upload(c: Container, *, bucket: str, key: str, etag: str, size: int) -> dict[str, Any]:
    """Handle one created object (see the module docstring). Returns the upload's summary."""
    ref = WeeklyUploadKey.parse(key)
    if ref is None or bucket != c.sales.bucket:
        logger.warning("not a weekly sales upload; ignored", extra={"bucket": bucket, "key": key})
        return {"status": "ignored", "key": key}
    upload = _start_processing(c, ref, bucket, etag, size)
    if upload.status.is_final:
        return summary(upload)
    forecast: ForecastRecord | None = None
    try:
        forecast = ready_forecast(c, ref.forecast_id)
        check_size(size, c.settings.max_upload_bytes, "weekly sales")
        data = c.sales.read_upload(key)
        trusted = upload.validated_sha256 is not None and upload.validated_sha256 == sha256(data)
        parsed = parse_weekly_file(c, forecast, data, ref.week, stores_checked=trusted)
    except DomainError as exc:
        return summary(_reject(c, upload, forecast, exc.code, exc.message, exc.details))
    except (NotFoundError, ConflictError) as exc:
        code = exc.code or ("unknown_forecast" if isinstance(exc, NotFoundError) else "conflict")
        return summary(_reject(c, upload, forecast, code, exc.message, []))
    now = c.clock.now()
    stored = []
    for week in parsed.weeks:
        actuals = WeekActuals(
            forecast_id=ref.forecast_id,
            week=week,
            total_units=sum(parsed.store_units(week).values()),
            store_units=parsed.store_units(week),
            upload_id=ref.upload_id,
            updated_at=now,
        )
        if c.in_season.put_actuals(actuals):
            stored.append(week)
    refresh_position(c, ref.forecast_id)
    evaluated, pending, started = evaluate(c, forecast, set(stored), ref.upload_id)
    accepted = upload.model_copy(
        update={
            "status": UploadStatus.ACCEPTED,
            "processed_at": c.clock.now(),
            "etag": etag,
            "size_bytes": size,
            "rows_imported": len(parsed.rows),
            "skipped_rows": parsed.skipped_rows,
            "weeks": parsed.weeks,
            "units_by_week": parsed.week_totals(),
            "evaluated_weeks": evaluated,
            "pending_weeks": pending,
            "workflows_started": started,
            "revision": upload.revision + 1,
        }
    )
    c.in_season.save_upload(accepted)
    _audit_upload(c, SYSTEM, accepted)
    logger.info(
        "weekly sales accepted",
        extra={"forecast_id": ref.forecast_id, "week": ref.week, "workflows": started},
    )
    return summary(accepted)


def _audit_upload(c: Container, caller: Caller, upload: WeeklyUpload) -> None:
    accepted = upload.status is UploadStatus.ACCEPTED
    change: dict[str, Any] = {
        "forecast_id": upload.forecast_id,
        "week": upload.week,
        "source": upload.source,
        "key": upload.key,
    }
    if accepted:
        change.update(
            rows_imported=upload.rows_imported, workflows_started=upload.workflows_started
        )
    elif upload.error is not None:
        change.update(error_code=upload.error.error_code, message=upload.error.message)
    audit.record(
        c,
        caller,
        AuditAction.UPLOAD_ACCEPTED if accepted else AuditAction.UPLOAD_REFUSED,
        EntityType.UPLOAD,
        upload.upload_id,
        change,
    )


def summary(upload: WeeklyUpload) -> dict[str, Any]:
    return {
        "upload_id": upload.upload_id,
        "forecast_id": upload.forecast_id,
        "week": upload.week,
        "status": upload.status.value,
        "evaluated_weeks": upload.evaluated_weeks,
        "workflows_started": upload.workflows_started,
        "error_code": upload.error.error_code if upload.error else None,
    }


def _start_processing(
    c: Container, ref: WeeklyUploadKey, bucket: str, etag: str, size: int
) -> WeeklyUpload:
    """The upload's record for this object, processing. An API upload's record already is
    (it is used as it is); a presigned one moves from awaiting_file; a file put into the bucket
    directly gets a record. A record already final for this very object is returned as is."""
    try:
        upload = c.in_season.get_upload(ref.forecast_id, ref.upload_id)
    except NotFoundError:
        upload = WeeklyUpload(
            upload_id=ref.upload_id,
            forecast_id=ref.forecast_id,
            week=ref.week,
            bucket=bucket,
            key=ref.key,
            source="s3",
            status=UploadStatus.PROCESSING,
            created_at=c.clock.now(),
            etag=etag,
            size_bytes=size,
        )
        try:
            c.in_season.create_upload(upload)
            return upload
        except ConflictError:  # created concurrently by the API
            upload = c.in_season.get_upload(ref.forecast_id, ref.upload_id)
    if upload.status.is_final and upload.etag == etag:
        return upload
    if upload.status is UploadStatus.PROCESSING:
        return upload
    processing = upload.model_copy(
        update={
            "status": UploadStatus.PROCESSING,
            "etag": etag,
            "size_bytes": size,
            "error": None,
            "validated_sha256": None,
            "revision": upload.revision + 1,
        }
    )
    c.in_season.save_upload(processing)
    return processing


def _reject(
    c: Container,
    upload: WeeklyUpload,
    forecast: ForecastRecord | None,
    code: str,
    message: str,
    details: list[dict[str, Any]],
) -> WeeklyUpload:
    rejected = upload.model_copy(
        update={
            "status": UploadStatus.REJECTED,
            "processed_at": c.clock.now(),
            "error": UploadError(error_code=code, message=message, details=details),
            "revision": upload.revision + 1,
        }
    )
    c.in_season.save_upload(rejected)
    _audit_upload(c, SYSTEM, rejected)
    logger.warning(
        "weekly sales refused",
        extra={"forecast_id": upload.forecast_id, "upload_id": upload.upload_id, "code": code},
    )
    if forecast is not None:
        c.publisher.publish(
            ErrorEvent(
                workflow_id=forecast.workflow_id,
                agent=AGENT,
                error_message=f"weekly sales upload {upload.upload_id} (week {upload.week}) "
                f"refused: {message}",
            )
        )
    return rejected


# -- evaluation ----------------------------------------------------------------------------------


def evaluate(
    c: Container, forecast: ForecastRecord, touched: set[int], upload_id: str
) -> tuple[list[int], list[int], list[str]]:
    """Evaluate what `touched` made evaluable; returns (evaluated weeks, pending weeks, ids of
    the workflows started). A concurrent writer of the same rows makes it start over, from a
    fresh read of the forecast."""
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            return _evaluate_once(c, forecast, touched, upload_id)
        except ConflictError:
            if attempt == WRITE_ATTEMPTS:
                raise
            logger.info("variance rows changed concurrently; evaluating again")
            forecast = c.records.get(FORECAST, forecast.forecast_id, ForecastRecord)
    raise AssertionError("unreachable")


def _evaluate_once(
    c: Container, forecast: ForecastRecord, touched: set[int], upload_id: str
) -> tuple[list[int], list[int], list[str]]:
    forecast_id = forecast.forecast_id
    params = forecast.parameters
    actuals = {w: a.total_units for w, a in c.in_season.list_actuals(forecast_id).items()}
    rows = c.in_season.list_variance(forecast_id)
    pending = {w for w, r in rows.items() if r.status is VarianceStatus.PENDING}
    plan = plan_evaluation(actuals.keys(), touched, pending)
    versions = curve_versions(forecast)
    evaluated = [
        evaluate_week(versions, actuals, week, params.variance_threshold) for week in plan.evaluate
    ]
    markdown_done = forecast.markdown_id is not None or any(
        r.markdown_workflow_id for r in rows.values()
    )
    actions = decide_actions(
        evaluated,
        horizon_weeks=params.forecast_horizon_weeks,
        checkpoint_week=params.markdown_checkpoint_week,
        markdown_done=markdown_done,
    )
    known = replan_flow_ids(forecast, rows.values())
    started: list[str] = []
    reforecast_id = markdown_id = None
    held_by: list[str] = []
    if actions.reforecast_week is not None:
        week = actions.reforecast_week
        existing = rows.get(week)
        reforecast_id = existing.reforecast_workflow_id if existing else None
        if reforecast_id is None:
            held_by = awaiting_reforecasts(c, [*known, forecast.manual_replan_workflow_id])
        if reforecast_id is None and not held_by:
            latest = evaluated[-1]
            reforecast_id = _start(
                c,
                WorkflowType.REFORECAST,
                forecast,
                reforecast_workflow_id(forecast_id, week),
                week,
                reforecast_payload(
                    forecast,
                    [actuals[w] for w in range(1, latest.week + 1)],
                    [round(v, 2) for v in latest.plan],
                    latest.result.variance_rounded,
                ),
                known,
            )
            started.append(reforecast_id)
            known.append(reforecast_id)
    if actions.markdown_week is not None:
        week = actions.markdown_week
        sold = sum(actuals[w] for w in range(1, week + 1))
        markdown_id = _start(
            c,
            WorkflowType.MARKDOWN,
            forecast,
            markdown_workflow_id(forecast_id, week),
            week,
            {
                "parameters": params.model_dump(mode="json"),
                "forecast_id": forecast_id,
                "checkpoint_week": week,
                "sold_to_date": sold,
            },
            known,
        )
        started.append(markdown_id)
    now = c.clock.now()
    for e in evaluated:
        previous = rows.get(e.week)
        c.in_season.save_variance(
            _evaluated_row(
                forecast,
                e,
                previous,
                actions,
                reforecast_id if e.week == actions.reforecast_week else None,
                markdown_id if e.week == actions.markdown_week else None,
                upload_id,
                now,
                held_by if e.week == actions.reforecast_week else [],
            )
        )
    for week, missing in plan.pending.items():
        previous = rows.get(week)
        c.in_season.save_variance(
            VarianceRecord(
                forecast_id=forecast_id,
                week=week,
                status=VarianceStatus.PENDING,
                variance_threshold=params.variance_threshold,
                action_taken=VarianceAction.PENDING,
                note=f"waiting for week(s) {', '.join(map(str, missing))}: the cumulative "
                f"variance of week {week} is evaluated once weeks 1..{week} are all in",
                missing_weeks=missing,
                upload_id=upload_id,
                evaluated_at=now,
                revision=previous.revision + 1 if previous else 1,
            )
        )
    return plan.evaluate, sorted(plan.pending), started


def _start(
    c: Container,
    kind: WorkflowType,
    forecast: ForecastRecord,
    workflow_id: str,
    week: int,
    payload: dict[str, Any],
    earlier: list[str],
) -> str:
    """Start a flow once its forecast's earlier flows are quiet; an existing workflow of that
    name (a duplicate event, a re-upload, a retry) counts as started. A flow started is
    audited as the system's, naming the variance row (forecast and week) that triggered it."""
    try:
        c.workflows.get(workflow_id)
        return workflow_id
    except NotFoundError:
        pass
    wait_for_quiet(c, earlier, c.settings.flow_quiet_wait_seconds)
    try:
        start_workflow(
            c, kind, forecast.category_id, payload, workflow_id=workflow_id, caller=SYSTEM
        )
        logger.info("flow started", extra={"workflow_id": workflow_id, "type": kind.value})
    except ConflictError:
        c.workflows.get(workflow_id)  # NotFoundError if the start really failed
        return workflow_id
    action = (
        AuditAction.REFORECAST_TRIGGERED
        if kind is WorkflowType.REFORECAST
        else AuditAction.MARKDOWN_TRIGGERED
    )
    trigger: dict[str, Any] = {
        k: payload[k] for k in ("variance_pct", "checkpoint_week") if k in payload
    }
    audit.record(
        c,
        SYSTEM,
        action,
        EntityType.WORKFLOW,
        workflow_id,
        {"trigger": "variance", "forecast_id": forecast.forecast_id, "week": week, **trigger},
    )
    return workflow_id


def awaiting_reforecasts(c: Container, workflow_ids: list[str | None]) -> list[str]:
    """Those of `workflow_ids` that are re-forecasts waiting for their extra order's approval.
    While one waits, no automatic re-forecast starts: its order would be sized on the same
    approved units and both could be approved (one re-plan per forecast at a time)."""
    waiting = []
    for workflow_id in dict.fromkeys(w for w in workflow_ids if w):
        try:
            workflow = c.workflows.get(workflow_id)
        except NotFoundError:
            continue
        if (
            workflow.workflow_type is WorkflowType.REFORECAST
            and workflow.status is WorkflowStatus.AWAITING_APPROVAL
        ):
            waiting.append(workflow_id)
    return waiting


def wait_for_quiet(c: Container, workflow_ids: list[str], timeout: float) -> None:
    """Return once none of `workflow_ids` is pending or running; FlowsBusyError after
    `timeout` seconds."""
    busy = poll(c.clock, lambda: flows_in(c, workflow_ids, BUSY), lambda b: not b, timeout=timeout)
    if busy:
        raise FlowsBusyError(f"flows still running: {', '.join(busy)}")


def _evaluated_row(
    forecast: ForecastRecord,
    e: WeekVariance,
    previous: VarianceRecord | None,
    actions: Actions,
    reforecast_id: str | None,
    markdown_id: str | None,
    upload_id: str,
    now: dt.datetime,
    held_by: list[str],
) -> VarianceRecord:
    result = e.result
    reforecast_id = reforecast_id or (previous.reforecast_workflow_id if previous else None)
    markdown_id = markdown_id or (previous.markdown_workflow_id if previous else None)
    horizon = forecast.parameters.forecast_horizon_weeks
    threshold = f"{forecast.parameters.variance_threshold:.0%}"
    if reforecast_id and markdown_id:
        action = VarianceAction.REFORECAST_AND_MARKDOWN
    elif reforecast_id:
        action = VarianceAction.REFORECAST
    elif markdown_id:
        action = VarianceAction.MARKDOWN
    elif e.week in actions.superseded:
        action = VarianceAction.SUPERSEDED
    else:
        action = VarianceAction.NONE
    notes = [
        f"cumulative variance {result.display} through week {e.week} "
        + ("exceeds" if result.triggered else "is within")
        + f" the {threshold} threshold"
    ]
    if e.version.anchor_week:
        notes.append(
            f"measured against forecast version {e.version.version}: weeks "
            f"1..{e.version.anchor_week} as sold, then its re-forecast"
        )
    if action in {VarianceAction.REFORECAST, VarianceAction.REFORECAST_AND_MARKDOWN}:
        notes.append(f"re-forecast {reforecast_id}")
    if markdown_id:
        notes.append(f"markdown checkpoint: markdown flow {markdown_id}")
    if action is VarianceAction.SUPERSEDED:
        notes.append("acted on through the latest week of the same upload instead")
    if held_by and not reforecast_id:
        notes.append(
            f"no re-forecast started: {', '.join(held_by)} awaits its extra order's approval "
            "(one re-plan at a time); once it is decided the next upload is measured again"
        )
    if result.triggered and e.week == horizon and not reforecast_id:
        notes.append("last week of the season: nothing left to re-forecast")
    if result.emergency:
        notes.append("emergency order flagged (over 30% above plan)")
    if result.far_under_plan:
        notes.append(
            "far under plan (more than 30% below): not an emergency, and no extra order while "
            "sales run below plan"
        )
    return VarianceRecord(
        forecast_id=forecast.forecast_id,
        week=e.week,
        status=VarianceStatus.EVALUATED,
        forecasted_cumulative=round(result.forecast_cum, 2),
        actual_cumulative=result.actual_cum,
        variance_pct=result.variance_rounded,
        display=result.display,
        direction=result.direction,
        variance_threshold=result.variance_threshold,
        threshold_exceeded=result.triggered,
        emergency=result.emergency,
        action_taken=action,
        note="; ".join(notes),
        forecast_version=e.version.version,
        plan_anchor_week=e.version.anchor_week,
        reforecast_workflow_id=reforecast_id,
        markdown_workflow_id=markdown_id,
        upload_id=upload_id,
        evaluated_at=now,
        revision=previous.revision + 1 if previous else 1,
    )
