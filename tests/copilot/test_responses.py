"""`POST /v1/responses`: the official `openai` client's `client.responses` against the real server.

Recorded answers (a `ReplayBackend`) for the shapes; the real `local-ft` model for one agent turn:
a function call for a command, then text once its result is sent back.
"""

from __future__ import annotations

import json

import openai
import pytest

from copilot.catalog import tools

TAKEOFF = "takeoff_drone(altitude=30)"
PLAN = "take off, fly forward 50 m and snap a photo"
ANSWERS = {
    "take off to 30 metres": TAKEOFF,
    PLAN: f'{TAKEOFF}\ncontrol_drone_movement(direction="forward", distance=50)\n'
    'control_camera(mode="photo")',
}
MODEL = "drone-test"


def flat_tools() -> list[dict]:
    """The catalogue as Responses-format function tools (no `function` wrapper)."""
    return [{"type": "function", **t["function"]} for t in tools()]


@pytest.fixture(scope="module")
def client(serve_recorded) -> openai.OpenAI:
    url = serve_recorded(ANSWERS, MODEL)
    return openai.OpenAI(base_url=url, api_key="unused", max_retries=0)


def agent_turn(client: openai.OpenAI, model: str) -> tuple:
    """A command answered with a function call, then its result sent back: (first, second)."""
    first = client.responses.create(model=model, input="take off to 30 metres", tools=flat_tools())
    call = first.output[0]
    result = {"type": "function_call_output", "call_id": call.call_id, "output": "accepted"}
    history = [
        {"role": "user", "content": "take off to 30 metres"},
        *[item.model_dump(exclude_none=True) for item in first.output],
        result,
    ]
    second = client.responses.create(model=model, input=history, tools=flat_tools())
    return first, second


def test_a_command_gets_a_function_call_and_its_result_ends_the_turn_with_text(client):
    first, second = agent_turn(client, MODEL)
    assert first.object == "response" and first.status == "completed"
    (call,) = first.output
    assert (call.type, call.name, json.loads(call.arguments)) == (
        "function_call",
        "takeoff_drone",
        {"altitude": 30},
    )
    assert call.call_id and call.id.startswith("fc_") and call.status == "completed"
    assert first.usage.input_tokens == 20 and first.usage.output_tokens == 9
    assert first.store is False  # nothing is kept here
    (message,) = second.output
    assert message.type == "message" and message.role == "assistant"
    assert second.output_text == "takeoff_drone: accepted"


def test_a_plan_is_one_function_call_item_per_call_in_order(client):
    answer = client.responses.create(model=MODEL, input=PLAN, tools=flat_tools())
    assert [item.name for item in answer.output] == [
        "takeoff_drone",
        "control_drone_movement",
        "control_camera",
    ]
    assert len({item.call_id for item in answer.output}) == 3
    single = client.responses.create(
        model=MODEL, input=PLAN, tools=flat_tools(), parallel_tool_calls=False
    )
    assert [item.name for item in single.output] == ["takeoff_drone"]  # one call a turn


def test_instructions_parts_and_tool_choice_none_give_text(client):
    answer = client.responses.create(
        model=MODEL,
        instructions="You fly a drone.",
        input=[
            {"role": "user", "content": [{"type": "input_text", "text": "take off to 30 metres"}]}
        ],
        tools=flat_tools(),
        tool_choice="none",
        store=False,
    )
    assert answer.output[0].type == "message"
    assert "takeoff_drone(altitude=30)" in answer.output_text
    named = client.responses.create(
        model=MODEL,
        input="take off to 30 metres",
        tools=flat_tools(),
        tool_choice={"type": "function", "name": "takeoff_drone"},
    )
    assert named.output[0].name == "takeoff_drone"


