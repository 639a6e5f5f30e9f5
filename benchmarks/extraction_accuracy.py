"""Field-level accuracy and latency of the deterministic parameter extractor.

Runs the rules extractor (no OpenAI, no network) over tests/fixtures/extraction_corpus.json,
per split: "dev" (phrasings the rules were written against; the unit tests require all of them)
and "holdout" (written after the rules were frozen, never tuned against: the honest estimate).
For every case that should parse, each of the 7 SeasonParameters fields is compared with the
expected value (the fields a case does not state must keep their defaults, so a spurious value
counts as an error). Cases expected to be refused (422) count as right when refused; the
clarification column checks "asks a question" vs "does not". Latency is wall time of
`extract_with_rules` per text, over --repeats passes of the corpus after one warm-up pass.

    .venv/bin/python benchmarks/extraction_accuracy.py [--repeats 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "layers" / "shared"))

from fashion_forecast.extraction.models import FIELD_NAMES, InvalidParametersError  # noqa: E402
from fashion_forecast.extraction.rules import extract_with_rules  # noqa: E402
from fashion_forecast.models.parameters import next_monday  # noqa: E402

CORPUS = ROOT / "tests" / "fixtures" / "extraction_corpus.json"


def expected_for(case: dict[str, Any], today: dt.date) -> dict[str, Any]:
    expected: dict[str, Any] = {
        "forecast_horizon_weeks": 12,
        "season_start_date": next_monday(today).isoformat(),
        "replenishment_strategy": "weekly",
        "dc_holdback_percentage": 0.45,
        "markdown_checkpoint_week": None,
        "markdown_threshold": 0.6,
        "variance_threshold": 0.2,
    }
    expected.update(case["expected"])
    return expected


def run_once(case: dict[str, Any], today: dt.date) -> tuple[Any, float]:
    started = time.perf_counter()
    try:
        result: Any = extract_with_rules(case["text"], today)
    except InvalidParametersError as exc:
        result = exc
    return result, time.perf_counter() - started


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()

    corpus = json.loads(CORPUS.read_text())
    splits = sorted({c.get("split", "dev") for c in corpus["cases"]})
    for split in [*splits, "all"] if len(splits) > 1 else splits:
        cases = [c for c in corpus["cases"] if split in ("all", c.get("split", "dev"))]
        accuracy(corpus, cases, f"split '{split}'")
        print()
    latency(corpus, corpus["cases"], args.repeats)
    return 0


def accuracy(corpus: dict[str, Any], cases: list[dict[str, Any]], label: str) -> None:
    correct = dict.fromkeys(FIELD_NAMES, 0)
    parsed_cases = refusals_right = refusals = questions_right = 0
    wrong: list[str] = []

    for case in cases:
        today = dt.date.fromisoformat(case.get("today", corpus["today"]))
        result, _ = run_once(case, today)
        if case.get("error"):
            refusals += 1
            if isinstance(result, InvalidParametersError):
                refusals_right += 1
            else:
                wrong.append(f"{case['id']}: not refused")
            continue
        if isinstance(result, InvalidParametersError):
            parsed_cases += 1
            wrong.append(f"{case['id']}: refused unexpectedly")
            continue
        parsed_cases += 1
        got = result.parameters.model_dump(mode="json")
        expected = expected_for(case, today)
        for name in FIELD_NAMES:
            if got[name] == expected[name]:
                correct[name] += 1
            else:
                wrong.append(f"{case['id']}: {name} = {got[name]!r}, expected {expected[name]!r}")
        if bool(result.clarification_questions) == bool(case.get("questions")):
            questions_right += 1
        else:
            wrong.append(f"{case['id']}: questions = {result.clarification_questions!r}")

    total_fields = parsed_cases * len(FIELD_NAMES)
    print(f"Rules extractor, {label}: {len(cases)} phrasings ({CORPUS.relative_to(ROOT)})")
    print(f"{'field':<28}{'correct':>10}{'accuracy':>10}")
    for name in FIELD_NAMES:
        print(
            f"{name:<28}{correct[name]:>6}/{parsed_cases:<3}{correct[name] / parsed_cases:>10.1%}"
        )
    overall = sum(correct.values())
    print(f"{'all fields':<28}{overall:>6}/{total_fields:<3}{overall / total_fields:>10.1%}")
    exact = parsed_cases - len({w.split(":")[0] for w in wrong if "questions" not in w})
    print(
        f"{'cases with all 7 right':<28}{exact:>6}/{parsed_cases:<3}{exact / parsed_cases:>10.1%}"
    )
    print(
        f"{'clarification asked iff due':<28}{questions_right:>6}/{parsed_cases:<3}"
        f"{questions_right / parsed_cases:>10.1%}"
    )
    if refusals:
        print(f"{'invalid text refused (422)':<28}{refusals_right:>6}/{refusals:<3}")
    for line in wrong:
        print("  miss:", line)


def latency(corpus: dict[str, Any], cases: list[dict[str, Any]], repeats: int) -> None:
    """One warm-up pass, then `repeats` timed passes over every text."""
    timings: list[float] = []
    for repeat in range(repeats + 1):
        for case in cases:
            today = dt.date.fromisoformat(case.get("today", corpus["today"]))
            _, elapsed = run_once(case, today)
            if repeat:
                timings.append(elapsed * 1000)

    print(
        f"Latency of extract_with_rules per text ({len(cases)} texts x {repeats} runs = "
        f"{len(timings)}): p50 {statistics.median(timings):.3f} ms, "
        f"p99 {percentile(timings, 0.99):.3f} ms, max {max(timings):.3f} ms"
    )


if __name__ == "__main__":
    raise SystemExit(main())
