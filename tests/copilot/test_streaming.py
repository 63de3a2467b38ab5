"""`stream=true` on /v1/chat/completions: the official `openai` client against the real server.

Recorded answers (a `ReplayBackend`) for the shape of the stream; the real `local-ft` model for
the order in time: the role chunk leaves before the decoder has finished, the progress comments
come as it writes, and the streamed answer is the non-streamed one, piece for piece.
"""

from __future__ import annotations

import json
import time

import httpx
import openai
import pytest

from copilot.catalog import tools

TAKEOFF = "takeoff_drone(altitude=30)"
FORWARD = 'control_drone_movement(direction="forward", distance=50)'
PHOTO = 'control_camera(mode="photo")'
ANSWERS = {
    "take off to 30 metres": TAKEOFF,
    "take off, fly forward 50 m and snap a photo": f"{TAKEOFF}\n{FORWARD}\n{PHOTO}",
    "five things": "\n".join(["calibrate_sensors()"] * 5),
}
MODEL = "drone-test"


@pytest.fixture(scope="module")
def served(serve_recorded) -> str:
    return serve_recorded(ANSWERS, MODEL)


@pytest.fixture(scope="module")
def client(served: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=served, api_key="unused", max_retries=0)


def ask(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def stream(client: openai.OpenAI, prompt: str, **kwargs) -> list:
    """The chunks of one streamed answer, with every tool offered."""
    return list(
        client.chat.completions.create(
            model=MODEL, messages=ask(prompt), tools=tools(), stream=True, **kwargs
        )
    )


def reassembled(chunks: list) -> dict:
    """The message a client builds from the chunks: content and tool-call pieces joined."""
    content: str | None = None
    calls: dict[int, dict] = {}
    for chunk in chunks:
        for choice in chunk.choices:
            delta = choice.delta
            if delta.content is not None:
                content = (content or "") + delta.content
            for piece in delta.tool_calls or []:
                call = calls.setdefault(
                    piece.index,
                    {"id": None, "type": None, "function": {"name": "", "arguments": ""}},
                )
                call["id"] = piece.id or call["id"]
                call["type"] = piece.type or call["type"]
                call["function"]["name"] += piece.function.name or ""
                call["function"]["arguments"] += piece.function.arguments or ""
    message: dict = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = [calls[i] for i in sorted(calls)]
    return message


def both(client: openai.OpenAI, prompt: str, **kwargs) -> tuple[dict, list]:
    """(the non-streamed message and finish, the streamed chunks) for one request."""
    whole = client.chat.completions.create(model=MODEL, messages=ask(prompt), **kwargs)
    chunks = list(
        client.chat.completions.create(model=MODEL, messages=ask(prompt), stream=True, **kwargs)
    )
    message = whole.choices[0].message.model_dump(exclude_none=True)
    message.setdefault("content", None)
    return {"message": message, "finish": whole.choices[0].finish_reason}, chunks


def without_ids(message: dict) -> dict:
    """A message with its call ids numbered instead (each answer gets fresh ids)."""
    out = json.loads(json.dumps(message))
    for i, call in enumerate(out.get("tool_calls") or []):
        call["id"] = i
    return out


@pytest.mark.parametrize(
    ("prompt", "kwargs"),
    [
        ("take off, fly forward 50 m and snap a photo", {"tools": tools()}),  # a plan
        ("take off to 30 metres", {"tools": tools(), "tool_choice": "none"}),  # said in words
        ("five things", {"tools": tools()}),  # a bad plan: text
        ("take off to 30 metres", {"tools": tools(), "parallel_tool_calls": False}),
    ],
)
def test_the_streamed_pieces_are_the_non_streamed_message(client, prompt, kwargs):
    whole, chunks = both(client, prompt, **kwargs)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert without_ids(reassembled(chunks)) == without_ids(whole["message"])
    assert [c.choices[0].finish_reason for c in chunks] == [None] * (len(chunks) - 1) + [
        whole["finish"]
    ]
    assert chunks[-1].choices[0].delta.model_dump(exclude_none=True) == {}
    assert len({c.id for c in chunks}) == 1 and chunks[0].object == "chat.completion.chunk"


def test_a_plan_streams_one_tool_call_entry_per_call_in_order(client):
    chunks = stream(client, "take off, fly forward 50 m and snap a photo")
    firsts = [
        piece
        for chunk in chunks
        for piece in chunk.choices[0].delta.tool_calls or []
        if piece.function.name
    ]
    assert [(p.index, p.type, p.function.name) for p in firsts] == [
        (0, "function", "takeoff_drone"),
        (1, "function", "control_drone_movement"),
        (2, "function", "control_camera"),
    ]
    assert all(p.id and p.function.arguments == "" for p in firsts)
    pieces = [  # control_drone_movement's arguments come in more than one piece
        p.function.arguments
        for chunk in chunks
        for p in chunk.choices[0].delta.tool_calls or []
        if p.index == 1 and not p.function.name
    ]
    assert len(pieces) == 2
    assert json.loads("".join(pieces)) == {"direction": "forward", "distance": 50}


def test_include_usage_adds_a_last_chunk_with_the_usage_and_no_choices(client):
    whole = client.chat.completions.create(
        model=MODEL, messages=ask("take off to 30 metres"), tools=tools()
    )
    chunks = stream(client, "take off to 30 metres", stream_options={"include_usage": True})
    assert chunks[-1].choices == [] and chunks[-1].usage == whole.usage
    assert chunks[-1].usage.total_tokens == 29
    assert all(c.usage is None for c in chunks[:-1])
    plain = stream(client, "take off to 30 metres")
    assert plain[-1].choices[0].finish_reason == "tool_calls" and plain[-1].usage is None


def test_the_stream_is_server_sent_events_ending_with_done(served: str):
    body = {"model": MODEL, "messages": ask("take off to 30 metres"), "stream": True}
    with httpx.stream("POST", f"{served}/chat/completions", json=body) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in response.iter_lines() if line]
    assert lines[-1] == "data: [DONE]"
    assert all(line.startswith(("data: ", ": ")) for line in lines)


