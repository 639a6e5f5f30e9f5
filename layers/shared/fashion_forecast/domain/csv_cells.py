"""Spreadsheet formula cells (docs/domain.md "Input bounds").

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some, a tab or a
carriage return) as a formula: ``=HYPERLINK(...)`` in a store name would run in the planner's
spreadsheet when the list is exported. Uploaded text cells starting so are refused (the rule is
applied where files are parsed); every CSV the product writes passes its cells through
``escape_formula`` as well, so a formula can never leave the product live.
"""

from __future__ import annotations

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def is_formula(value: str) -> bool:
    return value.startswith(FORMULA_PREFIXES)


def escape_formula(value: str) -> str:
    """The OWASP neutralisation: a leading apostrophe makes the cell plain text."""
    return "'" + value if is_formula(value) else value
