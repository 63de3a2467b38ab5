"""`python -m evaluation` end to end with the replay backend: output formats and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from evaluation.cli import main

RUN_KEYS = {"model", "suite", "n", "name_match", "call_match", "valid", "executed_match",
            "step_accuracy", "reject_recall", "latency_ms_p50", "latency_ms_p95", "tokens_avg", "errors",
            "repeats", "pass_k", "identical_repeats", "ci95"}  # fmt: skip
CASE_KEYS = {"model", "suite", "id", "prompt", "expected", "actual", "name_match", "call_match",
             "valid", "executed_match", "latency_ms", "tokens", "error"}  # fmt: skip


def run_json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, dict]:
    """Exit code and the parsed stdout; stderr is put back for the test to read."""
    code = main([*argv, "--format", "json"])
    captured = capsys.readouterr()
    sys.stderr.write(captured.err)
    return code, json.loads(captured.out)


def test_json_output_follows_the_schema(capsys, replay, cli_args, flawed_answers) -> None:
    code, data = run_json(capsys, cli_args("--model", replay(flawed_answers)))
    assert code == 0
    assert [(r["suite"], r["n"]) for r in data["runs"]] == [
        ("straightforward", 10),
        ("challenging", 10),
    ]
    for run in data["runs"]:
        assert set(run) == RUN_KEYS
    straight, challenging = data["runs"]
    assert straight["name_match"] == 0.9  # the malformed refusal
    assert straight["call_match"] == 0.8  # ... and the wrong altitude
    assert straight["reject_recall"] == 0.5  # "Can you dance" was garbage: not a refusal
    assert straight["errors"] == 1
    assert challenging["reject_recall"] == 0.9
    assert straight["latency_ms_p50"] == 5.0 and straight["tokens_avg"] == 48.0
    # every share carries its 95% Wilson interval: 8 of 10 is [0.490, 0.943]
    assert straight["ci95"]["call_match"] == pytest.approx([0.490162, 0.943318], abs=2e-6)
    assert straight["repeats"] == 1 and straight["pass_k"] == 0.8
    assert len(data["cases"]) == 20
    for case in data["cases"]:
        assert set(case) >= CASE_KEYS and case["cached"] is False
    takeoff = next(c for c in data["cases"] if c["prompt"].startswith("Take off"))
    assert takeoff["expected"] == [{"name": "takeoff_drone", "arguments": {"altitude": 50}}]
    assert takeoff["actual"] == [{"name": "takeoff_drone", "arguments": {"altitude": 60}}]
    assert (takeoff["name_match"], takeoff["call_match"], takeoff["executed_match"]) == (
        True,
        False,
        False,
    )


def test_csv_output(capsys, perfect, replay, cli_args) -> None:
    assert main([*cli_args("--model", replay(perfect)), "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split(",")[:4] == ["model", "suite", "n", "name_match"]
    assert len(lines) == 3 and ",straightforward,10,1.0,1.0,1.0,1.0,1.0," in lines[1]


def test_second_run_is_cached_with_first_latency(
    capsys, perfect, replay, cli_args, tmp_path
) -> None:
    model = replay(perfect, latency_ms=123.0)
    _, first = run_json(capsys, cli_args("--model", model, output="a"))
    _, second = run_json(capsys, cli_args("--model", model, output="b"))
    assert all(not c["cached"] for c in first["cases"])
    assert all(c["cached"] for c in second["cases"])
    assert [c["latency_ms"] for c in second["cases"]] == [123.0] * 20
    assert first["runs"] == second["runs"]
    _, fresh = run_json(capsys, [*cli_args("--model", model, output="c"), "--no-cache"])
    assert not any(c["cached"] for c in fresh["cases"])
    assert [c["latency_ms"] for c in fresh["cases"]] == [123.0] * 20


def test_limit_and_several_suites(capsys, perfect, replay, cli_args) -> None:
    argv = cli_args("--model", replay(perfect), "--suite", "challenging", "--suite",
                    "straightforward", "--limit", "3")  # fmt: skip
    code, data = run_json(capsys, argv)
    assert code == 0
    assert [(r["suite"], r["n"]) for r in data["runs"]] == [
        ("challenging", 3),
        ("straightforward", 3),
    ]


def test_fail_under(capsys, replay, cli_args, flawed_answers) -> None:
    model = replay(flawed_answers)
    assert main([*cli_args("--model", model, output="a"), "--fail-under", "85"]) == 1
    assert "below --fail-under" in capsys.readouterr().err
    args = cli_args("--model", model, "--fail-under", "85", "--fail-metric", "name", output="b")
    assert main(args) == 0


def test_unknown_model_lists_known_ones(capsys, cli_args, tmp_path) -> None:
    assert main(cli_args("--model", "gpt-17")) == 2
    err = capsys.readouterr().err
    assert "unknown model 'gpt-17'" in err and "local-ft" in err and "Traceback" not in err
    assert not (tmp_path / "run").exists()  # nothing ran, so no run folder is left behind


def test_an_empty_run_folder_is_not_mistaken_for_results(
    cli_args, tmp_path, replay, flawed_answers
):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "results.jsonl").touch()  # what a run killed before its first case leaves
    assert main(cli_args("--model", replay(flawed_answers), "--limit", "1")) == 0
    assert (tmp_path / "run" / "results.jsonl").read_text().strip()


def test_unknown_suite_lists_known_ones(capsys, cli_args) -> None:
    assert main(cli_args("--suite", "nope", "--model", "local-base")) == 2
    assert "known:" in capsys.readouterr().err


def test_model_that_fails_everywhere_still_reports(
    capsys, perfect, replay, cli_args, tmp_path
) -> None:
    """One good model, one that cannot start, one that has no answer for any prompt."""
    good, silent = replay(perfect, name="good"), replay({"other": "x()"}, name="silent")
    argv = cli_args("--model", good, "--model", "replay:/no/such/file.jsonl", "--model", silent)
    code, data = run_json(capsys, argv)
    assert code == 1
    errors = {r["model"]: r["errors"] for r in data["runs"] if r["suite"] == "challenging"}
    assert errors == {good: 0, "replay:/no/such/file.jsonl": 10, silent: 10}
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert "replay file not readable" in summary["model_errors"]["replay:/no/such/file.jsonl"]
    assert "no recorded output" in summary["model_errors"][silent]
    assert (tmp_path / "run" / "report.html").exists()


def test_malformed_suite_line_is_reported_and_the_rest_runs(
    capsys, perfect, replay, cli_args, tmp_path
):
    suite = tmp_path / "mine.jsonl"
    good = {"id": "x", "prompt": "Take off the drone to 50 meters",
            "expected": [{"name": "takeoff_drone", "arguments": {"altitude": 50}}]}  # fmt: skip
    suite.write_text(json.dumps(good) + "\n{oops\n")
    code, data = run_json(capsys, cli_args("--model", replay(perfect), "--suite",
                                           str(suite)))  # fmt: skip
    assert code == 0
    assert f"{suite}:2: invalid JSON" in capsys.readouterr().err
    assert data["runs"][0]["n"] == 1 and data["runs"][0]["call_match"] == 1.0


def test_existing_output_needs_resume(capsys, perfect, replay, cli_args) -> None:
    model = replay(perfect)
    assert main(cli_args("--model", model)) == 0
    capsys.readouterr()
    assert main(cli_args("--model", model)) == 2
    assert "--resume" in capsys.readouterr().err


def test_help_has_examples_and_no_pygame() -> None:
    code = (
        "import sys, runpy; sys.argv=['evaluation','--help']\n"
        "try:\n    runpy.run_module('evaluation', run_name='__main__')\n"
        "except SystemExit as e:\n    assert e.code == 0\n"
        "import evaluation.cli, evaluation.runner, evaluation.plots, evaluation.report_html\n"
        "assert 'pygame' not in sys.modules, 'evaluation imported pygame'\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "examples:" in done.stdout and "--fail-under" in done.stdout


def test_bad_options_exit_2_with_one_line(capsys, perfect, replay, tmp_path) -> None:
    model = replay(perfect)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    cases = [
        (["--limit", "0"], "--limit must be at least 1"),
        (["--resume", str(tmp_path / "nothing")], "nothing to resume"),
        (["--output", str(blocker / "run")], "cannot write the run directory"),
    ]
    for extra, message in cases:
        assert main(["--model", model, "--cache-dir", str(tmp_path / "c"), *extra]) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err
