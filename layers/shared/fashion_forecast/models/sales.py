"""In-season records: weekly sales uploads, the actuals they carry, and the variance per week.

They live next to their forecast in the table (adapters.in_season): pk = "FORECAST#<id>",
sk = "UPLOAD#<upload_id>" | "ACTUALS#W<nn>" | "VARIANCE#W<nn>".
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field

from fashion_forecast.constants import ID_PATTERN

WEEKLY_UPLOAD_PREFIX = "uploads/weekly/"
_ID = ID_PATTERN.removeprefix("^").removesuffix("$")
_WEEKLY_KEY = re.compile(
    rf"^uploads/weekly/(?P<forecast_id>{_ID})/week-(?P<week>[0-9]{{2}})/(?P<upload_id>{_ID})\.csv$"
)


@dataclass(frozen=True)
class WeeklyUploadKey:
    """Where a weekly sales file lives: uploads/weekly/<forecast_id>/week-<nn>/<upload_id>.csv.
    template.yaml's S3 notification (prefix uploads/weekly/, suffix .csv) invokes the variance
    Lambda for every object created under it."""

    forecast_id: str
    week: int
    upload_id: str

    @property
    def key(self) -> str:
        return f"{WEEKLY_UPLOAD_PREFIX}{self.forecast_id}/week-{self.week:02d}/{self.upload_id}.csv"

    @classmethod
    def parse(cls, key: str) -> WeeklyUploadKey | None:
        """The parts of a weekly upload key; None for any other key."""
        match = _WEEKLY_KEY.match(key)
        if match is None or not 1 <= int(match["week"]) <= 52:
            return None
        return cls(match["forecast_id"], int(match["week"]), match["upload_id"])


class CategorySummary(BaseModel):
    """Rows, stores and week range of a category's stored history (weeks start on Monday)."""

    category: str
    rows: int = Field(ge=0)
    stores: int = Field(ge=0)
    first_week: dt.date
    last_week: dt.date

    @property
    def weeks(self) -> int:
        return (self.last_week - self.first_week).days // 7 + 1


class StoreWeekTotals(BaseModel):
    """Every store's units per week over every category (domain.history.store_week_totals),
    as of the category files it was summed from: the stores' sales level reads this one object
    instead of every category's file. Kept by each history upload."""

    sources: dict[str, str] = Field(
        description="Each category's history file version (S3 ETag) when it was summed."
    )
    excluded: dict[str, str] = Field(
        default_factory=dict, description="Categories whose stored file could not be read: why."
    )
    weeks: list[tuple[dt.date, str, float]] = Field(
        description="(week_start, store_id, units) rows, sorted by week then store."
    )


class UploadStatus(StrEnum):
    AWAITING_FILE = "awaiting_file"  # a presigned URL was issued; no file yet
    PROCESSING = "processing"  # the file is in S3; the variance Lambda has not finished
    ACCEPTED = "accepted"
    REJECTED = "rejected"

    @property
    def is_final(self) -> bool:
        return self in {UploadStatus.ACCEPTED, UploadStatus.REJECTED}


class UploadError(BaseModel):
    error_code: str
    message: str
    details: list[dict[str, Any]] = Field(default_factory=list)


class WeeklyUpload(BaseModel):
    """One weekly sales file for one forecast, named for the week it reports (through)."""

    upload_id: str
    forecast_id: str
    week: int = Field(ge=1, le=52, description="The week the upload is for.")
    bucket: str
    key: str
    source: Literal["api", "presigned_url", "s3"]
    status: UploadStatus
    created_at: dt.datetime
    processed_at: dt.datetime | None = None
    etag: str | None = None
    size_bytes: int | None = None
    rows_imported: int = 0
    skipped_rows: int = Field(0, description="Rows of other categories.")
    weeks: list[int] = Field(default_factory=list, description="Weeks the file has rows for.")
    units_by_week: dict[int, int] = Field(default_factory=dict)
    evaluated_weeks: list[int] = Field(default_factory=list)
    pending_weeks: list[int] = Field(default_factory=list)
    workflows_started: list[str] = Field(default_factory=list)
    error: UploadError | None = None
    validated_sha256: str | None = Field(
        None,
        description="SHA-256 of the bytes the API validated before storing them; the variance "
        "step trusts those checks for an object with this digest.",
    )
    revision: int = Field(1, ge=1)


class WeekActuals(BaseModel):
    """Units of the forecast's category sold in one season week, per store and in total."""

    forecast_id: str
    week: int = Field(ge=1, le=52)
    total_units: int = Field(ge=0)
    store_units: dict[str, int] = Field(default_factory=dict)
    upload_id: str = Field(description="The upload these numbers come from (latest wins).")
    updated_at: dt.datetime


class VarianceStatus(StrEnum):
    EVALUATED = "evaluated"
    PENDING = "pending"  # earlier weeks are missing


class VarianceAction(StrEnum):
    NONE = "none"
    REFORECAST = "reforecast_started"
    MARKDOWN = "markdown_started"
    REFORECAST_AND_MARKDOWN = "reforecast_and_markdown_started"
    SUPERSEDED = "superseded_by_later_week"
    PENDING = "pending_missing_weeks"


