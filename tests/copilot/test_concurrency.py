"""How many requests the server answers at once, who waits, and who is turned away: real
concurrent requests from the official `openai` client against the real server.

The backend is a real one written for this: recorded answers (`ReplayBackend`), each held until
the test lets it go, so which request is running and which is waiting is known, never timed.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from copilot import Completion, ReplayBackend
from copilot.catalog import tools
from copilot.serve import create_app, main, running_server

PROMPTS = [f"take off to {10 * i} metres" for i in range(1, 9)]
MODEL = "drone-test"


class HeldReplayBackend(ReplayBackend):
    """A real backend: recorded answers, each held until `release()`; it notes the order in
    which answers start and the most it computed at once."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.name = "held-replay"
        self.gate = threading.Event()
        self.started: list[str] = []
        self.inside = self.most_inside = 0
        self._lock = threading.Lock()

    def release(self) -> None:
        self.gate.set()

    def complete(self, messages: list[dict[str, Any]], *args: Any, **kwargs: Any) -> Completion:
        with self._lock:
            self.started.append(messages[-1]["content"])
            self.inside += 1
            self.most_inside = max(self.most_inside, self.inside)
        try:
            self.gate.wait(timeout=30)
            return super().complete(messages, *args, **kwargs)
        finally:
            with self._lock:
                self.inside -= 1


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = Path(tmp_path_factory.mktemp("queue")) / "answers.jsonl"
    lines = [
        json.dumps({"prompt": p, "output": f"takeoff_drone(altitude={10 * i})"})
        for i, p in enumerate(PROMPTS, 1)
    ]
    path.write_text("\n".join(lines))
    return path


def until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.005)


@contextmanager
def held_server(recording: Path, running: int, waiting: int) -> Iterator[Any]:
    """(backend, gate, client, thread pool) of a real server whose answers wait for the test."""
    backend = HeldReplayBackend(recording)
    app = create_app(backend, MODEL, max_concurrency=running, max_queue=waiting)
    with running_server(app) as url, ThreadPoolExecutor(8) as pool:
        client = openai.OpenAI(base_url=url, api_key="unused", max_retries=0)
        try:
            yield backend, app.state.gate, client, pool
        finally:
            backend.release()  # a failed test must not leave threads waiting


def ask(client: openai.OpenAI, prompt: str, **kwargs: Any) -> Any:
    messages = [{"role": "user", "content": prompt}]
    return client.chat.completions.create(model=MODEL, messages=messages, tools=tools(), **kwargs)


def test_requests_wait_in_arrival_order_and_one_past_the_queue_gets_a_429(recording: Path):
    with held_server(recording, running=1, waiting=3) as (backend, gate, client, pool):
        first = pool.submit(ask, client, PROMPTS[0])
        until(lambda: backend.inside == 1)
        queued = []
        for n, prompt in enumerate(PROMPTS[1:4], 1):  # each in place before the next is sent
            queued.append(pool.submit(ask, client, prompt))
            until(lambda n=n: gate.waiting == n)
        with pytest.raises(openai.RateLimitError) as refused:
            ask(client, PROMPTS[4])
        assert refused.value.status_code == 429
        assert refused.value.body["type"] == "rate_limit_error"
        assert int(refused.value.response.headers["retry-after"]) >= 1
        with pytest.raises(openai.RateLimitError):  # a stream is refused before it starts
            ask(client, PROMPTS[4], stream=True)
        assert backend.started == PROMPTS[:1]  # nothing ran past the one slot
        backend.release()
        answers = [first.result(timeout=10)] + [f.result(timeout=10) for f in queued]
    assert backend.started == PROMPTS[:4]  # first come, first served
    altitudes = [json.loads(a.choices[0].message.tool_calls[0].function.arguments) for a in answers]
    assert altitudes == [{"altitude": 10 * i} for i in range(1, 5)]
    assert backend.most_inside == 1 and (gate.running, gate.waiting) == (0, 0)


def test_max_concurrency_two_runs_two_answers_at_once(recording: Path):
    with held_server(recording, running=2, waiting=4) as (backend, gate, client, pool):
        futures = [pool.submit(ask, client, p) for p in PROMPTS[:2]]
        until(lambda: backend.inside == 2)
        futures.append(pool.submit(ask, client, PROMPTS[2]))
        until(lambda: gate.waiting == 1)
        assert backend.inside == 2  # the third waits for a slot
        backend.release()
        finishes = [f.result(timeout=10).choices[0].finish_reason for f in futures]
    assert finishes == ["tool_calls"] * 3 and backend.most_inside == 2
    assert (gate.running, gate.waiting) == (0, 0)


def test_a_stream_holds_its_slot_until_its_answer_is_done_then_gives_it_on(recording: Path):
    with held_server(recording, running=1, waiting=1) as (backend, gate, client, pool):
        streamed = pool.submit(lambda: list(ask(client, PROMPTS[0], stream=True)))
        until(lambda: backend.inside == 1)
        waiting = pool.submit(ask, client, PROMPTS[1])
        until(lambda: gate.waiting == 1)
        backend.release()
        chunks = streamed.result(timeout=10)
        assert waiting.result(timeout=10).choices[0].finish_reason == "tool_calls"
    assert chunks[-1].choices[0].finish_reason == "tool_calls"
    assert (gate.running, gate.waiting) == (0, 0)


def test_a_client_that_hangs_up_mid_stream_frees_its_slot_when_the_answer_is_done(
    recording: Path,
):
    backend = HeldReplayBackend(recording)
    app = create_app(backend, MODEL, max_concurrency=1, max_queue=1)
    gate = app.state.gate
    body = {"model": MODEL, "messages": [{"role": "user", "content": PROMPTS[0]}], "stream": True}
    with running_server(app) as url:
        with httpx.stream("POST", f"{url}/chat/completions", json=body) as response:
            assert '"role": "assistant"' in next(response.iter_lines())
        until(lambda: backend.inside == 1)
        assert gate.running == 1  # the model is still at it
        backend.release()
        until(lambda: gate.running == 0)
        client = openai.OpenAI(base_url=url, api_key="unused", max_retries=0)
        assert ask(client, PROMPTS[1]).choices[0].finish_reason == "tool_calls"


def test_the_command_line_refuses_a_concurrency_below_one(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--max-concurrency", "0"])
    assert exited.value.code == 2 and "--max-concurrency" in capsys.readouterr().err
