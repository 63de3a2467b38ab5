"""The evaluation suites are well-formed held-out test data that cover the whole catalogue.

Each suite line follows the DESIGN.md format, every expected call passes catalogue validation,
ids are unique, the counts and coverage the evaluation issue asks for are met, no prompt is a
near-copy of another, and multi-turn cases start from states the simulator accepts.
"""

from __future__ import annotations

import difflib
import importlib.util
import itertools
import json
import re
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from copilot import FUNCTION_NAMES, REJECT, ToolCall, parameters_schema, plan_error, validate_call

SUITES_DIR = Path(__file__).resolve().parents[2] / "evaluation" / "suites"

# suite name -> (minimum cases, id pattern)
SUITES: dict[str, tuple[int, str]] = {
    "straightforward": (10, r"s\d{2}"),
    "challenging": (10, r"c\d{2}"),
    "positive": (170, r"p\d{3}"),
    "reject": (90, r"r\d{3}"),
    "multiturn": (120, r"m\d{3}"),
    "compound": (120, r"c\d{3}"),
}
REJECT_CATEGORIES = ("unsupported", "out_of_range", "missing_value", "off_topic", "injection")
NEAR_DUPLICATE = 0.9  # similarity of normalised prompts (digits masked) at which two are copies

# The cookbook's 20 prompts and expected names, verbatim.
SEED = {
    "straightforward": {
        "Land the drone at the home base": "land_drone",
        "Take off the drone to 50 meters": "takeoff_drone",
        "Change speed to 15 kilometers per hour": "set_drone_speed",
        "Turn into an elephant!": "reject_request",
        "Move the drone forward by 10 meters": "control_drone_movement",
        "I want the LED display to blink in red": "configure_led_display",
        "Can you take a photo?": "control_camera",
        "Can you detect obstacles?": "set_obstacle_avoidance",
        "Can you dance for me?": "reject_request",
        "Can you follow me?": "set_follow_me_mode",
    },
    "challenging": {
        prompt: "reject_request"
        for prompt in (
            "Play pre-recorded audio message",
            "Initiate following on social media",
            "Scan environment for heat signatures",
            "Bump into obstacles",
            "Change drone's paint job color",
            "Coordinate with nearby drones",
            "Change speed to negative 120 km/h",
            "Detect a person",
            "Please enable night vision",
            "Report on humidity levels around you",
        )
    },
}


class CallSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: str
    arguments: dict[str, Any]


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    role: Literal["user", "assistant", "tool"]
    content: str | None
    tool_calls: list[dict[str, Any]] | None = None
    tool_call_id: str | None = None


class CaseSpec(BaseModel):
    """One suite line in the DESIGN.md format."""

    model_config = ConfigDict(extra="forbid", strict=True)
    id: str
    category: str = Field(min_length=1)
    prompt: str = Field(min_length=1)
    expected: list[CallSpec] | None = Field(default=None, min_length=1)
    expected_plans: list[list[CallSpec]] | None = Field(default=None, min_length=1)
    setup: list[CallSpec] | None = None
    history: list[Message] | None = None

    @model_validator(mode="after")
    def _one_answer_key(self) -> CaseSpec:
        assert (self.expected is None) != (self.expected_plans is None), "expected xor plans"
        for plan in self.expected_plans or []:
            assert plan_error([c.name for c in plan]) is None, plan
        return self

    @property
    def plans(self) -> list[list[CallSpec]]:
        """Every acceptable answer as a plan (a call of `expected` is a plan of one)."""
        return self.expected_plans or [[c] for c in self.expected or []]

    @property
    def answers(self) -> list[CallSpec]:
        """Every call of every acceptable plan."""
        return [c for plan in self.plans for c in plan]


