"""Report content: the run directory's files, the terminal table, report.html and the plots."""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import pytest
from rich.console import Console

from evaluation.metrics import group
from evaluation.report_terminal import case_table, print_report
from evaluation.results import read_results


@pytest.fixture
def run_dir(report_run: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    capsys.readouterr()
    return report_run


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    return struct.unpack(">II", data[16:24])


def test_run_directory_holds_every_file(run_dir: Path) -> None:
    names = {p.name for p in run_dir.iterdir()}
    assert {"results.jsonl", "summary.json", "summary.csv", "report.html"} <= names
    assert {"accuracy.png", "latency.png", "confusion.png"} <= names
    results = read_results(run_dir / "results.jsonl")
    assert len(results) == 40
    first = results[0]
    assert first.raw and first.expected and first.latency_ms == 800
    summary = json.loads((run_dir / "summary.json").read_text())
    assert len(summary["runs"]) == 4 and summary["model_errors"] == {}
    tuned = next(m for m in summary["per_function"] if "tuned" in m)
    follow = next(f for f in summary["per_function"][tuned] if f["name"] == "set_follow_me_mode")
    assert (follow["precision"], follow["recall"]) == (0.5, 1.0)  # "Detect a person" went here


def test_plots_are_real_images(run_dir: Path) -> None:
    for name in ("accuracy.png", "latency.png", "confusion.png"):
        width, height = png_size(run_dir / name)
        assert width >= 500 and height >= 350, name


def test_terminal_report_has_seed_lines_and_red_rows(run_dir: Path) -> None:
    results = read_results(run_dir / "results.jsonl")
    console = Console(record=True, width=200)
    print_report(results, console)
    text = console.export_text()
    # the seed's three lines, verbatim, for the tuned model on the straightforward suite
    assert "Number of matches: 9 out of 10 (90.00%)" in text
    assert "Average latency per request: 40.00 ms" in text
    assert "Average tokens used per request: 48.00" in text
    assert "Call match: 8 out of 10 (80.00%)" in text
    assert "Executed match: 8 out of 10 (80.00%)" in text
    assert "Reject recall: 1 out of 2 (50.00%)" in text
    assert "Latency p50 / p95: 40.00 ms / 40.00 ms" in text
    assert "Comparison" in text and "Confusion" in text and "Per function" in text
    groups = group(results)
    tuned = next(rs for (m, s), rs in groups.items() if "tuned" in m and s == "straightforward")
    table = case_table("t", tuned, full=True)
    styles = {r.prompt: row.style for r, row in zip(tuned, table.rows, strict=True)}
    assert styles["Can you dance for me?"] == "black on red"  # wrong name (malformed)
    assert styles["Take off the drone to 50 meters"] == "black on yellow"  # wrong argument
    assert styles["Land the drone at the home base"] == ""


def test_html_report_is_self_contained_with_filters_and_side_by_side(run_dir: Path) -> None:
    html = (run_dir / "report.html").read_text()
    assert not re.search(r"""(src|href)=["']?https?:""", html)  # nothing fetched from outside
    assert html.count('src="data:image/png;base64,') == 3
    for name in ("model", "suite", "category"):
        assert f'id="f-{name}"' in html
    assert 'id="f-bad"' in html and "function applyFilters" in html
    for option in ("straightforward", "challenging"):
        assert f'<option value="{option}">' in html
    # the all-cases table: one row per case and model, red where the name is wrong
    cases = html.split('<table id="cases"')[1].split("</table>")[0]
    assert cases.count("<tr class=") == 40
    # base: the 8 straightforward actions refused; tuned: the malformed refusal, "Detect a person"
    assert cases.count('<tr class="bad"') == 8 + 2
    assert cases.count('<tr class="warn"') == 1  # tuned: takeoff to 60 instead of 50
    # per-prompt view: one row per prompt with a column per model, differing verdicts marked
    side = html.split("Per prompt, models side by side")[1].split("All cases")[0]
    assert side.count("<tr class=") == 20
    # verdicts differ: 7 actions only tuned got right, and 2 refusals only base got right
    assert "replay:" in side and side.count('class="diff"') == 7 + 2
    assert "Number of matches: 9 out of 10 (90.00%)" in html
