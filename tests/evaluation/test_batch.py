"""Batch API files on real files: export -> `python -m copilot batch` -> import, shards, kill -9
and rerun, every bad input, and the request format as the `openai` package types it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from copilot import OpenAIBackend, completion_from_body
from copilot.batch import main as copilot_batch
from evaluation.batch.requests import validate_line
from evaluation.cli import main
from evaluation.results import read_results

ROOT = Path(__file__).resolve().parents[2]
PLANS = ROOT / "evaluation" / "examples" / "plans.jsonl"
PLANS_ANSWERS = ROOT / "evaluation" / "examples" / "plans_answers.jsonl"


def scored(run: Path) -> dict[tuple, dict]:
    """Every result line of a run by its key, latency and `cached` left out."""
    out = {}
    for r in read_results(run / "results.jsonl"):
        data = r.to_dict()
        for key in ("latency_ms", "cached"):
            data.pop(key)
        out[r.key] = data
    return out


def export(tmp_path: Path, model: str, *extra: str, out: str = "requests.jsonl") -> Path:
    argv = ["batch", "export", "--model", model, "--out", str(tmp_path / out), *extra]
    assert main(argv) == 0
    return tmp_path / out


def import_(tmp_path: Path, *outputs: Path, extra: tuple[str, ...] = (), run: str = "imported"):
    argv = ["batch", "import", *map(str, outputs), "--output", str(tmp_path / run), "--no-plots"]
    return main([*argv, "--format", "json", *extra])


@pytest.fixture
def live(tmp_path: Path, replay, flawed_answers, capsys) -> tuple[str, Path]:
    """A live run of a replay model (with mistakes) on the seed suites and the plan examples."""
    model = replay(flawed_answers | plan_answers())
    argv = ["--model", model, "--suite", "straightforward", "--suite", "challenging",
            "--suite", str(PLANS), "--output", str(tmp_path / "live"), "--no-cache",
            "--cache-dir", str(tmp_path / "cache"), "--no-plots", "--format", "json"]  # fmt: skip
    assert main(argv) == 0
    capsys.readouterr()
    return model, tmp_path / "live"


def plan_answers() -> dict[str, object]:
    records = [json.loads(line) for line in PLANS_ANSWERS.read_text().splitlines() if line]
    return {r["prompt"]: r["output"] for r in records}


SUITES = ("--suite", "straightforward", "--suite", "challenging", "--suite", str(PLANS))


def test_export_run_import_scores_as_a_live_run(tmp_path, live, capsys) -> None:
    model, run = live
    requests = export(tmp_path, model, *SUITES)
    assert copilot_batch([str(requests), "--out", str(tmp_path / "out.jsonl")]) == 0
    assert import_(tmp_path, tmp_path / "out.jsonl", extra=("--suite", str(PLANS))) == 0
    imported, expected = scored(tmp_path / "imported"), scored(run)
    assert len(expected) == 29 and imported == expected  # every field but latency, per case
    payload = json.loads(capsys.readouterr().out)
    assert [r["call_match"] for r in payload["runs"]] == [0.8, 0.9, pytest.approx(4 / 9)]


def test_three_shards_imported_together_score_as_a_live_run(tmp_path, live) -> None:
    model, run = live
    export(tmp_path, model, *SUITES, "--shards", "3")
    outputs = []
    for i in (1, 2, 3):
        shard, out = tmp_path / f"requests-{i}-of-3.jsonl", tmp_path / f"out-{i}.jsonl"
        assert 9 <= len(shard.read_text().splitlines()) <= 10  # whole cases, evenly
        assert copilot_batch([str(shard), "--out", str(out), "--model", model]) == 0
        outputs.append(out)
    assert import_(tmp_path, *outputs, extra=("--suite", str(PLANS))) == 0
    assert scored(tmp_path / "imported") == scored(run)


def test_exported_lines_are_batch_api_requests_as_a_live_run_sends_them(tmp_path) -> None:
    requests = export(tmp_path, "gpt-4o-mini", "--suite", "all", "--repeats", "2")
    lines = [json.loads(line) for line in requests.read_text().splitlines()]
    ids = [line["custom_id"] for line in lines]
    assert len(ids) == len(set(ids)) and "gpt-4o-mini/straightforward/s01/1" in ids
    backend = OpenAIBackend("gpt-4o-mini", api_key="sk-test")
    for line in lines:
        validate_line(line)  # raises on a line the openai package's types refuse
        messages = line["body"]["messages"]
        assert line["body"] == backend.request(messages, line["body"]["tools"])
    body = lines[0]["body"]
    assert body["tool_choice"] == "required" and body["parallel_tool_calls"] is True
    assert body["temperature"] == 0.0 and body["seed"] == 42
    with pytest.raises(ValueError):
        validate_line({**lines[0], "body": {**body, "messages": [{"role": "pilot"}]}})


def test_kill_9_halfway_then_rerun_gives_the_same_output(tmp_path) -> None:
    n = 1500
    suite, answers = tmp_path / "big.jsonl", tmp_path / "answers.jsonl"
    with suite.open("w") as s, answers.open("w") as a:
        for i in range(n):
            prompt = f"request number {i}"
            expected = [{"name": "set_drone_speed", "arguments": {"speed": i % 90}}]
            s.write(json.dumps({"id": f"b{i}", "prompt": prompt, "expected": expected}) + "\n")
            output = f"set_drone_speed(speed={i % 90})" if i % 7 else "junk"
            a.write(json.dumps({"prompt": prompt, "output": output}) + "\n")
    requests = export(tmp_path, f"replay:{answers}", "--suite", str(suite))
    whole, resumed = tmp_path / "whole.jsonl", tmp_path / "resumed.jsonl"
    assert copilot_batch([str(requests), "--out", str(whole)]) == 0
    cmd = [sys.executable, "-m", "copilot", "batch", str(requests), "--out", str(resumed)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if resumed.exists() and resumed.stat().st_size > 100_000:
            break
        time.sleep(0.002)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=10) == -signal.SIGKILL, "the run ended before it could be killed"
    halfway = len(resumed.read_text().splitlines())
    assert 0 < halfway < n

    assert copilot_batch([str(requests), "--out", str(resumed)]) == 0
    again = resumed.read_text().splitlines()
    ids = [json.loads(line)["custom_id"] for line in again]
    assert len(ids) == n == len(set(ids))  # no duplicate, none lost

    def timeless(text: str) -> list[dict]:
        out = []
        for line in text.splitlines():
            record = json.loads(line)
            record["response"]["body"]["copilot"].pop("latency_ms")
            out.append(record)
        return out

    assert timeless(resumed.read_text()) == timeless(whole.read_text())


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    return err


def test_each_bad_output_gives_its_clear_error(tmp_path, replay, perfect, capsys) -> None:
    model = replay(perfect)
    requests = export(tmp_path, model)
    out = tmp_path / "out.jsonl"
    assert copilot_batch([str(requests), "--out", str(out)]) == 0
    lines = out.read_text().splitlines()
    capsys.readouterr()

    duplicate = tmp_path / "dup.jsonl"
    duplicate.write_text("\n".join([*lines, lines[3]]) + "\n")
    assert import_(tmp_path, duplicate, run="a") == 2
    assert "duplicate custom_id" in one_line_error(capsys)

    unknown = tmp_path / "unknown.jsonl"
    record = json.loads(lines[0])
    record["custom_id"] = record["custom_id"].replace("/s01/", "/s99/")
    unknown.write_text(json.dumps(record) + "\n")
    assert import_(tmp_path, unknown, run="b") == 2
    assert "unknown custom_id" in one_line_error(capsys)

    garbage = tmp_path / "garbage.jsonl"
    garbage.write_text(lines[0] + "\n{not json\n")
    assert import_(tmp_path, garbage, run="c") == 2
    assert "garbage.jsonl:2: not JSON" in one_line_error(capsys)

    foreign = tmp_path / "foreign.jsonl"
    record = json.loads(lines[0])
    record["response"]["body"] = {"choices": "many"}
    foreign.write_text(json.dumps(record) + "\n")
    assert import_(tmp_path, foreign, run="d") == 2
    assert "not a chat completion" in one_line_error(capsys)

    # a missing line is an error case, never dropped; an error line is the model's error
    partial = tmp_path / "partial.jsonl"
    failed = json.loads(lines[1])
    failed["response"] = None
    failed["error"] = {"code": "rate_limit_exceeded", "message": "too many requests"}
    partial.write_text("\n".join([lines[0], json.dumps(failed), *lines[3:]]) + "\n")
    assert import_(tmp_path, partial, run="e") == 0
    data = json.loads(capsys.readouterr().out)
    errors = {c["id"]: c["error"] for c in data["cases"] if c["error"]}
    assert len(data["cases"]) == 20
    assert errors == {
        "s02": "batch request failed (rate_limit_exceeded): too many requests",
        "s03": "no output line for this request",
    }


def test_bad_request_files_exit_2_in_one_line(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.jsonl"
    for text, says in [
        ("{nope\n", "bad.jsonl:1"),
        ('{"custom_id": "a", "method": "GET", "url": "/v1/chat/completions", "body": {}}\n',
         "'method' must be"),
        ("", "holds no request"),
    ]:  # fmt: skip
        bad.write_text(text)
        assert copilot_batch([str(bad), "--out", str(tmp_path / "o.jsonl")]) == 2
        assert says in one_line_error(capsys)
    assert main(["batch", "export", "--model", "x", "--suite", "nope", "--out", "r.jsonl"]) == 2
    assert "unknown suite" in one_line_error(capsys)
    assert main(["batch", "import", str(tmp_path / "absent.jsonl"), "--output", "x"]) == 2
    assert "cannot read" in one_line_error(capsys)


def test_an_output_of_another_run_is_refused(tmp_path, replay, perfect, capsys) -> None:
    requests = export(tmp_path, replay(perfect))
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps({"custom_id": "m/straightforward/zz/0", "response": None}) + "\n")
    capsys.readouterr()
    assert copilot_batch([str(requests), "--out", str(other)]) == 2
    assert "belongs to another run" in one_line_error(capsys)


def test_a_foreign_body_reads_as_a_live_answer() -> None:
    """An OpenAI or vLLM body has no `copilot` field: its tool calls are parsed and validated."""
    body = {
        "id": "x", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": None, "tool_calls": [{"id": "c", "type": "function",
            "function": {"name": "takeoff_drone", "arguments": "{\"altitude\": 500}"}}]}}],
        "usage": {"prompt_tokens": 50, "completion_tokens": 9, "total_tokens": 59},
    }  # fmt: skip
    completion = completion_from_body(body)
    assert completion.calls == [] and completion.error and "altitude" in completion.error
    assert completion.raw_calls[0].name == "takeoff_drone" and completion.prompt_tokens == 50
