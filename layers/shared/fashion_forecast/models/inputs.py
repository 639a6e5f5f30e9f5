"""The number and date types every request body uses (docs/domain.md, "Input bounds").

JSON numbers only: a boolean, a numeric string ("12", full-width digits) or, for a whole
number, 12.0 is refused rather than coerced; NaN and Infinity are refused; dates lie within
FIRST_DATE..LAST_DATE. Each field adds its own documented range with Field(ge=..., le=...).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AllowInfNan, Field, Strict

from fashion_forecast.constants import FIRST_DATE, LAST_DATE, MAX_ORDER_UNITS

WholeNumber = Annotated[int, Strict()]
RealNumber = Annotated[float, Strict(), AllowInfNan(False)]
InputDate = Annotated[dt.date, Field(ge=FIRST_DATE, le=LAST_DATE)]
# Units of stock or sales: 0..MAX_ORDER_UNITS.
Units = Annotated[float, Strict(), AllowInfNan(False), Field(ge=0, le=MAX_ORDER_UNITS)]
WholeUnits = Annotated[int, Strict(), Field(ge=0, le=MAX_ORDER_UNITS)]
