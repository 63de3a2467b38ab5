"""Replay suites against models: ask (or read the cache), score, append the result.

Each finished case is cached and appended to `results.jsonl` before the next one starts, so a
killed run resumes where it stopped: cases already in the results file are skipped, and cases
answered but not yet written come back from the cache. API backends run `concurrency` cases at
once in threads; local models run one at a time (they already use every core).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from copilot import DEFAULT_SYSTEM_PROMPT, Backend, Completion, redact
from copilot import tools as catalogue_tools
from evaluation.cache import AnswerCache, cache_key
from evaluation.executed import executed_match
from evaluation.results import CaseResult, ResultsWriter
from evaluation.scoring import is_valid, score
from evaluation.suites import Case, Suite

OnResult = Callable[[CaseResult], None]


@dataclass
class ModelHandle:
    """A model name with its backend, or the one-line reason it could not be made."""

    name: str
    backend: Backend | None = None
    error: str | None = None
    on_load: Callable[[str], None] | None = None  # told "loading <name>" before a slow load
    load_ms: float | None = None  # how long the load took (None: not loaded in this run)
    _loaded: bool = field(default=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def ensure_loaded(self) -> None:
        """Load a lazily loaded model before its first timed request, so the first case's
        latency is the model's, not the load's. Skipped entirely when every case is cached."""
        load = getattr(self.backend, "load", None)
        if self._loaded or not callable(load):
            return
        with self._lock:
            if self._loaded:
                return
            if self.on_load is not None:
                self.on_load(self.name)
            started = time.perf_counter()
            try:
                load()
                self.load_ms = (time.perf_counter() - started) * 1000
            except Exception as exc:  # ModelUnavailable and friends: the model's error line
                self.error = self.error or _one_line(exc)
            self._loaded = True

    @property
    def identity(self) -> str:
        if self.backend is None:
            return f"unavailable:{self.name}"
        try:
            return str(self.backend.identity)
        except Exception as exc:  # an identity that needs a missing file is a model error
            self.error = self.error or _one_line(exc)
            return f"unavailable:{self.name}"

    @property
    def deterministic(self) -> bool:
        """Whether the model gives the same answer to the same request every time: greedy local
        models and recordings do, so `--repeats` asks them once and says so."""
        flag = getattr(self.backend, "deterministic", None)
        if flag is not None:
            return bool(flag)
        return self.name.startswith(("local", "replay"))

    @property
    def concurrent(self) -> bool:
        """Whether several requests may run at once (API backends yes, local models no)."""
        flag = getattr(self.backend, "concurrent", None)
        if flag is not None:
            return bool(flag)
        return not self.name.startswith(("local", "replay"))


def _one_line(exc: BaseException) -> str:
    """The first line of an exception; its class named unless it is a known, worded failure."""
    text = redact(str(exc)).strip().splitlines()
    if not text:
        return type(exc).__name__
    worded = type(exc).__name__ in ("ModelUnavailable", "UnknownModel")
    return text[0] if worded else f"{type(exc).__name__}: {text[0]}"


def open_model(name: str, factory: Callable[[str], Backend]) -> ModelHandle:
    """Build a backend; any failure but an unknown name becomes the model's error line."""
    try:
        return ModelHandle(name, backend=factory(name))
    except Exception as exc:
        if type(exc).__name__ == "UnknownModel":
            raise
        return ModelHandle(name, error=_one_line(exc))


def score_case(
    model: str, case: Case, completion: Completion, cached: bool, identity: str, repeat: int = 0
) -> CaseResult:
    """Score one answer (executed match in the headless simulator) and package it: the one
    scorer of a live run and of an imported Batch output."""
    valid = is_valid(completion)
    executed = executed_match(case.plans, completion.calls, case.setup, valid=valid)
    scores = score(case.plans, completion, executed=executed)
    return CaseResult.build(
        model, case, completion, scores, cached=cached, identity=identity, repeat=repeat
    )


@dataclass
class Evaluation:
    """Settings shared by every case of a run."""

    cache: AnswerCache = field(default_factory=AnswerCache)
    system_prompt: str | None = DEFAULT_SYSTEM_PROMPT
    tools: list[dict[str, Any]] = field(default_factory=catalogue_tools)
    concurrency: int = 4
    params: dict[str, Any] = field(default_factory=dict)

    def ask(self, model: ModelHandle, case: Case, repeat: int = 0) -> tuple[Completion, bool]:
        """The model's answer to one case (its `repeat`-th run), and whether it came from the
        cache. A deterministic model's repeats are one answer; another model's each its own."""
        messages = case.messages(self.system_prompt)
        if model.backend is None:
            return Completion(error=model.error or "model unavailable"), False
        params = {**getattr(model.backend, "params", {}), **self.params}
        if repeat and not model.deterministic:
            params["repeat"] = repeat  # the first run keeps the key it always had
        key = cache_key(model.identity, messages, self.tools, params)  # may set model.error
        if model.error is not None:
            return Completion(error=model.error), False
        hit = self.cache.get(key)
        if hit is not None:
            return hit, True
        model.ensure_loaded()
        if model.error is not None:
            return Completion(error=model.error), False
        started = time.perf_counter()
        try:
            completion = model.backend.complete(messages, self.tools)
        except Exception as exc:  # the protocol says never raise; a broken backend still may
            completion = Completion(error=_one_line(exc))
        if not completion.latency_ms:
            completion.latency_ms = (time.perf_counter() - started) * 1000
        self.cache.put(key, completion)
        return completion, False

    def run_case(self, model: ModelHandle, case: Case, repeat: int = 0) -> CaseResult:
        """Ask, score (executed match in the headless simulator) and package one case."""
        completion, cached = self.ask(model, case, repeat)
        return score_case(model.name, case, completion, cached, model.identity, repeat)

    def run(
        self,
        models: Sequence[ModelHandle],
        suites: Sequence[Suite],
        writer: ResultsWriter | None = None,
        done: set[tuple[str, str, str]] | None = None,
        limit: int | None = None,
        on_result: OnResult | None = None,
        repeats: int = 1,
    ) -> list[CaseResult]:
        """Every model on every suite (each case `repeats` times); returns the new results in
        suite order."""
        done = done or set()
        out: list[CaseResult] = []
        for model in models:
            for suite in suites:
                runs = [
                    (c, r)
                    for r in range(repeats)
                    for c in suite.cases[:limit]
                    if (model.name, suite.name, c.id, r) not in done
                ]
                out.extend(self._run_cases(model, runs, writer, on_result))
        return out

    def _run_cases(
        self,
        model: ModelHandle,
        runs: list[tuple[Case, int]],
        writer: ResultsWriter | None,
        on_result: OnResult | None,
    ) -> list[CaseResult]:
        def finish(run: tuple[Case, int]) -> CaseResult:
            result = self.run_case(model, *run)
            if writer is not None:
                writer.append(result)
            if on_result is not None:
                on_result(result)
            return result

        workers = max(1, self.concurrency) if model.concurrent else 1
        if workers == 1 or len(runs) < 2:
            return [finish(run) for run in runs]
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="eval") as pool:
            return list(pool.map(finish, runs))
