"""Seeded sample data: 3 years of weekly history for 50 stores plus one in-season category.

Run ``python -m fashion_forecast_local.sample_data --out DIR --seed 42`` or call
``generate(out_dir, seed=42)``. The seed-42 output is committed next to this module in
``fashion_forecast_local/sample_data/`` (the demo and the tests load it through the
``load_sample_*`` helpers); regenerating it must reproduce those bytes.

Determinism
-----------
Only the standard library's ``random.Random`` (Mersenne Twister, stable across Python versions
for ``random()``, ``uniform()``, ``randrange()``, ``gauss()``, ``gammavariate()``, ``choices()``,
``shuffle()``) is used, with a fixed call order; Poisson draws are done here (inverse CDF
below a mean of 60, a rounded normal above). Values are written as integers or as money from
integer cents, rows in a fixed sort order, ``\\n`` line endings, no timestamps. The same
seed gives the same bytes on the same platform maths library (tested on CPython 3.11, Linux).

What is generated
-----------------
- ``store_attributes.csv``: S001..S050 in three latent segments (14 premium, 22 mainstream,
  14 value; shuffled) that drive size, income, tiers, format and sales level, so the K-means
  clusters have something real to find. Regions: Northeast, Southeast, Midwest, West.
- ``historical_sales.csv``: Mondays from 2022-03-07 for 156 weeks (to 2025-02-24),
  every store x category: ``date, store_id, category, quantity_sold, revenue``. Mean units =
  store base level x category mix of its segment x seasonality x trend x price effect, then
  gamma-Poisson noise (about 20% extra dispersion at store level).
  * womens_outerwear: winter peak (early December), +10% a year, list price $120,
    elasticity 1.6.
  * womens_dresses: summer peak (late June), +4% a year, list price $65, elasticity 2.3.
  * mens_basics: nearly flat (small back-to-school bump), -4% a year, list price $18,
    elasticity 1.3.
  December weeks before Christmas get +20% for every category. Each store-week-category is on
  promotion with probability 10% at 10/20/30% off; units scale with ``(price / list) ^
  -elasticity`` and revenue = units x promotional price, so ``revenue / quantity_sold`` varies
  and a log-log regression has something to estimate. Store price index: premium x1.15,
  value x0.85.
- ``season_expected.csv``: the in-season category: womens_dresses, 12 weeks from Monday
  2025-03-03 (the week after the history ends). ``expected_units`` is the noise-free mean of
  the very process that generated the history, evaluated on the season's dates (same store
  bases, mix, seasonality and trend) times the *average* promotional lift of the history,
  with no random promotions: exactly what a well-calibrated forecast of the history predicts.
  It is the "plausible forecast" the weekly files are measured against.
- ``weekly_sales_<scenario>.csv``: ``store_id, week_number, units_sold, category`` for the 12
  season weeks. Store means = expected x a category-wide weekly factor (normal, sd 5%,
  clipped to +-15%) with store-level gamma-Poisson noise.
  * ``normal``: no shock; the cumulative variance against ``season_expected`` stays within a
    few percent (well inside +-20%) in every week.
  * ``shock_up`` / ``shock_down``: weeks 1-4 are identical to ``normal``; from week 5 demand is
    multiplied by a constant step chosen so that the *cumulative* variance of the expected
    curve reaches +30% (up) / -25% (down) at week 8: ``step = 1 + target x E[1..8] /
    E[5..8]``. A plain +30% / -25% weekly step can never push the cumulative variance of a
    12-week season beyond 20% (at best 0.30 x 8/12 = 0.20 at week 12), so the scenario names
    give the cumulative level the shock reaches. With this season's rising curve the steps
    are x1.53 and x0.56. For seed 42 the cumulative variance is +19.0% / -15.3% at week 6
    and +24.6% / -20.2% at week 7: the re-forecast triggers from week 7 on (week 6 or 7 for
    other seeds), while ``normal`` never leaves +-5%.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import math
import random
from collections.abc import Sequence
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_SEED = 42
N_STORES = 50
HISTORY_START = dt.date(2022, 3, 7)
HISTORY_WEEKS = 156
SEASON_START = HISTORY_START + dt.timedelta(weeks=HISTORY_WEEKS)
SEASON_WEEKS = 12
SEASON_CATEGORY = "womens_dresses"
SHOCK_WEEK = 5
SHOCK_MEASURE_WEEK = 8
SCENARIO_TARGETS = {"normal": 0.0, "shock_up": 0.30, "shock_down": -0.25}
PROMO_PROBABILITY = 0.10
PROMO_DISCOUNTS = (0.10, 0.20, 0.30)
NOISE_SHAPE = 25.0  # gamma shape: multiplicative noise with sd 1/sqrt(25) = 20%
SEASON_WEEKLY_SD = 0.05

FILES = {
    "store_attributes": "store_attributes.csv",
    "historical_sales": "historical_sales.csv",
    "season_expected": "season_expected.csv",
    "weekly_sales_normal": "weekly_sales_normal.csv",
    "weekly_sales_shock_up": "weekly_sales_shock_up.csv",
    "weekly_sales_shock_down": "weekly_sales_shock_down.csv",
}
SCENARIOS = tuple(SCENARIO_TARGETS)
REGIONS = ("Northeast", "Southeast", "Midwest", "West")
CITIES = {
    "Northeast": ("Boston", "New York", "Philadelphia", "Hartford", "Providence", "Pittsburgh"),
    "Southeast": ("Atlanta", "Miami", "Charlotte", "Orlando", "Nashville", "Tampa"),
    "Midwest": ("Chicago", "Detroit", "Minneapolis", "Columbus", "Milwaukee", "Kansas City"),
    "West": ("Los Angeles", "Seattle", "San Francisco", "Denver", "Portland", "Phoenix"),
}


class _Category:
    def __init__(
        self,
        name: str,
        *,
        peak_day: int,
        amplitude: float,
        growth: float,
        price: float,
        elasticity: float,
        mix: dict[str, float],
    ) -> None:
        self.name = name
        self.peak_day = peak_day
        self.amplitude = amplitude
        self.growth = growth
        self.price_cents = round(price * 100)
        self.elasticity = elasticity
        self.mix = mix

    def seasonality(self, day: dt.date) -> float:
        angle = 2 * math.pi * (day.timetuple().tm_yday - self.peak_day) / 365.25
        holiday = 1.2 if day.month == 12 and day.day <= 24 else 1.0
        return (1 + self.amplitude * math.cos(angle)) * holiday

    def trend(self, day: dt.date) -> float:
        return (1 + self.growth) ** ((day - HISTORY_START).days / 365.25)

    def mean_promo_lift(self) -> float:
        lifts = [(1 - d) ** -self.elasticity for d in PROMO_DISCOUNTS]
        return 1 - PROMO_PROBABILITY + PROMO_PROBABILITY * sum(lifts) / len(lifts)


CATEGORIES = (
    _Category(
        "mens_basics",
        peak_day=240,
        amplitude=0.12,
        growth=-0.04,
        price=18.0,
        elasticity=1.3,
        mix={"premium": 0.30, "mainstream": 0.40, "value": 0.55},
    ),
    _Category(
        "womens_dresses",
        peak_day=176,
        amplitude=0.60,
        growth=0.04,
        price=65.0,
        elasticity=2.3,
        mix={"premium": 0.40, "mainstream": 0.35, "value": 0.25},
    ),
    _Category(
        "womens_outerwear",
        peak_day=340,
        amplitude=0.75,
        growth=0.10,
        price=120.0,
        elasticity=1.6,
        mix={"premium": 0.30, "mainstream": 0.25, "value": 0.20},
    ),
)
TRUE_ELASTICITY = {c.name: c.elasticity for c in CATEGORIES}
PRICE_INDEX = {"premium": 1.15, "mainstream": 1.0, "value": 0.85}

# segment: (count, size range, income range, base units range, location, fashion, format weights)
_SEGMENTS: dict[str, dict[str, Any]] = {
    "premium": {
        "count": 14,
        "size": (18_000, 35_000),
        "income": (95_000, 160_000),
        "base": (260.0, 420.0),
        "location": {"A": 0.8, "B": 0.2},
        "fashion": {"Premium": 0.85, "Mainstream": 0.15},
        "format": {"Mall": 0.6, "Standalone": 0.3, "ShoppingCenter": 0.1},
    },
    "mainstream": {
        "count": 22,
        "size": (12_000, 25_000),
        "income": (60_000, 100_000),
        "base": (150.0, 260.0),
        "location": {"A": 0.2, "B": 0.6, "C": 0.2},
        "fashion": {"Premium": 0.1, "Mainstream": 0.8, "Value": 0.1},
        "format": {"ShoppingCenter": 0.5, "Mall": 0.3, "Standalone": 0.2},
    },
    "value": {
        "count": 14,
        "size": (8_000, 18_000),
        "income": (35_000, 65_000),
        "base": (80.0, 150.0),
        "location": {"B": 0.3, "C": 0.7},
        "fashion": {"Mainstream": 0.15, "Value": 0.85},
        "format": {"Outlet": 0.45, "ShoppingCenter": 0.35, "Standalone": 0.2},
    },
}


class _Store:
    def __init__(self, **fields: Any) -> None:
        self.store_id: str = fields["store_id"]
        self.store_name: str = fields["store_name"]
        self.region: str = fields["region"]
        self.size: int = fields["size"]
        self.income: int = fields["income"]
        self.location_tier: str = fields["location_tier"]
        self.fashion_tier: str = fields["fashion_tier"]
        self.store_format: str = fields["store_format"]
        self.segment: str = fields["segment"]
        self.base: float = fields["base"]


# --------------------------------------------------------------------------- random helpers


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam >= 60:
        return max(0, math.floor(rng.gauss(lam, math.sqrt(lam)) + 0.5))
    u = rng.random()
    k, p = 0, math.exp(-lam)
    cumulative = p
    while u > cumulative and k < 1000:
        k += 1
        p *= lam / k
        cumulative += p
    return k


def _noisy_count(rng: random.Random, mean: float) -> int:
    return _poisson(rng, mean * rng.gammavariate(NOISE_SHAPE, 1 / NOISE_SHAPE))


# --------------------------------------------------------------------------- generation


def _stores(rng: random.Random) -> list[_Store]:
    segments = [name for name, spec in _SEGMENTS.items() for _ in range(spec["count"])]
    assert len(segments) == N_STORES
    rng.shuffle(segments)
    stores = []
    for number, segment in enumerate(segments, start=1):
        spec = _SEGMENTS[segment]
        region = REGIONS[rng.randrange(len(REGIONS))]
        size = round(rng.uniform(*spec["size"]) / 100) * 100
        income = round(rng.uniform(*spec["income"]) / 500) * 500
        low, high = spec["size"]
        size_effect = math.sqrt(size / ((low + high) / 2))
        base = rng.uniform(*spec["base"]) * size_effect
        city = CITIES[region][rng.randrange(len(CITIES[region]))]
        stores.append(
            _Store(
                store_id=f"S{number:03d}",
                store_name=f"{city} #{number}",
                region=region,
                size=size,
                income=income,
                location_tier=_pick(rng, spec["location"]),
                fashion_tier=_pick(rng, spec["fashion"]),
                store_format=_pick(rng, spec["format"]),
                segment=segment,
                base=base,
            )
        )
    return stores


def _mean_units(store: _Store, category: _Category, day: dt.date) -> float:
    return (
        store.base * category.mix[store.segment] * category.seasonality(day) * category.trend(day)
    )


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _csv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    lines = [",".join(header)]
    lines.extend(",".join(str(v) for v in row) for row in rows)
    return ("\n".join(lines) + "\n").encode("utf-8")


def _history_rows(rng: random.Random, stores: list[_Store]) -> list[list[object]]:
    rows: list[list[object]] = []
    for week in range(HISTORY_WEEKS):
        day = HISTORY_START + dt.timedelta(weeks=week)
        for store in stores:
            for category in CATEGORIES:
                list_cents = round(category.price_cents * PRICE_INDEX[store.segment])
                discount = 0.0
                if rng.random() < PROMO_PROBABILITY:
                    discount = PROMO_DISCOUNTS[rng.randrange(len(PROMO_DISCOUNTS))]
                price_cents = round(list_cents * (1 - discount))
                lift = (price_cents / list_cents) ** -category.elasticity
                units = _noisy_count(rng, _mean_units(store, category, day) * lift)
                rows.append(
                    [
                        day.isoformat(),
                        store.store_id,
                        category.name,
                        units,
                        _money(units * price_cents),
                    ]
                )
    return rows


def _season(
    rng: random.Random, stores: list[_Store]
) -> tuple[list[float], dict[str, list[list[object]]]]:
    category = next(c for c in CATEGORIES if c.name == SEASON_CATEGORY)
    lift = category.mean_promo_lift()
    days = [SEASON_START + dt.timedelta(weeks=w) for w in range(SEASON_WEEKS)]
    store_means = {
        s.store_id: [_mean_units(s, category, day) * lift for day in days] for s in stores
    }
    expected = [sum(store_means[s.store_id][w] for s in stores) for w in range(SEASON_WEEKS)]
    weekly_factor = [
        min(1.15, max(0.85, rng.gauss(1.0, SEASON_WEEKLY_SD))) for _ in range(SEASON_WEEKS)
    ]
    early = sum(expected[:SHOCK_MEASURE_WEEK])
    shocked = sum(expected[SHOCK_WEEK - 1 : SHOCK_MEASURE_WEEK])
    files: dict[str, list[list[object]]] = {}
    normal_units: dict[tuple[str, int], int] = {}
    for scenario, target in SCENARIO_TARGETS.items():
        step = 1 + target * early / shocked
        rows: list[list[object]] = []
        for store in stores:
            for week in range(1, SEASON_WEEKS + 1):
                mean = store_means[store.store_id][week - 1] * weekly_factor[week - 1]
                if scenario != "normal" and week < SHOCK_WEEK:
                    units = normal_units[(store.store_id, week)]
                else:
                    units = _noisy_count(rng, mean * (step if week >= SHOCK_WEEK else 1.0))
                if scenario == "normal":
                    normal_units[(store.store_id, week)] = units
                rows.append([store.store_id, week, units, category.name])
        files[scenario] = rows
    return expected, files


def generate_bytes(seed: int = DEFAULT_SEED) -> dict[str, bytes]:
    """Every sample file's name and exact bytes for ``seed``."""
    rng = random.Random(seed)
    stores = _stores(rng)
    out: dict[str, bytes] = {}
    out[FILES["store_attributes"]] = _csv(
        (
            "store_id",
            "store_name",
            "region",
            "store_size_sqft",
            "median_income",
            "location_tier",
            "fashion_tier",
            "store_format",
        ),
        [
            [
                s.store_id,
                s.store_name,
                s.region,
                s.size,
                s.income,
                s.location_tier,
                s.fashion_tier,
                s.store_format,
            ]
            for s in stores
        ],
    )
    out[FILES["historical_sales"]] = _csv(
        ("date", "store_id", "category", "quantity_sold", "revenue"), _history_rows(rng, stores)
    )
    expected, scenarios = _season(rng, stores)
    out[FILES["season_expected"]] = _csv(
        ("category", "week_number", "week_start", "expected_units"),
        [
            [
                SEASON_CATEGORY,
                week,
                (SEASON_START + dt.timedelta(weeks=week - 1)).isoformat(),
                round(units),
            ]
            for week, units in enumerate(expected, start=1)
        ],
    )
    for scenario, rows in scenarios.items():
        out[FILES[f"weekly_sales_{scenario}"]] = _csv(
            ("store_id", "week_number", "units_sold", "category"), rows
        )
    return out


