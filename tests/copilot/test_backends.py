"""The registry, the replay backend, the OpenAI backend's configuration, and the call grammar."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from copilot import (
    FUNCTION_NAMES,
    Completion,
    ModelUnavailable,
    ReplayBackend,
    ToolCall,
    UnknownModel,
    get_backend,
    list_models,
    validate_call,
)
from copilot.backends.openai_compat import MISSING_KEY, OpenAIBackend, retry_after_seconds
from copilot.decoding.grammar import COMPLETE, DEAD, PARTIAL, CallGrammar, skeletons

USER = [{"role": "user", "content": "Take off to 50 m"}]


def test_unknown_model_lists_the_known_names():
    with pytest.raises(UnknownModel) as info:
        get_backend("gpt-17")
    message = str(info.value)
    assert "'gpt-17'" in message and "\n" not in message
    for name in ("local-base", "local-ft", "gpt-3.5-turbo", "gpt-4o-mini", "ft:", "replay:"):
        assert name in message


def test_local_ft_without_adapter_names_the_path_and_the_command(tmp_path: Path):
    with pytest.raises(ModelUnavailable) as info:
        get_backend("local-ft", adapter=tmp_path / "nowhere")
    message = str(info.value)
    assert str(tmp_path / "nowhere" / "adapter_config.json") in message
    assert "python -m finetune train" in message and "\n" not in message


def test_list_models_names_every_registry_entry():
    names = [m.name for m in list_models()]
    assert names == ["local-base", "local-ft", "gpt-3.5-turbo", "gpt-4o-mini"]


def test_openai_names_need_a_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    for name in ("gpt-4o-mini", "gpt-3.5-turbo", "ft:gpt-4o-mini-2024-07-18:org::abc"):
        with pytest.raises(ModelUnavailable, match="set OPENAI_API_KEY"):
            get_backend(name)
    assert "local-ft" in MISSING_KEY


def test_any_name_with_a_base_url_is_an_openai_compatible_backend(monkeypatch, tmp_path):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    backend = get_backend("qwen2.5:0.5b", base_url="http://127.0.0.1:11434/v1")
    assert isinstance(backend, OpenAIBackend)
    assert backend.settings == {
        "temperature": 0.0,
        "seed": 42,
        "tool_choice": "required",
        "max_tokens": 500,
    }
    assert "11434" in backend.identity
    # a local name with a base URL is that server's model (copilot.serve serves it by that name)
    served = get_backend("local-ft", base_url="http://127.0.0.1:8000/v1")
    assert isinstance(served, OpenAIBackend) and "8000" in served.identity


def test_key_from_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("OPENAI_API_KEY=sk-from-dotenv\n")
    backend = get_backend("gpt-4o-mini")
    assert backend.client.api_key == "sk-from-dotenv"
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


def test_retry_after_headers_are_read():
    class Response:
        def __init__(self, headers):
            self.headers = headers

    class Exc(Exception):
        def __init__(self, headers):
            self.response = Response(headers)

    assert retry_after_seconds(Exc({"retry-after": "2"})) == 2.0
    assert retry_after_seconds(Exc({"retry-after-ms": "250"})) == 0.25
    assert retry_after_seconds(Exc({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})) is None
    assert retry_after_seconds(Exc({"retry-after": "100000"})) == 60.0  # capped
    assert retry_after_seconds(ValueError()) is None


# --------------------------------------------------------------------------- replay


def _recording(tmp_path: Path, records: list[dict]) -> Path:
    path = tmp_path / "rec.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    return path


def test_replay_answers_each_prompt_with_its_recorded_output(tmp_path: Path):
    tool_calls = [{"function": {"name": "set_drone_speed", "arguments": '{"speed": 15}'}}]
    path = _recording(
        tmp_path,
        [
            {"prompt": "Take off to 50 m", "output": "takeoff_drone(altitude=50)", "latency_ms": 7},
            {"prompt": "speed 15", "output": tool_calls},
            {"prompt": "too fast", "output": "set_drone_speed(speed=500)"},
            {"prompt": "garbage", "output": "I am a teapot"},
        ],
    )
    backend = get_backend(f"replay:{path}")
    assert isinstance(backend, ReplayBackend) and len(backend) == 4
    done = backend.complete(USER)
    assert done.calls == [ToolCall("takeoff_drone", {"altitude": 50})] and done.latency_ms == 7
    assert backend.complete([{"role": "user", "content": "speed 15"}]).calls[0].arguments == {
        "speed": 15
    }
    bad = backend.complete([{"role": "user", "content": "too fast"}])
    assert bad.calls == [] and "between 0 and 100" in bad.error
    assert "no tool call" in backend.complete([{"role": "user", "content": "garbage"}]).error
    assert "no recorded output" in backend.complete([{"role": "user", "content": "?"}]).error
    assert backend.identity.startswith("replay:rec.jsonl@")


def test_replay_rejects_a_broken_recording_with_its_line_number(tmp_path: Path):
    path = tmp_path / "broken.jsonl"
    path.write_text('{"prompt": "a", "output": "reject_request()"}\n{not json\n')
    with pytest.raises(ModelUnavailable, match=r"broken.jsonl:2: not JSON"):
        ReplayBackend(path)
    path.write_text('{"prompt": "a"}\n')
    with pytest.raises(ModelUnavailable, match="needs 'prompt' and 'output'"):
        ReplayBackend(path)
    with pytest.raises(ModelUnavailable, match="not readable"):
        ReplayBackend(tmp_path / "missing.jsonl")


# --------------------------------------------------------------------------- grammar


def test_the_grammar_covers_every_function():
    assert {s[0].split("(")[0] for s in skeletons()} == set(FUNCTION_NAMES)


VALID = [
    ("takeoff_drone", {"altitude": 120}),
    ("takeoff_drone", {"altitude": 1}),
    (
        "land_drone",
        {"location": "custom", "coordinates": {"latitude": -33.8688, "longitude": 151.2}},
    ),
    ("control_camera", {"mode": "video", "duration": 600}),
    ("control_camera", {"mode": "panorama"}),
    ("control_gimbal", {"tilt": -90, "pan": 180}),
    ("configure_led_display", {"pattern": "rainbow"}),
    ("configure_led_display", {"pattern": "solid", "color": "white"}),
    ("set_drone_speed", {"speed": 0}),
    ("set_home_location", {"coordinates": {"latitude": 90.0, "longitude": -180.0}}),
    ("reject_request", {}),
]


@pytest.mark.parametrize(("name", "arguments"), VALID)
def test_every_valid_call_is_complete_and_every_prefix_partial(name, arguments):
    call = validate_call(name, arguments)
    assert isinstance(call, ToolCall)
    grammar, text = CallGrammar(), str(call)
    assert grammar.status(text) == COMPLETE
    assert all(grammar.status(text[:i]) == PARTIAL for i in range(len(text)))
    assert Completion.from_output(text).calls == [call]


@pytest.mark.parametrize(
    "text",
    [
        "takeoff_drone(altitude=121)",
        "takeoff_drone(altitude=0",
        "takeoff_drone(altitude=05",
        "set_drone_speed(speed=-",
        'control_camera(mode="photo", duration=5)',
        'control_camera(mode="video")',
        'configure_led_display(pattern="rainbow", color="red")',
        'configure_led_display(pattern="blink")',
        'land_drone(location="custom")',
        'set_home_location(coordinates={"latitude": 90.5',
        "fly_to_moon(",
        'set_autopilot(status="maybe")',
    ],
)
def test_invalid_calls_are_dead_ends(text):
    assert CallGrammar().status(text) == DEAD


def test_forced_text_runs_to_the_next_choice():
    grammar = CallGrammar()
    assert grammar.forced("take") == "off_drone(altitude="
    assert grammar.forced('control_camera(mode="video"') == ", duration="
    assert grammar.forced("control_") == ""  # drone_movement, camera or gimbal
    assert grammar.forced("takeoff_drone(altitude=12") == ""  # a digit or ")"


@pytest.mark.parametrize(
    "text",
    [
        "control_gimbal(tilt=-120,",  # tilt is -90..30
        "set_drone_speed(speed=-",  # speed is 0..100
        "takeoff_drone(altitude=121)",
        "takeoff_drone(altitude=0)",  # well-formed and closed, but below the minimum
        'land_drone(location="custom", coordinates={"latitude": 91.5',  # decimals: digit by digit
        'control_camera(mode="video", duration=15*60',  # 900 s or more, the maximum is 600
        "set_drone_speed(speed=80*2)",
    ],
)
def test_numbers_out_of_range_are_told_apart_from_malformed_text(text):
    grammar = CallGrammar()
    assert grammar.status(text) == DEAD
    assert grammar.out_of_range(text)


@pytest.mark.parametrize(
    "text",
    [
        "control_gimbal(tilt=-12",  # still valid
        "control_gimbal(tilt=x",  # malformed, not a number problem
        'set_autopilot(status="maybe"',  # an enum miss
        "takeoff_drone(altitude=12)",  # complete and valid
        "takeoff_drone(altitude=1.5)",  # an integer parameter given a decimal
        "takeoff_drone(altitude=121",  # 121/2 would still do
        "set_drone_speed(speed=15/2)",  # 7.5 is not an integer: malformed, not out of range
    ],
)
def test_valid_or_malformed_text_is_not_out_of_range(text):
    assert not CallGrammar().out_of_range(text)


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ('control_camera(mode="video", duration=10*60)', COMPLETE),  # 600 s
        ("set_drone_speed(speed=80/2)", COMPLETE),
        ('control_drone_movement(direction="up", distance=80-30)', COMPLETE),
        ("takeoff_drone(altitude=150/2)", COMPLETE),  # a number past the range may come back
        ("takeoff_drone(altitude=10*", PARTIAL),
        ("takeoff_drone(altitude=10*0", DEAD),  # the right-hand side is a whole number from 1
        ("takeoff_drone(altitude=10*1.5", DEAD),
        ("takeoff_drone(altitude=10*2*", DEAD),  # one operation only
        ("takeoff_drone(altitude=500000", PARTIAL),  # 500000/9999 is 50
        ("takeoff_drone(altitude=5000000", DEAD),  # nothing brings it back to 120
        ('control_camera(mode="video", duration=15*6', PARTIAL),  # 90
        ('control_camera(mode="video", duration=15*60', DEAD),  # 900, 9000, ...: all past 600
        ("set_drone_speed(speed=35+5)", COMPLETE),  # "5 more" after 35 km/h
        ("takeoff_drone(altitude=10+", PARTIAL),
        ("set_drone_speed(speed=95+6", DEAD),  # 101 and up: past 100
        ('set_home_location(coordinates={"latitude": 10*2', DEAD),  # decimals are said as is
    ],
)
def test_an_integer_may_be_written_as_one_operation(text, status):
    assert CallGrammar().status(text) == status


@pytest.mark.parametrize(
    ("left", "lo", "hi"), [("-120", -90, 30), ("7.5", -90, 30), ("600", 1, 120)]
)
def test_an_open_operation_always_has_a_valid_completion(left, lo, hi):
    # The shipped adapter, with the range check off, wrote `tilt=-120/1000` and stopped there:
    # -120/1000 lies in the range as a number, but no whole number of that form is an integer.
    from copilot.decoding.grammar import OPERATORS, Slot

    slot = Slot("int", lo, hi)
    for operator in OPERATORS:
        finished = [str(d) for d in range(1, 10000) if slot.complete(f"{left}{operator}{d}")]
        for n in range(1, 10000):
            for right in {str(n), str(n)[:-1]}:
                text = f"{left}{operator}{right}"
                assert slot.prefix(text) == any(f.startswith(right) for f in finished), text


def test_several_calls_only_when_allowed():
    two = "return_to_home()\ncalibrate_sensors()"
    assert CallGrammar(max_calls=2).status(two) == COMPLETE
    assert CallGrammar(max_calls=1).status(two) == DEAD
    assert CallGrammar(max_calls=1, lead_space=True).status(" reject_request()") == COMPLETE


def test_next_chars_are_exactly_the_live_continuations():
    grammar = CallGrammar()
    assert grammar.next_chars("takeoff_drone(altitude=12") == frozenset("0123456789)*/+-")
    assert grammar.next_chars("takeoff_drone(altitude=") == frozenset("123456789")
    assert grammar.next_chars("set_") == frozenset("dbofah")  # drone, battery, obstacle, ...
