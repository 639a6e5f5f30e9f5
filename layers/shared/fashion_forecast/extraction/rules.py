"""Deterministic extractor: season parameters from the way planners write.

How it reads a text
-------------------
1. Normalise: lower case, plain dashes and quotes, number words to digits ("twenty-six" -> 26,
   "sixth" -> 6th, "a third" -> 33%, "two thirds" -> 67%, "three quarters" -> 75%).
2. Find dates first (so "March 1, 2025" is one token), then every other phrase the fields
   understand, each span used once. A number is tied to a field by the nearest topic word in
   the same sentence ("hold back 45%" -> holdback, "target 60% sell-through" -> markdown
   threshold); a comma, "and", "with", "but" between them counts as 40 extra characters.
3. Resolve each field: one distinct value -> that value; two different values -> the default,
   the field listed as missing, and a clarification question (never a silent guess).

Conventions where planners' words need a number
-----------------------------------------------
- 1 month = 4.33 weeks, rounded ("three months" -> 13, "six months" -> 26); a quarter = 13
  weeks; half a year = 26; a year = 52. Durations in days are divided by 7 and rounded.
- "halfway" / "mid-season" -> max(1, horizon // 2); "the final week" -> the horizon;
  "N weeks before the end" -> horizon - N; a markdown date -> its week counted from the start.
- A month and day without a year -> the next occurrence on or after `today`; a month alone
  ("early March", "starting in March") -> the 1st ("mid March" -> the 15th), this year when the
  month is not yet over, else next year. "next Monday" -> the Monday strictly after today (as
  SeasonParameters' default); "this Friday" -> on or after today; "next week" -> next Monday;
  "next month" -> its 1st; "in two weeks" -> today + 14 days (not moved to a Monday);
  "the first Monday of March" -> that day; "the end of May" -> May 31 (as a range end it sets
  the horizon: round((end - start + 1 day) / 7) weeks); "late May" -> a question.
  A numeric date like 04/03/2025 is read as M/D or D/M only when one reading is impossible;
  otherwise it is a question.
- "12 or 14 weeks", "12-14 weeks" -> two horizons, so a question.
- "ship 55% up front" / "send 55% to stores" -> holdback 0.45 (medium); "hold back nothing",
  "ship everything up front" -> 0.0. A percentage followed by "off"/"markdown" is a markdown
  depth, which the Pricing agent computes: it is ignored.
- Replenishment: none / weekly / bi-weekly. "monthly", "daily", "every 3 weeks" cannot be
  represented: a question. "with replenishment" without a frequency -> weekly (medium).
- A markdown (or a sell-through target) mentioned with no week -> a question: a null
  checkpoint means no markdown step. A checkpoint after an unstated horizon -> a question;
  after a stated one -> InvalidParametersError (API 422), like a horizon over 52.
- Presets: "Zara-style", "the luxury scenario", "standard preset" give the reference scenario's
  values (medium); any explicit value in the text wins over the preset.
- Confidence: high when stated explicitly, medium when inferred, low when defaulted.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from fashion_forecast.extraction.models import (
    FIELD_NAMES,
    Confidence,
    ExtractionResult,
    FieldName,
)
from fashion_forecast.extraction.result import DEFAULT_HORIZON, Resolved, assemble
from fashion_forecast.models.parameters import REFERENCE_SCENARIOS, next_monday

WEEKS_PER_MONTH = 4.33
BOUNDARY_PENALTY = 40
MAX_ASSIGN_DISTANCE = 80
WEEK_REF_DISTANCE = 130  # "markdown at week 6, no wait, week 8" is still about the markdown

Span = tuple[int, int]

# --------------------------------------------------------------------------- normalisation

_UNITS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}  # fmt: skip
_UNIT_ORDINALS = {k: v for k, v in _ORDINALS.items() if v < 10}


def _alt(words: dict[str, int] | list[str]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


def _ordinal(n: int) -> str:
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


_NUMBER_SUBS: list[tuple[re.Pattern[str], Any]] = [
    (re.compile(r"\b(?:a|one)[\s-]third\b"), "33%"),
    (re.compile(r"\btwo[\s-]thirds\b"), "67%"),
    (re.compile(r"\bthree[\s-]quarters\b"), "75%"),
    (
        re.compile(rf"\b({_alt(_TENS)})[\s-]({_alt(_UNIT_ORDINALS)})\b"),
        lambda m: _ordinal(_TENS[m[1]] + _UNIT_ORDINALS[m[2]]),
    ),
    (
        re.compile(rf"\b({_alt(_TENS)})[\s-]({_alt([k for k, v in _UNITS.items() if v < 10])})\b"),
        lambda m: str(_TENS[m[1]] + _UNITS[m[2]]),
    ),
    (re.compile(rf"\b({_alt(_ORDINALS)})\b"), lambda m: _ordinal(_ORDINALS[m[1]])),
    (re.compile(rf"\b({_alt(_TENS)})\b"), lambda m: str(_TENS[m[1]])),
    (re.compile(rf"\b({_alt(_UNITS)})\b"), lambda m: str(_UNITS[m[1]])),
    (re.compile(r"\b(?:a )?dozen\b"), "12"),
    (
        re.compile(r"\b(\d+) hundred(?: and)?(?: (\d+))?\b"),
        lambda m: str(int(m[1]) * 100 + int(m[2] or 0)),
    ),
]


def normalise(text: str) -> str:
    t = text.lower()
    for a, b in (("\u2013", "-"), ("\u2014", "-"), ("\u2012", "-"), ("\u2212", "-")):
        t = t.replace(a, b)
    for a in ("\u2018", "\u2019", "\u02bc"):
        t = t.replace(a, "'")
    t = t.replace("\u00a0", " ").replace("\t", " ")
    t = re.sub(r" {2,}", " ", t)
    for pattern, repl in _NUMBER_SUBS:
        t = pattern.sub(repl, t)
    return t


# --------------------------------------------------------------------------- vocabulary

_MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12, "jan": 1,
    "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sept": 9, "sep": 9, "oct": 10,
    "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH = rf"(?P<month>{_alt(_MONTHS)})\b\.?"
_WEEKDAYS = {
    name: i
    for i, name in enumerate(
        ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    )
}
_WEEKDAY = rf"(?P<weekday>{_alt(_WEEKDAYS)})\b"
_START_WORDS = (
    r"(?:start\w*|begin\w*|launch\w*|kick\w* off|kickoff|from|commenc\w*|opens?|opening"
    r"|go(?:es)? live|live|effective|as of)"
)

Topic = Literal[
    "markdown", "sellthru", "target", "holdback", "upfront", "variance", "replen", "start",
    "horizon", "neutral", "freq_neutral", "dur_neutral",
]  # fmt: skip

_TOPIC_PATTERNS: dict[Topic, str] = {
    "markdown": r"\bmark[\s-]?downs?\b|\bmds?\b|\bmarked down\b|\bmarking down\b|\bdiscount\w*"
    r"|\bprice (?:cuts?|reductions?|reviews?|checks?)\b|\bclearance\b|\bcheck[\s-]?points?\b"
    r"|\bre-?pric\w*|\bpricing\b|\bpromo\w*\b|\bon sale\b"
    r"|\b(?:review|check|cut|reduc|lower)\w* (?:the |our )?prices?\b",
    "sellthru": r"\bsell[\s-]?thr(?:ough|u)\b|\bsold[\s-]?thr(?:ough|u)\b|\bsell[\s-]?outs?\b"
    r"|\bsold\b|\bsell-?thru\b|\bsell\b",
    "target": r"\btargets?\b|\btargeting\b|\bgoal\b|\baim(?:ing)?\b",
    "holdback": r"\bhold(?:ing|s)?[\s-]?back\b|\bholdbacks?\b|\bheld[\s-]back\b"
    r"|\bwithh(?:old|eld)\w*"
    r"|\breserve[sd]?\b|\bin reserve\b|\bdcs?\b|\bdistribution cent(?:er|re)s?\b|\bwarehouse\w*"
    r"|\bkeep(?:s|ing)?\b|\bkept\b|\bretain\w*|\bpark\w*",
    "upfront": r"\bup[\s-]?front\b|\bto (?:the )?stores\b|\binto stores\b|\bin stores\b"
    r"|\binitial(?:ly)?\b|\bat launch\b|\bon day 1\b|\ballocat\w*|\bpush\w*|\bship\w*|\bsend\w*"
    r"|\bsent\b",
    "variance": r"\bvariances?\b|\bre-?forecast\w*|\bre-?plan\w*|\boff by\b|\bdeviat\w*|\bdrift\w*"
    r"|\bdiverg\w*|\btolerance\b|\bmiss(?:es|ing)? (?:the )?forecast\b|\bforecast error\b"
    r"|\b(?:below|above|under|over|off|from|vs\.?|versus|than|against)"
    r" (?:the )?(?:plan|forecast)\b",
    "replen": r"\breplen\w*|\btop[\s-]?ups?\b|\btopping[\s-]up\b|\btop (?:\w+ )?up\b|\brestock\w*"
    r"|\bre-stock\w*|\brefill\w*|\bre-?order\w*|\bre-?suppl\w*|\bdeliver\w*|\bshipments?\b"
    r"|\bdrops?\b|\btrucks?\b",
    "start": rf"\b{_START_WORDS}\b",
    "horizon": r"\bseason\b|\bhorizon\b|\bruns?\b|\brunning\b|\blasts?\b|\blasting\b|\blong\b"
    r"|\blength\b|\bduration\b|\bplan\b|\bforecast\b",
    "freq_neutral": r"\bforecast\w*|\bsales\b|\buploads?\b|\breports?\b|\breviews?\b|\bmeetings?\b"
    r"|\bcheck[\s-]?ins?\b|\bactuals\b|\bdata\b|\bbuckets?\b|\bnumbers\b|\bsnapshots?\b",
    "dur_neutral": r"\blead[\s-]?times?\b|\bhistory\b|\bhistorical\b|\bof data\b|\blast year\b"
    r"|\bago\b",
}

_SOFT_BOUNDARY = re.compile(r",|\band\b|\bbut\b|\bwith\b|\bwhile\b|\bthen\b|\bplus\b|\s-\s|[()]")
_HARD_BOUNDARY = re.compile(r"[.!?](?=\s|$)|[;\n]")

_PRESET_RE = re.compile(
    r"\b(?P<name>zara|standard|luxury)[\s-](?:style|scenario|preset|profile|template|setup"
    r"|playbook|model|like)\b|\blike (?:the )?(?P<name2>zara|luxury|standard)"
    r"(?: (?:one|scenario|preset|season))?\b|\b(?P<name3>zara|luxury) season\b|\b(?P<name4>zara)\b"
)

# --------------------------------------------------------------------------- data


@dataclass
class _Mention:
    field: FieldName
    value: Any
    confidence: Confidence
    evidence: str
    weak: bool = False


@dataclass(frozen=True)
class _Relative:
    """A checkpoint stated relative to the horizon or the start date."""

    kind: Literal["halfway", "before_end", "final", "date"]
    amount: int = 0
    date: dt.date | None = None


@dataclass
class _Date:
    span: Span
    date: dt.date | None
    confidence: Confidence
    evidence: str
    absolute: bool


@dataclass
class _Doc:
    text: str
    consumed: list[Span] = field(default_factory=list)
    hard: list[int] = field(default_factory=list)
    soft: list[int] = field(default_factory=list)
    keywords: dict[Topic, list[Span]] = field(default_factory=dict)

    def free(self, span: Span) -> bool:
        return all(span[1] <= s or span[0] >= e for s, e in self.consumed)

    def consume(self, span: Span) -> None:
        self.consumed.append(span)

    def find(self, pattern: re.Pattern[str], group: int | str = 0) -> Iterator[re.Match[str]]:
        """Matches not overlapping used text; each is consumed (only `group`'s span if given,
        so the words around it stay available as topic words)."""
        for m in pattern.finditer(self.text):
            if self.free(m.span()):
                use_group = group and m.group(group) is not None
                self.consume(m.span(group) if use_group else m.span())
                yield m

    def index_structure(self) -> None:
        self.hard = [m.start() for m in _HARD_BOUNDARY.finditer(self.text)]
        dates = list(self.consumed)
        self.soft = [
            m.start()
            for m in _SOFT_BOUNDARY.finditer(self.text)
            if all(not (s <= m.start() < e) for s, e in dates)
        ]
        self.keywords = {
            topic: [m.span() for m in re.finditer(pattern, self.text)]
            for topic, pattern in _TOPIC_PATTERNS.items()
        }

    def sentence(self, pos: int) -> int:
        return bisect.bisect_right(self.hard, pos)

    def distance(self, a: Span, b: Span) -> float:
        if self.sentence(a[0]) != self.sentence(b[0]):
            return math.inf
        lo, hi = (a[1], b[0]) if a[1] <= b[0] else (b[1], a[0])
        if hi <= lo:
            return 0.0
        crossings = bisect.bisect_left(self.soft, hi) - bisect.bisect_left(self.soft, lo)
        return float(hi - lo + BOUNDARY_PENALTY * crossings)

    def nearest(
        self, span: Span, topics: tuple[Topic, ...], max_distance: float = MAX_ASSIGN_DISTANCE
    ) -> tuple[Topic | None, float]:
        topic, distance, _ = self.nearest_keyword(span, topics, max_distance)
        return topic, distance

    def nearest_keyword(
        self, span: Span, topics: tuple[Topic, ...], max_distance: float = MAX_ASSIGN_DISTANCE
    ) -> tuple[Topic | None, float, Span]:
        """The closest topic word in the same sentence (ties go to the earlier topic)."""
        best: tuple[Topic | None, float, Span] = (None, math.inf, span)
        for topic in topics:
            for kw in self.keywords.get(topic, []):
                if kw[0] < span[1] and span[0] < kw[1]:
                    continue  # the keyword is part of the mention itself
                d = self.distance(span, kw)
                if d < best[1]:
                    best = (topic, d, kw)
        return best if best[1] <= max_distance else (None, best[1], span)

    def snippet(self, a: Span, b: Span) -> str:
        """The text covering both spans, for the reasoning."""
        return _evidence(self.text[min(a[0], b[0]) : max(a[1], b[1])])

    def has_keyword(self, topic: Topic, outside_consumed: bool = False) -> bool:
        spans = self.keywords.get(topic, [])
        if outside_consumed:
            spans = [s for s in spans if self.free(s)]
        return bool(spans)


def _evidence(m: re.Match[str] | str) -> str:
    text = m if isinstance(m, str) else m.group(0)
    text = text.strip(" ,.;")
    return text if len(text) <= 60 else text[:57] + "..."


# --------------------------------------------------------------------------- dates


def _next_occurrence(today: dt.date, month: int, day: int) -> dt.date | None:
    """The first month/day on or after today (Feb 29 looks up to 4 years ahead)."""
    for year in range(today.year, today.year + 5):
        candidate = _safe_date(year, month, day)
        if candidate is not None and candidate >= today:
            return candidate
    return None


def _month_start(today: dt.date, month: int, day: int, year: int | None) -> dt.date:
    if year is None:
        year = today.year if month >= today.month else today.year + 1
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _nth_weekday(
    today: dt.date, nth: str, weekday: int, month: int, year_text: str | None
) -> dt.date:
    """ "the first Monday of March": in the given year, else the next such day on/after today."""

    def in_year(year: int) -> dt.date:
        days = [
            dt.date(year, month, d)
            for d in range(1, calendar.monthrange(year, month)[1] + 1)
            if dt.date(year, month, d).weekday() == weekday
        ]
        return days[-1] if nth == "last" else days[int(nth[0]) - 1]

    if year_text:
        return in_year(int(year_text))
    candidate = in_year(today.year)
    return candidate if candidate >= today else in_year(today.year + 1)


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


_ISO_RE = re.compile(r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b")
_SLASH_RE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\b")
_NOT_DURATION = r"(?!\s*-?\s*(?:weeks?|wks?|months?|days?|%|percent)\b)"
_MONTH_DAY_RE = re.compile(
    rf"\b{_MONTH}\s*(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s*(?P<year>\d{{4}})\b)?{_NOT_DURATION}"
)
_DAY_MONTH_RE = re.compile(
    rf"\b(?:the\s+)?(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?:,?\s*(?P<year>\d{{4}})\b)?"
)
_MONTH_MODIFIED_RE = re.compile(
    r"\b(?P<mod>early|beginning of|start of|the start of|the beginning of|mid|middle of"
    rf"|the middle of|late|end of|the end of)[\s-]+{_MONTH}(?:\s+(?P<year>\d{{4}})\b)?"
)
_MONTH_ONLY_RE = re.compile(
    rf"\b(?:in|{_START_WORDS})(?: in)?\s+(?P<span>{_MONTH}(?:\s+(?P<year>\d{{4}})\b)?)"
    rf"|\b(?P<span2>{_MONTH.replace('month', 'month2')})"
    r"\s+(?:launch|start|kick-?off|season start)\b"
)
_NTH_WEEKDAY_RE = re.compile(
    rf"\b(?:the )?(?P<nth>1st|2nd|3rd|4th|last) {_WEEKDAY} (?:of|in) {_MONTH}"
    rf"(?:,?\s*(?P<year>\d{{4}})\b)?"
)
_REL_WEEKDAY_RE = re.compile(rf"\b(?P<mod>next|this coming|this|coming)\s+{_WEEKDAY}")
_START_WEEKDAY_RE = re.compile(rf"\b{_START_WORDS}\s+(?:on\s+)?(?P<span>{_WEEKDAY})")
_NEXT_WEEK_RE = re.compile(r"\bnext week\b(?!'s)")
_NEXT_MONTH_RE = re.compile(r"\bnext month\b")
_TOMORROW_RE = re.compile(r"\btomorrow\b")
_TODAY_RE = re.compile(
    rf"\b{_START_WORDS}\s+(?P<span>today|now|immediately|right away|asap|straight away)\b"
)
_IN_DAYS_RE = re.compile(r"\bin (\d{1,3}) days?\b")
_FROM_NOW_RE = re.compile(r"\b(\d{1,3}) (days?|weeks?) from (?:now|today)\b")


def _find_dates(doc: _Doc, today: dt.date, questions: list[str]) -> list[_Date]:
    found: list[_Date] = []

    def add(span: Span, date: dt.date | None, conf: Confidence, ev: str, absolute: bool) -> None:
        found.append(_Date(span, date, conf, ev, absolute))

    for m in doc.find(_ISO_RE):
        date = _safe_date(int(m[1]), int(m[2]), int(m[3]))
        if date is None:
            questions.append(f"'{_evidence(m)}' is not a valid date. When does the season start?")
        add(m.span(), date, Confidence.HIGH, _evidence(m), True)
    for m in doc.find(_SLASH_RE):
        a, b, year = int(m[1]), int(m[2]), int(m[3])
        year = year + 2000 if year < 100 else year
        if a > 12 and b <= 12:
            date = _safe_date(year, b, a)
        elif (b > 12 and a <= 12) or a == b:
            date = _safe_date(year, a, b)
        else:
            date = None
            questions.append(
                f"Is '{_evidence(m)}' month/day or day/month? Please write the date as "
                "YYYY-MM-DD or with the month's name."
            )
        add(m.span(), date, Confidence.HIGH, _evidence(m), date is not None)
    for pattern in (_MONTH_DAY_RE, _DAY_MONTH_RE):
        for m in doc.find(pattern):
            month, day = _MONTHS[m["month"]], int(m["day"])
            if m["year"]:
                date = _safe_date(int(m["year"]), month, day)
            else:
                date = _next_occurrence(today, month, day)
            if date is None:
                questions.append(f"'{_evidence(m)}' is not a valid date. Which day did you mean?")
            add(m.span(), date, Confidence.HIGH, _evidence(m), True)
    for m in doc.find(_NTH_WEEKDAY_RE):
        add(
            m.span(),
            _nth_weekday(today, m["nth"], _WEEKDAYS[m["weekday"]], _MONTHS[m["month"]], m["year"]),
            Confidence.HIGH,
            _evidence(m),
            True,
        )
    for m in doc.find(_MONTH_MODIFIED_RE):
        mod = m["mod"]
        if "end" in mod:  # "the end of May": its last day (mostly an end date)
            given = int(m["year"]) if m["year"] else None
            add(
                m.span(),
                _month_start(today, _MONTHS[m["month"]], 31, given),
                Confidence.MEDIUM,
                _evidence(m),
                True,
            )
            continue
        if "late" in mod:
            questions.append(f"Which day exactly is '{_evidence(m)}'?")
            add(m.span(), None, Confidence.MEDIUM, _evidence(m), True)
            continue
        day = 15 if "mid" in mod else 1
        given = int(m["year"]) if m["year"] else None
        add(
            m.span(),
            _month_start(today, _MONTHS[m["month"]], day, given),
            Confidence.MEDIUM,
            _evidence(m),
            True,
        )
    for m in _MONTH_ONLY_RE.finditer(doc.text):
        group = "span" if m["span"] else "span2"
        span = m.span(group)
        if not doc.free(span):
            continue
        month_name = m["month"] or m["month2"]
        doc.consume(span)
        given = int(m["year"]) if m["year"] else None
        add(
            span,
            _month_start(today, _MONTHS[month_name], 1, given),
            Confidence.MEDIUM,
            _evidence(m.group(group)),
            True,
        )

    absolute_starts = {d.span[0] for d in found}

    def followed_by_absolute(end: int) -> bool:
        rest = re.match(r"[\s,]*(?:the\s+)?", doc.text[end:])
        return rest is not None and end + rest.end() in absolute_starts

    for m in _REL_WEEKDAY_RE.finditer(doc.text):
        if not doc.free(m.span()) or followed_by_absolute(m.end()):
            continue
        doc.consume(m.span())
        weekday = _WEEKDAYS[m["weekday"]]
        if m["mod"] == "next" and weekday == 0:
            date = next_monday(today)
        elif m["mod"] == "next":
            date = today + dt.timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
        else:
            date = today + dt.timedelta(days=(weekday - today.weekday()) % 7)
        add(m.span(), date, Confidence.HIGH, _evidence(m), False)
    for m in _START_WEEKDAY_RE.finditer(doc.text):
        span = m.span("span")
        if not doc.free(span) or followed_by_absolute(span[1]):
            continue
        doc.consume(span)
        weekday = _WEEKDAYS[m["weekday"]]
        date = today + dt.timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
        add(span, date, Confidence.MEDIUM, _evidence(m), False)
    for m in doc.find(_NEXT_WEEK_RE):
        add(m.span(), next_monday(today), Confidence.MEDIUM, _evidence(m), False)
    for m in doc.find(_NEXT_MONTH_RE):
        first = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        add(m.span(), first, Confidence.MEDIUM, _evidence(m), False)
    for m in doc.find(_TOMORROW_RE):
        add(m.span(), today + dt.timedelta(days=1), Confidence.HIGH, _evidence(m), False)
    for m in doc.find(_TODAY_RE, "span"):
        conf = Confidence.HIGH if m["span"] == "today" else Confidence.MEDIUM
        add(m.span("span"), today, conf, _evidence(m), False)
    for m in doc.find(_IN_DAYS_RE):
        add(m.span(), today + dt.timedelta(days=int(m[1])), Confidence.MEDIUM, _evidence(m), False)
    for m in doc.find(_FROM_NOW_RE):
        days = int(m[1]) * (7 if m[2].startswith("week") else 1)
        add(m.span(), today + dt.timedelta(days=days), Confidence.MEDIUM, _evidence(m), False)
    found.sort(key=lambda d: d.span[0])
    return found


# --------------------------------------------------------------------------- patterns

_KEY_VALUE_RE = re.compile(
    rf"\b(?P<key>{_alt(list(FIELD_NAMES))})\s*[:=]\s*[\"']?(?P<value>[\w.\-%]+)[\"']?"
)

_NO_REPLEN_RE = re.compile(
    r"\bno (?:[\w-]+ ){0,2}?(?:replen\w*|top[\s-]?ups?|topping up|restock\w*|re-stock\w*"
    r"|re-?orders?|re-?ordering|refills?|re-?suppl\w*|repeat (?:orders?|buys?))"
    r"|\bwithout (?:any )?(?:[\w-]+ )?(?:replen\w*|top[\s-]?ups?|restock\w*|re-?orders?|refills?)"
    r"|\b(?:don't|do not|won't|will not|never|not|no need to|shouldn't|we'll not) (?:\w+ )?"
    r"(?:replen\w*|top (?:\w+ )?up|restock\w*|re-?order\w*|refill\w*)"
    r"|\b1[\s-](?:shot|and[\s-]done|time buy|off buy|buy|drop)\b"
    r"|\bsingle (?:buy|drop|shipment|delivery)\b"
    r"|\breplen\w*(?: strategy)?\s*(?::|=|is|of)?\s*(?:none|no|off|zero|nil|n/a)\b"
    r"|\bzero replen\w*|\bbuy (?:it )?once\b"
)
_BIWEEKLY_RE = re.compile(
    r"\bbi[\s-]?weekly\b|\bfortnight(?:ly)?\b|\bevery (?:2|2nd|other) weeks?\b"
    r"|\bevery 14 days\b|\b2[\s-]?week(?:ly)? (?:cycles?|cadence|intervals?|rhythm)\b"
)
_BIWEEKLY_APPROX_RE = re.compile(r"\btwice (?:a|per|each) month\b|\bsemi[\s-]?monthly\b")
_WEEKLY_RE = re.compile(
    r"\bweekly\b|\bevery (?:1 )?week\b|\beach week\b|\bonce (?:a|per|every) week\b"
    r"|\bevery 7 days\b|\b(?:1[\s-]?)?week(?:ly)? (?:cycles?|cadence)\b"
)
_UNSUPPORTED_FREQ_RE = re.compile(
    r"\bdaily\b|\bevery day\b|\btwice (?:a|per) week\b|\bmonthly\b|\bevery month\b"
    r"|\bonce a month\b|\bevery \d+ (?:weeks|days)\b|\bquarterly\b"
)
_VAGUE_REPLEN_RE = re.compile(
    r"\bas (?:needed|required)\b|\bwhen(?:ever)? needed\b|\boccasional(?:ly)?\b|\bsometimes\b"
    r"|\bad[\s-]hoc\b|\bon demand\b|\bif needed\b"
)
_POSITIVE_REPLEN_RE = re.compile(r"\breplen\w*|\btop[\s-]?ups?\b|\btop (?:\w+ )?up\b|\brestock\w*")

_NO_MARKDOWN_RE = re.compile(
    r"\bno (?:[\w-]+ ){0,2}?(?:mark[\s-]?downs?|discount\w*|price (?:cuts?|reductions?)"
    r"|clearance|pricing (?:step|review|agent)|check[\s-]?points?)\b"
    r"|\bwithout (?:any )?(?:mark[\s-]?downs?|discount\w*|price cuts?)\b"
    r"|\b(?:don't|do not|won't|will not|never|not|no need to|shouldn't) (?:\w+ )?"
    r"(?:mark (?:\w+ )?down|discount\w*|markdowns?|reduce (?:the )?prices?)\b"
    r"|\bfull[\s-]price (?:only|all season|throughout|the whole season|for the whole season"
    r"|the entire season)\b"
    r"|\b(?:sells?|sold|stays?|remains?|keep \w+) (?:at )?full[\s-]price\b"
    r"|\b(?:mark[\s-]?downs?|mark[\s-]?down check(?:[\s-]?point)?|check[\s-]?point)s?\s*"
    r"(?::|=|are|is)?\s*(?:none|off|no|disabled|n/a|not allowed)\b"
    r"|\bskip (?:the )?mark[\s-]?downs?\b|\bmark[\s-]?down[\s-]free\b"
)

_ZERO_HOLDBACK_RE = re.compile(
    r"\bno (?:dc |warehouse )?hold[\s-]?backs?\b|\b(?:zero|0|nil) (?:dc )?hold[\s-]?back\b"
    r"|\bhold(?:ing)? (?:nothing|none|zero|no stock|no units|no inventory) back\b"
    r"|\b(?:everything|all (?:of )?(?:it|the stock|stock|inventory|units))\s+(?:is\s+)?"
    r"(?:goes\s+|going\s+|shipped\s+|sent\s+|pushed\s+|allocated\s+)?(?:out\s+)?"
    r"(?:to (?:the )?stores|up[\s-]?front|at once|on day 1|initially|at launch)\b"
    r"|\bhold(?:ing)?[\s-]?back:?\s*(?:nothing|none|zero|nil|no stock|no units|no inventory)\b"
    r"|\b(?:keep|reserve|withhold|retain|leave)\s+(?:nothing|none|zero|no stock|no units"
    r"|no inventory)\b(?:\s+(?:at|in) the (?:dc|warehouse))?"
    r"|\bnothing (?:held back|(?:stays |kept |is kept |left |sits )?(?:at|in) the (?:dc|warehouse)"
    r"|in reserve)\b"
    r"|\b(?:ship|send|push|allocate|put|move|deliver)\s+(?:out\s+)?(?:everything|all(?: of it"
    r"| the (?:stock|inventory|units|buy|order))?|it all|the (?:whole|entire) (?:buy|order|lot))"
    r"(?:\s+\w+){0,2}?\s+(?:up[\s-]?front|to (?:the )?stores|(?:in)?to stores|at launch"
    r"|on day 1|initially|at the start)\b"
    r"|\b(?:everything|all (?:stock|inventory|units))\s+(?:goes|go|ships?|is sent)\s+"
    r"(?:out\s+)?(?:to (?:the )?stores|up[\s-]?front)\b"
    r"|\bdc hold[\s-]?back\s*(?::|=|of|is)?\s*(?:none|zero|nothing)\b|\bempty (?:dc|warehouse)\b"
    r"|\ball[\s-]in (?:up[\s-]?front|at launch)\b"
)

# week references: (pattern, kind)
_WEEK_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            r"\b(\d{1,2}) weeks? (?:before|from|prior to) (?:the )?(?:season'?s? )?"
            r"(?:end|close|finish)\b"
        ),
        "before_end",
    ),
    (re.compile(r"\b(?:the )?(?:final|last) week\b(?! of (?:history|sales|data))"), "final"),
    (re.compile(r"\b(?:1st|last|past|previous|final)\s+(\d{1,3})\s+weeks?\b"), "ignore"),
    (re.compile(r"\bafter (?:the )?(?:1st )?(\d{1,3}) weeks?\b"), "after"),
    (re.compile(r"\b(\d{1,3}) weeks? in(?:to)?\b(?! stores?)"), "week"),
    (re.compile(r"\b(?:at|by) (?:the )?(\d{1,3})[\s-]weeks?(?: mark| point)?\b"), "week"),
    (re.compile(r"\bin (\d{1,3}) weeks?\b"), "in"),
    (re.compile(r"\bweek\s*(?:#|no\.?|number)?\s*(\d{1,3})\b(?!\s*%)"), "week"),
    (re.compile(r"\bwk\.?\s*(\d{1,3})\b|\bw(\d{1,2})\b"), "week"),
    (re.compile(r"\b(\d{1,3})(?:st|nd|rd|th) week\b"), "week"),
    (
        re.compile(
            r"\bhalf[\s-]?way(?: through| point| mark)?\b|\bmid[\s-]?season\b|\bmid[\s-]?way\b"
            r"|\bmiddle of the season\b|\bhalf (?:of )?the season\b|\bmid[\s-]?point\b"
        ),
        "halfway",
    ),
]

_PCT_RE = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d+)?)\s*(?:%|percent\b|per cent\b|pct\b)")
_DEC_RE = re.compile(r"(?<![\d.\w])(0?\.\d+|1\.0+)(?!\.?\d|%)(?!\s*-?\s*(?:weeks?|months?))")
_HALF_RE = re.compile(
    r"\bhalf\b(?![\s-](?:a |of (?:a |the )?|the )?(?:year|season|way|term|time|point))(?!-)"
)
_QUARTER_FRAC_RES = [
    re.compile(
        r"\b(?:hold(?:ing)? back|keep|reserve|withhold|retain|park)\s+(?:about |around |roughly )?"
        r"(?P<span>(?:a|1) quarter)\b"
    ),
    re.compile(
        r"\b(?P<span>(?:a|1) quarter) (?:of (?:the )?(?:buy|order|stock|inventory|units|quantity"
        r"|product)|(?:at|in) the (?:dc|warehouse)|in reserve)"
    ),
]
_DEPTH_AFTER_RE = re.compile(r"\s*(?:off\b|mark[\s-]?downs?\b|discount|price cut|reduction)")
_DEPTH_BEFORE_RE = re.compile(
    r"(?:mark[\s-]?downs?|discount|cut|reduction|reduce (?:the )?prices? by|take)\s+"
    r"(?:of\s+|by\s+)?"
    r"(?:up to\s+|about\s+|an?\s+)?$"
)

_DURATION_RE = re.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?)\s*-?\s*(weeks?|wks?|w|months?|mos?|mths?|quarters?|years?|yrs?"
    r"|days?)\b"
)
_WORD_DURATION_RE = re.compile(
    r"\b(?:a|an|1)\s+(?:full\s+|whole\s+)?(?P<u1>month|quarter|year)\b"
    r"|\b(?:full|whole|entire)[\s-](?P<u2>month|quarter|year)\b"
    r"|\bthe (?:full |whole |entire )?(?P<u3>quarter)\b"
)
_DURATION_RANGE_RE = re.compile(
    r"\b(?:between )?(\d{1,3})\s*(?:or|to|and|-|/)\s*(\d{1,3})\s*-?\s*(weeks?|wks?|months?)\b"
)
_HALF_YEAR_RE = re.compile(r"\bhalf(?:[\s-]a)?[\s-]year\b")
_HORIZON_NUMBER_RE = re.compile(
    r"\b(?:horizon|season length|length|duration)\s*(?:of|is|=|:|to|at)?\s*(\d{1,3})\b"
    r"(?!\s*(?:%|percent|-?\s*(?:weeks?|wks?|w\b|months?|days?)))"
)

_VAGUE_HORIZON_RE = re.compile(
    r"\b(?:a )?few (?:weeks|months)\b|\bseveral (?:weeks|months)\b"
    r"|\ba couple (?:of )?(?:weeks|months)\b"
    r"|\bsome weeks\b|\bshort season\b|\blong season\b|\ba while\b|\bcouple of months\b"
)
_VAGUE_START_RE = re.compile(
    r"\b(?:spring|summer|autumn|winter|holiday|christmas|easter|back[\s-]to[\s-]school)\b"
    r"|\b(?:this|for|next|in the|the) fall\b|\bfall (?:season|collection|range|drop|line|stock)\b"
    r"|\bsoon\b|\bsometime\b|\blater\b|\bearly next year\b"
)
_VAGUE_HOLDBACK_RE = re.compile(
    r"\b(?:some|a bit|a little|a portion|part|a chunk|a share|most|the bulk|a lot)\b"
)

# --------------------------------------------------------------------------- extraction


class _Extraction:
    def __init__(self, text: str, today: dt.date) -> None:
        self.doc = _Doc(normalise(text))
        self.today = today
        self.mentions: dict[FieldName, list[_Mention]] = {name: [] for name in FIELD_NAMES}
        self.questions: list[str] = []
        self.notes: list[str] = []
        self.ambiguous: set[FieldName] = set()
        self.conflicts: set[FieldName] = set()

    def add(
        self,
        name: FieldName,
        value: Any,
        confidence: Confidence,
        evidence: str,
        weak: bool = False,
    ) -> None:
        self.mentions[name].append(_Mention(name, value, confidence, evidence, weak))

    # -- steps --------------------------------------------------------------------------

    def run(self) -> tuple[dict[FieldName, Resolved], list[str], list[str]]:
        self._key_values()
        dates = _find_dates(self.doc, self.today, self.questions)
        self.doc.index_structure()
        self._presets()
        self._replenishment()
        self._markdown_off_and_zero_holdback()
        start_offsets = self._week_references()
        self._percentages()
        self._durations()
        self._classify_dates(dates, start_offsets)
        resolved = self._resolve()
        self._vagueness(resolved)
        return resolved, self.notes, self.questions

    def _key_values(self) -> None:
        for m in self.doc.find(_KEY_VALUE_RE):
            key: FieldName = m["key"]  # type: ignore[assignment]
            raw = m["value"].strip().lower()
            try:
                value: Any
                if key == "forecast_horizon_weeks":
                    value = int(raw)
                elif key == "season_start_date":
                    value = dt.date.fromisoformat(raw)
                elif key == "replenishment_strategy":
                    value = {"biweekly": "bi-weekly"}.get(raw, raw)
                    if value not in ("none", "weekly", "bi-weekly"):
                        raise ValueError(raw)
                elif key == "markdown_checkpoint_week":
                    value = None if raw in ("null", "none", "no") else int(raw)
                else:
                    value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
            except ValueError:
                self.questions.append(
                    f"I could not read '{_evidence(m)}'. What value did you mean?"
                )
                self.ambiguous.add(key)
                continue
            self.add(key, value, Confidence.HIGH, _evidence(m))

    def _presets(self) -> None:
        for m in _PRESET_RE.finditer(self.doc.text):
            name = m["name"] or m["name2"] or m["name3"] or m["name4"]
            for key, value in REFERENCE_SCENARIOS[name].items():
                self.add(key, value, Confidence.MEDIUM, f"{name} scenario", weak=True)  # type: ignore[arg-type]

    def _replenishment(self) -> None:
        doc = self.doc
        topics: tuple[Topic, ...] = ("replen", "markdown", "sellthru", "variance", "freq_neutral")
        for m in doc.find(_NO_REPLEN_RE):
            self.add("replenishment_strategy", "none", Confidence.HIGH, _evidence(m))
        frequency_patterns = (
            (_BIWEEKLY_RE, "bi-weekly", Confidence.HIGH),
            (_BIWEEKLY_APPROX_RE, "bi-weekly", Confidence.MEDIUM),
            (_WEEKLY_RE, "weekly", Confidence.HIGH),
            (_UNSUPPORTED_FREQ_RE, None, Confidence.LOW),
        )
        for pattern, value, confidence in frequency_patterns:
            for m in doc.find(pattern):
                topic, distance = doc.nearest(m.span(), topics)
                if topic is None or (topic != "replen" and distance > 30):
                    confidence = min(confidence, Confidence.MEDIUM, key=_rank)
                elif topic != "replen":
                    continue  # e.g. "weekly sales", "bi-weekly markdown review"
                if value is None:
                    self.ambiguous.add("replenishment_strategy")
                    self.questions.append(
                        f"Replenishment can be none, weekly or bi-weekly; which one fits "
                        f"'{_evidence(m)}'?"
                    )
                    continue
                self.add("replenishment_strategy", value, confidence, _evidence(m))
        for m in _VAGUE_REPLEN_RE.finditer(doc.text):
            topic, _ = doc.nearest(m.span(), ("replen",), max_distance=30)
            if topic and doc.free(m.span()):
                doc.consume(m.span())
                self.ambiguous.add("replenishment_strategy")
                self.questions.append(
                    f"How often should stores be replenished ('{_evidence(m)}'): none, weekly or "
                    "bi-weekly?"
                )
        if not self.mentions["replenishment_strategy"] and "replenishment_strategy" not in (
            self.ambiguous
        ):
            for m in doc.find(_POSITIVE_REPLEN_RE):
                self.add("replenishment_strategy", "weekly", Confidence.MEDIUM, _evidence(m))
                self.notes.append(
                    "Replenishment is mentioned without a frequency: weekly (the default) assumed."
                )
                break

    def _markdown_off_and_zero_holdback(self) -> None:
        for m in self.doc.find(_NO_MARKDOWN_RE):
            self.add("markdown_checkpoint_week", None, Confidence.HIGH, _evidence(m))
        for m in self.doc.find(_ZERO_HOLDBACK_RE):
            self.add("dc_holdback_percentage", 0.0, Confidence.HIGH, _evidence(m))

    def _week_references(self) -> list[tuple[Span, int, str]]:
        """Checkpoint weeks; returns start offsets ("starting in 2 weeks") as (span, days, ev)."""
        doc = self.doc
        topics: tuple[Topic, ...] = ("markdown", "sellthru", "start", "replen")
        starts: list[tuple[Span, int, str]] = []
        for pattern, kind in _WEEK_PATTERNS:
            for m in doc.find(pattern):
                if kind == "ignore":
                    continue
                number = next((int(g) for g in m.groups() if g is not None), 0)
                topic, _ = doc.nearest(m.span(), topics, max_distance=WEEK_REF_DISTANCE)
                if topic in ("markdown", "sellthru"):
                    if kind in ("week", "after", "in"):
                        value: Any = number
                        conf = Confidence.HIGH
                    elif kind == "before_end":
                        value, conf = _Relative("before_end", number), Confidence.MEDIUM
                    else:
                        value, conf = _Relative(kind), Confidence.MEDIUM  # type: ignore[arg-type]
                    self.add("markdown_checkpoint_week", value, conf, _evidence(m))
                elif topic == "start" and kind in ("in", "after"):
                    starts.append((m.span(), 7 * number, _evidence(m)))
        return starts

    def _percentages(self) -> None:
        doc = self.doc
        topics: tuple[Topic, ...] = (
            "holdback", "sellthru", "target", "variance", "upfront", "markdown",
        )  # fmt: skip
        candidates: list[tuple[Span, float, str, bool]] = []  # span, value, evidence, numeric
        for m in doc.find(_PCT_RE):
            candidates.append((m.span(), float(m[1]) / 100, _evidence(m), True))
        for m in doc.find(_DEC_RE):
            candidates.append((m.span(), float(m[1]), _evidence(m), True))
        for pattern in _QUARTER_FRAC_RES:
            for m in doc.find(pattern, "span"):
                candidates.append((m.span("span"), 0.25, _evidence(m), False))
        for m in _HALF_RE.finditer(doc.text):
            if doc.nearest(m.span(), topics, max_distance=25)[0] and doc.free(m.span()):
                doc.consume(m.span())
                candidates.append((m.span(), 0.5, _evidence(m), False))
        for span, value, ev, numeric in sorted(candidates):
            topic, _, kw = doc.nearest_keyword(span, topics)
            value = round(value, 4)
            if topic is not None:
                ev = doc.snippet(span, kw)
            if topic == "holdback":
                self.add("dc_holdback_percentage", value, Confidence.HIGH, ev)
            elif topic == "upfront":
                self.add("dc_holdback_percentage", round(1 - value, 4), Confidence.MEDIUM, ev)
                self.notes.append(
                    f"'{ev}' shipped up front read as holdback {round(1 - value, 4)}."
                )
            elif topic == "variance":
                self.add("variance_threshold", value, Confidence.HIGH, ev)
            elif topic in ("sellthru", "target", "markdown"):
                after = doc.text[span[1] : span[1] + 20]
                before = doc.text[max(0, span[0] - 30) : span[0]]
                if _DEPTH_AFTER_RE.match(after) or _DEPTH_BEFORE_RE.search(before):
                    self.notes.append(
                        f"Ignored '{ev}': a markdown depth is computed by the Pricing agent."
                    )
                    continue
                self.add("markdown_threshold", value, Confidence.HIGH, ev)
            elif numeric:
                self.questions.append(
                    f"What does '{ev}' refer to: the DC holdback, the sell-through target at the "
                    "markdown check, or the re-forecast threshold?"
                )

    def _durations(self) -> None:
        doc = self.doc
        for m in doc.find(_DURATION_RANGE_RE):
            for amount in (m[1], m[2]):  # "12 or 14 weeks": two values, so a question
                weeks, conf = _to_weeks(float(amount), m[3])
                self.add("forecast_horizon_weeks", weeks, conf, _evidence(m))
        for m in doc.find(_HALF_YEAR_RE):
            self.add("forecast_horizon_weeks", 26, Confidence.MEDIUM, _evidence(m))
        for m in doc.find(_HORIZON_NUMBER_RE):
            self.add("forecast_horizon_weeks", int(m[1]), Confidence.HIGH, _evidence(m))
        for m in _DURATION_RE.finditer(doc.text):
            if not doc.free(m.span()):
                continue
            topic, distance = doc.nearest(
                m.span(), ("horizon", "dur_neutral", "markdown", "sellthru")
            )
            if topic == "dur_neutral" and distance <= 20:
                doc.consume(m.span())
                continue
            doc.consume(m.span())
            amount, unit = float(m[1]), m[2]
            if unit.startswith("w") and topic in ("markdown", "sellthru") and distance <= 3:
                self.add("markdown_checkpoint_week", int(amount), Confidence.MEDIUM, _evidence(m))
                continue
            weeks, conf = _to_weeks(amount, unit)
            self.add("forecast_horizon_weeks", weeks, conf, _evidence(m))
        for m in _WORD_DURATION_RE.finditer(doc.text):
            if not doc.free(m.span()):
                continue
            doc.consume(m.span())
            unit = m["u1"] or m["u2"] or m["u3"]
            weeks, _ = _to_weeks(1, unit)
            self.add("forecast_horizon_weeks", weeks, Confidence.MEDIUM, _evidence(m))

    def _classify_dates(
        self, dates: list[_Date], start_offsets: list[tuple[Span, int, str]]
    ) -> None:
        doc = self.doc
        ends: list[_Date] = []
        previous_end = -100
        for d in dates:
            before = doc.text[max(0, d.span[0] - 25) : d.span[0]]
            is_end = bool(
                re.search(
                    r"(?:\bend(?:s|ing)?(?: on| date(?: is| of)?:?)?|\bfinish(?:es|ing)?(?: on)?"
                    r"|\bthrough(?: to)?|\bthru|\buntil|\btill|\bwraps? up(?: on)?"
                    r"|\bclos(?:es|ing)(?: on)?|\bruns? to)\s*$",
                    before,
                )
            ) or (
                d.span[0] - previous_end <= 6 and re.search(r"(?:\bto|-)\s*$", before) is not None
            )
            previous_end = d.span[1]
            if d.date is None:
                self.ambiguous.add("season_start_date")
                continue
            if is_end:
                ends.append(d)
                continue
            topic, _ = doc.nearest(d.span, ("markdown", "sellthru", "start"), 40)
            if topic in ("markdown", "sellthru"):
                self.add(
                    "markdown_checkpoint_week",
                    _Relative("date", date=d.date),
                    Confidence.MEDIUM,
                    d.evidence,
                )
            else:
                self.add("season_start_date", d.date, d.confidence, d.evidence)
        for _span, days, ev in start_offsets:
            self.add(
                "season_start_date", self.today + dt.timedelta(days=days), Confidence.MEDIUM, ev
            )
        starts = {m.value for m in self.mentions["season_start_date"] if not m.weak}
        for end in ends:
            if len(starts) == 1 and end.date is not None:
                (start,) = starts
                weeks = round(((end.date - start).days + 1) / 7)
                self.add(
                    "forecast_horizon_weeks", weeks, Confidence.MEDIUM, f"until {end.evidence}"
                )

    # -- resolution ---------------------------------------------------------------------

    def _resolve(self) -> dict[FieldName, Resolved]:
        resolved: dict[FieldName, Resolved] = {}
        first: tuple[FieldName, ...] = ("forecast_horizon_weeks", "season_start_date")
        for name in first:
            found = self._resolve_field(name)
            if found:
                resolved[name] = found
        horizon = resolved.get("forecast_horizon_weeks")
        horizon_weeks = horizon.value if horizon else DEFAULT_HORIZON
        start = resolved.get("season_start_date")
        start_date = start.value if start else next_monday(self.today)
        for mention in self.mentions["markdown_checkpoint_week"]:
            rel = mention.value
            if isinstance(rel, _Relative):
                if rel.kind == "halfway":
                    mention.value = max(1, horizon_weeks // 2)
                elif rel.kind == "final":
                    mention.value = horizon_weeks
                elif rel.kind == "before_end":
                    mention.value = horizon_weeks - rel.amount
                elif rel.date is not None:
                    mention.value = (rel.date - start_date).days // 7 + 1
        for name in FIELD_NAMES[2:]:
            found = self._resolve_field(name)
            if found:
                resolved[name] = found
        return resolved

    def _resolve_field(self, name: FieldName) -> Resolved | None:
        mentions = self.mentions[name]
        strong = [m for m in mentions if not m.weak]
        if strong:
            mentions = strong
        if name in self.ambiguous or not mentions:
            return None
        values = _distinct([m.value for m in mentions])
        if name == "forecast_horizon_weeks" and len(values) > 1:
            explicit = _distinct([m.value for m in mentions if m.confidence is Confidence.HIGH])
            if len(explicit) == 1 and all(abs(v - explicit[0]) <= 1 for v in values):
                values = explicit  # "12 weeks (three months)": conversion rounding, not a conflict
                mentions = [m for m in mentions if m.value == explicit[0]]
        if len(values) > 1:
            shown = ", ".join(_show(v) for v in values)
            label = _LABELS[name]
            self.questions.append(
                f"The text gives more than one {label} ({shown}). Which one should I use?"
            )
            self.notes.append(f"Conflicting {label}: {shown}; kept the default.")
            self.conflicts.add(name)
            return None
        best = max(mentions, key=lambda m: _rank(m.confidence))
        value = values[0]
        return Resolved(value, best.confidence, f"{name}={_show(value)} from '{best.evidence}'.")

    def _vagueness(self, resolved: dict[FieldName, Resolved]) -> None:
        doc, text = self.doc, self.doc.text
        if "forecast_horizon_weeks" not in resolved and _VAGUE_HORIZON_RE.search(text):
            self.questions.append("How many weeks should the season (forecast horizon) run?")
        if "season_start_date" not in resolved and (
            _VAGUE_START_RE.search(text) or "season_start_date" in self.ambiguous
        ):
            self.questions.append("On which date does the season start (week 1)?")
        if "dc_holdback_percentage" not in resolved:
            for m in _VAGUE_HOLDBACK_RE.finditer(text):
                if doc.nearest(m.span(), ("holdback",), max_distance=30)[0]:
                    self.questions.append(
                        "What share of the order should the DC hold back at week 0 (e.g. 45%)?"
                    )
                    break
        if not self.mentions["markdown_checkpoint_week"] and (
            doc.has_keyword("markdown", outside_consumed=True) or "markdown_threshold" in resolved
        ):
            self.questions.append(
                "At which week should the markdown check run? Without a week there is no "
                "markdown step."
            )
        if not resolved and not self.ambiguous and not self.conflicts:
            # nothing usable at all: ask for the essentials
            self.questions += [
                "How many weeks should the season (forecast horizon) run?",
                "On which date does the season start (week 1)?",
                "Should stores be replenished during the season: none, weekly or bi-weekly?",
                "What share of the order should the DC hold back at week 0?",
                "Should there be a markdown check, and at which week?",
            ]


_LABELS: dict[FieldName, str] = {
    "forecast_horizon_weeks": "season length",
    "season_start_date": "start date",
    "replenishment_strategy": "replenishment strategy",
    "dc_holdback_percentage": "DC holdback",
    "markdown_checkpoint_week": "markdown checkpoint",
    "markdown_threshold": "sell-through target",
    "variance_threshold": "re-forecast threshold",
}


def _rank(c: Confidence) -> int:
    return {Confidence.LOW: 0, Confidence.MEDIUM: 1, Confidence.HIGH: 2}[c]


def _distinct(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if not any(_same(v, o) for o in out):
            out.append(v)
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) < 1e-9
    return bool(a == b) and type(a) is type(b)


def _show(value: Any) -> str:
    if value is None:
        return "no markdown"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _to_weeks(amount: float, unit: str) -> tuple[int, Confidence]:
    if unit.startswith("w"):
        weeks = amount
        conf = Confidence.HIGH if amount == int(amount) else Confidence.MEDIUM
        return round(weeks), conf
    if unit.startswith("d"):
        return round(amount / 7), Confidence.MEDIUM
    if unit.startswith("q"):
        return round(amount * 13), Confidence.MEDIUM
    if unit.startswith("y"):
        return round(amount * 52), Confidence.MEDIUM
    return round(amount * WEEKS_PER_MONTH), Confidence.MEDIUM


def extract_with_rules(
    text: str, today: dt.date | None = None, *, notes: list[str] | None = None
) -> ExtractionResult:
    """Read season parameters from `text` deterministically.

    Raises InvalidParametersError when the text states values SeasonParameters refuses.
    """
    today = today or dt.date.today()
    resolved, rule_notes, questions = _Extraction(text, today).run()
    return assemble(
        resolved,
        today=today,
        source="rules",
        notes=[*(notes or []), *rule_notes],
        questions=questions,
    )
