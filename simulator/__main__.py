"""`python -m simulator`: fly the drone by typing commands to a model, or replay a script."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

EPILOG = """examples:
  python -m simulator                                  # type commands; local-ft flies the drone
  python -m simulator --model local-base               # the base model instead (Tab switches live)
  python -m simulator --compare local-base,local-ft    # split screen: both models get each command
  python -m simulator --headless --script simulator/scripts/readme_flight.txt \\
      --frames runs/frames --screenshot runs/shot.png  # fly a script off-screen
  python -m simulator --headless --script simulator/scripts/readme_plan.txt \\
      --screenshot runs/plan.png                       # a 3-step plan and its checklist

In the window: type a command and press Enter (a tool call such as takeoff_drone(altitude=30)
runs as-is, without a model). Tab switches model, PgUp/PgDn zoom, F12 saves a screenshot,
Ctrl+R resets, Esc quits. Photos and video frames are saved under --captures.

Plans: a command the model answers with 2 to 4 calls, or calls typed with ; between them
(takeoff_drone(altitude=30); control_camera(mode="photo")), is checked whole, then flown step
by step, each step flown to completion before the next, with a checklist on the map. A denied
or failed step stops the plan and the steps after it are skipped. Space on an empty command
line cancels the steps not started yet (they are skipped: cancelled).

A script has one command per line: a tool call (takeoff_drone(altitude=30), or JSON
{"name": ..., "arguments": ...}), a plan (calls separated by ;), or plain text for the model;
# starts a comment. A line is at most 4,000 characters.

exit codes (headless): 0 every step accepted; 1 a step failed or was denied, or the model gave
no call; 2 bad usage (no --script, an unreadable script or line).
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m simulator",
        description="A drone world that executes tool calls: a Pygame app you fly by typing.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--model", default="local-ft", help="model that flies the drone (default: local-ft)"
    )
    p.add_argument(
        "--models",
        default="local-ft,local-base",
        help="models Tab cycles through (comma-separated)",
    )
    p.add_argument(
        "--compare", metavar="A,B", help="split screen: two models fly two drones side by side"
    )
    p.add_argument(
        "--headless", action="store_true", help="no window: run --script and save frames"
    )
    p.add_argument("--script", type=Path, help="a file of commands or tool calls, one a line")
    p.add_argument(
        "--frames", type=Path, help="folder for the headless frames (frame-00001.png, ...)"
    )
    p.add_argument(
        "--fps", type=float, default=10.0, help="headless frames per simulated second (default 10)"
    )
    p.add_argument(
        "--max-seconds",
        type=float,
        default=120.0,
        help="headless: animate at most this long per command, then fast-forward",
    )
    p.add_argument("--screenshot", type=Path, help="save the final frame as a PNG (headless) ")
    p.add_argument(
        "--captures",
        type=Path,
        default=Path("captures"),
        help="where photos and video frames go (default captures/)",
    )
    p.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="simulated seconds per real second in the window (default 1)",
    )
    p.add_argument(
        "--airborne", action="store_true", help="start hovering at 30 m instead of on the pad"
    )
    return p.parse_args(argv)


def _models(args: argparse.Namespace) -> tuple[list[str], bool]:
    if args.compare:
        pair = [m.strip() for m in args.compare.split(",") if m.strip()]
        if len(pair) != 2:
            raise SystemExit(
                "error: --compare needs two models, e.g. --compare local-base,local-ft"
            )
        return pair, True
    cycle = [m.strip() for m in args.models.split(",") if m.strip()]
    return [args.model, *[m for m in cycle if m != args.model]], False


FAILED_KINDS = ("error", "failed", "denied", "crash")  # a headless script with any exits 1


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    models, compare = _models(args)
    if args.headless:
        if args.script is None:
            err.print("[red]error:[/] --headless needs --script FILE (see --help)")
            return 2
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

    from simulator.script import ScriptError, read_script

    lines = None
    if args.script is not None:
        try:
            lines = read_script(args.script)
        except ScriptError as exc:
            err.print(f"[red]error:[/] {exc}")
            return 2

    from simulator.app import App
    from simulator.render.panel import KIND_STYLE, LogLine

    errors = 0

    def echo(line: LogLine) -> None:
        nonlocal errors
        symbol, color = KIND_STYLE.get(line.kind, KIND_STYLE["info"])
        errors += line.kind in FAILED_KINDS
        tag = f"[{line.tag}] " if line.tag else ""
        console.print(
            f"[rgb({color[0]},{color[1]},{color[2]})]{symbol}[/] {tag}{line.text}",
            markup=True,
            soft_wrap=True,
        )

    try:
        app = App(
            models,
            compare=compare,
            window=not args.headless,
            captures=args.captures,
            time_scale=args.time_scale,
            airborne=args.airborne,
            echo=echo if args.headless else None,
        )
    except Exception as exc:  # no display, SDL failure: one line, not a traceback
        err.print(f"[red]error:[/] cannot open the window ({exc}); try --headless --script FILE")
        return 1
    if not args.headless and app.renderer.driver in ("dummy", "offscreen"):
        err.print(
            f"[red]error:[/] no display to open a window on (SDL video driver "
            f"'{app.renderer.driver}'): set DISPLAY, or use --headless --script FILE"
        )
        return 1
    if args.headless:
        saved = app.run_script(
            lines or [], args.frames, args.fps, args.max_seconds, args.screenshot
        )
        where = f" in {args.frames}" if args.frames else ""
        console.print(
            f"[bold]done:[/] {len(lines or [])} commands, {saved} frames saved{where}"
            + (f", screenshot {args.screenshot}" if args.screenshot else "")
        )
        return 1 if errors else 0
    app.pending = [line.raw for line in lines or []]
    try:
        return app.run()
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