def load(name: str) -> list[CaseSpec]:
    lines = (SUITES_DIR / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    return [CaseSpec.model_validate(json.loads(line)) for line in lines if line.strip()]


@pytest.fixture(scope="module")
def suites() -> dict[str, list[CaseSpec]]:
    return {name: load(name) for name in SUITES}


def checked(call: CallSpec) -> ToolCall:
    result = validate_call(call.name, call.arguments)
    assert isinstance(result, ToolCall), f"{call.name}{call.arguments}: {result}"
    return result


# --------------------------------------------------------------------------- format and ids


@pytest.mark.parametrize("name", SUITES)
def test_every_line_parses_in_the_design_format(name: str) -> None:
    path = SUITES_DIR / f"{name}.jsonl"
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        assert line.strip(), f"{path.name}:{number}: blank line"
        try:
            CaseSpec.model_validate(json.loads(line))
        except (ValueError, ValidationError) as exc:
            pytest.fail(f"{path.name}:{number}: {exc}")


def test_every_expected_and_setup_call_validates_in_canonical_form(suites) -> None:
    for case in itertools.chain.from_iterable(suites.values()):
        for call in [*case.answers, *(case.setup or [])]:
            # stored already normalised, so scoring compares like with like
            assert checked(call).arguments == call.arguments, case.id


def test_ids_are_unique_and_follow_each_suites_pattern(suites) -> None:
    seen: set[str] = set()
    for name, cases in suites.items():
        pattern = re.compile(SUITES[name][1])
        for case in cases:
            assert pattern.fullmatch(case.id), f"{name}: bad id {case.id!r}"
            assert case.id not in seen, f"duplicate id {case.id!r}"
            seen.add(case.id)


@pytest.mark.parametrize("name", SUITES)
def test_each_suite_meets_its_minimum_size(suites, name: str) -> None:
    assert len(suites[name]) >= SUITES[name][0]


def test_the_evaluation_loader_reads_every_suite_without_errors() -> None:
    if importlib.util.find_spec("evaluation.suites") is None:
        pytest.skip("evaluation.suites is not written yet")
    from evaluation.suites import load_suite

    for name in SUITES:
        suite = load_suite(SUITES_DIR / f"{name}.jsonl")
        assert not suite.errors, [str(e) for e in suite.errors]
        assert len(suite.cases) >= SUITES[name][0]


# --------------------------------------------------------------------------- seed suites


@pytest.mark.parametrize("name", SEED)
def test_seed_suites_hold_the_cookbook_prompts_and_names(suites, name: str) -> None:
    cases = suites[name]
    assert {c.prompt: c.expected[0].name for c in cases} == SEED[name]
    assert all(len(c.expected) == 1 and c.category == name for c in cases)


def test_seed_arguments_follow_the_design_rules(suites) -> None:
    by_prompt = {c.prompt: str(checked(c.expected[0])) for c in suites["straightforward"]}
    assert by_prompt["Land the drone at the home base"] == 'land_drone(location="home_base")'
    assert by_prompt["Can you take a photo?"] == 'control_camera(mode="photo")'
    assert by_prompt["Can you detect obstacles?"] == 'set_obstacle_avoidance(mode="on")'
    assert by_prompt["Can you follow me?"] == 'set_follow_me_mode(status="on")'
    assert by_prompt["I want the LED display to blink in red"] == (
        'configure_led_display(pattern="blink", color="red")'
    )


# --------------------------------------------------------------------------- coverage


def _parameters() -> dict[tuple[str, str], dict[str, Any]]:
    """(function, parameter) -> its JSON schema, for every catalogue parameter."""
    return {
        (name, param): spec
        for name in FUNCTION_NAMES
        for param, spec in parameters_schema(name).get("properties", {}).items()
    }


def _enum_values() -> dict[tuple[str, str], set[str]]:
    """(function, parameter) -> every enum value the catalogue allows."""
    return {key: set(spec["enum"]) for key, spec in _parameters().items() if "enum" in spec}


def _int_ranges() -> dict[tuple[str, str], tuple[int, int]]:
    """(function, parameter) -> (minimum, maximum) of every integer parameter."""
    return {
        key: (spec["minimum"], spec["maximum"])
        for key, spec in _parameters().items()
        if spec.get("type") == "integer"
    }


def _positive_calls(suites) -> list[ToolCall]:
    return [checked(c) for case in suites["positive"] for c in case.expected]


def test_positive_categories_are_function_names_and_cover_every_function(suites) -> None:
    for case in suites["positive"]:
        assert case.category == case.expected[0].name, case.id
        assert all(call.name != REJECT for call in case.expected), case.id
    covered = {case.category for case in suites["positive"]}
    assert covered == set(FUNCTION_NAMES) - {REJECT}


def test_all_sixteen_functions_are_expected_somewhere(suites) -> None:
    names = {c.name for case in itertools.chain(*suites.values()) for c in case.answers}
    assert names == set(FUNCTION_NAMES)


def test_positive_suite_uses_every_enum_value(suites) -> None:
    used: dict[tuple[str, str], set[str]] = {}
    for call in _positive_calls(suites):
        for param, value in call.arguments.items():
            if isinstance(value, str):
                used.setdefault((call.name, param), set()).add(value)
    for key, values in _enum_values().items():
        assert values <= used.get(key, set()), f"{key}: missing {values - used.get(key, set())}"


def test_positive_suite_reaches_both_ends_of_every_integer_range(suites) -> None:
    used: dict[tuple[str, str], set[int]] = {}
    for call in _positive_calls(suites):
        for param, value in call.arguments.items():
            if isinstance(value, int):
                used.setdefault((call.name, param), set()).add(value)
    for key, (low, high) in _int_ranges().items():
        assert {low, high} <= used.get(key, set()), f"{key}: needs {low} and {high}"


def test_positive_coordinates_include_negative_latitudes_and_longitudes(suites) -> None:
    for name in ("land_drone", "set_home_location"):
        calls = [c for c in _positive_calls(suites) if c.name == name]
        coords = [c.arguments["coordinates"] for c in calls if "coordinates" in c.arguments]
        assert any(c["latitude"] < 0 for c in coords), name
        assert any(c["longitude"] < 0 for c in coords), name


def test_positive_suite_exercises_the_conditional_rules(suites) -> None:
    calls = _positive_calls(suites)
    videos = [c for c in calls if c.name == "control_camera" and c.arguments["mode"] == "video"]
    assert videos and all("duration" in c.arguments for c in videos)
    rainbows = [c for c in calls if c.arguments.get("pattern") == "rainbow"]
    assert rainbows and all("color" not in c.arguments for c in rainbows)
    customs = [c for c in calls if c.arguments.get("location") == "custom"]
    assert customs and all("coordinates" in c.arguments for c in customs)


def test_reject_suite_expects_only_reject_request_in_every_category(suites) -> None:
    cases = suites["reject"]
    for case in cases:
        assert [(c.name, c.arguments) for c in case.expected] == [(REJECT, {})], case.id
        assert case.category in REJECT_CATEGORIES, case.id
    counts = {cat: sum(c.category == cat for c in cases) for cat in REJECT_CATEGORIES}
    assert all(n >= 10 for n in counts.values()), counts


# --------------------------------------------------------------------------- duplicates


def _normalise(prompt: str) -> str:
    words = re.findall(r"[a-z0-9]+", prompt.lower())
    return " ".join(re.sub(r"\d+", "#", w) for w in words)


def test_no_duplicate_or_near_duplicate_prompts_within_or_across_suites(suites) -> None:
    # A follow-up is read in its conversation: "do the opposite" after a move and after the
    # lights are different cases. Two conversations are compared with their earlier user
    # messages; a single command is compared with the other case's prompt alone.
    cases = list(itertools.chain(*suites.values()))
    prompt = {c.id: _normalise(c.prompt) for c in cases}
    talk = {
        c.id: _normalise(
            " ".join([*(m.content or "" for m in c.history if m.role == "user"), c.prompt])
        )
        for c in cases
        if c.history
    }
    copies = []
    for a, b in itertools.combinations([c.id for c in cases], 2):
        x, y = (talk[a], talk[b]) if a in talk and b in talk else (prompt[a], prompt[b])
        matcher = difflib.SequenceMatcher(None, x, y, autojunk=False)
        if matcher.real_quick_ratio() >= NEAR_DUPLICATE and matcher.ratio() >= NEAR_DUPLICATE:
            copies.append((a, b))
    assert not copies


def test_the_near_duplicate_check_catches_a_copy() -> None:
    a, b = _normalise("Take off to 50 metres!"), _normalise("take off to 70 metres")
    assert difflib.SequenceMatcher(None, a, b).ratio() >= NEAR_DUPLICATE


# --------------------------------------------------------------------------- multi-turn


def _history_calls(case: CaseSpec) -> list[ToolCall]:
    return [
        checked(
            CallSpec(name=t["function"]["name"], arguments=json.loads(t["function"]["arguments"]))
        )
        for m in case.history or []
        for t in m.tool_calls or []
    ]


def test_multiturn_history_is_valid_openai_chat(suites) -> None:
    for case in suites["multiturn"]:
        assert case.category == "multiturn" and case.history, case.id
        assert case.history[0].role == "user", case.id
        pending: set[str] = set()
        for message in case.history:
            if message.role == "assistant":
                assert message.tool_calls, case.id
                for tool_call in message.tool_calls:
                    assert tool_call["type"] == "function", case.id
                    assert isinstance(tool_call["function"]["arguments"], str), case.id
                    pending.add(tool_call["id"])
            elif message.role == "tool":
                assert message.tool_call_id in pending, case.id
                pending.discard(message.tool_call_id)
            else:
                assert not pending, f"{case.id}: a tool call is left unanswered"
        assert not pending, case.id
        assert _history_calls(case), case.id


def _accepted_history_calls(case: CaseSpec) -> list[ToolCall]:
    """The history's calls whose tool message says they were accepted (not denied, skipped)."""
    acks = {m.tool_call_id: m.content or "" for m in case.history or [] if m.role == "tool"}
    ids = [t["id"] for m in case.history or [] for t in m.tool_calls or []]
    return [
        call
        for call, call_id in zip(_history_calls(case), ids, strict=True)
        if acks.get(call_id, "").startswith("accepted")
    ]


def test_multiturn_setup_replays_the_accepted_history(suites) -> None:
    """The simulator starts where the conversation left the drone."""
    with_setup = 0
    for case in suites["multiturn"]:
        replay = [str(c) for c in _accepted_history_calls(case) if c.name != REJECT]
        setup = [str(checked(c)) for c in case.setup or []]
        assert setup[len(setup) - len(replay) :] == replay, case.id
        with_setup += bool(setup)
    assert with_setup >= 30


def test_multiturn_setup_and_expected_calls_are_accepted_by_the_simulator(suites) -> None:
    if importlib.util.find_spec("simulator.core") is None:
        pytest.skip("simulator/core.py is not written yet (the simulator helper is on it)")
    from simulator import core

    world = core.World()
    settle = getattr(core, "run_until_idle", lambda state, world: state)

    def status(ack: Any) -> str:
        value = getattr(ack, "status", ack)
        return str(getattr(value, "value", value)).lower()

    problems = []
    for case in suites["multiturn"]:
        state = core.start_state(world, airborne=False)
        for call in case.setup or []:
            state, ack = core.execute(state, checked(call), world)
            if status(ack) != "accepted":
                problems.append(f"{case.id}: setup {call.name}: {ack}")
            state = settle(state, world)
        options = [[checked(c) for c in plan] for plan in case.plans if plan[0].name != REJECT]
        runs = [core.run_plan(state, plan, world)[1] for plan in options]
        if options and not any(all(status(a) == "accepted" for a in acks) for acks in runs):
            problems.append(f"{case.id}: no expected plan is accepted: {runs}")
    assert not problems


# --------------------------------------------------------------------------- compound


def test_compound_plans_cover_the_catalogue_with_a_quarter_refused(suites) -> None:
    cases = suites["compound"]
    refused = [c for c in cases if [p[0].name for p in c.plans] == [REJECT]]
    assert len(refused) >= 0.25 * len(cases)
    for case in refused:
        assert case.plans == [[CallSpec(name=REJECT, arguments={})]], case.id
    for case in cases:
        if case not in refused:
            assert all(2 <= len(plan) <= 4 for plan in case.plans), case.id
    names = {c.name for case in cases for c in case.answers}
    assert names == set(FUNCTION_NAMES)


def test_compound_plans_are_accepted_step_by_step_by_the_simulator(suites) -> None:
    from simulator import core

    world, problems = core.World(), []
    for case in suites["compound"]:
        plans = [[checked(c) for c in plan] for plan in case.plans if plan[0].name != REJECT]
        if not plans:
            continue
        state, _ = core.run_plan(core.start_state(world), [checked(c) for c in case.setup or []])
        for plan in plans:
            after, acks = core.run_plan(state, plan, world)
            if not all(a.status == "accepted" for a in acks) or after.crashed:
                problems.append(f"{case.id}: {acks}")
    assert not problems
