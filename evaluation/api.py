"""The evaluation as a function, for scripts and benchmarks (`bench/`), without the CLI.

from evaluation.api import evaluate
from evaluation.metrics import summaries

results = evaluate(["local-ft"], suites=["all"])
for s in summaries(results):
    print(s.model, s.suite, s.call_match, s.latency_ms_p50)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from evaluation.cache import AnswerCache
from evaluation.results import RESULTS_FILE, CaseResult, ResultsWriter
from evaluation.runner import Evaluation, OnResult, open_model
from evaluation.suites import load_suite, resolve_suites


def evaluate(
    models: Sequence[str],
    suites: Sequence[str] | None = None,
    limit: int | None = None,
    cache_dir: Path | None = None,
    use_cache: bool = True,
    output: Path | None = None,
    concurrency: int = 4,
    on_result: OnResult | None = None,
) -> list[CaseResult]:
    """Run models on suites (names, paths or "all"; default the seed's two) and return the
    scored results. Raises `UnknownModel` or `SuiteNotFound`; a model that cannot start yields
    results with `error` set, as in the CLI. With `output`, results are appended to
    `output/results.jsonl` as they finish."""
    from copilot import get_backend

    loaded = [load_suite(path) for path in resolve_suites(list(suites) if suites else None)]
    handles = [open_model(name, get_backend) for name in models]
    evaluation = Evaluation(
        cache=AnswerCache(cache_dir, refresh=not use_cache), concurrency=concurrency
    )
    if output is None:
        return evaluation.run(handles, loaded, limit=limit, on_result=on_result)
    with ResultsWriter(Path(output) / RESULTS_FILE) as writer:
        return evaluation.run(handles, loaded, writer, limit=limit, on_result=on_result)
