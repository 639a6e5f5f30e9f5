"""Business constants and identifier patterns: the one home of each number a planner would
recognise (defaults, limits, thresholds) and of each id pattern.

docs/domain.md states every rule these numbers belong to; change a number here and there,
never in a copy. The tuning of an algorithm (backtest origins, clustering, the re-forecast
prior, rounding before ceilings) stays next to the algorithm in its domain module. Standard
library only, so every layer may import it.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

# -- identifiers ----------------------------------------------------------------------------------
# Workflow, forecast, upload, approval and connection ids: what the API accepts in paths, what
# the S3 upload keys embed and what the WebSocket $connect checks.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$"
CATEGORY_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
STORE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$"

# -- dates (docs/domain.md "Input bounds") ------------------------------------------------------
# Every date the product takes (history rows, season starts, the extractor's reference date) lies
# in this window, so date arithmetic never runs past the calendar.
FIRST_DATE = dt.date(1990, 1, 1)
LAST_DATE = dt.date(2099, 12, 31)

# -- season (docs/domain.md "Season parameters") --------------------------------------------------
DEFAULT_HORIZON_WEEKS = 12
MAX_HORIZON_WEEKS = 52  # also the furthest the forecaster looks past the history
DEFAULT_DC_HOLDBACK = 0.45
DEFAULT_MARKDOWN_THRESHOLD = 0.60
DEFAULT_VARIANCE_THRESHOLD = 0.20

# -- demand (docs/domain.md "Demand agent") -------------------------------------------------------
MIN_HISTORY_WEEKS = 26

# -- inventory (docs/domain.md "Inventory agent") -------------------------------------------------
SAFETY_STOCK_NO_REPLENISHMENT = Fraction(1, 4)
SAFETY_STOCK_WITH_REPLENISHMENT = Fraction(1, 5)
SAFETY_STOCK_OVERRIDE_MIN = Fraction(1, 10)
SAFETY_STOCK_OVERRIDE_MAX = Fraction(1, 2)
FAST_VELOCITY = 1.15  # sold / expected above this: the store gets DC stock in a re-plan
SLOW_VELOCITY = 0.85
MAX_ORDER_UNITS = 1_000_000_000  # the largest order (or quantity in a file) the product takes

# -- pricing (docs/domain.md "Pricing agent") -----------------------------------------------------
MAX_MARKDOWN = Fraction(2, 5)
MARKDOWN_STEP = Fraction(1, 20)
DEFAULT_ELASTICITY = 2.0
MIN_ELASTICITY = 1.0
MAX_ELASTICITY = 3.0

# -- variance (docs/domain.md "Variance and re-forecast") -----------------------------------------
EMERGENCY_THRESHOLD = 0.30

# -- assortment plans (docs/assortment-at-scale.md) ------------------------------------------------
# The most categories one plan takes: each child's entry rides in the parent's execution input
# (256 KiB) and its row (400 KB); a larger plan needs the S3 item reader the note describes.
MAX_ASSORTMENT_CATEGORIES = 200
