"""Our OpenAI-compatible server and the OpenAI backend, over real HTTP on loopback ports.

The OpenAI backend uses the official `openai` client; the servers are real uvicorn servers on a
random free port: our `copilot.serve` app, and small apps that fail on purpose to test retries.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import openai
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from copilot import OpenAIBackend, ReplayBackend, ToolCall, tools
from copilot.serve import create_app, running_server

RECORDED = {
    "Take off the drone to 50 meters": "takeoff_drone(altitude=50)",
    "Can you dance for me?": "reject_request()",
    "Blink the LEDs red": 'configure_led_display(pattern="blink", color="red")',
    "go 900 km/h": "set_drone_speed(speed=900)",
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    path = Path(tmp_path_factory.mktemp("serve")) / "answers.jsonl"
    path.write_text("\n".join(json.dumps({"prompt": p, "output": o}) for p, o in RECORDED.items()))
    with running_server(create_app(ReplayBackend(path), "drone-test")) as url:
        yield url


def ask(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def test_the_official_client_gets_tool_calls_and_usage(served: str):
    backend = OpenAIBackend("drone-test", base_url=served, api_key="unused")
    done = backend.complete(ask("Take off the drone to 50 meters"))
    assert done.error is None
    assert done.calls == [ToolCall("takeoff_drone", {"altitude": 50})]
    assert done.latency_ms > 0
    led = backend.complete(ask("Blink the LEDs red"))
    assert led.calls[0].arguments == {"pattern": "blink", "color": "red"}

    client = openai.OpenAI(base_url=served, api_key="unused")
    assert [m.id for m in client.models.list()] == ["drone-test"]
    assert client.models.retrieve("drone-test").id == "drone-test"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-9")
    response = client.chat.completions.create(
        model="drone-test",
        messages=ask("Can you dance for me?"),
        tools=tools(),
        tool_choice="required",
    )
    choice = response.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls[0].function.name == "reject_request"
    assert json.loads(choice.message.tool_calls[0].function.arguments) == {}
    assert (
        response.usage.total_tokens
        == response.usage.prompt_tokens + response.usage.completion_tokens
    )


def test_an_invalid_model_answer_becomes_text_and_a_clean_error(served: str):
    backend = OpenAIBackend("drone-test", base_url=served, api_key="unused")
    done = backend.complete(ask("go 900 km/h"))
    assert done.calls == [] and "between 0 and 100" in done.error


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (b"\xff\xfe\x00garbage", 400, "not UTF-8"),
        (b"{not json", 400, "not JSON"),
        (b"[]", 400, "JSON object"),
        (json.dumps({"model": "drone-test"}).encode(), 400, "messages"),
        (json.dumps({"model": "drone-test", "messages": []}).encode(), 400, "at least one"),
        (json.dumps({"model": "drone-test", "messages": ask("")}).encode(), 400, "empty"),
        (json.dumps({"model": "drone-test", "messages": ask("x" * 20_000)}).encode(), 400, "20002"),
        (json.dumps({"model": "nope", "messages": ask("hi")}).encode(), 404, "does not exist"),
        (  # streaming is answered (tests/copilot/test_streaming.py); its options need it
            json.dumps(
                {"model": "drone-test", "messages": ask("hi"), "stream_options": {}}
            ).encode(),
            400,
            "stream_options",
        ),
        (
            json.dumps({"model": "drone-test", "messages": ask("hi"), "logprobs": True}).encode(),
            400,
            "logprobs",
        ),
        (
            json.dumps(
                {
                    "model": "drone-test",
                    "messages": ask("hi"),
                    "response_format": {"type": "json_schema", "json_schema": {}},
                }
            ).encode(),
            400,
            "json_schema",
        ),
        (
            json.dumps(
                {"model": "drone-test", "messages": [{"role": "wizard", "content": "hi"}]}
            ).encode(),
            400,
            "role",
        ),
    ],
)
def test_bad_requests_get_openai_style_4xx_and_the_server_keeps_serving(served, body, status, says):
    response = httpx.post(
        f"{served}/chat/completions", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == status
    error = response.json()["error"]
    assert says in error["message"] and error["type"]
    good = httpx.post(
        f"{served}/chat/completions",
        json={"model": "drone-test", "messages": ask("Can you dance for me?")},
    )
    assert good.status_code == 200


def test_the_client_reports_a_4xx_without_retrying(served: str):
    backend = OpenAIBackend("drone-test", base_url=served, api_key="unused", max_attempts=3)
    start = time.perf_counter()
    done = backend.complete(ask("x" * 20_000))
    assert "400" in done.error and "characters long" in done.error
    assert time.perf_counter() - start < 5


# --------------------------------------------------------------------------- retries


def flaky_app(failures: list[tuple[int, dict]]) -> tuple[FastAPI, list[float]]:
    """An app that answers the given (status, headers) failures in turn, then a tool call."""
    app, hits = FastAPI(), []

    @app.post("/v1/chat/completions")
    def chat() -> JSONResponse:
        hits.append(time.perf_counter())
        if len(hits) <= len(failures):
            status, headers = failures[len(hits) - 1]
            body = {"error": {"message": f"failure {len(hits)}", "type": "server_error"}}
            return JSONResponse(body, status_code=status, headers=headers)
        call = {"id": "c1", "type": "function",
                "function": {"name": "return_to_home", "arguments": "{}"}}  # fmt: skip
        return JSONResponse(
            {
                "id": "x", "object": "chat.completion", "created": 0, "model": "flaky",
                "choices": [{"index": 0, "finish_reason": "tool_calls",
                             "message": {"role": "assistant", "content": None, "tool_calls": [call]}}],
                "usage": {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14},
            }
        )  # fmt: skip

    return app, hits


def fast_backend(url: str, **kwargs) -> OpenAIBackend:
    settings = {"api_key": "unused", "backoff_initial": 0.01, "backoff_max": 0.05, **kwargs}
    return OpenAIBackend("flaky", base_url=url, **settings)


def test_retries_429_and_500_then_succeeds():
    app, hits = flaky_app([(429, {}), (500, {}), (503, {})])
    with running_server(app) as url:
        done = fast_backend(url, max_attempts=4).complete(ask("come home"))
    assert len(hits) == 4
    assert done.error is None and done.calls == [ToolCall("return_to_home", {})]
    assert (done.prompt_tokens, done.completion_tokens) == (11, 3)


def test_retry_after_is_honoured():
    app, hits = flaky_app([(429, {"retry-after": "0.4"})])
    with running_server(app) as url:
        done = fast_backend(url).complete(ask("come home"))
    assert done.error is None and len(hits) == 2
    assert hits[1] - hits[0] >= 0.4  # the backoff alone would have waited ~0.01 s


def test_three_500s_in_a_row_end_in_a_clean_error():
    app, hits = flaky_app([(500, {})] * 5)
    with running_server(app) as url:
        done = fast_backend(url, max_attempts=3).complete(ask("come home"))
    assert len(hits) == 3
    assert done.calls == [] and done.error.startswith("server answered 500 after 3 attempts")


def test_a_server_that_times_out_ends_in_a_clean_error():
    app, hits = FastAPI(), []

    @app.post("/v1/chat/completions")
    def slow() -> dict:
        hits.append(1)
        time.sleep(1.0)
        return {}

    with running_server(app) as url:
        done = fast_backend(url, max_attempts=2, timeout=0.2).complete(ask("come home"))
    assert len(hits) == 2
    assert done.error == "request timed out after 2 attempts"


def test_nobody_listening_ends_in_a_clean_error():
    done = fast_backend("http://127.0.0.1:9/v1", max_attempts=2).complete(ask("come home"))
    assert done.error.startswith("could not connect after 2 attempts")


def test_serve_cli_help_and_one_line_errors():
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    run = [sys.executable, "-m", "copilot.serve"]
    helped = subprocess.run([*run, "--help"], cwd=root, capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0 and "examples:" in helped.stdout
    bad = subprocess.run(
        [*run, "--model", "gpt-17"], cwd=root, capture_output=True, text=True, timeout=60
    )
    assert bad.returncode == 2 and bad.stderr.strip().splitlines() == [bad.stderr.strip()]
    assert "unknown model 'gpt-17'" in bad.stderr
