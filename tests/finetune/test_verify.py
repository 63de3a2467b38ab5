"""Each verification stage rejects a planted bad example; good examples pass every stage."""

from __future__ import annotations

import copy
import random

import pytest

from copilot import ToolCall
from finetune.dataset import Sample, reject_call, to_example
from finetune.phrasing.numwords import find_numbers, int_to_words, words_to_int
from finetune.quality.verify import Verifier
from finetune.teachers.mix import quotas
from finetune.teachers.templates import TemplateTeacher


def _sample(prompt: str, name: str, **arguments) -> Sample:
    return Sample(prompt, ToolCall(name, arguments), name)


def _first_failure(sample: Sample, example=None):
    return Verifier().check(sample, example if example is not None else to_example(sample))


def test_good_examples_pass_every_stage():
    for sample in (
        _sample("take off to forty-five metres", "takeoff_drone", altitude=45),
        _sample("record for 2 minutes", "control_camera", mode="video", duration=120),
        _sample("tilt the camera down 30 and pan left 90", "control_gimbal", tilt=-30, pan=-90),
        _sample(
            "land at 33.8688° S, 151.2093° E",
            "land_drone",
            location="custom",
            coordinates={"latitude": -33.8688, "longitude": 151.2093},
        ),
        _sample("descend 80 m", "control_drone_movement", direction="down", distance=80),
        Sample("play a song", reject_call(), "reject:capability"),
    ):
        assert _first_failure(sample) is None, sample.prompt


def test_stage1_format_rejects_a_broken_line():
    sample = _sample("take a photo", "control_camera", mode="photo")
    example = to_example(sample)
    no_tools = {k: v for k, v in example.items() if k != "tools"}
    assert _first_failure(sample, no_tools)[0] == "format"
    dict_args = copy.deepcopy(example)
    dict_args["messages"][-1]["tool_calls"][0]["function"]["arguments"] = {"mode": "photo"}
    assert _first_failure(sample, dict_args) == (
        "format",
        "tool call arguments must be a JSON string",
    )
    assert _first_failure(sample, ["not", "an", "object"])[0] == "format"


def test_stage2_schema_rejects_an_invalid_call():
    sample = _sample("take off to 300 m", "takeoff_drone", altitude=300)
    stage, reason = _first_failure(sample)
    assert stage == "schema" and "between 1 and 120" in reason
    led = _sample("rainbow LEDs in red", "configure_led_display", pattern="rainbow", color="red")
    assert _first_failure(led)[0] == "schema"


def test_stage3_execution_rejects_a_call_the_simulator_denies():
    # Valid by the schema (distance <= 500) but from 30 m it would climb through the ceiling.
    sample = _sample("climb 100 m", "control_drone_movement", direction="up", distance=100)
    stage, reason = _first_failure(sample)
    assert stage == "execution" and "ceiling" in reason


def test_stage4_semantic_rejects_a_wrong_number_an_off_domain_word_and_a_valid_reject():
    wrong_number = _sample(
        "move forward 30 m", "control_drone_movement", direction="forward", distance=50
    )
    assert _first_failure(wrong_number)[0] == "semantic"
    stray_number = _sample("take a photo in 5", "control_camera", mode="photo")
    assert _first_failure(stray_number)[0] == "semantic"
    off_domain = _sample("I want the car to follow me", "set_follow_me_mode", status="on")
    stage, reason = _first_failure(off_domain)
    assert stage == "semantic" and "car" in reason
    lost_sign = _sample("tilt to 30 and pan 90", "control_gimbal", tilt=-30, pan=90)
    assert _first_failure(lost_sign)[0] == "semantic"
    not_really_bad = Sample(
        "take off to 50 m",
        reject_call(),
        "reject:out_of_range",
        intended=("takeoff_drone", {"altitude": 50}),
    )
    assert _first_failure(not_really_bad)[0] == "semantic"


def _after(prompt: str, before: ToolCall, call: ToolCall, kind: str) -> Sample:
    from finetune.teachers.multiturn import _turn

    return Sample(prompt, call, kind, history=_turn("earlier", before))


def test_a_scaled_follow_up_must_scale_the_earlier_call_by_its_word():
    move = ToolCall("control_drone_movement", {"direction": "left", "distance": 20})
    twice = ToolCall("control_drone_movement", {"direction": "left", "distance": 40})
    half_up = ToolCall("control_drone_movement", {"direction": "up", "distance": 10})
    speed = ToolCall("set_drone_speed", {"speed": 20})
    assert _first_failure(_after("twice as far", move, twice, "context:scale")) is None
    assert _first_failure(_after("half that, but up", move, half_up, "context:scale")) is None
    for prompt, before, call in (
        ("three times as far", move, twice),  # the wrong factor
        ("twice as far", speed, twice),  # not the same call as before
        ("go further", move, twice),  # no factor word
    ):
        stage, reason = _first_failure(_after(prompt, before, call, "context:scale"))
        assert stage == "semantic" and "scale" in reason, prompt


def test_pass_rates_are_counted_per_stage_and_kind():
    verifier = Verifier()
    verifier.verify(
        _sample("take off to 50 m", "takeoff_drone", altitude=50),
        to_example(_sample("x", "takeoff_drone", altitude=50)),
    )
    bad = _sample("climb 100 m", "control_drone_movement", direction="up", distance=100)
    verifier.verify(bad, to_example(bad))
    rates = verifier.stage_rates()
    assert rates["schema"]["passed"] == 2 and rates["execution"]["passed"] == 1
    assert verifier.kind_rates()["control_drone_movement"]["verified"] == 0