class VarianceRecord(BaseModel):
    forecast_id: str
    week: int = Field(ge=1, le=52)
    status: VarianceStatus
    forecasted_cumulative: float | None = Field(
        None, description="Plan in effect, weeks 1..week (see domain.in_season rule 2)."
    )
    actual_cumulative: float | None = None
    variance_pct: float | None = Field(
        None, description="Signed (actual - forecast) / forecast, 3 decimals (0.232 = +23.2%)."
    )
    display: str | None = Field(None, description='e.g. "+23.2%"')
    direction: Literal["over", "under", "on_target"] | None = None
    variance_threshold: float
    threshold_exceeded: bool = False
    emergency: bool = Field(False, description="|variance| > 0.30: flag an emergency order.")
    action_taken: VarianceAction
    note: str = ""
    missing_weeks: list[int] = Field(default_factory=list)
    forecast_version: int | None = None
    plan_anchor_week: int = Field(0, description="Weeks 1..n of the plan are actuals.")
    reforecast_workflow_id: str | None = None
    markdown_workflow_id: str | None = None
    upload_id: str
    evaluated_at: dt.datetime
    revision: int = Field(1, ge=1)


# -- the season's inventory position (one per forecast, sk = "POSITION") -------------------------


class PositionOrder(BaseModel):
    """One manufacturing order of the season with its status: only approved ones count."""

    allocation_id: str
    workflow_id: str
    kind: Literal["pre_season", "extra"]
    units: int = Field(ge=0, description="Units this order adds (the pre-season order in full).")
    status: Literal["proposed", "approved", "rejected"]


ShipmentKind = Literal["initial", "replenishment", "move", "extra"]


class Shipment(BaseModel):
    """Units sent from the DC to stores, arriving at the start of `week`."""

    week: int = Field(ge=1, le=53, description="Arrives at the start of this season week.")
    kind: ShipmentKind = Field(
        description="initial: the pre-season allocation; replenishment: a top-up review; "
        "move: a holdback move toward fast stores after a re-forecast; extra: an approved "
        "extra order sent to the stores on arrival (replenishment none)."
    )
    source: str = Field(
        description="The allocation that made it (initial, move, extra) or the review."
    )
    units: int = Field(ge=0)
    stores: dict[str, int] = Field(description="store_id -> units (stores with > 0 only).")


class PlannedShipment(BaseModel):
    """A top-up review still to come, as now planned (sales assumed to follow the plan)."""

    week: int = Field(ge=1, le=53)
    covers_weeks: list[int]
    requested: int = Field(ge=0)
    units: int = Field(ge=0, description="Units planned to ship (requested, or the DC's stock).")
    dc_after: int = Field(ge=0, description="Units planned to be left at the DC after it.")


class StorePosition(BaseModel):
    store_id: str
    shipped: int = Field(ge=0, description="Units shipped to the store so far (every shipment).")
    sold: int = Field(ge=0, description="Units the store sold in the counted weeks.")
    on_hand: int = Field(
        description="shipped - sold; below 0 when the uploads report more sold than was "
        "shipped (the sales are taken as reported; a warning says so)."
    )


class InventoryPosition(BaseModel):
    """Where the season stands, in units: what was ordered and approved, what is at the DC,
    what was shipped to each store and what each store sold. Balances by construction:
    ordered_approved = at_dc + shipped and, per store and in total, shipped = on_hand + sold."""

    forecast_id: str
    through_week: int = Field(ge=0, description="Sales of weeks 1..through_week are counted.")
    replenishment_strategy: str
    top_up_cover_weeks: int | None = Field(
        description="Weeks of the plan a top-up review covers (1 weekly, 2 bi-weekly; null: none)."
    )
    safety_stock_pct: float = Field(
        ge=0, le=1, description="Safety stock on top of the covered weeks, a fraction (0.2 = 20%)."
    )
    orders: list[PositionOrder]
    ordered_approved: int = Field(ge=0, description="Sum of the approved orders.")
    at_dc: int = Field(ge=0, description="ordered_approved - shipped: at the DC now.")
    shipped: int = Field(ge=0, description="Units shipped to stores so far.")
    sold: int = Field(ge=0, description="Units sold in weeks 1..through_week.")
    store_on_hand: int = Field(description="shipped - sold, over every store.")
    stores: list[StorePosition]
    shipments: list[Shipment] = Field(description="Every shipment made, in order.")
    over_plan_credited: dict[str, int] = Field(
        default_factory=dict,
        description="Units earlier holdback moves sent each store for its sales above plan: "
        "each unit of over-plan sales is paid once.",
    )
    planned_shipments: list[PlannedShipment] = Field(
        description="The top-up reviews still to come, re-planned with every upload, "
        "re-forecast and move."
    )
    planned_dc_end_of_season: int = Field(
        ge=0, description="Units planned to remain at the DC when the season ends."
    )
    warnings: list[str] = Field(default_factory=list)
    updated_at: dt.datetime
    revision: int = Field(1, ge=1, description="Bumped on every stored change.")