def test_errors_before_the_stream_are_json(client):
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="other", messages=ask("hi"), stream=True)
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(
            model=MODEL,
            messages=ask("take off to 30 metres"),
            stream_options={"include_usage": True},
        )
    assert raised.value.body["param"] == "stream_options"


# ----------------------------------------------------------------------------- the real model


@pytest.mark.model
def test_local_ft_sends_the_role_before_decoding_ends_and_the_same_answer(local_ft_url):
    prompt, url = "take off to 30 metres and snap a photo", local_ft_url
    client = openai.OpenAI(base_url=url, api_key="unused", max_retries=0)
    whole = client.chat.completions.create(model="local-ft", messages=ask(prompt), tools=tools())
    body = {"model": "local-ft", "messages": ask(prompt), "tools": tools(), "stream": True}
    arrivals = []
    with httpx.stream("POST", f"{url}/chat/completions", json=body, timeout=60) as response:
        for line in response.iter_lines():
            if line:
                arrivals.append((time.monotonic(), line))
    lines = [line for _, line in arrivals]
    first_call = next(i for i, line in enumerate(lines) if '"tool_calls"' in line)
    comments = [i for i, line in enumerate(lines) if line.startswith(": ")]
    # the role chunk first, then one comment per decoded token, then the answer
    assert '"role": "assistant"' in lines[0] and comments and comments == list(range(1, first_call))
    assert len(comments) == whole.usage.completion_tokens - 1  # the end token is not text
    assert arrivals[first_call][0] > arrivals[0][0]
    chunks = [
        openai.types.chat.ChatCompletionChunk.model_validate(json.loads(line[6:]))
        for line in lines
        if line.startswith("data: {")
    ]
    message = whole.choices[0].message.model_dump(exclude_none=True)
    message.setdefault("content", None)
    assert without_ids(reassembled(chunks)) == without_ids(message)
    assert [c["function"]["name"] for c in message["tool_calls"]] == [
        "takeoff_drone",
        "control_camera",
    ]