def test_numbers_in_words_and_digits_read_back():
    rng = random.Random(0)
    for n in (0, 7, 13, 45, 100, 120, 305, 600, 999):
        assert words_to_int(int_to_words(n, rng)) == n
    found = find_numbers("up to a hundred and twenty metres, then minus 15 for 2 mins")
    assert [(x.value, x.unit, x.negative_cue) for x in found] == [
        (120.0, "metres", False),
        (15.0, "for", True),
        (2.0, "mins", False),
    ]


@pytest.mark.parametrize("seed", [1, 2])
def test_templates_teacher_output_mostly_verifies(seed):
    teacher, rng, verifier = TemplateTeacher(), random.Random(seed), Verifier()
    for kind, k in quotas(600).items():
        for _ in range(k):
            s = teacher.sample(kind, rng)
            verifier.verify(s, to_example(s))
    rates = verifier.stage_rates()
    assert all(r["rate"] > 0.97 for r in rates.values()), rates


# --------------------------------------------------------------------------- plans


def _plan(prompt: str, *calls: ToolCall) -> Sample:
    return Sample(prompt, calls[0], "plan", then=calls[1:])


TAKEOFF_30 = ToolCall("takeoff_drone", {"altitude": 30})
PHOTO = ToolCall("control_camera", {"mode": "photo"})


def test_good_plans_pass_every_stage_run_whole_in_the_simulator():
    for sample in (
        _plan("take off to 30 m and snap a photo", TAKEOFF_30, PHOTO),
        _plan(
            "descend 80 m, take a panorama, then fly left 20 m",
            ToolCall("control_drone_movement", {"direction": "down", "distance": 80}),
            ToolCall("control_camera", {"mode": "panorama"}),
            ToolCall("control_drone_movement", {"direction": "left", "distance": 20}),
        ),
        _plan(
            "land here, calibrate the sensors and take off to 30 metres again",
            ToolCall("land_drone", {"location": "current"}),
            ToolCall("calibrate_sensors", {}),
            TAKEOFF_30,
        ),
    ):
        example = to_example(sample)
        assert example["parallel_tool_calls"] is True
        assert len(example["messages"][-1]["tool_calls"]) == len(sample.calls)
        assert _first_failure(sample, example) is None, sample.prompt


def test_a_plan_whose_second_step_the_simulator_denies_fails_execution():
    too_high = _plan(
        "take off to 30 m and climb 100 m",
        TAKEOFF_30,
        ToolCall("control_drone_movement", {"direction": "up", "distance": 100}),
    )
    stage, reason = _first_failure(too_high)
    assert stage == "execution" and reason.startswith("step 2 denied: ceiling")
    grounded = _plan(
        "land here and then fly forward 10 m",
        ToolCall("land_drone", {"location": "current"}),
        ToolCall("control_drone_movement", {"direction": "forward", "distance": 10}),
    )
    stage, reason = _first_failure(grounded)
    assert stage == "execution" and reason.startswith("step 2 denied: not airborne")


def test_a_plan_with_a_value_the_prompt_does_not_say_fails_semantic():
    wrong_height = _plan("take off to 40 m and snap a photo", TAKEOFF_30, PHOTO)
    assert _first_failure(wrong_height) == ("semantic", "altitude=30 is not stated in the prompt")
    second_step = _plan(
        "take off to 30 m and fly forward 20 m",
        TAKEOFF_30,
        ToolCall("control_drone_movement", {"direction": "forward", "distance": 25}),
    )
    assert _first_failure(second_step) == (
        "semantic",
        "distance=25 is not stated in the prompt",
    )


def test_a_malformed_plan_fails_format_or_schema_and_a_single_call_stays_unparallel():
    good = _plan("take off to 30 m and snap a photo", TAKEOFF_30, PHOTO)
    not_parallel = to_example(good)
    not_parallel["parallel_tool_calls"] = False
    assert _first_failure(good, not_parallel) == (
        "format",
        "a plan (several tool calls in one message) needs parallel_tool_calls true",
    )
    refusal_beside = _plan("take off to 30 m and refuse", TAKEOFF_30, reject_call())
    stage, reason = _first_failure(refusal_beside)
    assert stage == "format" and "reject_request must stand alone" in reason
    five = _plan("five photos", *[PHOTO] * 5)
    assert _first_failure(five) == (
        "format",
        "a plan has at most 4 calls; this one has 5: nothing was run",
    )
    bad_second = _plan("take off to 30 m and climb 900 m", TAKEOFF_30, PHOTO)
    example = to_example(bad_second)
    example["messages"][-1]["tool_calls"][1]["function"] = {
        "name": "control_drone_movement",
        "arguments": '{"direction": "up", "distance": 900}',
    }
    stage, reason = _first_failure(bad_second, example)
    assert stage == "schema" and reason.startswith("call 2: control_drone_movement: distance")
    single = _sample("take a photo", "control_camera", mode="photo")
    parallel_single = dict(to_example(single), parallel_tool_calls=True)
    assert _first_failure(single, parallel_single) == (
        "format",
        "parallel_tool_calls must be false",
    )
