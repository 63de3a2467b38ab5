"""Error bars, paired tests, pass^K and JUnit: checked against values worked out by hand."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from rich.console import Console

from evaluation.cli import main
from evaluation.report_terminal import print_report
from evaluation.results import read_results
from evaluation.stats import mcnemar, paired, wilson


def test_wilson_matches_the_hand_computed_interval() -> None:
    # p = k/n, z = 1.959964: centre (p + z²/2n) / (1 + z²/n), half-width
    # z·sqrt(p(1-p)/n + z²/4n²) / (1 + z²/n), worked on paper
    assert wilson(7, 10) == pytest.approx((0.39678, 0.89221), abs=2e-5)
    assert wilson(301, 335) == pytest.approx((0.86152, 0.92646), abs=2e-5)  # 89.9% ± ~3.2
    assert wilson(10, 10) == pytest.approx((0.72246, 1.0), abs=2e-5)  # never past 100%
    assert wilson(0, 0) is None


def test_exact_mcnemar_on_a_hand_made_table() -> None:
    # A right / B wrong: 2, A wrong / B right: 10 (50 both right, 5 both wrong: ignored)
    # two-sided exact: 2 · P(X ≤ 2), X ~ Binomial(12, 1/2) = 2 · (1 + 12 + 66) / 4096
    assert mcnemar(2, 10) == pytest.approx(158 / 4096)
    assert mcnemar(10, 2) == pytest.approx(158 / 4096)
    assert mcnemar(0, 0) == 1.0


def test_paired_difference_between_two_models(report_run) -> None:
    """Base refuses everything; tuned makes three mistakes (see conftest.flawed)."""
    results = read_results(report_run / "results.jsonl")
    pairs = {p.suite: p for p in paired(results)}
    straight, challenging = pairs["straightforward"], pairs["challenging"]
    # straightforward: base right on the 2 refusals; tuned right on 8, one of them a refusal
    assert (straight.a_right, straight.b_right, straight.a_only, straight.b_only) == (2, 8, 1, 7)
    assert straight.difference == pytest.approx(0.6)
    assert straight.p_value == pytest.approx(2 * 9 / 256)  # 2 · P(X ≤ 1), X ~ Bin(8, 1/2)
    assert not straight.significant
    assert (challenging.a_only, challenging.b_only, challenging.p_value) == (1, 0, 1.0)
    summary = json.loads((report_run / "summary.json").read_text())
    assert summary["paired"][0]["p_value"] == pytest.approx(0.070312, abs=1e-6)
    html = (report_run / "report.html").read_text()
    assert "exact McNemar p = 0.0703" in html and "Wilson interval" in html
    csv = (report_run / "summary.csv").read_text().splitlines()
    assert "call_match_ci95_low" in csv[0].split(",")
    console = Console(record=True, width=200)
    print_report(results, console)
    text = console.export_text()
    assert "Paired comparison" in text and "+60.0 points on 10 cases" in text
    assert "Call match: 8 out of 10 (80.00%) · 95% CI 49.0–94.3%" in text


def test_junit_has_one_testcase_per_case_and_model(capsys, replay, cli_args, flawed_answers):
    code = main(cli_args("--model", replay(flawed_answers), "--format", "junit",
                         "--fail-under", "90"))  # fmt: skip
    captured = capsys.readouterr()
    assert code == 1 and "below --fail-under" in captured.err  # straightforward: 80% call
    root = ET.fromstring(captured.out)
    cases = root.findall(".//testcase")
    assert len(cases) == 20 and root.get("failures") == "3" and root.get("errors") == "0"
    failures = {c.get("name"): c.find("failure") for c in cases if c.find("failure") is not None}
    takeoff = failures["s02: Take off the drone to 50 meters"]
    assert takeoff.get("message") == (
        "expected takeoff_drone(altitude=50); got takeoff_drone(altitude=60)"
    )


def test_repeats_report_pass_k_and_say_a_deterministic_model_is(capsys, replay, cli_args,
                                                                  flawed_answers) -> None:  # fmt: skip
    code = main(cli_args("--model", replay(flawed_answers), "--repeats", "3", "--format", "json"))
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and len(data["cases"]) == 60
    straight = data["runs"][0]
    assert straight["repeats"] == 3 and straight["n"] == 30
    assert straight["pass_k"] == 0.8 and straight["call_match"] == 0.8
    assert straight["identical_repeats"] is True
    assert straight["ci95"]["pass_k"] == pytest.approx([0.490162, 0.943318], abs=2e-6)
    code = main(cli_args("--model", replay(flawed_answers), "--repeats", "3", output="again"))
    text = capsys.readouterr().out
    assert "pass^3: 8 out of 10 cases right in all 3 runs" in text
    assert "deterministic" in text


@pytest.mark.parametrize(
    "argv", [["batch", "--help"], ["batch", "export", "--help"], ["batch", "import", "--help"],
             ["batch", "submit", "--help"]],
)  # fmt: skip
def test_batch_commands_have_help_with_examples(argv, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 0 and "examples" in capsys.readouterr().out


def test_copilot_batch_has_help_with_examples(capsys) -> None:
    from copilot.__main__ import main as copilot_main

    with pytest.raises(SystemExit) as exit_:
        copilot_main(["batch", "--help"])
    out = capsys.readouterr().out
    assert exit_.value.code == 0 and "examples:" in out and "kill -9" in out


def test_bad_repeats_and_a_resume_that_disagrees(capsys, replay, cli_args, perfect) -> None:
    model = replay(perfect)
    assert main(cli_args("--model", model, "--repeats", "0")) == 2
    assert "--repeats must be between 1 and 100" in capsys.readouterr().err
    assert main(cli_args("--model", model, "--repeats", "2", "--format", "json")) == 0
    capsys.readouterr()
    run = cli_args()[cli_args().index("--output") + 1]
    assert main(["--resume", run, "--repeats", "3"]) == 2
    assert "--repeats differs" in capsys.readouterr().err
    assert main(["--resume", run, "--format", "json", "--no-plots"]) == 0  # nothing left to do
    assert json.loads(capsys.readouterr().out)["runs"][0]["repeats"] == 2


@pytest.mark.parametrize(
    "k, n", [(0, 10), (7, 10), (10, 10), (0, 1), (1, 1), (300, 335), (167, 178)]
)
def test_wilson_in_closed_form_is_scipys_interval(k: int, n: int) -> None:
    """The closed form keeps scipy.stats out of a run's start; it must be scipy's interval."""
    from scipy.stats import binomtest

    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert wilson(k, n) == pytest.approx((ci.low, ci.high), abs=1e-12)
