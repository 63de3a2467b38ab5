"""`python -m evaluation` as a real subprocess against bad arguments and bad files (defects 5, 6, 7
and 11's stale cache files), and no secret in anything a run writes or prints (defect 8)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from copilot.serve import running_server
from evaluation.suites import SUITES_DIR, load_suite

POSITIVE = load_suite(SUITES_DIR / "positive.jsonl")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A private answer cache for each test."""
    return {"DRONE_COPILOT_CACHE": str(tmp_path / "cache")}


@pytest.fixture
def answers(tmp_path: Path) -> Path:
    """The positive suite answered right, with recorded latencies (so runs are deterministic)."""
    path = tmp_path / "answers.jsonl"
    lines = (
        json.dumps({"prompt": c.prompt, "output": str(c.plans[0][0]), "latency_ms": 3})
        for c in POSITIVE.cases
    )
    path.write_text("\n".join(lines) + "\n")
    return path


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_5_resume_alone_continues_exactly_the_run(tmp_path, env, answers, python_m):
    run = tmp_path / "run"
    model = f"replay:{answers}"
    first = ["evaluation", "--suite", "positive", "--model", model, "--limit", "12"]
    started = python_m(*first, "--output", str(run), "--no-plots", env=env)
    assert started.returncode == 0, started.stderr
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["models"] == [model] and manifest["limit"] == 12
    # as if killed after 5 cases: the later lines are lost
    results = run / "results.jsonl"
    results.write_text("".join(results.read_text().splitlines(keepends=True)[:5]))

    resumed = python_m("evaluation", "--resume", str(run), "--format", "json", env=env)
    assert resumed.returncode == 0, resumed.stderr
    rows = [json.loads(line) for line in results.read_text().splitlines()]
    assert {(r["model"], r["suite"]) for r in rows} == {(model, "positive")}
    assert [r["id"] for r in rows] == [c.id for c in POSITIVE.cases[:12]]
    summary = json.loads((run / "summary.json").read_text())
    assert [(r["model"], r["suite"], r["n"]) for r in summary["runs"]] == [(model, "positive", 12)]
    assert not list(run.glob("*.png"))  # the run's --no-plots holds on resume


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--suite", "challenging"),
        ("--model", "local-ft"),
        ("--limit", "3"),
        ("--base-url", "http://x"),
    ],
)
def test_5_an_argument_that_disagrees_with_the_run_is_an_error(
    tmp_path, env, answers, python_m, one_line, option, value
):
    run = tmp_path / "run"
    args = ["--suite", "positive", "--model", f"replay:{answers}", "--limit", "4", "--no-plots"]
    assert python_m("evaluation", *args, "--output", str(run), env=env).returncode == 0
    before = snapshot(run)
    refused = python_m("evaluation", "--resume", str(run), option, value, env=env)
    assert refused.returncode == 2 and one_line(refused.stderr)
    assert f"{option} differs" in refused.stderr
    assert snapshot(run) == before


def test_6_a_bad_or_empty_suite_on_resume_touches_nothing(tmp_path, env, answers, python_m):
    run = tmp_path / "run"
    args = ["--suite", "positive", "--model", f"replay:{answers}", "--limit", "4", "--no-plots"]
    assert python_m("evaluation", *args, "--output", str(run), env=env).returncode == 0
    before = snapshot(run)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    for suite in (str(empty), str(tmp_path / "missing.jsonl")):
        refused = python_m("evaluation", "--resume", str(run), "--suite", suite, env=env)
        assert refused.returncode == 2
        assert snapshot(run) == before
        assert json.loads((run / "summary.json").read_text())["runs"]


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "no case"),
        (b"\n\n  \n", "no case"),
        (b"\xff\xfe\xfa garbage\n", "cannot read"),
        (b"x" * 10_000_000 + b"\n", "invalid JSON"),
        (b'{"prompt": "hi"}\n', "expected"),
    ],
    ids=["empty", "blank", "undecodable", "10MB-garbage-line", "no-expected"],
)
def test_7_a_suite_with_no_case_exits_non_zero_in_one_line(
    tmp_path, env, answers, python_m, one_line, content, says
):
    suite = tmp_path / "bad.jsonl"
    suite.write_bytes(content)
    run = tmp_path / "run"
    done = python_m("evaluation", "--suite", str(suite), "--model", f"replay:{answers}",
                    "--output", str(run), env=env)  # fmt: skip
    assert done.returncode == 2 and one_line(done.stderr) and says in done.stderr
    assert not run.exists()


def test_11_stale_temporary_cache_files_are_cleaned_on_start(tmp_path, env, answers, python_m):
    cache = Path(env["DRONE_COPILOT_CACHE"]) / "eval"
    (cache / "ab").mkdir(parents=True)
    stale, fresh = cache / "ab" / ".tmp-killed.json", cache / "ab" / ".tmp-writing.json"
    stale.write_text('{"half": ')
    fresh.write_text('{"half": ')
    old = time.time() - 3600
    os.utime(stale, (old, old))
    args = ["--suite", "positive", "--model", f"replay:{answers}", "--limit", "2", "--no-plots"]
    assert python_m("evaluation", *args, "--output", str(tmp_path / "run"), env=env).returncode == 0
    assert not stale.exists() and fresh.exists()


# --------------------------------------------------------------------------- secrets (defect 8)

SECRET = "sk-proj-Zx81reallysecretvalue0123456789"
PLAIN_SECRET = "plainsecret-no-prefix-4242"


def echoing_app() -> FastAPI:
    """A server whose 400 message echoes the request's headers, as some proxies do."""
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> JSONResponse:
        headers = "; ".join(f"{k}: {v}" for k, v in request.headers.items())
        message = f"bad request, you sent {headers} (key {request.headers.get('authorization')})"
        return JSONResponse({"error": {"message": message, "type": "invalid_request_error"}}, 400)

    return app


@pytest.mark.parametrize("key", [SECRET, PLAIN_SECRET], ids=["sk-shaped", "configured"])
def test_8_no_secret_in_anything_a_run_writes_or_prints(tmp_path, env, python_m, key):
    suite = tmp_path / "s.jsonl"
    suite.write_text("".join(json.dumps(c) + "\n" for c in [
        {"id": "a", "prompt": "Take off to 50 m", "expected": [{"name": "takeoff_drone", "arguments": {"altitude": 50}}]},
        {"id": "b", "prompt": "Dance", "expected": [{"name": "reject_request", "arguments": {}}]},
    ]))  # fmt: skip
    secrets = {**env, "OPENAI_API_KEY": key}
    with running_server(echoing_app()) as url:
        run = tmp_path / "run"
        outputs = []
        for fmt in ("json", "table", "csv"):
            done = python_m("evaluation", "--suite", str(suite), "--model", "echo",
                            "--base-url", url, "--output", str(run / fmt), "--format", fmt,
                            env=secrets)  # fmt: skip
            assert done.returncode == 1  # the model failed on every case
            outputs += [done.stdout, done.stderr]
        ask = python_m("copilot", "ask", "take off", "--json", "--model", "echo",
                       "--base-url", url, env=secrets)  # fmt: skip
        outputs += [ask.stdout, ask.stderr]
    written = [p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file()]
    assert "bad request, you sent" in (run / "json" / "results.jsonl").read_text()
    assert "[redacted]" in json.loads(ask.stdout)["error"]
    for text in outputs + written:
        assert key not in text and "Bearer sk" not in text
