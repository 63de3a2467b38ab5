"""The Results table: the README keeps the accuracy rows and every row with a target, and
docs/results.md every row, both from one results.json."""

from __future__ import annotations

import json

from bench import run

RESULTS = {
    "machine": {"date": "2026-12-05 12:00 UTC", "cores": 2, "cpu": "test CPU", "gpu": None},
    "quick": False,
    "sections": {
        "accuracy": {"rows": [{"figure": "local-base: positive", "value": "20%"}]},
        "backends": {
            "rows": [
                {
                    "figure": "local-ft latency p50",
                    "value": 130,
                    "unit": "ms",
                    "target": "≤ 300 ms",
                    "ok": True,
                },
                {"figure": "ladder: int8", "value": 62, "unit": "ms"},
            ]
        },
        "simulator": {"error": "RuntimeError: no display"},
    },
}


def test_the_readme_keeps_the_headline_rows_and_the_full_table_keeps_all():
    headline, full = run.markdown(RESULTS, headline=True), run.markdown(RESULTS)
    assert "local-base: positive" in headline and "local-ft latency p50" in headline
    assert "ladder: int8" not in headline and "ladder: int8" in full
    assert "| local-ft latency p50 | 130 ms |  | ≤ 300 ms | ✓ |" in full
    assert "failed: RuntimeError: no display" in headline  # a failed section is never hidden
    assert "2 cores, test CPU, no GPU" in headline


def test_a_partial_run_replaces_its_sections_and_keeps_the_rest(tmp_path):
    output = tmp_path / "results.json"
    output.write_text(json.dumps(RESULTS))
    run.main(["--only", "data", "--quick", "--output", str(output)])
    after = json.loads(output.read_text())
    assert list(after["sections"]) == ["accuracy", "backends", "data", "simulator"]
    assert after["sections"]["accuracy"] == RESULTS["sections"]["accuracy"]
    assert "rows" in after["sections"]["data"]
    assert after["machine"] == RESULTS["machine"]  # the date of the full run stays the header's
    assert list(after["remeasured"].values()) == [["data"]]
    assert "data measured again" in run.markdown(after)
