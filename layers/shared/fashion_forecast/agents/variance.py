"""The variance Lambda's work: a weekly sales file lands in S3 -> actuals, variance, flows.

Every weekly upload takes this one path, whether it came through POST
/api/data/upload-weekly-sales or a presigned URL: the S3 ObjectCreated event of
``uploads/weekly/<forecast_id>/week-<nn>/<upload_id>.csv`` invokes the function.

Per S3 record, idempotent on bucket + key + ETag (Powertools idempotency, records in the data
table under pk "IDEMPOTENCY#variance", expiring after 30 days through the table's TTL), so a
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
4. the weeks the upload makes evaluable get their variance row, and the flows are started
   (re-forecast over the threshold, markdown at the checkpoint) under execution names derived
   from forecast and week, so no duplicate event or upload can start a second one; see
   domain.in_season for every rule. Before a flow is started the forecast's earlier flows must
   be past the steps that rewrite the forecast (waiting for approval or finished); if one is
   still running after ``FLOW_QUIET_WAIT_SECONDS`` the invocation fails and is retried (S3
   invokes asynchronously: two retries), the stored actuals being rewritten identically.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import S3Event
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

from fashion_forecast.adapters.aws import client, utcnow
from fashion_forecast.adapters.errors import AdapterError, ConflictError, NotFoundError
from fashion_forecast.adapters.sales_data import WeeklyUploadKey
from fashion_forecast.domain.errors import DomainError
from fashion_forecast.domain.in_season import (
    Actions,
    CurveVersion,
    WeekVariance,
    decide_actions,
    evaluate_week,
    plan_evaluation,
)
from fashion_forecast.domain.sales_files import check_size
from fashion_forecast.models.events import ErrorEvent
from fashion_forecast.models.forecasts import FORECAST, ForecastRecord
from fashion_forecast.models.sales import (
    UploadError,
    UploadStatus,
    VarianceAction,
    VarianceRecord,
    VarianceStatus,
    WeekActuals,
    WeeklyUpload,
)
from fashion_forecast.models.workflows import WorkflowStatus, WorkflowType
from fashion_forecast.orchestration import start_workflow
from fashion_forecast.services import Services
from fashion_forecast.uploads import parse_weekly_file, ready_forecast

logger = Logger(service="fashion-forecast-variance")

AGENT = "variance"
IDEMPOTENCY_PK = "IDEMPOTENCY#variance"
IDEMPOTENCY_TTL_SECONDS = 30 * 24 * 3600
BUSY = frozenset({WorkflowStatus.PENDING, WorkflowStatus.RUNNING})
WRITE_ATTEMPTS = 3


class FlowsBusyError(RuntimeError):
    """A flow of the forecast is still rewriting it; the invocation is retried later."""


def reforecast_workflow_id(forecast_id: str, week: int) -> str:
    return f"reforecast-{forecast_id}-w{week:02d}"


def markdown_workflow_id(forecast_id: str, week: int) -> str:
    return f"markdown-{forecast_id}-w{week:02d}"


def curve_versions(forecast: ForecastRecord) -> list[CurveVersion]:
    """The forecast's versions with the weeks each was fitted to (domain.in_season rule 2)."""
    anchor = 0
    out = []
    for version in sorted(forecast.versions, key=lambda v: v.version):
        observed = version.details.get("observed_weeks")
        if observed is not None:
            anchor = int(observed)
        out.append(CurveVersion(version.version, anchor, [w.forecast for w in version.weekly]))
    if not out:
        out.append(CurveVersion(forecast.version, 0, [w.forecast for w in forecast.weekly]))
    return out


# -- one upload --------------------------------------------------------------------------------


