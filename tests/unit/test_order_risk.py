"""Order risk from the season demand's calibrated interval (docs/domain.md, "Order risk")."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fashion_forecast.domain.order_risk import order_risk


def test_the_worked_example_of_docs_domain_md() -> None:
    # season demand 8,000 units, 80% interval 7,000..9,500; the default 20% safety -> 9,600
    risk = order_risk(9600, 8000, 7000, 9500)
    assert (risk.stockout_probability, risk.expected_overstock, risk.expected_shortfall) == (
        0.0858,
        1490.5,
        46.1,
    )
    # a modify to 8,800 units (10% safety)
    modified = order_risk(8800, 8000, 7000, 9500)
    assert (modified.stockout_probability, modified.expected_overstock) == (0.2471, 816.3)


@pytest.mark.parametrize(("quantity", "probability"), [(7000, 0.9), (8000, 0.5), (9500, 0.1)])
def test_the_interval_ends_and_the_median_are_the_quantiles(
    quantity: int, probability: float
) -> None:
    assert order_risk(quantity, 8000, 7000, 9500).stockout_probability == probability


def test_a_certain_demand_is_a_step() -> None:
    assert order_risk(99, 100, 100, 100).model_dump(
        include={"stockout_probability", "expected_overstock", "expected_shortfall"}
    ) == {"stockout_probability": 1.0, "expected_overstock": 0.0, "expected_shortfall": 1.0}
    assert order_risk(103, 100, 100, 100).expected_overstock == 3.0


def test_an_interval_out_of_order_is_refused() -> None:
    with pytest.raises(ValueError, match="lower <= median <= upper"):
        order_risk(10, 100, 120, 130)


@given(st.floats(0, 1e6), st.floats(0, 1e6), st.floats(0, 1e6), st.integers(0, 3_000_000))
def test_overstock_minus_shortfall_is_quantity_minus_mean(a, b, c, q) -> None:
    lower, median, upper = sorted((a, b, c))
    risk = order_risk(q, median, lower, upper)
    assert 0 <= risk.stockout_probability <= 1
    assert risk.expected_overstock <= q + 0.05
    # E[(Q - D)+] - E[(D - Q)+] = Q - E[D] when demand stays >= 0 (lower tail clipped)
    if lower > 0 and 5 * (median - lower) < lower:
        sigma_lo, sigma_hi = (
            (median - lower) / 1.2815515655446004,
            (upper - median) / 1.2815515655446004,
        )
        mean = median + (sigma_hi - sigma_lo) / 2.5066282746310002
        assert risk.expected_overstock - risk.expected_shortfall == pytest.approx(
            q - mean, abs=0.2 + 1e-6 * q
        )
