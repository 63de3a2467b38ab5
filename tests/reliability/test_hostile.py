"""A hostile world around the copilot, with real components throughout: malformed requests to
our uvicorn server, a fault-injecting OpenAI-compatible server driven with the official client
through our OpenAI backend and the evaluation runner, and `python -m evaluation` killed with
SIGKILL at seeded points and resumed with `--resume DIR` alone."""

from __future__ import annotations

import json
from pathlib import Path

from bench import fault_server, hostile
from copilot import OpenAIBackend
from evaluation.cache import AnswerCache
from evaluation.results import ResultsWriter, read_results
from evaluation.runner import Evaluation, ModelHandle
from evaluation.suites import load_suite

MAX_ATTEMPTS = 4


def test_every_kind_of_malformed_request_gets_a_shaped_4xx_never_a_5xx(served: str):
    assert len(hostile.MALFORMED) >= 50
    tally = hostile.send_malformed(served, per_kind=1)
    assert tally.sent == len(hostile.MALFORMED)
    assert tally.server_errors == [] and tally.unshaped == []
    assert set(tally.statuses) <= {200, 400, 404, 405, 413, 415}


def test_without_the_key_every_malformed_request_is_a_401(served_with_key: str):
    tally = hostile.send_malformed(served_with_key, per_kind=1)
    assert tally.server_errors == [] and tally.unshaped == []
    assert tally.statuses[401] >= len(hostile.MALFORMED) - 8  # unknown paths and methods: 404 / 405


def test_every_fault_is_survived_retried_within_bounds_and_recorded(tmp_path: Path):
    cases = [(kind, times) for kind in fault_server.FAULT_KINDS for times in (1, 99)]
    suite = tmp_path / "faults.jsonl"
    expected = [{"name": "return_to_home", "arguments": {}}]
    suite.write_text("".join(
        json.dumps({"id": f"{kind}-{times}", "prompt": fault_server.fault_prompt(kind, times), "expected": expected}) + "\n"
        for kind, times in cases
    ))  # fmt: skip
    with fault_server.FaultServer(hang_s=1.5) as server:
        backend = OpenAIBackend("faulty", base_url=server.url, api_key="unused", timeout=0.3,
                                max_attempts=MAX_ATTEMPTS, backoff_initial=0.01, backoff_max=0.05)  # fmt: skip
        evaluation = Evaluation(cache=AnswerCache(tmp_path / "cache"), concurrency=4)
        with ResultsWriter(tmp_path / "results.jsonl") as writer:
            evaluation.run([ModelHandle("faulty", backend)], [load_suite(suite)], writer)
        hits = dict(server.hits)
    results = {r.id: r for r in read_results(tmp_path / "results.jsonl")}
    assert sorted(results) == sorted(f"{k}-{t}" for k, t in cases)  # every case recorded, once
    for kind, times in cases:
        result, attempts = results[f"{kind}-{times}"], hits[fault_server.fault_prompt(kind, times)]
        if kind in fault_server.RECOVERS and times == 1:  # retried, and the second attempt answered
            assert (attempts, result.call_match, result.error) == (2, True, None), kind
        elif kind in fault_server.RECOVERS:  # retried to the bound, then a clean error
            assert attempts == MAX_ATTEMPTS and result.error and not result.actual, kind
            assert f"{MAX_ATTEMPTS} attempts" in result.error
        else:  # an answer that is wrong is not retried: it is recorded as the model's error
            assert attempts == 1 and result.error and not result.call_match, kind
            assert "\n" not in result.error


def test_kill_9_at_seeded_points_then_resume_alone_loses_nothing(tmp_path: Path):
    report = hostile.kill_and_resume(tmp_path, cases=3000, kills=6, seed=24)
    assert report.kills >= 3, report  # the run was really cut, more than once
    assert (report.lost, report.duplicated, report.changed) == (0, 0, 0), report
    assert report.summary_equal and report.cases == 3000
    assert json.loads((tmp_path / "run" / "manifest.json").read_text())["plots"] is False