def process_upload(
    services: Services, *, bucket: str, key: str, etag: str, size: int
) -> dict[str, Any]:
    """Handle one created object (see the module docstring). Returns the upload's summary."""
    ref = WeeklyUploadKey.parse(key)
    if ref is None or bucket != services.sales.bucket:
        logger.warning("not a weekly sales upload; ignored", extra={"bucket": bucket, "key": key})
        return {"status": "ignored", "key": key}
    upload = _start_processing(services, ref, bucket, etag, size)
    if upload.status.is_final:
        return summary(upload)
    forecast: ForecastRecord | None = None
    try:
        forecast = ready_forecast(services, ref.forecast_id)
        check_size(size, services.settings.max_upload_bytes, "weekly sales")
        data = services.sales.read_upload(key)
        parsed = parse_weekly_file(services, forecast, data, ref.week)
    except DomainError as exc:
        return summary(_reject(services, upload, forecast, exc.code, exc.message, exc.details))
    except (NotFoundError, ConflictError) as exc:
        code = exc.code or ("unknown_forecast" if isinstance(exc, NotFoundError) else "conflict")
        return summary(_reject(services, upload, forecast, code, exc.message, []))
    now = utcnow()
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
        if services.in_season.put_actuals(actuals):
            stored.append(week)
    evaluated, pending, started = evaluate(services, ref.forecast_id, set(stored), ref.upload_id)
    accepted = upload.model_copy(
        update={
            "status": UploadStatus.ACCEPTED,
            "processed_at": utcnow(),
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
    services.in_season.save_upload(accepted)
    logger.info(
        "weekly sales accepted",
        extra={"forecast_id": ref.forecast_id, "week": ref.week, "workflows": started},
    )
    return summary(accepted)


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
    services: Services, ref: WeeklyUploadKey, bucket: str, etag: str, size: int
) -> WeeklyUpload:
    """The upload's record, moved to processing for this object (created for a file that was put
    into the bucket directly). A record already final for this very object is returned as is."""
    try:
        upload = services.in_season.get_upload(ref.forecast_id, ref.upload_id)
    except NotFoundError:
        upload = WeeklyUpload(
            upload_id=ref.upload_id,
            forecast_id=ref.forecast_id,
            week=ref.week,
            bucket=bucket,
            key=ref.key,
            source="s3",
            status=UploadStatus.PROCESSING,
            created_at=utcnow(),
            etag=etag,
            size_bytes=size,
        )
        try:
            services.in_season.create_upload(upload)
            return upload
        except ConflictError:  # created concurrently by the API
            upload = services.in_season.get_upload(ref.forecast_id, ref.upload_id)
    if upload.status.is_final and upload.etag == etag:
        return upload
    processing = upload.model_copy(
        update={
            "status": UploadStatus.PROCESSING,
            "etag": etag,
            "size_bytes": size,
            "error": None,
            "revision": upload.revision + 1,
        }
    )
    services.in_season.save_upload(processing)
    return processing


def _reject(
    services: Services,
    upload: WeeklyUpload,
    forecast: ForecastRecord | None,
    code: str,
    message: str,
    details: list[dict[str, Any]],
) -> WeeklyUpload:
    rejected = upload.model_copy(
        update={
            "status": UploadStatus.REJECTED,
            "processed_at": utcnow(),
            "error": UploadError(error_code=code, message=message, details=details),
            "revision": upload.revision + 1,
        }
    )
    services.in_season.save_upload(rejected)
    logger.warning(
        "weekly sales refused",
        extra={"forecast_id": upload.forecast_id, "upload_id": upload.upload_id, "code": code},
    )
    if forecast is not None:
        services.events.publish(
            ErrorEvent(
                workflow_id=forecast.workflow_id,
                agent=AGENT,
                error_message=f"weekly sales upload {upload.upload_id} (week {upload.week}) "
                f"refused: {message}",
            )
        )
    return rejected


# -- evaluation --------------------------------------------------------------------------------


def evaluate(
    services: Services, forecast_id: str, touched: set[int], upload_id: str
) -> tuple[list[int], list[int], list[str]]:
    """Evaluate what `touched` made evaluable; returns (evaluated weeks, pending weeks, ids of
    the workflows started). A concurrent writer of the same rows makes it start over."""
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            return _evaluate_once(services, forecast_id, touched, upload_id)
        except ConflictError:
            if attempt == WRITE_ATTEMPTS:
                raise
            logger.info("variance rows changed concurrently; evaluating again")
    raise AssertionError("unreachable")


def _evaluate_once(
    services: Services, forecast_id: str, touched: set[int], upload_id: str
) -> tuple[list[int], list[int], list[str]]:
    forecast = services.records.get(FORECAST, forecast_id, ForecastRecord)
    params = forecast.parameters
    actuals = {w: a.total_units for w, a in services.in_season.list_actuals(forecast_id).items()}
    rows = services.in_season.list_variance(forecast_id)
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
    flows = [
        wid for r in rows.values() for wid in (r.reforecast_workflow_id, r.markdown_workflow_id)
    ]
    known = [wid for wid in flows if wid]
    started: list[str] = []
    reforecast_id = markdown_id = None
    if actions.reforecast_week is not None:
        week = actions.reforecast_week
        existing = rows.get(week)
        reforecast_id = existing.reforecast_workflow_id if existing else None
        if reforecast_id is None:
            latest = evaluated[-1]
            reforecast_id = _start(
                services,
                WorkflowType.REFORECAST,
                forecast,
                reforecast_workflow_id(forecast_id, week),
                _reforecast_payload(forecast, latest, actuals),
                known,
            )
            started.append(reforecast_id)
            known.append(reforecast_id)
    if actions.markdown_week is not None:
        week = actions.markdown_week
        sold = sum(actuals[w] for w in range(1, week + 1))
        markdown_id = _start(
            services,
            WorkflowType.MARKDOWN,
            forecast,
            markdown_workflow_id(forecast_id, week),
            {
                "parameters": params.model_dump(mode="json"),
                "forecast_id": forecast_id,
                "checkpoint_week": week,
                "sold_to_date": sold,
            },
            known,
        )
        started.append(markdown_id)
    now = utcnow()
    for e in evaluated:
        previous = rows.get(e.week)
        services.in_season.save_variance(
            _evaluated_row(
                forecast,
                e,
                previous,
                actions,
                reforecast_id if e.week == actions.reforecast_week else None,
                markdown_id if e.week == actions.markdown_week else None,
                upload_id,
                now,
            )
        )
    for week, missing in plan.pending.items():
        previous = rows.get(week)
        services.in_season.save_variance(
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


def _reforecast_payload(
    forecast: ForecastRecord, latest: WeekVariance, actuals: dict[int, int]
) -> dict[str, Any]:
    n = latest.week
    return {
        "parameters": forecast.parameters.model_dump(mode="json"),
        "forecast_id": forecast.forecast_id,
        "actual_sales_week_1_to_n": [actuals[w] for w in range(1, n + 1)],
        "forecasted_week_1_to_n": [round(v, 2) for v in latest.plan],
        "remaining_weeks": forecast.parameters.forecast_horizon_weeks - n,
        "variance_pct": latest.result.variance_rounded,
    }


def _start(
    services: Services,
    kind: WorkflowType,
    forecast: ForecastRecord,
    workflow_id: str,
    payload: dict[str, Any],
    earlier: list[str],
) -> str:
    """Start a flow once its forecast's earlier flows are quiet; an existing workflow of that
    name (a duplicate event, a re-upload, a retry) counts as started."""
    try:
        services.workflows.get(workflow_id)
        return workflow_id
    except NotFoundError:
        pass
    wait_for_quiet(services, earlier, services.settings.flow_quiet_wait_seconds)
    try:
        start_workflow(services, kind, forecast.category_id, payload, workflow_id=workflow_id)
        logger.info("flow started", extra={"workflow_id": workflow_id, "type": kind.value})
    except ConflictError:
        services.workflows.get(workflow_id)  # NotFoundError if the start really failed
    return workflow_id


def wait_for_quiet(services: Services, workflow_ids: list[str], timeout: float) -> None:
    """Return once none of `workflow_ids` is pending or running; FlowsBusyError after
    `timeout` seconds."""
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        busy = []
        for workflow_id in workflow_ids:
            try:
                if services.workflows.get(workflow_id).status in BUSY:
                    busy.append(workflow_id)
            except NotFoundError:
                continue
        if not busy:
            return
        if time.monotonic() > deadline:
            raise FlowsBusyError(f"flows still running: {', '.join(busy)}")
        time.sleep(delay)
        delay = min(delay * 2, 1.0)


def _evaluated_row(
    forecast: ForecastRecord,
    e: WeekVariance,
    previous: VarianceRecord | None,
    actions: Actions,
    reforecast_id: str | None,
    markdown_id: str | None,
    upload_id: str,
    now: Any,
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
    if result.triggered and e.week == horizon and not reforecast_id:
        notes.append("last week of the season: nothing left to re-forecast")
    if result.emergency:
        notes.append("emergency order flagged (over 30%)")
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


# -- the Lambda entry point --------------------------------------------------------------------


def persistence_layer(services: Services) -> DynamoDBPersistenceLayer:
    """Idempotency records in the data table: pk = IDEMPOTENCY#variance, sk = the hashed key,
    expiring through the table's TTL attribute."""
    return DynamoDBPersistenceLayer(
        table_name=services.settings.table_name,
        key_attr="pk",
        sort_key_attr="sk",
        static_pk_value=IDEMPOTENCY_PK,
        expiry_attr="expires_at_epoch",
        boto3_client=client("dynamodb"),
    )


def handle_s3_event(services: Services, event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Each record of an S3 event, idempotent per bucket + key + ETag."""
    config = IdempotencyConfig(
        event_key_jmespath="[bucket, key, etag]",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=IDEMPOTENCY_TTL_SECONDS,
    )
    if context is not None:
        config.register_lambda_context(context)

    @idempotent_function(
        data_keyword_argument="upload",
        persistence_store=persistence_layer(services),
        config=config,
    )
    def process(upload: dict[str, Any]) -> dict[str, Any]:
        return process_upload(services, **upload)

    results = []
    for record in S3Event(event).records:
        obj = record.s3.get_object
        upload = {
            "bucket": record.s3.bucket.name,
            "key": unquote_plus(obj.key),
            "etag": obj.etag,
            "size": obj.size,
        }
        try:
            results.append(process(upload=upload))
        except AdapterError as exc:
            logger.error("weekly upload not processed", extra={**upload, "error": exc.message})
            raise
    return {"results": results}
