"""The model teacher against a real OpenAI-compatible HTTP server on a loopback port.

The server stands in for gpt-4o: it answers with usable JSON most of the time, with prose garbage
every fourth request, and with one 500 error that the client must retry.
"""

from __future__ import annotations

import json
import random
import re

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from copilot import ReplayBackend, parse_output
from copilot.serve import create_app, running_server
from finetune.generate import generate
from finetune.phrasing.rendering import phrase
from finetune.quality.overlap import OverlapIndex
from finetune.teachers.model import ModelTeacher, parse_prompts


def _app(log: list[str]) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat(request: Request):
        body = await request.json()
        user = body["messages"][-1]["content"]
        log.append(user)
        n = len(log)
        if n == 2:
            return JSONResponse({"error": {"message": "overloaded"}}, status_code=500)
        if n % 4 == 0:
            text = "Sure! Here are some great prompts for your drone."
        elif "must refuse" in user:
            text = '```json\n{"prompts": ["play my favourite song", "scan the beach with infrared"]}\n```'
        else:
            call = re.search(r"function call: (.*?)\. Say", user).group(1)
            raw = parse_output(call).calls[0]
            rng = random.Random(n)
            prompts = [phrase(raw.name, raw.arguments, rng, typo_rate=0) for _ in range(2)]
            text = "Here you go: " + json.dumps({"prompts": prompts})
        return {
            "id": f"c{n}",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
        }

    return app


@pytest.fixture(scope="module")
def server():
    log: list[str] = []
    with running_server(_app(log)) as url:
        yield url, log


def test_model_teacher_generates_verified_data_and_survives_garbage(server, tmp_path):
    url, log = server
    teacher = ModelTeacher("teacher-model", base_url=url, cache_dir=tmp_path / "cache", per_call=2)
    teacher.max_attempts = 3
    res = generate(teacher, 60, seed=4, index=OverlapIndex([]), max_attempts_per_sample=3)
    assert len(res.samples) >= 30
    stats = teacher.stats()
    assert stats["garbage"] >= 1 and stats["errors"] == 0  # the 500 was retried, not lost
    assert log[1] == log[2]  # the retried request
    assert res.dropped["teacher_garbage"] == stats["garbage"]
    assert {s.call.name for s in res.samples} > {"reject_request", "takeoff_drone"}

    # A second run with the same seed is served from the disk cache.
    before = len(log)
    again = ModelTeacher("teacher-model", base_url=url, cache_dir=tmp_path / "cache", per_call=2)
    res2 = generate(again, 60, seed=4, index=OverlapIndex([]), max_attempts_per_sample=3)
    assert len(log) == before and again.stats()["requests"] == 0
    assert [s.prompt for s in res2.samples] == [s.prompt for s in res.samples]


def test_our_own_server_answers_with_calls_which_the_teacher_counts_as_garbage(tmp_path):
    """copilot.serve speaks the same API; its answers are tool calls, not prompt lists."""
    recording = tmp_path / "answers.jsonl"
    recording.write_text(json.dumps({"prompt": "anything", "output": "reject_request()"}) + "\n")
    with running_server(create_app(ReplayBackend(recording), "drone-test")) as url:
        teacher = ModelTeacher("drone-test", base_url=url, cache_dir=tmp_path / "cache")
        teacher.max_attempts = 1
        res = generate(teacher, 10, seed=2, index=OverlapIndex([]), max_attempts_per_sample=1)
    stats = teacher.stats()
    assert res.samples == []
    assert stats["requests"] > 0 and stats["garbage"] + stats["errors"] == stats["requests"]


def test_unreachable_server_is_counted_not_fatal(tmp_path):
    teacher = ModelTeacher("x", base_url="http://127.0.0.1:9/v1", cache_dir=tmp_path, timeout=1)
    teacher.max_attempts = 1
    res = generate(teacher, 10, seed=1, index=OverlapIndex([]), max_attempts_per_sample=1)
    assert res.samples == [] and teacher.stats()["errors"] > 0


def test_parse_prompts_handles_fences_prose_and_garbage():
    assert parse_prompts('ok:\n```json\n{"prompts": ["a", "b"]}\n```') == ["a", "b"]
    assert parse_prompts('["take off to 5 m"] thanks') == ["take off to 5 m"]
    assert parse_prompts("no json here") is None
    assert parse_prompts('{"prompts": [1, 2]}') is None
    assert parse_prompts('{"other": ["x"]}') is None
