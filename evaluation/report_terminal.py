"""The terminal report: the seed's table and summary lines per model and suite, then ours.

Rows whose function name does not match are red, as the seed styled them; rows whose name
matches but whose arguments (or later steps) do not are yellow. A plan of several calls reads as
numbered steps, and the Steps column gives the expected steps matched in order.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from evaluation.metrics import (
    RunSummary,
    confusion,
    group,
    models_of,
    per_function,
    suites_of,
    summarise,
)
from evaluation.results import CaseResult, plan_text
from evaluation.stats import ci_text, paired, paired_line

SHORT = {
    "takeoff_drone": "takeoff",
    "land_drone": "land",
    "control_drone_movement": "move",
    "set_drone_speed": "speed",
    "control_camera": "camera",
    "control_gimbal": "gimbal",
    "set_drone_lighting": "light",
    "return_to_home": "rth",
    "set_battery_saver_mode": "saver",
    "set_obstacle_avoidance": "avoid",
    "set_follow_me_mode": "follow",
    "calibrate_sensors": "calib",
    "set_autopilot": "autop",
    "configure_led_display": "led",
    "set_home_location": "home",
    "reject_request": "reject",
    "(no call)": "none",
    "(unknown name)": "other",
}
FULL_TABLE_MAX = 40  # larger suites list only their mismatches in the terminal


def _yes(flag: bool) -> str:
    return "Yes" if flag else "No"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _count(label: str, hits: int, total: int, ci: list[float] | None = None) -> str:
    share = hits / total * 100 if total else 0.0
    interval = f" · 95% CI {ci_text(ci)}%" if ci else ""
    return f"{label}: {hits} out of {total} ({share:.2f}%){interval}"


def _pct_ci(s: RunSummary, metric: str) -> str:
    """A share and its 95% Wilson interval below it."""
    value = getattr(s, metric)
    return _pct(value) if value is None else f"{_pct(value)}\n{ci_text(s.ci95.get(metric))}"


def steps_cell(result: CaseResult) -> str:
    """Step accuracy as matched steps over expected steps: `2/3`."""
    matched = round(result.step_accuracy * result.plan_len_expected)
    return f"{matched}/{result.plan_len_expected}"


def expected_cell(result: CaseResult) -> str:
    """The first acceptable plan (a call, or numbered steps one a line), `…` when there are
    others."""
    plans = result.expected_plans or [result.expected[:1]]
    return plan_text(plans[0], "\n") + (" …" if len(plans) > 1 else "")


def row_style(result: CaseResult) -> str:
    if not result.name_match:
        return "black on red"
    if not result.call_match:
        return "black on yellow"
    return ""


def case_table(title: str, results: Sequence[CaseResult], full: bool) -> Table:
    """The seed's Prompt / Actual / Expected / Match table, plus our columns."""
    table = Table(title=title, title_justify="left", show_lines=False, expand=False)
    for column in ("Prompt", "Actual", "Expected", "Match", "Call", "Valid", "Exec", "Steps", "ms"):
        justify = "right" if column in ("Steps", "ms") else "left"
        table.add_column(column, justify=justify, overflow="fold")
    for r in results:
        if not full and r.call_match:
            continue
        actual = plan_text(r.actual, "\n") or f"error: {r.error}"
        if r.actual and r.error:
            actual = f"{actual}  [{r.error}]"
        table.add_row(
            r.prompt,
            actual,
            expected_cell(r),
            _yes(r.name_match),
            _yes(r.call_match),
            _yes(r.valid),
            _yes(r.executed_match),
            steps_cell(r),
            f"{r.latency_ms:.0f}" + ("*" if r.cached else ""),
            style=row_style(r),
        )
    return table


def summary_lines(s: RunSummary) -> list[str]:
    """The seed's three lines verbatim, then ours."""
    ci = s.ci95
    lines = [
        _count("Number of matches", s.matches, s.n),
        f"Average latency per request: {s.latency_ms_avg:.2f} ms",
        f"Average tokens used per request: {s.tokens_avg:.2f}",
        f"Name match 95% CI (Wilson): {ci_text(ci.get('name_match'))}%",
        _count("Call match", round(s.call_match * s.n), s.n, ci.get("call_match")),
        _count("Valid calls", round(s.valid * s.n), s.n, ci.get("valid")),
        _count("Executed match", round(s.executed_match * s.n), s.n, ci.get("executed_match")),
        f"Step accuracy: {s.step_accuracy * 100:.2f}% (expected steps matched in order, mean)",
    ]
    if s.reject_recall is not None:
        hits = round(s.reject_recall * s.reject_cases)
        lines.append(_count("Reject recall", hits, s.reject_cases, ci.get("reject_recall")))
    if s.repeats > 1:
        lines.append(repeats_line(s))
    lines.append(f"Latency p50 / p95: {s.latency_ms_p50:.2f} ms / {s.latency_ms_p95:.2f} ms")
    extra = f"Errors: {s.errors}"
    if s.cached:
        extra += f" · cached answers: {s.cached} of {s.n} (* in the ms column: first measured)"
    lines.append(extra)
    return lines


