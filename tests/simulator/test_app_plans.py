"""Plans in the app, headless on a real pygame surface: step by step in real time, the checklist's
pixels, the cancel key, bad plans, plans from a model, compare mode and `--script` plan lines."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import pygame

from simulator.__main__ import main
from simulator.app import PLAN_KEY_HINT, PLAN_PLACEHOLDER, App
from simulator.core import observation
from simulator.render import checklist
from simulator.render import theme as th
from simulator.script import parse_line

PLAN_3 = (
    "takeoff_drone(altitude=30); "
    "control_drone_movement(direction='forward', distance=50); "
    "configure_led_display(pattern='solid', color='green')"
)
FORWARD_30 = "control_drone_movement(direction='forward', distance=30)"
ROOT = Path(__file__).resolve().parents[2]


def _count(surface: pygame.Surface, color: tuple[int, int, int], tol: int = 6) -> int:
    px = pygame.surfarray.array3d(surface).astype(int)
    return int((abs(px - color) <= tol).all(axis=2).sum())


def _run(app: App, seconds: float, dt: float = 1 / 30) -> list:
    """Fly `seconds` of frames as the window does; returns the first drone's state each frame."""
    states = []
    for _ in range(round(seconds / dt)):
        app.update(dt)
        states.append(app.pilots[0].state)
    return states


def _texts(app: App) -> list[str]:
    return [line.text for line in app.log]


@pytest.fixture
def app(tmp_path: Path) -> App:
    return App(["local-ft"], window=False, captures=tmp_path / "captures")


def test_a_typed_plan_climbs_before_it_flies_forward(app: App) -> None:
    app.submit(PLAN_3)
    mission = app.pilots[0].mission
    assert mission is not None and mission.active == 0  # step 1 started at once
    assert [a and a.status for a in mission.acks] == ["accepted", None, None]
    states = _run(app, 20.0)
    moved = [s for s in states if s.y > 0.01]
    assert moved and all(s.altitude >= 30 - 1e-6 for s in moved)  # 30 m reached first
    assert any(0 < s.altitude < 30 for s in states)  # and the climb was flown, not jumped
    assert [a and a.status for a in mission.acks] == ["accepted"] * 3
    state = app.pilots[0].state
    assert (round(state.altitude), round(state.y), state.led_color) == (30, 50, "green")
    assert app.idle and not mission.flying
    assert "1/3 takeoff_drone(altitude=30)" in _texts(app)


def test_a_denied_step_skips_the_rest_in_the_log(app: App) -> None:
    app.submit("control_drone_movement(direction='up', distance=10); control_camera(mode='photo')")
    assert [(line.kind, line.text) for line in app.log[-3:]] == [
        ("denied", "denied: not airborne: take off before moving"),
        ("call", '2/2 control_camera(mode="photo")'),
        ("skipped", "skipped: step 1 was denied (not airborne: take off before moving)"),
    ]
    assert app.pilots[0].state.photos_taken == 0 and app.idle


@pytest.mark.parametrize(
    ("plan", "words"),
    [
        ("; ".join(["set_drone_speed(speed=10)"] * 5), "at most 4 calls; this one has 5"),
        ("takeoff_drone(altitude=30); reject_request()", "reject_request must stand alone"),
        ("takeoff_drone(altitude=30); fly_sideways(distance=5)", "step 2 is invalid"),
        ("takeoff_drone(altitude=30); set_drone_speed(speed=500)", "step 2 is invalid"),
    ],
)
def test_a_bad_plan_is_one_log_line_and_runs_nothing(tmp_path: Path, plan: str, words: str) -> None:
    app = App(["a", "b"], compare=True, window=False, captures=tmp_path)
    before = [observation(p.state) for p in app.pilots]
    app.submit(plan)
    assert len(app.log) == 1  # one line for both drones
    assert app.log[0].kind == "failed" and app.log[0].text.startswith("plan not run: ")
    assert words in app.log[0].text
    assert [observation(p.state) for p in app.pilots] == before
    app.submit("takeoff_drone(altitude=10)")  # and the app keeps going
    assert all(p.state.plan for p in app.pilots)


