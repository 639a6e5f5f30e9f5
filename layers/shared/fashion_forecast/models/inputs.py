"""The number and date types every request body uses, and the nesting bound of WebSocket
messages (docs/domain.md, "Input bounds").

JSON numbers only: a boolean, a numeric string ("12", full-width digits) or, for a whole
number, 12.0 is refused rather than coerced; NaN and Infinity are refused; a date is
YYYY-MM-DD text (a number such as 0 or an epoch is refused) within FIRST_DATE..LAST_DATE.
Each field adds its own documented range with Field(ge=..., le=...).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import AllowInfNan, BeforeValidator, Field, Strict

from fashion_forecast.constants import FIRST_DATE, LAST_DATE, MAX_ORDER_UNITS

MAX_JSON_DEPTH = 32  # arrays and objects inside each other, in a WebSocket message


def json_depth(text: str) -> int:
    """How deep arrays and objects nest in a JSON text, found without parsing it (a parser
    recurses once per level: thousands of levels exhaust the stack before it says no)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _ascii_whole(value: object) -> object:
    """A whole number in a query string, a path or a form field: ASCII digits only, at most
    nine of them (no sign, "1_0", "1e3" or full-width digits)."""
    if isinstance(value, str) and not re.fullmatch(r"[0-9]{1,9}", value):
        raise ValueError("must be a whole number written with the digits 0-9 (at most 9 of them)")
    return value


WholeNumber = Annotated[int, Strict()]
# query strings, paths and form fields arrive as text
WholeText = Annotated[int, BeforeValidator(_ascii_whole)]
RealNumber = Annotated[float, Strict(), AllowInfNan(False)]


def _date_text(value: object) -> object:
    """A date arrives as YYYY-MM-DD text (or a date, in code): a number is not a date."""
    if isinstance(value, dt.date | str):
        return value
    raise ValueError("a date is a YYYY-MM-DD string")


InputDate = Annotated[dt.date, BeforeValidator(_date_text), Field(ge=FIRST_DATE, le=LAST_DATE)]
# Units of stock or sales: 0..MAX_ORDER_UNITS.
Units = Annotated[float, Strict(), AllowInfNan(False), Field(ge=0, le=MAX_ORDER_UNITS)]
WholeUnits = Annotated[int, Strict(), Field(ge=0, le=MAX_ORDER_UNITS)]