@pytest.mark.parametrize(
    ("kwargs", "param", "says"),
    [
        ({"previous_response_id": "resp_1"}, "previous_response_id", "keeps no responses"),
        ({"store": True}, "store", "keeps no responses"),
        ({"extra_body": {"frobnicate": 1}}, "frobnicate", "not supported"),
        ({"tools": [{"type": "web_search"}]}, "tools[0]", "function tools only"),
        ({"text": {"format": {"type": "json_object"}}}, "text", "json_object"),
        ({"text": {"format": "json"}}, "text", "'json'"),  # not even an object: no 500
        ({"include": ["message.output_text.logprobs"]}, "include", "not available"),
        ({"input": [{"type": "item_reference", "id": "x"}]}, "input[0]", "item_reference"),
        (
            {"input": [{"role": "user", "content": [{"type": "input_image", "image_url": "x"}]}]},
            "input[0].content",
            "text parts only",
        ),
        ({"model": "other"}, "model", "does not exist"),
    ],
)
def test_what_cannot_be_honoured_is_a_400_naming_the_field(client, kwargs, param, says):
    request = {"model": MODEL, "input": "take off to 30 metres", **kwargs}
    error = openai.NotFoundError if param == "model" else openai.BadRequestError
    with pytest.raises(error) as raised:
        client.responses.create(**request)
    assert raised.value.body["param"] == param and says in raised.value.body["message"]


def test_a_streamed_response_is_the_event_sequence_and_the_same_response(client):
    whole = client.responses.create(model=MODEL, input=PLAN, tools=flat_tools())
    events = list(client.responses.create(model=MODEL, input=PLAN, tools=flat_tools(), stream=True))
    kinds = [e.type for e in events]
    per_call = [
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
    ]
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert kinds[-1] == "response.completed"
    assert [k for k in kinds if k in per_call[:1] + per_call[2:]] == [
        k for k in per_call if k != per_call[1]
    ] * 3
    assert [e.sequence_number for e in events] == list(range(len(events)))
    final = events[-1].response
    assert _calls(final) == _calls(whole) and final.usage == whole.usage
    with client.responses.stream(model=MODEL, input=PLAN, tools=flat_tools()) as stream:
        assembled = stream.get_final_response()  # the SDK's own accumulation of the deltas
    assert _calls(assembled) == _calls(whole)


def test_a_streamed_text_answer_has_text_deltas(client):
    with client.responses.stream(
        model=MODEL, input="take off to 30 metres", tools=flat_tools(), tool_choice="none"
    ) as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    whole = client.responses.create(
        model=MODEL, input="take off to 30 metres", tools=flat_tools(), tool_choice="none"
    )
    assert len(deltas) > 1 and "".join(deltas) == final.output_text == whole.output_text


def _calls(response) -> list[tuple[str, str, str]]:
    return [(i.type, i.name, i.arguments) for i in response.output]


@pytest.mark.model
def test_local_ft_answers_an_agent_turn(local_ft_url):
    client = openai.OpenAI(base_url=local_ft_url, api_key="unused", max_retries=0)
    first, second = agent_turn(client, "local-ft")
    assert [(i.name, json.loads(i.arguments)) for i in first.output] == [
        ("takeoff_drone", {"altitude": 30})
    ]
    assert second.output[0].type == "message" and second.output_text == "takeoff_drone: accepted"


@pytest.mark.model
def test_local_ft_cut_short_by_max_output_tokens_is_incomplete(local_ft_url):
    client = openai.OpenAI(base_url=local_ft_url, api_key="unused", max_retries=0)
    request = {"model": "local-ft", "input": "take off to 30 metres", "tools": flat_tools()}
    answer = client.responses.create(**request, max_output_tokens=3)
    assert answer.status == "incomplete" and answer.incomplete_details.reason == "max_output_tokens"
    assert answer.output[0].type == "message" and answer.output_text == "takeoff_"
    events = list(client.responses.create(**request, max_output_tokens=3, stream=True))
    assert events[-1].type == "response.incomplete"
    assert events[-1].response.output_text == "takeoff_"
