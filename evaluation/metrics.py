"""Aggregates over case results: per-run summaries, per-function precision/recall, confusion."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field

from copilot import FUNCTION_NAMES
from evaluation.results import CaseResult
from evaluation.scoring import NO_CALL, percentile, rate
from evaluation.stats import wilson

OTHER = "(unknown name)"
RUN_KEYS = [
    "model",
    "suite",
    "n",
    "name_match",
    "call_match",
    "valid",
    "executed_match",
    "step_accuracy",
    "reject_recall",
    "latency_ms_p50",
    "latency_ms_p95",
    "tokens_avg",
    "errors",
    "repeats",
    "pass_k",
    "identical_repeats",
    "ci95",
]  # the `runs` entries of `--format json`, in the order, then the later additions
SUMMARY_KEYS = RUN_KEYS  # summary.json carries the same entries
# the shares that get a 95% Wilson interval, and their columns in CSV ([low, high] in JSON)
CI_METRICS = ("name_match", "call_match", "valid", "executed_match", "reject_recall", "pass_k")
CI_COLUMNS = [f"{m}_ci95_{end}" for m in CI_METRICS for end in ("low", "high")]
CSV_KEYS = [k for k in RUN_KEYS if k != "ci95"] + CI_COLUMNS  # summary.csv, --format csv


@dataclass
class RunSummary:
    """One model on one suite (or on everything, with suite "all")."""

    model: str
    suite: str
    n: int
    name_match: float
    call_match: float
    valid: float
    executed_match: float
    step_accuracy: float
    reject_recall: float | None
    latency_ms_p50: float
    latency_ms_p95: float
    tokens_avg: float
    errors: int
    latency_ms_avg: float = 0.0
    matches: int = 0
    cached: int = 0
    reject_cases: int = 0
    repeats: int = 1  # runs of each case (`--repeats K`)
    pass_k: float = 0.0  # share of cases with call match in all `repeats` runs (τ-bench pass^k)
    identical_repeats: bool | None = None  # every case answered alike in every run (K > 1)
    ci95: dict[str, list[float] | None] = field(default_factory=dict)  # metric -> [low, high]

    def public(self, keys: Sequence[str] = RUN_KEYS) -> dict[str, object]:
        """The fields of the `--format json` schema (or of `keys`: CSV's flat interval columns
        too), in its order."""
        data = asdict(self)
        for metric, ci in self.ci95.items():
            data[f"{metric}_ci95_low"], data[f"{metric}_ci95_high"] = ci or (None, None)
        return {k: data[k] for k in keys}


def _interval(k: int, n: int) -> list[float] | None:
    ci = wilson(k, n)
    return None if ci is None else [round(ci[0], 6), round(ci[1], 6)]


def _answer(r: CaseResult) -> tuple[object, ...]:
    return (repr(r.actual), r.raw, r.error)


def repeat_stats(results: Sequence[CaseResult]) -> tuple[int, int, int, bool | None]:
    """(runs per case, cases, cases right in every run, whether every run of every case gave
    the same answer; None for a single run)."""
    runs: dict[str, list[CaseResult]] = {}
    for r in results:
        runs.setdefault(r.id, []).append(r)
    repeats = max((len(v) for v in runs.values()), default=1)
    right = sum(all(r.call_match for r in v) for v in runs.values())
    same = None if repeats < 2 else all(len({_answer(r) for r in v}) == 1 for v in runs.values())
    return repeats, len(runs), right, same


def summarise(model: str, suite: str, results: Sequence[CaseResult]) -> RunSummary:
    """The seed's figures and ours for one group of results."""
    latencies = [r.latency_ms for r in results]
    rejects = [r for r in results if r.expects_reject]
    n = len(results)
    repeats, cases, all_right, same = repeat_stats(results)
    rights = {
        "name_match": (sum(r.name_match for r in results), n),
        "call_match": (sum(r.call_match for r in results), n),
        "valid": (sum(r.valid for r in results), n),
        "executed_match": (sum(r.executed_match for r in results), n),
        "reject_recall": (sum(r.call_match for r in rejects), len(rejects)),
        "pass_k": (all_right, cases),
    }
    return RunSummary(
        model=model,
        suite=suite,
        n=len(results),
        name_match=rate(r.name_match for r in results),
        call_match=rate(r.call_match for r in results),
        valid=rate(r.valid for r in results),
        executed_match=rate(r.executed_match for r in results),
        step_accuracy=sum(r.step_accuracy for r in results) / len(results) if results else 0.0,
        # "got it" means a valid reject_request: a malformed answer is never a refusal
        reject_recall=rate(r.call_match for r in rejects) if rejects else None,
        latency_ms_p50=percentile(latencies, 50),
        latency_ms_p95=percentile(latencies, 95),
        tokens_avg=sum(r.tokens for r in results) / len(results) if results else 0.0,
        errors=sum(r.error is not None for r in results),
        latency_ms_avg=sum(latencies) / len(latencies) if latencies else 0.0,
        matches=sum(r.name_match for r in results),
        cached=sum(r.cached for r in results),
        reject_cases=len(rejects),
        repeats=repeats,
        pass_k=all_right / cases if cases else 0.0,
        identical_repeats=same,
        ci95={metric: _interval(k, total) for metric, (k, total) in rights.items()},
    )


