"""The state line: the drone's state as the chat so far left it, rendered for adapters that read it."""

from __future__ import annotations

import json

from copilot import PROMPT_FILE, LocalBackend, prompt_options, render_ft_prompt, state_line


def _turn(command: str, *calls: tuple[str, dict], acks: tuple[str, ...] = ()) -> list[dict]:
    """One exchange as the session writes it: user, assistant calls, a tool ack per call."""
    ids = [f"call_{i}" for i in range(len(calls))]  # the same ids every turn, as clients do
    items = [
        {"id": i, "type": "function", "function": {"name": n, "arguments": json.dumps(a)}}
        for i, (n, a) in zip(ids, calls, strict=True)
    ]
    answers = acks or ("accepted",) * len(calls)
    return [
        {"role": "user", "content": command},
        {"role": "assistant", "content": None, "tool_calls": items},
        *(
            {"role": "tool", "tool_call_id": i, "content": a}
            for i, a in zip(ids, answers, strict=True)
        ),
    ]


def test_a_chat_without_calls_has_no_line_so_a_single_command_reads_as_before():
    assert state_line([{"role": "user", "content": "take off"}]) == ""
    messages = [{"role": "user", "content": "take off to 30 m"}]
    assert render_ft_prompt(messages, state_line(messages)) == render_ft_prompt(messages)


def test_each_value_shows_the_one_before_it_so_undo_is_a_copy():
    chat = [
        *_turn("take off to 30", ("takeoff_drone", {"altitude": 30})),
        *_turn("speed 25", ("set_drone_speed", {"speed": 25})),
        *_turn(
            "up 20 and speed 40",
            ("control_drone_movement", {"direction": "up", "distance": 20}),
            ("set_drone_speed", {"speed": 40}),
        ),
        *_turn("gimbal down 30", ("control_gimbal", {"tilt": -30, "pan": 0})),
        *_turn("leds pulse red", ("configure_led_display", {"pattern": "pulse", "color": "red"})),
        *_turn("rainbow", ("configure_led_display", {"pattern": "rainbow"})),
        *_turn("follow me", ("set_follow_me_mode", {"status": "on"})),
    ]
    assert state_line(chat) == (
        "drone: flying at 50 m (was 30 m), speed 40 km/h (was 25 km/h), gimbal tilt -30 pan 0, "
        "leds rainbow (was pulse red), follow-me on"
    )


def test_a_denied_or_skipped_call_changed_nothing():
    chat = [
        *_turn("speed 20", ("set_drone_speed", {"speed": 20})),
        *_turn(
            "up 10 then speed 60",
            ("control_drone_movement", {"direction": "up", "distance": 10}),
            ("set_drone_speed", {"speed": 60}),
            acks=("denied: not airborne: take off before moving", "skipped: step 1 was denied"),
        ),
    ]
    assert state_line(chat) == "drone: speed 20 km/h"


def test_a_call_without_an_ack_counts_as_run_and_landing_is_said():
    chat = [
        {"role": "user", "content": "take off to 20"},
        _turn("", ("takeoff_drone", {"altitude": 20}))[1],
        *_turn("land here", ("land_drone", {"location": "current"})),
    ]
    assert state_line(chat) == "drone: landed"


def test_the_line_opens_the_last_user_turn_only():
    chat = [
        *_turn("speed 35", ("set_drone_speed", {"speed": 35})),
        {"role": "user", "content": "5 more"},
    ]
    prompt = render_ft_prompt(chat, state_line(chat))
    assert prompt.endswith(
        "<start_of_turn>user\ndrone: speed 35 km/h\n5 more<end_of_turn>\n<start_of_turn>model\n"
    )
    assert prompt.startswith("<start_of_turn>user\nspeed 35<end_of_turn>")


def test_an_adapter_reads_the_line_only_when_its_trainer_said_so(tmp_path):
    assert prompt_options(None) == {"state_line": False}
    assert prompt_options(tmp_path) == {"state_line": False}  # adapters made before the line
    (tmp_path / PROMPT_FILE).write_text('{"state_line": true}\n')
    assert prompt_options(tmp_path) == {"state_line": True}
    chat = [
        *_turn("speed 35", ("set_drone_speed", {"speed": 35})),
        {"role": "user", "content": "5 more"},
    ]
    reads = LocalBackend(adapter=tmp_path)  # nothing loads until the first request
    plain = LocalBackend(adapter=tmp_path.parent)
    assert "drone: speed 35 km/h\n5 more" in reads.render(chat)
    assert "drone:" not in plain.render(chat)
    assert LocalBackend(style="base", adapter=tmp_path).render(chat).count("drone:") == 0
    assert reads.identity != LocalBackend(adapter=tmp_path.parent).identity