def generate(out_dir: str | Path, seed: int = DEFAULT_SEED) -> dict[str, Path]:
    """Write the sample files into ``out_dir`` (created if needed); returns name -> path."""
    directory = Path(out_dir)
    directory.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name, content in generate_bytes(seed).items():
        path = directory / name
        path.write_bytes(content)
        written[name] = path
    return written


# --------------------------------------------------------------------------- loaders

_INT_COLUMNS = {
    "store_size_sqft",
    "median_income",
    "quantity_sold",
    "week_number",
    "units_sold",
    "expected_units",
}
_FLOAT_COLUMNS = {"revenue"}


def sample_file(name: str) -> Traversable:
    """The packaged sample file ``name`` (a key of ``FILES`` or a file name)."""
    filename = FILES.get(name, name)
    if filename not in FILES.values():
        raise KeyError(f"unknown sample file {name!r} (known: {', '.join(sorted(FILES))})")
    return resources.files("fashion_forecast_local").joinpath("sample_data", filename)


def _typed(row: dict[str, str]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in row.items():
        if key in _INT_COLUMNS:
            result[key] = int(value)
        elif key in _FLOAT_COLUMNS:
            result[key] = float(value)
        else:
            result[key] = value
    return result


def load_sample_rows(name: str) -> list[dict[str, Any]]:
    """A packaged sample file as a list of dicts (numbers typed, dates as ISO strings)."""
    text = sample_file(name).read_text(encoding="utf-8")
    return [_typed(row) for row in csv.DictReader(io.StringIO(text))]


def load_sample_store_attributes() -> list[dict[str, Any]]:
    return load_sample_rows("store_attributes")


def load_sample_history() -> list[dict[str, Any]]:
    return load_sample_rows("historical_sales")


def load_sample_season_expected() -> list[dict[str, Any]]:
    return load_sample_rows("season_expected")


def load_sample_weekly_sales(scenario: str = "normal") -> list[dict[str, Any]]:
    if scenario not in SCENARIOS:
        raise KeyError(f"unknown scenario {scenario!r} (known: {', '.join(SCENARIOS)})")
    return load_sample_rows(f"weekly_sales_{scenario}")


def load_sample_frame(name: str) -> pd.DataFrame:
    """A packaged sample file as a pandas DataFrame (pandas imported only here)."""
    import pandas as pd

    with sample_file(name).open("rb") as handle:
        return pd.read_csv(handle)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--out",
        default=str(Path(__file__).with_name("sample_data")),
        help="output directory (default: the packaged sample_data folder)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    for name, path in generate(args.out, seed=args.seed).items():
        print(f"{path}  {path.stat().st_size:>9,d} bytes  ({name})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
