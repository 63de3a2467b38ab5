"""Training targets: values the user said are copied, values worked out from them are operations."""

from __future__ import annotations

import json

import pytest

from copilot import ToolCall, parse_output
from finetune.dataset import Sample, to_example
from finetune.targets import example_to_text


def _call(name: str, **arguments) -> dict:
    function = {"name": name, "arguments": json.dumps(arguments)}
    return {"role": "assistant", "tool_calls": [{"type": "function", "function": function}]}


def _example(*turns) -> dict:
    messages = [{"role": "system", "content": "You control a drone."}]
    for turn in turns:
        messages.append({"role": "user", "content": turn} if isinstance(turn, str) else turn)
    return {"messages": messages}


@pytest.mark.parametrize(
    ("turns", "target"),
    [
        (
            ["Shoot a ten-minute video", _call("control_camera", mode="video", duration=600)],
            'control_camera(mode="video", duration=10*60)',
        ),
        (
            ["record for 600 seconds", _call("control_camera", mode="video", duration=600)],
            'control_camera(mode="video", duration=600)',  # said as it is: copied
        ),
        (
            [
                "set the speed to 20 km/h",
                _call("set_drone_speed", speed=20),
                "double it",
                _call("set_drone_speed", speed=40),
            ],
            "set_drone_speed(speed=20*2)",
        ),
        (
            [
                "fly forward 30 m",
                _call("control_drone_movement", direction="forward", distance=30),
                "half that distance to the left",
                _call("control_drone_movement", direction="left", distance=15),
            ],
            'control_drone_movement(direction="left", distance=30/2)',
        ),
        (
            [
                "take off to 30 metres",
                _call("takeoff_drone", altitude=30),
                "climb to 80 metres",
                _call("control_drone_movement", direction="up", distance=50),
            ],
            'control_drone_movement(direction="up", distance=80-30)',
        ),
        (
            [
                "take off to 30 metres",
                _call("takeoff_drone", altitude=30),
                "now go 20 metres higher",
                _call("control_drone_movement", direction="up", distance=20),
            ],
            'control_drone_movement(direction="up", distance=20)',
        ),
        (
            ["point the gimbal down 45 degrees", _call("control_gimbal", tilt=-45, pan=0)],
            "control_gimbal(tilt=-45, pan=0)",  # signs and zeros are never worked out
        ),
    ],
)
def test_worked_out_values_are_written_as_operations(turns, target):
    example = _example(*turns)
    prompt, text = example_to_text(example)
    assert text == target + "<end_of_turn>"
    assert prompt.endswith("<start_of_turn>model\n")
    earlier = [t.split("<end_of_turn>")[0] for t in prompt.split("<start_of_turn>model\n")[1:]]
    assert not any(op in t for t in earlier for op in "*/")  # earlier calls keep plain values
    (call,) = parse_output(target).validated()  # and the parser gives back the value trained on
    last = json.loads(turns[-1]["tool_calls"][0]["function"]["arguments"])
    assert call.arguments == last


def test_a_plan_target_is_its_calls_one_per_line_as_the_decoder_writes_them():
    from copilot.decoding.grammar import COMPLETE, CallGrammar

    takeoff = ToolCall("takeoff_drone", {"altitude": 30})
    video = ToolCall("control_camera", {"mode": "video", "duration": 120})
    sample = Sample("take off to 30 m and record for 2 minutes", takeoff, "plan", then=(video,))
    prompt, target = example_to_text(to_example(sample))
    assert prompt.endswith("<start_of_turn>model\n")
    assert target == (
        'takeoff_drone(altitude=30)\ncontrol_camera(mode="video", duration=2*60)<end_of_turn>'
    )
    calls = target.removesuffix("<end_of_turn>")
    assert CallGrammar(separator="\n").status(calls) == COMPLETE  # the decoder's grammar
    assert parse_output(calls).validated() == [takeoff, video]
