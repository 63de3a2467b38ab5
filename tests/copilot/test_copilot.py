"""The Copilot session over a real headless simulator, and the `python -m copilot` CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from copilot import Copilot, ReplayBackend
from simulator.core import DroneSim

ROOT = Path(__file__).resolve().parents[2]
ANSWERS = {
    "take off to 20 m": "takeoff_drone(altitude=20)",
    "go up 10": 'control_drone_movement(direction="up", distance=10)',
    "record for 5 seconds": 'control_camera(mode="video", duration=5)',
    "way too high": "takeoff_drone(altitude=500)",
}


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    path = tmp_path / "answers.jsonl"
    path.write_text("\n".join(json.dumps({"prompt": p, "output": o}) for p, o in ANSWERS.items()))
    return path


def test_calls_run_on_the_drone_and_history_is_kept(recording: Path):
    copilot = Copilot(ReplayBackend(recording), sim=DroneSim())
    denied = copilot.send("go up 10")
    assert [a.status for a in denied.acks] == ["denied"]  # still on the ground
    takeoff = copilot.send("take off to 20 m")
    assert [a.status for a in takeoff.acks] == ["accepted"]
    assert copilot.state["flying"] and copilot.state["altitude"] == pytest.approx(20, abs=0.5)
    copilot.send("go up 10")
    assert copilot.state["altitude"] == pytest.approx(30, abs=0.5)

    messages = copilot.messages_for("next")
    roles = [m["role"] for m in messages]
    assert roles[0] == "system" and roles[-1] == "user"
    assert roles.count("tool") == 3  # every executed call is answered with its ack
    assistant = next(m for m in messages if m["role"] == "assistant")
    tool = messages[messages.index(assistant) + 1]
    assert tool["tool_call_id"] == assistant["tool_calls"][0]["id"]
    assert "denied" in tool["content"]


def test_failed_turns_are_reported_and_not_remembered(recording: Path):
    copilot = Copilot(ReplayBackend(recording), sim=DroneSim())
    for command in ("way too high", "", "   ", "unrecorded"):
        turn = copilot.send(command)
        assert turn.calls == [] and turn.acks == [] and turn.error
    assert copilot.history == []
    assert not copilot.state["flying"]


def test_reset_forgets_history_and_optionally_the_drone(recording: Path):
    copilot = Copilot(ReplayBackend(recording), sim=DroneSim(), keep_history=True)
    copilot.send("take off to 20 m")
    copilot.reset()
    assert copilot.history == [] and copilot.state["flying"]
    copilot.reset(drone=True)
    assert not copilot.state["flying"]
    alone = Copilot(ReplayBackend(recording), sim=DroneSim(), keep_history=False)
    alone.send("take off to 20 m")
    assert alone.history == [] and len(alone.messages_for("x")) == 2


def run_cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "copilot", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_ask_json_and_exit_codes(recording: Path):
    done = run_cli(
        "ask", "take", "off", "to", "20", "m", "--model", f"replay:{recording}", "--json"
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["calls"] == [{"name": "takeoff_drone", "arguments": {"altitude": 20}}]
    assert out["acks"] == ["accepted: climbing to 20 m"]
    bad = run_cli("ask", "way too high", "--model", f"replay:{recording}", "--json")
    assert bad.returncode == 1 and "between 1 and 120" in json.loads(bad.stdout)["error"]


def test_cli_errors_are_one_line(recording: Path):
    unknown = run_cli("ask", "hi", "--model", "gpt-17")
    assert unknown.returncode == 2
    assert unknown.stderr.strip().startswith("error: unknown model 'gpt-17'")
    assert len(unknown.stderr.strip().splitlines()) == 1
    missing = run_cli("--model", "replay:/no/such/file.jsonl")
    assert missing.returncode == 2 and "not readable" in missing.stderr


def test_cli_models_and_repl(recording: Path):
    listing = run_cli("models")
    assert (
        listing.returncode == 0
        and "local-base" in listing.stdout
        and "replay:PATH" in listing.stdout
    )
    session = run_cli(
        "--model",
        f"replay:{recording}",
        stdin="take off to 20 m\n/bogus\ngo up 10\n/state\n/quit\n",
    )
    assert session.returncode == 0, session.stderr
    assert "accepted: climbing to 20 m" in session.stdout
    assert "unknown command /bogus" in session.stdout
    assert '"altitude": 30' in session.stdout