def group(results: Iterable[CaseResult]) -> dict[tuple[str, str], list[CaseResult]]:
    """Results by (model, suite), in first-seen order."""
    out: dict[tuple[str, str], list[CaseResult]] = {}
    for result in results:
        out.setdefault((result.model, result.suite), []).append(result)
    return out


def models_of(results: Iterable[CaseResult]) -> list[str]:
    return list(dict.fromkeys(r.model for r in results))


def suites_of(results: Iterable[CaseResult]) -> list[str]:
    return list(dict.fromkeys(r.suite for r in results))


def summaries(results: Sequence[CaseResult]) -> list[RunSummary]:
    return [summarise(m, s, rs) for (m, s), rs in group(results).items()]


def _label(name: str) -> str:
    return name if name in FUNCTION_NAMES or name == NO_CALL else OTHER


@dataclass
class FunctionScore:
    name: str
    precision: float | None
    recall: float | None
    support: int  # cases expecting this function
    predicted: int  # cases whose first call was this function


def per_function(results: Sequence[CaseResult]) -> list[FunctionScore]:
    """Precision and recall of the first call's name, per expected function."""
    pairs = [(r.expected_name, _label(r.actual_name)) for r in results]
    support = Counter(e for e, _ in pairs)
    predicted = Counter(a for _, a in pairs)
    hits = Counter(e for e, a in pairs if e == a)
    out = []
    for name in FUNCTION_NAMES:
        if not support[name] and not predicted[name]:
            continue
        out.append(
            FunctionScore(
                name=name,
                precision=hits[name] / predicted[name] if predicted[name] else None,
                recall=hits[name] / support[name] if support[name] else None,
                support=support[name],
                predicted=predicted[name],
            )
        )
    return out


def confusion(results: Sequence[CaseResult]) -> tuple[list[str], list[str], list[list[int]]]:
    """(row labels = expected, column labels = predicted, counts), only labels that occur.

    Columns include "(no call)" for malformed or empty answers and "(unknown name)" for names
    outside the catalogue.
    """
    pairs = [(r.expected_name, _label(r.actual_name)) for r in results]
    order = [*FUNCTION_NAMES, NO_CALL, OTHER]
    rows = [n for n in order if any(e == n for e, _ in pairs)]
    cols = [n for n in order if any(a == n for _, a in pairs) or n in rows]
    counts = Counter(pairs)
    return rows, cols, [[counts[(r, c)] for c in cols] for r in rows]
