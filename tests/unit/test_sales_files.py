"""Validation of uploaded sales files: weekly sales, historical sales, store attributes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from fashion_forecast.domain.history import aggregate_weekly
from fashion_forecast.domain.sales_files import (
    MAX_DETAILS,
    EmptyFileError,
    FileEncodingError,
    FileRejectedError,
    FileTooLargeError,
    parse_historical_sales,
    parse_store_attributes,
    parse_weekly_sales,
)
from fashion_forecast_local import sample_data

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "weekly_sales_bad"
STORES = [f"S{i:03d}" for i in range(1, 51)]
HEADER = "store_id,week_number,units_sold,category\n"


def weekly(text: str, **kwargs: object) -> object:
    options: dict[str, object] = {
        "horizon_weeks": 12,
        "known_stores": STORES,
        "category": "womens_dresses",
    }
    options.update(kwargs)
    return parse_weekly_sales(text.encode(), **options)  # type: ignore[arg-type]


# -- weekly sales ------------------------------------------------------------------------------


def test_a_bundled_week_parses_with_exact_totals() -> None:
    rows = [r for r in sample_data.load_sample_weekly_sales("shock_up") if r["week_number"] == 6]
    text = HEADER + "".join(
        f"{r['store_id']},{r['week_number']},{r['units_sold']},{r['category']}\n" for r in rows
    )
    parsed = parse_weekly_sales(
        text.encode(), horizon_weeks=12, known_stores=STORES, category="womens_dresses"
    )
    assert parsed.weeks == [6]
    assert parsed.week_totals() == {6: 7405}
    assert len(parsed.rows) == 50 and parsed.skipped_rows == 0
    assert parsed.store_units(6)["S001"] == rows[0]["units_sold"]


def test_lenient_header_bom_blank_lines_and_other_categories() -> None:
    text = (
        "\ufeff Store_ID , WEEK_NUMBER,units_sold,category,note\n"
        "S001,2,10,womens_dresses,x\n"
        "\n"
        "S001,2,99,mens_basics,other category: skipped\n"
        "S002, 2 ,5,,empty category = the forecast's\n"
        "S003,1,0,womens_dresses,\n"
    )
    parsed = weekly(text)
    assert [(r.store_id, r.week_number, r.units_sold) for r in parsed.rows] == [  # type: ignore[attr-defined]
        ("S001", 2, 10),
        ("S002", 2, 5),
        ("S003", 1, 0),
    ]
    assert parsed.skipped_rows == 1  # type: ignore[attr-defined]
    assert parsed.week_totals() == {1: 0, 2: 15}  # type: ignore[attr-defined]


def test_without_a_category_column_every_row_counts() -> None:
    parsed = weekly("store_id,week_number,units_sold\nS001,1,3\nS002,1,4\n")
    assert parsed.week_totals() == {1: 7}  # type: ignore[attr-defined]
    assert not parsed.category_column  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.csv")))
def test_bad_file_corpus_is_refused_whole_with_its_details(name: str) -> None:
    expected = json.loads((CORPUS / "expected.json").read_text())[name]
    with pytest.raises(FileRejectedError) as refused:
        parse_weekly_sales(
            (CORPUS / name).read_bytes(),
            horizon_weeks=12,
            known_stores=STORES,
            category="womens_dresses",
        )
    assert refused.value.code == expected["error_code"]
    assert refused.value.message == expected["message"]
    assert refused.value.details == expected["details"]


def test_the_corpus_covers_every_refusal_the_issue_lists() -> None:
    expected = json.loads((CORPUS / "expected.json").read_text())
    assert set(expected) == {p.name for p in CORPUS.glob("*.csv")}
    assert {
        "missing_column.csv",
        "text_in_units.csv",
        "negative_units.csv",
        "unknown_store.csv",
        "week_out_of_range.csv",
        "duplicate_rows.csv",
        "empty.csv",
        "wrong_encoding.csv",
    } <= set(expected)


def test_a_20_mb_file_is_too_large_before_parsing() -> None:
    big = (HEADER + "S001,1,1,womens_dresses\n" * 900_000).encode()
    assert len(big) > 20_000_000
    with pytest.raises(FileTooLargeError) as refused:
        parse_weekly_sales(big, horizon_weeks=12, known_stores=STORES)
    assert refused.value.code == "file_too_large"
    assert refused.value.details == [
        {"row": None, "column": None, "message": "at most 10,485,760 bytes"}
    ]


def test_utf16_and_nul_bytes_are_encoding_errors() -> None:
    with pytest.raises(FileEncodingError) as utf16:
        parse_weekly_sales(HEADER.encode("utf-16"), horizon_weeks=12)
    assert utf16.value.details[0]["message"] == "byte 0xff at offset 0 is not valid UTF-8"
    with pytest.raises(FileEncodingError) as nul:
        parse_weekly_sales(HEADER.encode("utf-16-le"), horizon_weeks=12)
    assert nul.value.details == [{"row": 1, "column": None, "message": "NUL byte at offset 1"}]


def test_whitespace_only_is_empty() -> None:
    with pytest.raises(EmptyFileError):
        parse_weekly_sales(b" \n\r\n ", horizon_weeks=12)


def test_rows_after_the_uploads_week_are_refused() -> None:
    with pytest.raises(FileRejectedError) as refused:
        weekly(HEADER + "S001,5,1,womens_dresses\nS001,6,1,womens_dresses\n", through_week=5)
    assert refused.value.details == [
        {
            "row": 3,
            "column": "week_number",
            "message": "week 6 is after week 5, the week this upload is for",
        }
    ]


def test_only_other_categories_is_refused() -> None:
    with pytest.raises(FileRejectedError) as refused:
        weekly(HEADER + "S001,1,3,mens_basics\n")
    assert refused.value.message.startswith("The weekly sales file has no row for category")


def test_details_stop_at_50_but_every_problem_is_counted() -> None:
    text = HEADER + "".join(f"S001,{w % 12 + 1},-{w},womens_dresses\n" for w in range(1, 81))
    with pytest.raises(FileRejectedError) as refused:
        weekly(text)
    assert len(refused.value.details) == MAX_DETAILS
    assert "80 problems (the first 50 are listed)" in refused.value.message


def test_hostile_ids_and_absurd_numbers_are_refused() -> None:
    text = (
        HEADER
        + "../../etc,1,1,womens_dresses\n"
        + "S001,1,99999999999,womens_dresses\n"
        + 'S002,1,"1\n2",womens_dresses\n'
    )
    with pytest.raises(FileRejectedError) as refused:
        weekly(text, known_stores=None)
    messages = [(d["row"], d["column"], d["message"]) for d in refused.value.details]
    assert messages == [
        (2, "store_id", "store_id '../../etc' is not a valid id (letters, digits, '_' and '-')"),
        (3, "units_sold", "units_sold 99999999999 is implausibly large"),
        (5, "units_sold", "units_sold '1\\n2' is not a whole number"),
    ]


# -- historical sales --------------------------------------------------------------------------


def test_historical_sample_parses_and_aggregates_like_the_seed() -> None:
    data = sample_data.sample_file("historical_sales.csv").read_bytes()
    parsed = parse_historical_sales(data, today=dt.date(2026, 1, 1))
    assert len(parsed.rows) == 23400
    assert (parsed.first_date, parsed.last_date) == (dt.date(2022, 3, 7), dt.date(2025, 2, 24))
    assert parsed.categories == ["mens_basics", "womens_dresses", "womens_outerwear"]
    assert len(parsed.stores) == 50
    ours = aggregate_weekly(parsed.rows)
    seeded = aggregate_weekly(sample_data.load_sample_history())
    assert ours == seeded


def test_historical_daily_rows_and_optional_revenue() -> None:
    data = (
        b"date,store_id,category,quantity_sold\n"
        b"2025-03-03,S001,tops,3\n2025-03-05,S001,tops,4.5\n2025-03-10,S002,tops,0\n"
    )
    parsed = parse_historical_sales(data, today=dt.date(2025, 4, 1))
    weekly_rows = aggregate_weekly(parsed.rows)["tops"]
    assert [(r.week_start.isoformat(), r.store_id, r.quantity_sold) for r in weekly_rows] == [
        ("2025-03-03", "S001", 7.5),
        ("2025-03-10", "S002", 0.0),
    ]
    assert all(r.revenue is None for r in weekly_rows)


def test_historical_bad_rows() -> None:
    data = (
        b"date,store_id,category,quantity_sold,revenue\n"
        b"2025-02-30,S001,tops,1,2\n"
        b"20250303,S001,tops,1,2\n"
        b"2031-01-01,S001,tops,1,2\n"
        b"2025-03-03,S001,../x,1,2\n"
        b"2025-03-03,S001,tops,-1,2\n"
        b"2025-03-03,S001,tops,nan,2\n"
        b"2025-03-03,S001,tops,1,-2\n"
        b"2025-03-04,S001,tops,1,\n"
        b"2025-03-04,S001,tops,1,\n"
    )
    with pytest.raises(FileRejectedError) as refused:
        parse_historical_sales(data, today=dt.date(2026, 1, 1))
    assert [(d["row"], d["column"]) for d in refused.value.details] == [
        (2, "date"),
        (3, "date"),
        (4, "date"),
        (5, "category"),
        (6, "quantity_sold"),
        (7, "quantity_sold"),
        (8, "revenue"),
        (10, "date"),
    ]
    assert refused.value.details[0]["message"] == "date '2025-02-30' does not exist"
    assert (
        refused.value.details[-1]["message"] == "duplicate of row 9 (2025-03-04, store S001, tops)"
    )


def test_historical_missing_columns() -> None:
    with pytest.raises(FileRejectedError) as refused:
        parse_historical_sales(b"date,store,quantity\n2025-03-03,S001,1\n")
    assert [d["column"] for d in refused.value.details] == [
        "store_id",
        "category",
        "quantity_sold",
    ]


# -- store attributes --------------------------------------------------------------------------


def test_store_sample_round_trips() -> None:
    data = sample_data.sample_file("store_attributes.csv").read_bytes()
    parsed = parse_store_attributes(data)
    assert len(parsed.rows) == 50
    assert parsed.to_csv() == data.decode()


def test_store_values_are_normalised() -> None:
    data = (
        b"store_id,store_name,region,store_size_sqft,median_income,location_tier,fashion_tier,"
        b"store_format\nS1,Main St,West,1000,52000.50,a, premium ,shopping_center\n"
    )
    (row,) = parse_store_attributes(data).rows
    assert row == {
        "store_id": "S1",
        "store_name": "Main St",
        "region": "West",
        "store_size_sqft": "1000",
        "median_income": "52000.5",
        "location_tier": "A",
        "fashion_tier": "Premium",
        "store_format": "ShoppingCenter",
    }


def test_store_bad_rows() -> None:
    header = (
        "store_id,store_name,region,store_size_sqft,median_income,location_tier,fashion_tier,"
        "store_format\n"
    )
    data = (
        header
        + "S1,A,West,0,1,A,Premium,Mall\n"
        + "S2,B,West,10,1,D,Premium,Mall\n"
        + "S3,,West,10,1,A,Premium,Kiosk\n"
        + "S1,D,West,10,1,A,Premium,Mall\n"
        + "S4,E,West,10,-5,A,Premium,Mall\n"
    ).encode()
    with pytest.raises(FileRejectedError) as refused:
        parse_store_attributes(data)
    assert [(d["row"], d["column"]) for d in refused.value.details] == [
        (2, "store_size_sqft"),
        (3, "location_tier"),
        (4, "store_name"),
        (4, "store_format"),
        (6, "median_income"),
    ]
    assert refused.value.details[1]["message"] == "location_tier 'D' must be one of A, B, C"


# -- classes of hostile cells (docs/domain.md "Input bounds") ---------------------------------

STORE_HEADER = (
    "store_id,store_name,region,store_size_sqft,median_income,location_tier,fashion_tier,"
    "store_format\n"
)
HISTORY_HEADER = "date,store_id,category,quantity_sold,revenue\n"
NOT_PLAIN_NUMBERS = [
    "\uff11\uff12",  # full-width digits
    "١٢",  # Arabic-Indic digits
    "1_000",
    "0x10",
    "nan",
    "inf",
    "-inf",
    "Infinity",
    "1e999",
    "9" * 5000,  # past Python's int-string limit: refused before int() sees it
    "1" * 33,
    " 1 2",
    "true",
]


@pytest.mark.parametrize("cell", NOT_PLAIN_NUMBERS, ids=range(len(NOT_PLAIN_NUMBERS)))
def test_a_weekly_units_cell_that_is_not_plain_ascii_digits_is_refused(cell: str) -> None:
    with pytest.raises(FileRejectedError) as refused:
        weekly(HEADER + f"S001,1,{cell},womens_dresses\n")
    assert [(d["row"], d["column"]) for d in refused.value.details] == [(2, "units_sold")]


@pytest.mark.parametrize("cell", ["\uff11", "1" * 40], ids=["full-width", "40 digits"])
def test_a_week_number_cell_that_is_not_plain_ascii_digits_is_refused(cell: str) -> None:
    with pytest.raises(FileRejectedError) as refused:
        weekly(HEADER + f"S001,{cell},1,womens_dresses\n")
    assert [(d["row"], d["column"]) for d in refused.value.details] == [(2, "week_number")]


@pytest.mark.parametrize("cell", NOT_PLAIN_NUMBERS, ids=range(len(NOT_PLAIN_NUMBERS)))
def test_a_history_quantity_or_revenue_that_is_not_a_plain_number_is_refused(cell: str) -> None:
    for row, column in (
        (f"2025-03-03,S001,tops,{cell},1\n", "quantity_sold"),
        (f"2025-03-03,S001,tops,1,{cell}\n", "revenue"),
    ):
        with pytest.raises(FileRejectedError) as refused:
            parse_historical_sales((HISTORY_HEADER + row).encode(), today=dt.date(2026, 1, 1))
        assert [(d["row"], d["column"]) for d in refused.value.details] == [(2, column)]


def test_plain_decimals_are_numbers() -> None:
    data = HISTORY_HEADER + "".join(
        f"2025-03-{day:02d},S001,tops,{cell},\n"
        for day, cell in zip(range(3, 9), ["12", "+1.5", "2.", ".5", "1e3", "0"], strict=True)
    )
    parsed = parse_historical_sales(data.encode(), today=dt.date(2026, 1, 1))
    assert [r["quantity_sold"] for r in parsed.rows] == [12.0, 1.5, 2.0, 0.5, 1000.0, 0.0]


def test_history_cells_and_week_sums_past_their_bounds_are_refused() -> None:
    data = (
        HISTORY_HEADER
        + "2025-03-03,S001,tops,1000000001,\n"  # one cell past 10^9
        + "2025-03-03,S002,tops,1,1000000000001\n"  # revenue past 10^12
        + "2025-03-10,S001,tops,600000000,\n"  # the week of 03-10 sums past 10^9 ...
        + "2025-03-12,S002,tops,600000000,\n"  # ... over two stores and two days
        + "2025-03-10,S001,pants,600000000,\n"  # another category's week is its own
    )
    with pytest.raises(FileRejectedError) as refused:
        parse_historical_sales(data.encode(), today=dt.date(2026, 1, 1))
    assert [(d["row"], d["column"]) for d in refused.value.details] == [
        (2, "quantity_sold"),
        (3, "revenue"),
        (4, "quantity_sold"),
    ]
    assert refused.value.details[2]["message"] == (
        "the week of 2025-03-10 sums to 1.2e+09 units of tops, more than 1,000,000,000"
    )


def test_a_weekly_file_whose_week_sums_past_the_bound_is_refused_at_the_row() -> None:
    text = HEADER + "S001,1,600000000,womens_dresses\nS002,1,600000000,womens_dresses\n"
    with pytest.raises(FileRejectedError) as refused:
        weekly(text)
    assert [(d["row"], d["column"], d["message"]) for d in refused.value.details] == [
        (3, "units_sold", "week 1 sums to more than 1,000,000,000 units by this row")
    ]


@pytest.mark.parametrize(
    "cell", ["\uff11\uff19\uff19\uff19-01-01", "2025-0\uff13-03", "9999-12-31", "0001-01-01"]
)
def test_history_dates_are_ascii_and_within_the_window(cell: str) -> None:
    with pytest.raises(FileRejectedError) as refused:
        parse_historical_sales(
            (HISTORY_HEADER + f"{cell},S001,tops,1,\n").encode(), today=dt.date(2026, 1, 1)
        )
    assert [(d["row"], d["column"]) for d in refused.value.details] == [(2, "date")]


FORMULAS = ['=HYPERLINK("http://x","y")', "+1+2", "-2+3", "@SUM(A1:A9)", "\t=1", "=1+1"]


@pytest.mark.parametrize("formula", FORMULAS, ids=range(len(FORMULAS)))
@pytest.mark.parametrize("column", ["store_name", "region"])
def test_a_text_cell_a_spreadsheet_would_run_as_a_formula_is_refused(
    formula: str, column: str
) -> None:
    values = {"store_name": "Main St", "region": "West"}
    values[column] = formula
    quoted = {k: '"' + v.replace('"', '""') + '"' for k, v in values.items()}
    data = STORE_HEADER + (
        f"S1,{quoted['store_name']},{quoted['region']},1000,52000,A,Premium,Mall\n"
    )
    with pytest.raises(FileRejectedError) as refused:
        parse_store_attributes(data.encode())
    (detail,) = refused.value.details
    assert (detail["row"], detail["column"]) == (2, column)
    assert "formula" in detail["message"]


def test_a_cell_with_a_minus_inside_is_plain_text() -> None:
    data = STORE_HEADER + "S1,Main St - North,North-West,1000,52000,A,Premium,Mall\n"
    (row,) = parse_store_attributes(data.encode()).rows
    assert (row["store_name"], row["region"]) == ("Main St - North", "North-West")


def test_every_csv_the_product_writes_neutralises_formula_cells() -> None:
    from fashion_forecast.domain import history
    from fashion_forecast.domain.sales_files import StoreAttributesFile

    stores = StoreAttributesFile(
        rows=[
            {
                "store_id": "S1",
                "store_name": "=HYPERLINK(1)",
                "region": "@SUM(1)",
                "store_size_sqft": "1",
                "median_income": "-1",
                "location_tier": "A",
                "fashion_tier": "Premium",
                "store_format": "Mall",
            }
        ]
    )
    assert stores.to_csv().splitlines()[1] == "S1,'=HYPERLINK(1),'@SUM(1),1,'-1,A,Premium,Mall"
    rows = [history.WeeklySales(dt.date(2025, 3, 3), "+S1", "=tops", 1.0, None)]
    assert history.to_csv(rows).splitlines()[1] == "2025-03-03,'+S1,'=tops,1,"
