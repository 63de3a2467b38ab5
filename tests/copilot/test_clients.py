"""The server as the clients people use drive it: the official `openai` client against the real
server and the real `local-ft` model (one module-scoped server).

tool_choice and the tools sent are honoured, finished turns end with text, a budget that runs out
says "length", and what cannot be honoured is a 400 naming the field.
"""

from __future__ import annotations

import pytest

from copilot import ADAPTER_DIR, get_backend
from copilot.serve import create_app, running_server

pytestmark = pytest.mark.model

openai = pytest.importorskip("openai")


def tool(name: str) -> dict:
    from copilot.catalog import tools

    return next(t for t in tools() if t["function"]["name"] == name)


def every_tool() -> list[dict]:
    from copilot.catalog import tools

    return tools()


@pytest.fixture(scope="module")
def client(local_model):
    if not (ADAPTER_DIR / "adapter_config.json").exists():
        pytest.skip(f"no shipped adapter at {ADAPTER_DIR}")
    backend = get_backend("local-ft")
    backend.load()
    with running_server(create_app(backend, "local-ft")) as url:
        yield openai.OpenAI(base_url=url, api_key="unused", max_retries=0)


def chat(client, text, **kwargs):
    messages = [{"role": "user", "content": text}] if isinstance(text, str) else text
    return client.chat.completions.create(model="local-ft", messages=messages, **kwargs)


def test_a_named_tool_choice_is_honoured(client):
    named = {"type": "function", "function": {"name": "set_drone_lighting"}}
    answer = chat(client, "turn the lights on", tools=every_tool(), tool_choice=named)
    calls = answer.choices[0].message.tool_calls
    assert answer.choices[0].finish_reason == "tool_calls"
    assert [c.function.name for c in calls] == ["set_drone_lighting"]


def test_only_the_offered_tools_are_called(client):
    answer = chat(
        client, "take off to 30 metres", tools=[tool("land_drone")], tool_choice="required"
    )
    calls = answer.choices[0].message.tool_calls
    assert calls and {c.function.name for c in calls} == {"land_drone"}
    # with "auto", a command the offered tools cannot do is answered in words
    answer = chat(client, "take off to 30 metres", tools=[tool("land_drone")])
    message = answer.choices[0].message
    assert message.tool_calls is None and "takeoff_drone" in message.content
    assert answer.choices[0].finish_reason == "stop"


def test_none_and_no_tools_are_answered_in_words(client):
    for kwargs in ({"tools": every_tool(), "tool_choice": "none"}, {}):
        answer = chat(client, "take off to 30 metres", **kwargs)
        message = answer.choices[0].message
        assert message.tool_calls is None and answer.choices[0].finish_reason == "stop"
        assert "takeoff_drone(altitude=30)" in message.content and "takeoff" in message.content


def test_content_parts_are_read_as_text(client):
    parts = [{"type": "text", "text": "take off to "}, {"type": "text", "text": "30 metres"}]
    answer = chat(client, [{"role": "user", "content": parts}], tools=every_tool())
    call = answer.choices[0].message.tool_calls[0]
    assert call.function.name == "takeoff_drone" and '"altitude": 30' in call.function.arguments


def test_a_finished_turn_ends_with_text(client):
    first = chat(client, "take off to 30 metres", tools=every_tool())
    message = first.choices[0].message
    history = [
        {"role": "user", "content": "take off to 30 metres"},
        message.model_dump(exclude_none=True),
        *(
            {"role": "tool", "tool_call_id": c.id, "content": "accepted"}
            for c in message.tool_calls
        ),
    ]
    closing = chat(client, history, tools=every_tool())
    assert closing.choices[0].finish_reason == "stop"
    assert closing.choices[0].message.tool_calls is None
    assert closing.choices[0].message.content == "takeoff_drone: accepted"


def test_a_budget_that_runs_out_says_length(client):
    answer = chat(client, "land at home base", tools=every_tool(), max_tokens=1)
    assert answer.choices[0].finish_reason == "length"
    assert answer.choices[0].message.tool_calls is None
    assert answer.usage.completion_tokens <= 1


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"n": 2}, "n"),
        ({"logprobs": True}, "logprobs"),
        ({"response_format": {"type": "json_schema", "json_schema": {"name": "x"}}}, None),
        ({"tool_choice": {"type": "function", "function": {"name": "land_drone"}}}, None),
    ],
)
def test_what_cannot_be_honoured_is_refused(client, kwargs, param):
    with pytest.raises(openai.BadRequestError) as refused:
        chat(client, "land", tools=[tool("takeoff_drone")], **kwargs)
    assert refused.value.status_code == 400
    if param:
        assert refused.value.body["param"] == param
