"""What an order quantity risks, from the season demand's calibrated quantiles
(docs/domain.md, "Order risk").

Pure standard library (``statistics.NormalDist``): it runs in the Inventory Lambda, which has no
numpy. The season demand ``D`` is read as a two-piece normal with median ``m`` (the point
forecast) whose lower and upper 80% quantiles are the season's calibrated interval ``[lo, hi]``:

    sigma_lo = (m - lo) / z,  sigma_hi = (hi - m) / z,   z = Phi^-1(0.9) = 1.2816
    F(x) = Phi((x - m) / sigma_lo) for x < m,  Phi((x - m) / sigma_hi) for x >= m

Demand below zero counts as zero. For an order of ``Q`` units:

    stockout probability = P(D > Q) = 1 - F(Q)
    expected overstock   = E[(Q - max(D, 0))+] = G(Q) - G(0)
    expected shortfall   = E[(D - Q)+]         = E[D] - Q + G(Q)

with ``G(x) = integral of F up to x`` in closed form (psi(z) = z Phi(z) + phi(z)):
``G(x) = sigma_lo psi((x - m) / sigma_lo)`` for ``x <= m``, and
``sigma_lo phi(0) + sigma_hi (psi((x - m) / sigma_hi) - phi(0))`` above; and
``E[D] = m + (sigma_hi - sigma_lo) / sqrt(2 pi)``. A zero sigma is a point mass on that side.
"""

from __future__ import annotations

import math
from statistics import NormalDist

from fashion_forecast.models.forecasts import OrderRisk

_STD = NormalDist()


def _psi(z: float) -> float:
    return z * _STD.cdf(z) + _STD.pdf(z)


def _partial(sigma: float, d: float) -> float:
    """integral over (-inf, d] of Phi(t / sigma) dt; a step function when sigma is 0."""
    return sigma * _psi(d / sigma) if sigma > 0 else max(d, 0.0)


def _cdf(x: float, m: float, sigma_lo: float, sigma_hi: float) -> float:
    sigma = sigma_lo if x < m else sigma_hi
    if sigma > 0:
        return _STD.cdf((x - m) / sigma)
    return 0.0 if x < m else 1.0


def _g(x: float, m: float, sigma_lo: float, sigma_hi: float) -> float:
    if x <= m:
        return _partial(sigma_lo, x - m)
    return _partial(sigma_lo, 0.0) + _partial(sigma_hi, x - m) - _partial(sigma_hi, 0.0)


def order_risk(
    quantity: int, median: float, lower: float, upper: float, level: float = 0.8
) -> OrderRisk:
    """Stock-out probability, expected overstock and shortfall of ordering ``quantity`` units
    when the season demand has median ``median`` and a central ``level`` interval
    ``[lower, upper]`` (``0 <= lower <= median <= upper``)."""
    if not 0 <= lower <= median <= upper:
        raise ValueError(f"need 0 <= lower <= median <= upper, got {lower}, {median}, {upper}")
    if quantity < 0:
        raise ValueError(f"quantity must be >= 0, got {quantity}")
    z = _STD.inv_cdf(0.5 + level / 2)
    sigma_lo = (median - lower) / z
    sigma_hi = (upper - median) / z
    q = float(quantity)
    g_q = _g(q, median, sigma_lo, sigma_hi)
    mean = median + (sigma_hi - sigma_lo) / math.sqrt(2 * math.pi)
    overstock = g_q - _g(0.0, median, sigma_lo, sigma_hi)
    shortfall = mean - q + g_q
    return OrderRisk(
        quantity=quantity,
        demand_median=round(median, 2),
        demand_lower=round(lower, 2),
        demand_upper=round(upper, 2),
        interval_level=level,
        stockout_probability=round(1.0 - _cdf(q, median, sigma_lo, sigma_hi), 4),
        expected_overstock=round(max(overstock, 0.0), 1),
        expected_shortfall=round(max(shortfall, 0.0), 1),
    )
