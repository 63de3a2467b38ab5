"""Compound requests and conversational references in the generated data, checked by the real
verifier (which flies every plan in the simulator)."""

from __future__ import annotations

import json
import random

import pytest

from copilot import REJECT, plan_error
from finetune.dataset import to_example
from finetune.quality.verify import Verifier
from finetune.teachers.compound import compound_sample
from finetune.teachers.mix import quotas
from finetune.teachers.references import REFERENCE_KINDS
from finetune.teachers.templates import TemplateTeacher


def test_compound_plans_are_well_formed_ordered_and_verified():
    rng, verifier = random.Random(11), Verifier()
    samples = [compound_sample("plan", rng) for _ in range(300)]
    lengths = {len(s.calls) for s in samples}
    assert lengths == {2, 3, 4}
    for s in samples:
        names = [c.name for c in s.calls]
        assert plan_error(names) is None and REJECT not in names
        if "takeoff_drone" in names:  # take-off first (after an optional calibration)
            assert names.index("takeoff_drone") <= 1
        for end in ("land_drone", "return_to_home"):
            assert end not in names[:-1]
    passed = sum(verifier.verify(s, to_example(s)) for s in samples)
    assert passed >= 0.95 * len(samples)  # a few moves leave the fence and are dropped


def test_a_compound_refusal_is_reject_request_alone():
    rng = random.Random(5)
    for _ in range(100):
        sample = compound_sample("refusal", rng)
        assert [c.name for c in sample.calls] == [REJECT]
        assert sample.kind == "compound:refusal"
    with pytest.raises(ValueError):
        compound_sample("poem", rng)


@pytest.mark.parametrize("kind", REFERENCE_KINDS)
def test_each_reference_kind_answers_from_the_history(kind: str):
    rng, teacher, verifier = random.Random(3), TemplateTeacher(), Verifier()
    samples = [teacher.sample(f"context:{kind}", rng) for _ in range(60)]
    assert all(s.history and s.kind == f"context:{kind}" for s in samples)
    assert sum(verifier.verify(s, to_example(s)) for s in samples) >= 0.75 * len(samples)
    answers = {c.name for s in samples for c in s.calls}
    expected = {
        "undo": {"control_drone_movement", REJECT},
        "here": {"land_drone", REJECT},
        "keep": {"control_gimbal"},
        "after_plan": {"control_drone_movement"},
    }[kind]
    assert expected <= answers


def test_the_undo_of_a_move_flies_it_back():
    rng, teacher = random.Random(8), TemplateTeacher()
    for _ in range(40):
        sample = teacher.sample("context:undo", rng)
        first = sample.history[1]["tool_calls"][0]["function"]
        if sample.call.name == "control_drone_movement" and first["name"] == sample.call.name:
            before = json.loads(first["arguments"])
            assert before["distance"] == sample.call.arguments["distance"]
            assert before["direction"] != sample.call.arguments["direction"]


def test_the_makeup_holds_compound_requests_by_default():
    q = quotas(2000)
    assert q["compound:plan"] + q["compound:refusal"] == 300  # 15% of n
    assert "compound:plan" not in quotas(2000, compound_share=0)
    assert sum(q.values()) == 2000


def test_some_plans_are_said_out_of_order_or_with_the_speed_on_the_move():
    from finetune.teachers.compound import _join

    rng = random.Random(2)
    joined = [_join(["take a photo", "land here"], rng) for _ in range(400)]
    assert all("a photo" in j and "land here" in j for j in joined)
    inverted = [j for j in joined if j.index("land here") < j.index("a photo")]
    assert 0.05 < len(inverted) / len(joined) < 0.3  # "land here, but take a photo first"
    assert any(j.startswith("land here after taking a photo") for j in inverted)
    samples = [compound_sample("plan", random.Random(i)) for i in range(600)]
    riding = [
        s
        for s in samples
        if any(
            a.name == "set_drone_speed" and b.name == "control_drone_movement"
            for a, b in zip(s.calls, s.calls[1:], strict=False)
        )
        and any(f" {x}" in s.prompt.lower() for x in ("km/h", "kmh", "a speed of"))
        and "at " in s.prompt.lower()
    ]
    assert riding  # "fly forward 90 m at 20 km/h": two steps from one phrase
