"""Plans on the copilot side: the catalogue's rule, the grammar, the backends, the session, the
server. Real components throughout: the official `openai` client against real uvicorn servers on
loopback ports, and the real headless simulator."""

from __future__ import annotations

import json
from pathlib import Path

import openai
import pytest
from fastapi import FastAPI

from copilot import MAX_PLAN, Completion, Copilot, OpenAIBackend, ReplayBackend, plan_error
from copilot.catalog import tools
from copilot.decoding.grammar import COMPLETE, DEAD, PARTIAL, CallGrammar
from copilot.serve import create_app, running_server
from simulator.core import DroneSim

TAKEOFF = "takeoff_drone(altitude=30)"
PHOTO = 'control_camera(mode="photo")'
FORWARD = 'control_drone_movement(direction="forward", distance=50)'
PLANS = {
    "take off to 30 m, fly forward 50 m and snap a photo": f"{TAKEOFF}\n{FORWARD}\n{PHOTO}",
    "fly forward 50 m then snap a photo": f"{FORWARD}\n{PHOTO}",
    "five things": "\n".join(["calibrate_sensors()"] * 5),
    "take off and refuse": f"{TAKEOFF}\nreject_request()",
    "take off then go too far": (
        f'{TAKEOFF}\ncontrol_drone_movement(direction="forward", distance=5000)'
    ),
}


LANDING = {
    "id": "call_x",
    "type": "function",
    "function": {"name": "land_drone", "arguments": '{"location": "current"}'},
}