def test_the_checklist_is_drawn_with_the_running_step_highlighted(app: App, tmp_path: Path) -> None:
    region = pygame.Rect(12, 440, 420, 240)  # the map's lower left, where the checklist sits
    plain = pygame.surfarray.array3d(app.frame().subsurface(region)).copy()
    assert _count(app.frame().subsurface(region), checklist.HIGHLIGHT) == 0
    app.submit(PLAN_3)
    _run(app, 10.0)  # the climb is over: step 2 is flying
    assert app.pilots[0].mission.active == 1
    frame = app.frame()
    pygame.image.save(frame, str(tmp_path / "plan_running.png"))
    shown = frame.subsurface(region)
    assert (pygame.surfarray.array3d(shown) != plain).any(axis=2).sum() > 20_000
    assert _count(shown, checklist.HIGHLIGHT) > 3_000  # the running row's band
    assert _count(shown, th.GOOD, 10) > 30  # step 1's "accepted", in the log's green
    assert _count(shown, th.ACCENT, 10) > 30  # the running step's marker and bar
    _run(app, 20.0)
    done = app.frame()
    pygame.image.save(done, str(tmp_path / "plan_done.png"))
    shown = done.subsurface(region)
    assert _count(shown, checklist.HIGHLIGHT) == 0  # nothing running any more
    assert _count(shown, th.GOOD, 10) > 100  # three ticks and the "done" line


def test_space_on_an_empty_line_cancels_the_steps_not_started(app: App) -> None:
    def key(k: int) -> None:
        assert app.handle(pygame.event.Event(pygame.KEYDOWN, key=k, mod=0)) is True

    app.submit(PLAN_3)
    key(pygame.K_SPACE)
    app.handle(pygame.event.Event(pygame.TEXTINPUT, text=" "))  # the space types nothing
    assert app.input_text == ""
    mission = app.pilots[0].mission
    assert [str(a) for a in mission.acks[1:]] == ["skipped: cancelled"] * 2
    assert "plan cancelled: 2 steps skipped" in _texts(app)
    assert _texts(app).count("skipped: cancelled") == 2
    _run(app, 15.0)
    state = app.pilots[0].state
    assert round(state.altitude) == 30 and state.y == 0 and state.led_pattern == "off"
    key(pygame.K_SPACE)  # nothing left: the log says so
    assert app.log[-1].text == "no plan running: nothing to cancel"


def test_space_inside_a_command_types_and_cancels_nothing(app: App) -> None:
    app.submit(PLAN_3)
    app.input_text = "take"
    app.handle(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_SPACE, mod=0))
    app.handle(pygame.event.Event(pygame.TEXTINPUT, text=" "))
    assert app.input_text == "take " and app.pilots[0].plan_pending


def test_the_event_loop_cancels_on_space_and_shows_the_key_hint(tmp_path: Path) -> None:
    app = App(["local-ft"], window=True, captures=tmp_path)
    assert "Space" not in app.view().hint
    app.submit(PLAN_3)
    view = app.view()  # while a plan has steps left, the hints say how to cancel them
    assert PLAN_KEY_HINT in view.hint and view.placeholder == PLAN_PLACEHOLDER
    for event in (
        pygame.event.Event(pygame.KEYDOWN, key=pygame.K_SPACE, mod=0),
        pygame.event.Event(pygame.TEXTINPUT, text=" "),
        pygame.event.Event(pygame.QUIT),
    ):
        pygame.event.post(event)
    assert app.run() == 0
    assert not app.pilots[0].plan_pending and app.input_text == ""
    assert app.pilots[0].mission.cancelled


def test_commands_wait_while_a_plan_is_running(app: App) -> None:
    app.submit(PLAN_3)
    app.submit("set_drone_speed(speed=10)")
    assert (
        app.log[-1].kind == "error" and "a plan is still running (step 1 of 3)" in app.log[-1].text
    )
    assert app.pilots[0].state.speed_kmh != 10
    _run(app, 25.0)
    app.submit("set_drone_speed(speed=10)")  # once it is flown, commands run again
    assert app.pilots[0].state.speed_kmh == 10


def _replay(path: Path, answers: dict[str, str]) -> str:
    path.write_text(
        "".join(json.dumps({"prompt": p, "output": o}) + "\n" for p, o in answers.items()),
        encoding="utf-8",
    )
    return f"replay:{path}"