def repeats_line(s: RunSummary) -> str:
    """pass^K beside the mean, and whether the K runs differed at all."""
    cases = round(s.n / s.repeats)
    line = (
        f"pass^{s.repeats}: {round(s.pass_k * cases)} out of {cases} cases right in all "
        f"{s.repeats} runs ({s.pass_k * 100:.2f}%, 95% CI {ci_text(s.ci95.get('pass_k'))}%); "
        f"mean call match {s.call_match * 100:.2f}%"
    )
    if s.identical_repeats:
        line += (
            f" — every run gave the same answers (deterministic, as greedy decoding is): "
            f"the {s.repeats} runs measure no variance"
        )
    return line


def paired_table(results: Sequence[CaseResult]) -> Table | None:
    """Each pair of models on the cases both answered: difference and exact McNemar test."""
    pairs = paired(results)
    if not pairs:
        return None
    table = Table(title="Paired comparison (call match; exact McNemar)", title_justify="left")
    for column in ("suite", "A", "B", "n", "A right", "B right", "only A", "only B",
                   "B − A", "p", "at 5%"):  # fmt: skip
        table.add_column(column, justify="left" if column in ("suite", "A", "B") else "right")
    for p in pairs:
        table.add_row(
            p.suite, p.model_a, p.model_b, str(p.n), str(p.a_right), str(p.b_right),
            str(p.a_only), str(p.b_only), f"{p.difference * 100:+.1f} pts", f"{p.p_value:.3g}",
            "significant" if p.significant else "not significant",
        )  # fmt: skip
    return table


def comparison_table(results: Sequence[CaseResult]) -> Table:
    """Every model on every suite, side by side (and on all suites together)."""
    table = Table(title="Comparison (shares with their 95% Wilson interval below)")
    table.title_justify = "left"
    for column in (
        "suite", "model", "n", "name", "call", "valid", "exec", "steps", "reject recall",
        "p50 ms", "p95 ms", "tokens", "errors",
    ):  # fmt: skip
        table.add_column(column, justify="left" if column in ("suite", "model") else "right")
    suites, models = suites_of(results), models_of(results)
    groups = group(results)
    rows = [(s, m, groups[(m, s)]) for s in suites for m in models if (m, s) in groups]
    if len(suites) > 1:
        rows += [("all", m, [r for r in results if r.model == m]) for m in models]
    for suite, model, rs in rows:
        s = summarise(model, suite, rs)
        table.add_row(
            suite, model, str(s.n), _pct_ci(s, "name_match"), _pct_ci(s, "call_match"),
            _pct_ci(s, "valid"), _pct_ci(s, "executed_match"), _pct(s.step_accuracy),
            _pct_ci(s, "reject_recall"),
            f"{s.latency_ms_p50:.0f}",
            f"{s.latency_ms_p95:.0f}", f"{s.tokens_avg:.1f}", str(s.errors),
            style="bold" if suite == "all" else "",
        )  # fmt: skip
    return table


def function_table(model: str, results: Sequence[CaseResult]) -> Table:
    table = Table(title=f"Per function · {model}", title_justify="left")
    for column in ("function", "expected", "predicted", "precision", "recall"):
        table.add_column(column, justify="left" if column == "function" else "right")
    for f in per_function(results):
        table.add_row(f.name, str(f.support), str(f.predicted), _pct(f.precision), _pct(f.recall))
    return table


def confusion_table(model: str, results: Sequence[CaseResult]) -> Table:
    rows, cols, counts = confusion(results)
    table = Table(title=f"Confusion (rows expected, columns first call) · {model}")
    table.title_justify = "left"
    table.add_column("expected \\ got")
    for c in cols:
        table.add_column(SHORT.get(c, c), justify="right")
    for name, line in zip(rows, counts, strict=True):
        cells = []
        for col, n in zip(cols, line, strict=True):
            if not n:
                cells.append(Text("·", style="dim"))
            else:
                cells.append(Text(str(n), style="green" if col == name else "bold red"))
        table.add_row(SHORT.get(name, name), *cells)
    return table


def print_report(
    results: Sequence[CaseResult],
    console: Console,
    model_errors: dict[str, str] | None = None,
) -> None:
    """Everything a person reads after a run, in order: cases, comparison, functions."""
    model_errors = model_errors or {}
    for (model, suite), rs in group(results).items():
        if model in model_errors and all(r.error and not r.raw for r in rs):
            console.print(
                f"[bold]{model} · {suite}[/]: [red]not run[/] — {len(rs)} cases counted as "
                f"errors ({model_errors[model]})",
                highlight=False,
            )
            console.print()
            continue
        full = len(rs) <= FULL_TABLE_MAX
        shown = "" if full else f" — {sum(not r.call_match for r in rs)} mismatches shown"
        title = f"{model} · {suite} ({len(rs)} cases{shown})"
        console.print(case_table(title, rs, full))
        for line in summary_lines(summarise(model, suite, rs)):
            console.print(line, highlight=False, markup=False)
        console.print()
    if not results:
        console.print("No cases were run.")
        return
    console.print(comparison_table(results))
    pairs = paired_table(results)
    if pairs is not None:
        console.print(pairs)
        for p in paired(results):
            console.print(paired_line(p), highlight=False, markup=False)
    for model in models_of(results):
        if model in model_errors:
            continue
        rs = [r for r in results if r.model == model]
        console.print(function_table(model, rs))
        console.print(confusion_table(model, rs))
    for model, error in model_errors.items():
        console.print(f"[bold red]{model}[/] could not run: {error}", highlight=False)
