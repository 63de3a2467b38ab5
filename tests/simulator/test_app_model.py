"""The app's model path with the real embedded model (slow: marked `model`)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

from simulator.app import App


@pytest.mark.model
def test_local_base_answers_a_typed_command_without_freezing_the_ui(tmp_path: Path) -> None:
    app = App(["local-base"], window=False, captures=tmp_path)
    app.submit("Take off the drone to 50 meters")
    frames = 0
    deadline = time.perf_counter() + 600
    while app.pilots[0].busy and time.perf_counter() < deadline:
        app.update(1 / 60)  # the UI keeps drawing while the model thinks in its thread
        app.frame()
        frames += 1
        time.sleep(1 / 60)
    assert not app.pilots[0].busy, "the model did not answer in 10 minutes"
    assert frames > 10
    assert "ms" in app.pilots[0].status
    kinds = [line.kind for line in app.log]
    assert kinds[0] == "user"
    assert kinds[1] in ("call", "error")  # a tool call ran, or the model's bad output is shown
    if kinds[1] == "call":
        assert kinds[2] in ("accepted", "denied", "failed")
