"""The Results table: the README keeps the accuracy rows and every row with a target, and
docs/results.md every row, both from one results.json."""

from __future__ import annotations

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
