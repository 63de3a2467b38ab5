"""Aggregates: summaries, reject recall, per-function precision/recall and the confusion matrix."""

from __future__ import annotations

import pytest

from copilot import Completion, ToolCall, validate_call
from evaluation.metrics import OTHER, confusion, per_function, summarise
from evaluation.results import CaseResult
from evaluation.scoring import NO_CALL, score
from evaluation.suites import Case


def result(expected: str, output: str, latency: float = 10.0, **args: object) -> CaseResult:
    call = validate_call(expected, args)
    assert isinstance(call, ToolCall)
    case = Case(suite="s", id=f"{expected}-{output}", prompt=output, expected=(call,))
    completion = Completion.from_output(output, latency_ms=latency, prompt_tokens=10)
    return CaseResult.build("m", case, completion, score(case.expected, completion))


RESULTS = [
    result("takeoff_drone", "takeoff_drone(altitude=50)", 10, altitude=50),
    result("takeoff_drone", "land_drone(location='current')", 20, altitude=50),
    result("land_drone", "land_drone(location='current')", 30, location="current"),
    result("reject_request", "reject_request()", 40),
    result("reject_request", "no idea", 50),
    result("reject_request", '{"name": "fly_to_mars", "arguments": {}}', 1000),
]


def test_summary_figures() -> None:
    s = summarise("m", "s", RESULTS)
    assert (s.n, s.matches, s.errors, s.reject_cases) == (6, 3, 2, 3)
    assert s.name_match == pytest.approx(3 / 6)
    assert s.reject_recall == pytest.approx(1 / 3)  # garbage and unknown names are no refusal
    assert s.latency_ms_p50 == 35.0 and s.latency_ms_avg == pytest.approx(1150 / 6)
    assert s.tokens_avg == 10.0
    assert summarise("m", "s", RESULTS[:3]).reject_recall is None


def test_per_function_precision_and_recall() -> None:
    scores = {f.name: f for f in per_function(RESULTS)}
    assert set(scores) == {"takeoff_drone", "land_drone", "reject_request"}
    assert (scores["takeoff_drone"].precision, scores["takeoff_drone"].recall) == (1.0, 0.5)
    assert (scores["land_drone"].precision, scores["land_drone"].recall) == (0.5, 1.0)
    assert scores["reject_request"].recall == pytest.approx(1 / 3)


def test_confusion_matrix() -> None:
    rows, cols, counts = confusion(RESULTS)
    assert rows == ["takeoff_drone", "land_drone", "reject_request"]
    assert cols == ["takeoff_drone", "land_drone", "reject_request", NO_CALL, OTHER]
    assert counts == [[1, 1, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 1, 1, 1]]