def test_a_model_plan_runs_step_by_step_and_joins_the_history(tmp_path: Path) -> None:
    model = _replay(
        tmp_path / "answers.jsonl",
        {
            "take off to 30 m and blink red": (
                'takeoff_drone(altitude=30)\nconfigure_led_display(pattern="blink", color="red")'
            ),
            "five things": "\n".join(["set_drone_speed(speed=10)"] * 5),
        },
    )
    app = App([model], window=False, captures=tmp_path)
    app.submit("take off to 30 m and blink red", wait=True)
    pilot = app.pilots[0]
    assert pilot.mission is not None and pilot.mission.active == 0
    assert pilot.state.led_pattern == "off"  # step 2 waits for the climb
    _run(app, 10.0)
    assert pilot.state.led_pattern == "blink" and app.idle
    messages = pilot._conversation().messages_for("next")
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "tool", "tool", "user"]
    assert len(messages[2]["tool_calls"]) == 2
    app.submit("five things", wait=True)  # a malformed plan from the model: one line, no step
    assert app.log[-1].kind == "error" and "at most 4 calls" in app.log[-1].text
    assert pilot.state.speed_kmh != 10


def test_compare_mode_runs_each_drones_plan_on_its_own(tmp_path: Path) -> None:
    command, up, go = "climb and go", "takeoff_drone(altitude=20)", FORWARD_30
    good = _replay(tmp_path / "good.jsonl", {command: f"{up}\n{go}"})
    bad = _replay(tmp_path / "bad.jsonl", {command: f"{go}\n{up}"})  # forward on the ground
    app = App([bad, good], compare=True, window=False, captures=tmp_path)
    app.submit(command, wait=True)
    left, right = (p.mission for p in app.pilots)
    assert [a.status for a in left.acks] == ["denied", "skipped"]  # its own abort
    assert right.active == 0 and right.pending  # the other drone flies on
    frame = app.frame()  # each pane draws its own checklist at its map's top left
    left_list, right_list = (
        frame.subsurface((0, 44, 420, 140)),
        frame.subsurface((640, 44, 420, 140)),
    )
    assert _count(left_list, th.WARN, 10) > 30 and _count(left_list, checklist.HIGHLIGHT) == 0
    assert _count(right_list, checklist.HIGHLIGHT) > 3_000
    app.handle(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_SPACE, mod=0))
    assert [a.status for a in right.acks] == ["accepted", "skipped"]
    assert left.acks[1].reason.startswith("step 1 was denied")  # not cancelled: its own abort
    assert [line.tag for line in app.log if line.text == "skipped: cancelled"] == [good]


def test_script_plan_lines(tmp_path: Path, capsys) -> None:
    line = parse_line(
        'takeoff_drone(altitude=30); {"name": "control_camera", "arguments": {"mode": "photo"}}'
    )
    assert line is not None and line.kind == "plan" and len(line.value) == 2
    assert parse_line("take off; then land").kind == "text"  # plain words go to the model
    script = tmp_path / "plan.txt"
    script.write_text(
        "set_obstacle_avoidance(mode='on')\n"
        "takeoff_drone(altitude=20); control_drone_movement(direction='right', distance=30); "
        "configure_led_display(pattern='solid', color='blue')\n"
        "takeoff_drone(altitude=30); reject_request()\n",
        encoding="utf-8",
    )
    shot = tmp_path / "shot.png"
    code = main(["--headless", "--script", str(script), "--screenshot", str(shot),
                 "--captures", str(tmp_path / "cap")])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 1  # the last line's plan is refused whole: a failed step
    assert "3/3 configure_led_display" in out and "plan not run: reject_request" in out
    image = pygame.image.load(str(shot))
    assert image.get_size() == (1280, 720)
    assert _count(image.subsurface((12, 440, 420, 240)), th.GOOD, 10) > 100  # the ticks


def test_the_readme_plan_script_flies_headless(tmp_path: Path, capsys) -> None:
    shot = tmp_path / "plan.png"
    script = ROOT / "simulator" / "scripts" / "readme_plan.txt"
    code = main(["--headless", "--script", str(script), "--screenshot", str(shot),
                 "--captures", str(tmp_path / "cap")])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0 and out.count("✓ accepted") >= 5 and "3/3" in out
    assert pygame.image.load(str(shot)).get_size() == (1280, 720)


def test_help_names_the_cancel_key_and_plan_lines(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "Space on an empty command" in out and "readme_plan.txt" in out