def ask(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = Path(tmp_path_factory.mktemp("plans")) / "answers.jsonl"
    path.write_text("\n".join(json.dumps({"prompt": p, "output": o}) for p, o in PLANS.items()))
    return path


# ----------------------------------------------------------------------------- the rule


def test_a_plan_is_one_to_four_calls_and_a_refusal_stands_alone():
    assert MAX_PLAN == 4
    assert plan_error(["takeoff_drone", "control_camera"]) is None
    assert plan_error(["reject_request"]) is None
    assert "at most 4" in plan_error(["calibrate_sensors"] * 5)
    assert "stand alone" in plan_error(["takeoff_drone", "reject_request"])
    assert "empty" in plan_error([])


@pytest.mark.parametrize(
    ("prompt", "says"),
    [
        ("five things", "at most 4 calls; this one has 5"),
        ("take off and refuse", "reject_request must stand alone"),
        ("take off then go too far", "step 2: control_drone_movement: distance"),
    ],
)
def test_a_bad_plan_keeps_no_call(recording: Path, prompt: str, says: str):
    done = ReplayBackend(recording).complete(ask(prompt))
    assert done.calls == [] and says in done.error


def test_the_grammar_forbids_a_refusal_beside_other_calls_and_a_fifth_call():
    grammar = CallGrammar(max_calls=4)
    assert grammar.status(f"{TAKEOFF}\n{PHOTO}") == COMPLETE
    assert grammar.status("reject_request()") == COMPLETE
    assert grammar.status("reject_request()\n") == DEAD
    assert grammar.status(f"{TAKEOFF}\nrej") == DEAD
    assert grammar.status(f"{TAKEOFF}\nre") == PARTIAL  # return_to_home is still possible
    assert grammar.status("\n".join(["calibrate_sensors()"] * 4)) == COMPLETE
    assert grammar.status("\n".join(["calibrate_sensors()"] * 4) + "\n") == DEAD


# ----------------------------------------------------------------------------- the session


def test_the_session_flies_a_plan_in_order_and_keeps_it_in_the_openai_shape(recording: Path):
    copilot = Copilot(ReplayBackend(recording), sim=DroneSim())
    turn = copilot.send("take off to 30 m, fly forward 50 m and snap a photo")
    assert [a.status for a in turn.acks] == ["accepted"] * 3
    state = copilot.state
    assert state["altitude"] == 30.0 and state["y"] == 50.0  # climbed, then flew north 50 m
    assert state["camera"]["photos_taken"] == 1
    user, assistant, *tools = copilot.history[-1]
    assert user["content"].startswith("take off")
    assert [c["function"]["name"] for c in assistant["tool_calls"]] == [
        "takeoff_drone",
        "control_drone_movement",
        "control_camera",
    ]
    assert [t["tool_call_id"] for t in tools] == [c["id"] for c in assistant["tool_calls"]]


def test_a_denied_step_stops_the_plan_and_the_rest_is_skipped(recording: Path):
    copilot = Copilot(ReplayBackend(recording), sim=DroneSim())
    turn = copilot.send("fly forward 50 m then snap a photo")  # on the ground: step 1 is denied
    assert [a.status for a in turn.acks] == ["denied", "skipped"]
    assert turn.acks[1].reason.startswith("step 1 was denied (not airborne")
    assert copilot.state["camera"]["photos_taken"] == 0
    *_, skipped = copilot.history[-1]
    assert skipped["role"] == "tool" and skipped["content"].startswith("skipped: step 1")


def test_a_bad_plan_runs_nothing_and_the_session_goes_on(recording: Path):
    copilot = Copilot(ReplayBackend(recording), sim=DroneSim())
    for prompt in ("five things", "take off and refuse", "take off then go too far"):
        turn = copilot.send(prompt)
        assert turn.acks == [] and turn.error
    assert not copilot.state["flying"] and copilot.history == []
    assert [a.status for a in copilot.send("fly forward 50 m then snap a photo").acks] == [
        "denied",
        "skipped",
    ]


# ----------------------------------------------------------------------------- the server


@pytest.fixture(scope="module")
def served(recording: Path):
    with running_server(create_app(ReplayBackend(recording), "drone-test")) as url:
        yield url


def test_the_official_client_receives_a_three_call_plan(served: str):
    client = openai.OpenAI(base_url=served, api_key="unused")
    response = client.chat.completions.create(
        model="drone-test",
        messages=ask("take off to 30 m, fly forward 50 m and snap a photo"),
        tools=tools(),
    )
    choice = response.choices[0]
    assert choice.finish_reason == "tool_calls"
    calls = [(c.function.name, json.loads(c.function.arguments)) for c in choice.message.tool_calls]
    assert calls == [
        ("takeoff_drone", {"altitude": 30}),
        ("control_drone_movement", {"direction": "forward", "distance": 50}),
        ("control_camera", {"mode": "photo"}),
    ]
    backend = OpenAIBackend("drone-test", base_url=served, api_key="unused")
    done = backend.complete(ask("take off to 30 m, fly forward 50 m and snap a photo"))
    assert [c.name for c in done.calls] == [
        "takeoff_drone",
        "control_drone_movement",
        "control_camera",
    ]


def test_parallel_tool_calls_false_serves_the_plan_one_call_a_turn(served: str):
    client = openai.OpenAI(base_url=served, api_key="unused")
    messages = ask("take off to 30 m, fly forward 50 m and snap a photo")
    made = []
    for turn in range(4):
        choice = client.chat.completions.create(
            model="drone-test", messages=messages, tools=tools(), parallel_tool_calls=False
        ).choices[0]
        if choice.finish_reason == "stop":
            break
        assert choice.finish_reason == "tool_calls" and len(choice.message.tool_calls) == 1
        call = choice.message.tool_calls[0]
        made.append(call.function.name)
        messages += [
            choice.message.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": call.id, "content": f"accepted: step {turn + 1}"},
        ]
    assert made == ["takeoff_drone", "control_drone_movement", "control_camera"]
    assert turn == 3 and "control_camera: accepted: step 3" in choice.message.content


def test_one_call_a_turn_ends_when_the_client_goes_its_own_way(served: str):
    client = openai.OpenAI(base_url=served, api_key="unused")
    messages = [
        *ask("take off to 30 m, fly forward 50 m and snap a photo"),
        {"role": "assistant", "tool_calls": [LANDING]},
        {"role": "tool", "tool_call_id": "call_x", "content": "accepted"},
    ]
    choice = client.chat.completions.create(
        model="drone-test", messages=messages, tools=tools(), parallel_tool_calls=False
    ).choices[0]
    assert choice.finish_reason == "stop" and not choice.message.tool_calls


def test_a_tool_named_like_ours_with_other_parameters_is_not_ours(served: str):
    client = openai.OpenAI(base_url=served, api_key="unused")
    feet = {"type": "object", "properties": {"height_feet": {"type": "integer"}}}
    theirs = [{"type": "function", "function": {"name": "takeoff_drone", "parameters": feet}}]
    choice = client.chat.completions.create(
        model="drone-test",
        messages=ask("take off to 30 m, fly forward 50 m and snap a photo"),
        tools=theirs,
    ).choices[0]
    assert choice.finish_reason == "stop" and not choice.message.tool_calls
    named = {"type": "function", "function": {"name": "takeoff_drone"}}
    with pytest.raises(openai.BadRequestError, match="not the drone catalogue's"):
        client.chat.completions.create(
            model="drone-test", messages=ask("take off"), tools=theirs, tool_choice=named
        )


def test_a_bad_plan_is_answered_in_text_and_the_server_goes_on(served: str):
    client = openai.OpenAI(base_url=served, api_key="unused")
    for prompt, says in (("five things", "at most 4"), ("take off and refuse", "stand alone")):
        choice = client.chat.completions.create(
            model="drone-test", messages=ask(prompt), tools=tools()
        ).choices[0]
        assert choice.finish_reason == "stop" and not choice.message.tool_calls
        assert says in choice.message.content
    ok = client.chat.completions.create(
        model="drone-test", messages=ask("fly forward 50 m then snap a photo"), tools=tools()
    )
    assert len(ok.choices[0].message.tool_calls) == 2


# ----------------------------------------------------------------------------- an API model


def _api_returning(tool_calls: list[dict]) -> FastAPI:
    """A stand-in for the OpenAI cloud (unreachable here): one endpoint, a fixed answer."""
    app = FastAPI()

    @app.post("/v1/chat/completions")
    def chat() -> dict:
        message = {"role": "assistant", "content": None, "tool_calls": tool_calls}
        return {
            "id": "x",
            "object": "chat.completion",
            "created": 0,
            "model": "m",
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }

    return app


def _call(i: int) -> dict:
    arguments = json.dumps({"altitude": 10 + i})
    return {
        "id": f"c{i}",
        "type": "function",
        "function": {"name": "takeoff_drone", "arguments": arguments},
    }


@pytest.mark.parametrize(
    ("tool_calls", "says"),
    [([_call(i) for i in range(20)], "has 20: nothing was run"), ([], "empty tool_calls")],
)
def test_an_api_model_with_twenty_or_no_tool_calls_runs_nothing(tool_calls, says):
    with running_server(_api_returning(tool_calls)) as url:
        backend = OpenAIBackend("m", base_url=url, api_key="unused", max_attempts=1)
        done = backend.complete(ask("take off"))
    assert done.calls == [] and says in done.error
    sim = DroneSim()
    copilot = Copilot(backend, sim=sim)
    assert copilot.state["flying"] is False


def test_a_completion_of_several_calls_names_the_invalid_step():
    done = Completion.from_output(f"{TAKEOFF}\ntakeoff_drone(altitude=900)")
    assert done.calls == [] and done.error.startswith("step 2: takeoff_drone")
