"""The runner in process: threads for API-style backends, order and completeness of results."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from copilot import ReplayBackend
from evaluation.cache import AnswerCache
from evaluation.results import ResultsWriter, read_results
from evaluation.runner import Evaluation, ModelHandle
from evaluation.suites import SUITES_DIR, load_suite


def test_concurrent_backend_runs_in_threads_and_loses_nothing(tmp_path: Path, replay, perfect):
    backend = ReplayBackend(replay(perfect).removeprefix("replay:"))
    backend.concurrent = True  # as an API backend would declare: requests may overlap
    model = ModelHandle("threaded", backend=backend)
    suites = [load_suite(SUITES_DIR / f"{n}.jsonl") for n in ("straightforward", "challenging")]
    threads: set[str] = set()
    evaluation = Evaluation(cache=AnswerCache(tmp_path / "cache"), concurrency=4)
    with ResultsWriter(tmp_path / "results.jsonl") as writer:
        results = evaluation.run(
            [model],
            suites,
            writer,
            on_result=lambda r: threads.add(threading.current_thread().name),
        )
    assert [r.id for r in results] == [c.id for s in suites for c in s.cases]  # suite order
    assert all(r.call_match for r in results)
    assert all(name.startswith("eval") for name in threads)
    written = read_results(tmp_path / "results.jsonl")
    assert sorted(r.id for r in written) == sorted(r.id for r in results)
    lines = (tmp_path / "results.jsonl").read_text().splitlines()
    assert all(json.loads(line)["model"] == "threaded" for line in lines)  # no torn lines


def test_local_and_replay_models_run_one_at_a_time(replay, perfect) -> None:
    backend = ReplayBackend(replay(perfect).removeprefix("replay:"))
    assert not ModelHandle("replay:x", backend=backend).concurrent
    assert not ModelHandle("local-ft", backend=backend).concurrent
    assert ModelHandle("gpt-4o-mini", backend=backend).concurrent


def test_evaluate_api(tmp_path: Path, replay, perfect) -> None:
    from evaluation.api import evaluate
    from evaluation.metrics import summaries

    results = evaluate(
        [replay(perfect)], suites=["challenging"], limit=4, cache_dir=tmp_path / "c",
        output=tmp_path / "out",
    )  # fmt: skip
    assert [r.id for r in results] == ["c01", "c02", "c03", "c04"]
    (summary,) = summaries(results)
    assert summary.reject_recall == 1.0 and summary.n == 4
    assert len(read_results(tmp_path / "out" / "results.jsonl")) == 4
