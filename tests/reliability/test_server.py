"""Our server as a hostile client meets it (defects 1, 3, 4 and 11's disconnects), and who may
call it (the API key, the bind refusal, the JSON content type). Real uvicorn on loopback ports."""

from __future__ import annotations

import json
import logging
import socket
import time
from urllib.parse import urlparse

import httpx
import openai
import pytest

from copilot import OpenAIBackend, ToolCall, tools

TAKE_OFF = "Take off the drone to 50 meters"
JSON = {"content-type": "application/json"}


def ask(content) -> dict:
    return {"model": "drone-test", "messages": [{"role": "user", "content": content}]}


def post(url: str, body: bytes | str, headers: dict | None = None) -> httpx.Response:
    return httpx.post(
        f"{url}/chat/completions",
        content=body,
        headers=JSON if headers is None else headers,
        timeout=30,
    )


def openai_error(response: httpx.Response) -> dict:
    """The body's `error` object, checked to have OpenAI's shape."""
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert isinstance(error["message"], str) and error["message"]
    return error


@pytest.mark.parametrize(
    "body",
    [b"[" * 10_000 + b"]" * 10_000, b'{"a":' * 10_000, b'{"a":' * 100 + b"1" + b"}" * 100],
    ids=["brackets", "objects", "100-deep"],
)
def test_1_deeply_nested_json_is_a_400_not_a_500(served: str, body: bytes):
    response = post(served, body)
    assert response.status_code == 400
    assert "nest" in openai_error(response)["message"] or "object" in response.text
    assert post(served, json.dumps(ask(TAKE_OFF))).status_code == 200  # still serving


def test_1_nesting_inside_a_valid_request_is_refused_too(served: str):
    deep: object = "x"
    for _ in range(200):
        deep = {"a": deep}
    response = post(served, json.dumps({**ask(TAKE_OFF), "metadata_extra": deep}))
    assert response.status_code == 400 and "nests deeper" in openai_error(response)["message"]


def test_3_content_as_a_list_of_text_parts_answers_as_plain_text(served: str):
    client = openai.OpenAI(base_url=served, api_key="unused")
    parts = [
        {"type": "text", "text": "Take off the drone "},
        {"type": "text", "text": "to 50 meters"},
    ]
    as_parts = client.chat.completions.create(
        model="drone-test", messages=[{"role": "user", "content": parts}], tools=tools()
    )
    plain = client.chat.completions.create(
        model="drone-test", messages=[{"role": "user", "content": TAKE_OFF}], tools=tools()
    )
    for response in (as_parts, plain):
        call = response.choices[0].message.tool_calls[0].function
        assert (call.name, json.loads(call.arguments)) == ("takeoff_drone", {"altitude": 50})
    image = post(served, json.dumps(ask([{"type": "image_url", "image_url": {"url": "x"}}])))
    assert image.status_code == 400
    assert openai_error(image)["param"] == "messages[0].content"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_tokens", -1),
        ("max_tokens", "lots"),
        ("max_completion_tokens", 0),
        ("n", 10**9),
        ("temperature", float("nan")),
        ("temperature", 3),
        ("top_p", "1"),
        ("parallel_tool_calls", "yes"),
        ("stop", ["a", "b", "c", "d", "e"]),
        ("tool_choice", "sometimes"),
        ("tools", [{"type": "function", "function": {"name": "bad name!"}}]),
    ],
)
def test_4_an_invalid_field_is_a_400_naming_it(served: str, field: str, value):
    response = post(served, json.dumps({**ask(TAKE_OFF), field: value}))  # NaN as JSON's NaN
    assert response.status_code == 400
    error = openai_error(response)
    assert error["param"].startswith(field) and error["message"].startswith(field)


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""],
)
def test_4_a_body_that_is_not_declared_json_is_a_415(served: str, content_type: str):
    headers = {"content-type": content_type} if content_type else {}
    response = post(served, json.dumps(ask(TAKE_OFF)), headers)
    assert response.status_code == 415
    assert openai_error(response)["code"] == "unsupported_media_type"
    charset = post(
        served, json.dumps(ask(TAKE_OFF)), {"content-type": "application/json; charset=utf-8"}
    )
    assert charset.status_code == 200


def test_the_key_is_checked_as_a_bearer_token(served_with_key: str, api_key: str):
    body = json.dumps(ask(TAKE_OFF))
    for headers in ({}, {"authorization": "Bearer wrong"}, {"authorization": api_key}):
        response = post(served_with_key, body, {**JSON, **headers})
        assert response.status_code == 401
        assert openai_error(response)["code"] == "invalid_api_key"
        assert api_key not in response.text
    assert httpx.get(f"{served_with_key}/models").status_code == 401
    backend = OpenAIBackend("drone-test", base_url=served_with_key, api_key=api_key)
    assert backend.complete([{"role": "user", "content": TAKE_OFF}]).calls == [
        ToolCall("takeoff_drone", {"altitude": 50})
    ]
    refused = OpenAIBackend("drone-test", base_url=served_with_key, api_key="wrong-key-1")
    done = refused.complete([{"role": "user", "content": TAKE_OFF}])
    assert done.calls == [] and "401" in done.error


def test_a_non_loopback_host_needs_a_key(python_m, one_line, recording):
    refused = python_m("copilot.serve", "--model", f"replay:{recording}", "--host", "0.0.0.0")
    assert refused.returncode == 2 and one_line(refused.stderr)
    assert "without an API key" in refused.stderr and "--api-key" in refused.stderr


def test_the_key_can_come_from_the_environment(recording, api_key: str):
    import os
    import subprocess
    import sys

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DRONE_COPILOT_API_KEY": api_key}
    command = [sys.executable, "-m", "copilot.serve", "--model", f"replay:{recording}"]
    server = subprocess.Popen(
        [*command, "--port", str(port)], env=env, stderr=subprocess.PIPE, text=True
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{url}/models", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert httpx.get(f"{url}/models").status_code == 401
        good = httpx.get(f"{url}/models", headers={"authorization": f"Bearer {api_key}"})
        assert good.status_code == 200
    finally:
        server.terminate()
        _, log = server.communicate(timeout=10)
    assert api_key not in log


def test_11_a_client_that_disconnects_is_logged_in_one_line(served: str, caplog):
    port = urlparse(served).port
    with caplog.at_level(logging.INFO):
        for _ in range(3):
            with socket.create_connection(("127.0.0.1", port)) as sock:
                sock.sendall(
                    b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                    b'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"model":'
                )
                time.sleep(0.05)
        time.sleep(0.5)
    gone = [r for r in caplog.records if "disconnected" in r.getMessage()]
    assert len(gone) == 3
    assert all("\n" not in r.getMessage() and r.exc_info is None for r in gone)
    assert not [r for r in caplog.records if r.exc_info or "Exception in ASGI" in r.getMessage()]
    assert post(served, json.dumps(ask(TAKE_OFF))).status_code == 200
