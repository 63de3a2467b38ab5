"""Benchmark section: the simulator's headless speed and the app's frame rate.

- Headless: `execute` on a mix of valid calls to all 16 functions (the shapes the evaluation and
  the data verifier send), in calls per second; also `execute` + `run_until_idle` + `observation`,
  the evaluation's whole "executed match" step. Given as a ratio to `validate_call` alone,
  measured in the same run, so the figure travels between machines.
- App: the real `App` renders the README flight (take off, fly 50 m, LEDs blink red) off-screen
  under SDL's dummy video driver, uncapped; fps = 1 / median frame time (update + draw + present).
  Single-drone and --compare layouts.

`python -m bench --only simulator [--quick]`, or `python bench/bench_simulator.py [--quick]`.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

CALLS: list[dict[str, Any]] = [
    {"name": "takeoff_drone", "arguments": {"altitude": 50}},
    {"name": "land_drone", "arguments": {"location": "home_base"}},
    {"name": "land_drone", "arguments": {"location": "custom", "coordinates": {"latitude": 37.7699, "longitude": -122.4859}}},
    {"name": "control_drone_movement", "arguments": {"direction": "forward", "distance": 200}},
    {"name": "control_drone_movement", "arguments": {"direction": "up", "distance": 20}},
    {"name": "set_drone_speed", "arguments": {"speed": 15}},
    {"name": "control_camera", "arguments": {"mode": "video", "duration": 30}},
    {"name": "control_camera", "arguments": {"mode": "photo"}},
    {"name": "control_gimbal", "arguments": {"tilt": -45, "pan": 30}},
    {"name": "set_drone_lighting", "arguments": {"mode": "sos"}},
    {"name": "return_to_home", "arguments": {}},
    {"name": "set_battery_saver_mode", "arguments": {"status": "on"}},
    {"name": "set_obstacle_avoidance", "arguments": {"mode": "on"}},
    {"name": "set_follow_me_mode", "arguments": {"status": "on"}},
    {"name": "calibrate_sensors", "arguments": {}},
    {"name": "set_autopilot", "arguments": {"status": "on"}},
    {"name": "configure_led_display", "arguments": {"pattern": "blink", "color": "red"}},
    {"name": "set_home_location", "arguments": {"coordinates": {"latitude": 37.7699, "longitude": -122.4859}}},
    {"name": "reject_request", "arguments": {}},
]  # fmt: skip
FLIGHT = [
    "takeoff_drone(altitude=30)",
    "control_drone_movement(direction='forward', distance=50)",
    "configure_led_display(pattern='blink', color='red')",
]


def _rate(fn, n: int, repeats: int) -> float:
    """Median calls per second of fn(i) over `repeats` timed runs of n calls."""
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for i in range(n):
            fn(i)
        rates.append(n / (time.perf_counter() - start))
    return statistics.median(rates)


def headless(quick: bool) -> dict[str, float]:
    from copilot import validate_call
    from simulator.core import (
        World,
        execute,
        observation,
        run_until_idle,
        start_state_for,
    )

    world = World()
    starts = [start_state_for(c, world) for c in CALLS]
    k = len(CALLS)
    n, repeats = (4_000, 3) if quick else (20_000, 5)

    def one(i: int) -> None:
        execute(starts[i % k], CALLS[i % k], world)

    def full(i: int) -> None:
        state, _ = execute(starts[i % k], CALLS[i % k], world)
        observation(run_until_idle(state, world))

    def validate(i: int) -> None:
        validate_call(CALLS[i % k]["name"], CALLS[i % k]["arguments"])

    return {
        "execute_per_s": _rate(one, n, repeats),
        "executed_step_per_s": _rate(full, n // 4, repeats),
        "validate_per_s": _rate(validate, n, repeats),
    }


def app_fps(quick: bool, compare: bool = False) -> dict[str, float]:
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import tempfile

    from simulator.app import App

    with tempfile.TemporaryDirectory() as tmp:
        models = ["local-ft", "local-base"]
        app = App(models, compare=compare, window=True, captures=Path(tmp))
        for call in FLIGHT:
            app.run_call(call)
        frames = 240 if quick else 900
        times, flips = [], []
        for _ in range(frames):
            start = time.perf_counter()
            app.update(1 / 60)
            app.frame()
            drawn = time.perf_counter()
            app.renderer.present()
            times.append(time.perf_counter() - start)
            flips.append(time.perf_counter() - drawn)
        app.renderer.close()
    times, flips = times[10:], flips[10:]  # the first frames fill font caches
    median = statistics.median(times)
    return {
        "fps": 1 / median,
        "frame_ms_p50": median * 1000,
        "frame_ms_p95": sorted(times)[int(len(times) * 0.95)] * 1000,
        "present_ms_p50": statistics.median(flips) * 1000,
    }


def app_fps_x11(quick: bool) -> dict[str, float] | None:
    """The same measurement in a real X11 window on a virtual screen (Xvfb), when Xvfb exists.

    Runs in a child process: SDL picks its video driver once per process.
    """
    import json
    import shutil
    import subprocess

    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        return None
    display = f":{90 + os.getpid() % 100}"
    server = subprocess.Popen(
        [xvfb, display, "-screen", "0", "1400x800x24"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(1.5)
        env = {**os.environ, "DISPLAY": display, "SDL_VIDEODRIVER": "x11"}
        args = [sys.executable, __file__, "--child-fps", *(["--quick"] if quick else [])]
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            return None
        return json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        server.terminate()
        server.wait(10)


def run(quick: bool = False) -> dict[str, Any]:
    h = headless(quick)
    single = app_fps(quick)
    split = app_fps(quick, compare=True)
    x11 = app_fps_x11(quick)
    share = h["execute_per_s"] / h["validate_per_s"]  # validation's share of one execute
    rows = [
        {
            "figure": "simulator: headless tool executions",
            "value": f"{h['execute_per_s']:,.0f}",
            "unit": f"/s (validation alone: {h['validate_per_s']:,.0f}/s, {share:.0%} of the cost)",
            "anchor": "",
            "target": "≥ 10,000/s",
            "ok": h["execute_per_s"] >= 10_000,
        },
        {
            "figure": "simulator: execute + fly to idle + observation (executed match step)",
            "value": f"{h['executed_step_per_s']:,.0f}",
            "unit": "/s",
            "anchor": "",
            "target": "",
            "ok": None,
        },
        {
            "figure": "simulator app fps (1280x720, uncapped, SDL dummy driver)",
            "value": f"{single['fps']:.0f}",
            "unit": f"fps (p50 {single['frame_ms_p50']:.1f} ms, p95 {single['frame_ms_p95']:.1f} ms a frame)",
            "anchor": "",
            "target": "60 fps",
            "ok": single["fps"] >= 60,
        },
        {
            "figure": "simulator app fps, --compare split screen",
            "value": f"{split['fps']:.0f}",
            "unit": f"fps (p50 {split['frame_ms_p50']:.1f} ms a frame)",
            "anchor": "",
            "target": "60 fps",
            "ok": split["fps"] >= 60,
        },
    ]
    if x11 is not None:
        rows.append(
            {
                "figure": "simulator app fps in an X11 window (Xvfb, software display)",
                "value": f"{x11['fps']:.0f}",
                "unit": f"fps (draw {x11['frame_ms_p50'] - x11['present_ms_p50']:.1f} ms + "
                f"display flip {x11['present_ms_p50']:.1f} ms a frame)",
                "anchor": "",
                "target": "60 fps",
                "ok": x11["fps"] >= 60,
            }
        )
    figures = {"headless": h, "app": single, "app_compare": split, "app_x11": x11}
    _print(rows)
    return {"rows": rows, "figures": figures}


def _print(rows: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="simulator")
    for column in ("figure", "value", "target", ""):
        table.add_column(column)
    for row in rows:
        ok = row["ok"]
        mark = "" if ok is None else ("[green]✓[/green]" if ok else "[red]✗[/red]")
        table.add_row(row["figure"], f"{row['value']} {row['unit']}", row["target"], mark)
    Console().print(table)


if __name__ == "__main__":
    if "--child-fps" in sys.argv[1:]:
        import json

        print(json.dumps(app_fps("--quick" in sys.argv[1:])))
    else:
        run(quick="--quick" in sys.argv[1:])
