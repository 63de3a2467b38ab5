"""Real servers for the server tests: one replaying recorded answers, one over `local-ft`."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from copilot import ADAPTER_DIR, ReplayBackend, get_backend
from copilot.serve import create_app, running_server


@pytest.fixture(scope="module")
def serve_recorded(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[dict[str, str], str], str]]:
    """`serve(answers, model)`: the base URL of a real server that answers each prompt of
    `answers` with its recorded output (20 prompt tokens, 9 completion tokens each)."""
    with ExitStack() as stack:

        def serve(answers: dict[str, str], model: str) -> str:
            path = Path(tmp_path_factory.mktemp("recorded")) / "answers.jsonl"
            lines = [
                json.dumps({"prompt": p, "output": o, "prompt_tokens": 20, "completion_tokens": 9})
                for p, o in answers.items()
            ]
            path.write_text("\n".join(lines))
            app = create_app(ReplayBackend(path), model)
            return stack.enter_context(running_server(app))

        yield serve


@pytest.fixture(scope="module")
def local_ft_url(local_model) -> Iterator[str]:
    """The base URL of a real server over the shipped `local-ft` model."""
    if not (ADAPTER_DIR / "adapter_config.json").exists():
        pytest.skip(f"no shipped adapter at {ADAPTER_DIR}")
    backend = get_backend("local-ft")
    backend.load()
    with running_server(create_app(backend, "local-ft")) as url:
        yield url
