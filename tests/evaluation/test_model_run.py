"""The real embedded model through the whole harness (slow: loads Gemma 3 270M once)."""

from __future__ import annotations

import json

import pytest

from evaluation.cli import main


@pytest.mark.model
def test_local_base_through_the_harness(capsys, cli_args) -> None:
    argv = cli_args("--model", "local-base", "--suite", "straightforward", "--limit", "3")
    assert main([*argv, "--no-cache", "--format", "json"]) == 0
    first = json.loads(capsys.readouterr().out)
    cases = first["cases"]
    assert len(cases) == 3 and not any(c["cached"] for c in cases)
    for case in cases:
        assert case["error"] is None or case["actual"] == [], case
        assert case["latency_ms"] > 0 and case["tokens"] > 0
    # the model's first request is not charged with loading it (seconds on this machine)
    assert max(c["latency_ms"] for c in cases) < 5 * min(c["latency_ms"] for c in cases) + 2000
    # the answers are cached: a re-run is free and keeps the measured latency
    assert main([*cli_args("--model", "local-base", "--suite", "straightforward", "--limit",
                           "3", output="again"), "--format", "json"]) == 0  # fmt: skip
    again = json.loads(capsys.readouterr().out)["cases"]
    assert all(c["cached"] for c in again)
    assert [c["latency_ms"] for c in again] == [c["latency_ms"] for c in cases]
    assert [c["actual"] for c in again] == [c["actual"] for c in cases]
