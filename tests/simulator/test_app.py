"""The app headless, on a real pygame surface under SDL_VIDEODRIVER=dummy: scripts, pixels, models."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import pygame

from simulator.__main__ import main
from simulator.app import App
from simulator.core import DroneSim, observation

BLUE = (10, 132, 255)  # the LED ring's blue: no other part of the screen uses it


def _count(surface: pygame.Surface, color: tuple[int, int, int], tol: int = 30) -> int:
    px = pygame.surfarray.array3d(surface).astype(int)
    close = (abs(px - color) <= tol).all(axis=2)
    return int(close.sum())


def _settle(app: App, seconds: float = 15.0) -> None:
    deadline = time.perf_counter() + seconds
    while not app.idle and time.perf_counter() < deadline:
        app.update(0.1)
        time.sleep(0.001)


@pytest.fixture
def app(tmp_path: Path) -> App:
    return App(["local-ft"], window=False, captures=tmp_path / "captures")


def test_led_ring_pixels_show_the_configured_colour(app: App) -> None:
    assert _count(app.frame(), BLUE) == 0
    app.run_call("configure_led_display(pattern='solid', color='blue')")
    lit = _count(app.frame(), BLUE)
    assert lit > 200  # the HUD ring and the drone's ring, in blue
    # The HUD ring sits in the lower right of the instrument panel.
    hud = app.frame().subsurface(pygame.Rect(1100, 340, 180, 100))
    assert _count(hud, BLUE) > 50


def test_blink_pattern_animates(app: App) -> None:
    app.run_call("configure_led_display(pattern='blink', color='blue')")
    counts = set()
    for _ in range(12):
        app.update(0.1)
        counts.add(_count(app.frame(), BLUE) > 100)
    assert counts == {True, False}


def test_denied_call_shows_its_reason_and_changes_nothing(app: App) -> None:
    before = observation(app.pilots[0].state)
    app.run_call("control_drone_movement(direction='forward', distance=10)")
    assert observation(app.pilots[0].state) == before
    assert app.log[-1].kind == "denied" and "not airborne" in app.log[-1].text


def test_photo_is_saved_as_a_png(app: App, tmp_path: Path) -> None:
    app.run_call("control_camera(mode='photo')")
    photos = list((tmp_path / "captures").glob("photo-001-*.png"))
    assert len(photos) == 1
    assert pygame.image.load(str(photos[0])).get_size() == (640, 480)


def test_headless_script_run(tmp_path: Path, capsys) -> None:
    script = tmp_path / "flight.txt"
    script.write_text(
        "# a short flight\n"
        "takeoff_drone(altitude=20)\n"
        '{"name": "control_drone_movement", "arguments": {"direction": "right", "distance": 20}}\n'
        "control_camera(mode='video', duration=2)\n"
        "set_drone_speed(speed=500)\n"
        "configure_led_display(pattern='solid', color='blue')\n",
        encoding="utf-8",
    )
    frames, shot = tmp_path / "frames", tmp_path / "shot.png"
    code = main(
        ["--headless", "--script", str(script), "--frames", str(frames), "--fps", "2",
         "--screenshot", str(shot), "--captures", str(tmp_path / "cap")]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 1  # one step failed: the script says so in its exit code
    assert "speed must be between 0 and 100" in out  # the invalid call failed, in the log
    assert len(list(frames.glob("frame-*.png"))) >= 10
    image = pygame.image.load(str(shot))
    assert image.get_size() == (1280, 720) and _count(image, BLUE) > 200
    assert list((tmp_path / "cap").glob("video-001/frame-*.png"))


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, "script not found"),
        ("{not json\n", "not valid JSON"),
        ("# only a comment\n", "no commands"),
    ],
)
def test_bad_scripts_exit_with_one_line(tmp_path: Path, capsys, content, words) -> None:
    script = tmp_path / "bad.txt"
    if content is not None:
        script.write_text(content, encoding="utf-8")
    assert main(["--headless", "--script", str(script)]) == 2
    captured = capsys.readouterr()
    err = captured.out + captured.err
    assert words in err and "Traceback" not in err


def test_typed_command_goes_to_the_model_in_the_background(tmp_path: Path) -> None:
    replay = tmp_path / "answers.jsonl"
    replay.write_text(
        json.dumps({"prompt": "take off to 30 m", "output": "takeoff_drone(altitude=30)"}) + "\n",
        encoding="utf-8",
    )
    app = App([f"replay:{replay}"], window=False, captures=tmp_path)
    app.submit("take off to 30 m")
    _settle(app)
    state = app.pilots[0].state
    assert state.flying and round(state.altitude) == 30
    kinds = [line.kind for line in app.log]
    assert kinds[:3] == ["user", "call", "accepted"]
    assert "ms" in app.pilots[0].status
    # The next command reaches the model with this turn and its ack in the history.
    messages = app.pilots[0]._conversation().messages_for("now land")
    roles = [m["role"] for m in messages]
    assert roles == ["system", "user", "assistant", "tool", "user"]
    assert "accepted" in messages[3]["content"]


def test_backend_errors_are_logged_and_the_app_keeps_flying(tmp_path: Path) -> None:
    app = App(
        [f"replay:{tmp_path / 'missing.jsonl'}", "no-such-model"], window=False, captures=tmp_path
    )
    app.submit("take off to 30 m")
    _settle(app)
    assert app.log[-1].kind == "error" and "replay file not readable" in app.log[-1].text
    app.switch_model()
    app.submit("take off to 30 m")
    _settle(app)
    assert app.log[-1].kind == "error" and "unknown model" in app.log[-1].text
    app.submit("takeoff_drone(altitude=10)")  # tool calls still fly without a model
    _settle(app)
    assert app.pilots[0].state.flying
    app.frame()  # and it still draws


def test_compare_mode_sends_each_command_to_both_drones(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.jsonl", tmp_path / "bad.jsonl"
    good.write_text(
        json.dumps({"prompt": "take off", "output": "takeoff_drone(altitude=25)"}) + "\n"
    )
    bad.write_text(json.dumps({"prompt": "take off", "output": "reject_request()"}) + "\n")
    app = App([f"replay:{bad}", f"replay:{good}"], compare=True, window=False, captures=tmp_path)
    app.submit("take off")
    _settle(app)
    assert [p.state.flying for p in app.pilots] == [False, True]
    frame = app.frame()  # split screen: the right header says HOVERING (green), the left LANDED
    green = (63, 185, 80)
    left, right = frame.subsurface((0, 0, 640, 44)), frame.subsurface((640, 0, 640, 44))
    assert _count(left, green, 10) == 0 and _count(right, green, 10) > 100


def test_closing_the_window_quits(app: App) -> None:
    assert app.handle(pygame.event.Event(pygame.QUIT)) is False
    assert app.handle(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_ESCAPE, mod=0)) is False


def test_drone_sim_gymnasium_api() -> None:
    sim = DroneSim(render_mode="rgb_array", seed=3)
    obs, info = sim.reset(seed=3)
    assert obs["flying"] is False and info["idle"]
    obs, ack, done, info = sim.step({"name": "takeoff_drone", "arguments": {"altitude": 15}})
    assert ack.status == "accepted" and not done and not info["idle"]
    assert sim.run_until_idle()["altitude"] == 15
    frame = sim.render()
    assert frame.shape == (720, 1280, 3)
    sim.close()
    with pytest.raises(ValueError):
        DroneSim(render_mode="vr")


def test_help_has_examples(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    assert "--compare local-base,local-ft" in capsys.readouterr().out


def test_interactive_loop_types_flies_and_quits(tmp_path: Path) -> None:
    """The real event loop (window under the dummy driver): typed keys, Enter, then closing."""
    app = App(["local-ft"], window=True, captures=tmp_path)
    for ch in "takeoff_drone(altitude=12)":
        pygame.event.post(pygame.event.Event(pygame.TEXTINPUT, text=ch))
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RETURN, mod=0))
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    assert app.run() == 0
    assert app.pilots[0].state.flying and app.log[-1].kind == "accepted"


def test_log_scrolls_back_and_returns_to_the_newest(app: App) -> None:
    for i in range(30):
        app.run_call(f"set_drone_speed(speed={i})")
    newest = pygame.surfarray.array3d(app.frame()).copy()
    app.log_scroll = 12
    assert (pygame.surfarray.array3d(app.frame()) != newest).any()  # older lines shown
    app.run_call("set_drone_speed(speed=50)")
    assert app.log_scroll == 0


def test_a_short_log_shows_from_its_first_line(app: App) -> None:
    """Regression: with fewer lines than fit, the log showed only its last four."""
    for speed in (20, 30, 40):  # six lines: call, ack, call, ack, call, ack
        app.run_call(f"set_drone_speed(speed={speed})")
    sixth_row = app.frame().subsurface(pygame.Rect(820, 462 + 5 * 18, 30, 22))
    assert _count(sixth_row, (63, 185, 80), 20) > 5  # the last ack's green tick
