"""Error bars and paired tests for the reports (the paired test by `scipy.stats`).

- `wilson`: the 95% Wilson score interval of a share (k right out of n). It stays inside [0, 1]
  and is honest at 10 cases as at 335, where the normal-approximation interval is not.
- `mcnemar`: the exact McNemar test for two models on the same cases. Only the discordant cases
  count (right for one, wrong for the other); under "no difference" each is a fair coin, so the
  p-value is a two-sided binomial test of `a_only` out of `a_only + b_only` at one half.
- `paired`: both, per suite, for every pair of models that answered the same cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import cache
from itertools import combinations
from math import sqrt
from statistics import NormalDist
from typing import Any

from evaluation.results import CaseResult

CONFIDENCE = 0.95
ALPHA = 1 - CONFIDENCE


@cache  # a report asks for the same few (k, n) hundreds of times
def wilson(k: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float] | None:
    """(low, high) of the Wilson score interval for k successes out of n; None for n = 0."""
    if n <= 0:
        return None
    # The score interval in closed form, as scipy's binomtest(k, n).proportion_ci(method="wilson")
    # computes it (tests/evaluation compare them); importing scipy.stats costs 1-2 s of every
    # run's start, so it is left to the paired test, which needs the exact binomial.
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    total = n + z * z
    center = (k + z * z / 2) / total
    half = z / total * sqrt(k * (n - k) / n + z * z / 4)
    return max(0.0, center - half), min(1.0, center + half)


@cache
def mcnemar(a_only: int, b_only: int) -> float:
    """The exact McNemar p-value (two-sided) from the two discordant counts; 1.0 when the two
    models never disagree."""
    n = a_only + b_only
    if n == 0:
        return 1.0
    from scipy.stats import binomtest

    return float(binomtest(a_only, n, 0.5).pvalue)


@dataclass
class PairedResult:
    """Model B against model A on the cases both answered in one suite, on one metric."""

    suite: str
    model_a: str
    model_b: str
    metric: str
    n: int  # cases both answered
    a_right: int
    b_right: int
    a_only: int  # cases A got right and B did not
    b_only: int
    difference: float  # B's share minus A's, as a share (0.05 = 5 points)
    p_value: float  # exact McNemar

    @property
    def significant(self) -> bool:
        return self.p_value < ALPHA

    def public(self) -> dict[str, Any]:
        data = asdict(self)
        data["difference"] = round(self.difference, 6)
        data["p_value"] = round(self.p_value, 6)
        data["significant"] = self.significant
        return data


def _by_case(results: Sequence[CaseResult], metric: str) -> dict[tuple[str, str], bool]:
    """Per (suite, case id), whether the case was right; with repeats, right in every run."""
    out: dict[tuple[str, str], bool] = {}
    for r in results:
        key = (r.suite, r.id)
        out[key] = out.get(key, True) and bool(getattr(r, metric))
    return out


def paired(results: Sequence[CaseResult], metric: str = "call_match") -> list[PairedResult]:
    """Every pair of models, per suite, on the cases both answered (first-seen model order)."""
    models = list(dict.fromkeys(r.model for r in results))
    suites = list(dict.fromkeys(r.suite for r in results))
    scored = {m: _by_case([r for r in results if r.model == m], metric) for m in models}
    out = []
    for a, b in combinations(models, 2):
        for suite in suites:
            keys = [k for k in scored[a] if k[0] == suite and k in scored[b]]
            if not keys:
                continue
            a_right = sum(scored[a][k] for k in keys)
            b_right = sum(scored[b][k] for k in keys)
            a_only = sum(scored[a][k] and not scored[b][k] for k in keys)
            b_only = sum(scored[b][k] and not scored[a][k] for k in keys)
            out.append(
                PairedResult(
                    suite,
                    a,
                    b,
                    metric,
                    len(keys),
                    a_right,
                    b_right,
                    a_only,
                    b_only,
                    (b_right - a_right) / len(keys),
                    mcnemar(a_only, b_only),
                )
            )
    return out


def ci_text(ci: Sequence[float] | None) -> str:
    """An interval in percent for tables: `86.2–92.6`; `—` for none."""
    return "—" if not ci else f"{ci[0] * 100:.1f}–{ci[1] * 100:.1f}"


def paired_line(p: PairedResult) -> str:
    """One sentence: the difference in points, the discordant cases, McNemar's p, the verdict."""
    verdict = "significant" if p.significant else "not significant"
    return (
        f"{p.suite}: {p.model_b} − {p.model_a} = {p.difference * 100:+.1f} points on {p.n} "
        f"cases ({p.metric}; {p.b_only} only {p.model_b} right, {p.a_only} only {p.model_a} "
        f"right; exact McNemar p = {p.p_value:.3g}, {verdict} at {ALPHA:.0%})"
    )
