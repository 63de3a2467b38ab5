"""`python -m copilot`: talk to the drone copilot in a text REPL, or list the models.

A headless simulator executes every call, so you see the calls, the acks and the drone's state.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from copilot.redaction import redact, redact_optional

EXAMPLES = """examples:
  python -m copilot                          # REPL with local-ft (the embedded default)
  python -m copilot --model local-base       # the base model, prompted with the catalogue
  python -m copilot --model gpt-4o-mini      # OpenAI (needs OPENAI_API_KEY)
  python -m copilot --model llama3 --base-url http://127.0.0.1:11434/v1   # any OpenAI-compatible server
  python -m copilot ask "take off to 20 metres" --json
  python -m copilot models
  python -m copilot batch requests.jsonl --out results.jsonl   # a Batch API file, resumable

in the REPL: /reset (forget history), /land (reset the drone too), /state, /history on|off, /quit
"""


def _backend(args: argparse.Namespace) -> Any:
    from copilot.backends.registry import get_backend

    overrides: dict[str, Any] = {}
    if args.base_url:
        overrides["base_url"] = args.base_url
    if args.base_model:
        overrides["base_model"] = args.base_model
    return get_backend(args.model, **overrides)


def _show_turn(console: Any, turn: Any) -> None:
    c = turn.completion
    timing = f"[dim]{c.latency_ms:.0f} ms, {c.total_tokens} tokens[/dim]"
    if c.error:
        console.print(f"[red]no call:[/red] {redact(c.error)} {timing}")
    plan = len(turn.calls) > 1  # a plan: one numbered line per step
    for number, (call, ack) in enumerate(zip(turn.calls, turn.acks, strict=False), start=1):
        status = getattr(ack, "status", "")
        colour = {"accepted": "green", "denied": "yellow", "skipped": "dim"}.get(status, "red")
        step = f"{number}. " if plan else ""
        console.print(f"{step}[bold]{call}[/bold] -> [{colour}]{ack}[/{colour}] {timing}")
        timing = ""  # the request's time, once
    for note in turn.notes:
        console.print(f"[magenta]drone:[/magenta] {note}")


def _status_line(state: dict[str, Any]) -> str:
    keys = ("x", "y", "altitude", "heading", "speed_kmh", "battery", "flying", "crashed")
    return " ".join(f"{key}={state[key]}" for key in keys if key in state)


def repl(args: argparse.Namespace) -> int:
    from rich.console import Console

    from copilot.session import Copilot
    from simulator.core import DroneSim  # the command line sits above every layer

    console = Console()
    copilot = Copilot(_backend(args), sim=DroneSim(), keep_history=not args.no_history)
    loaded = ""
    if hasattr(copilot.backend, "load"):
        with console.status(f"loading {args.model} ..."):
            copilot.backend.load()
        loaded = f" [dim](loaded in {getattr(copilot.backend, 'load_ms', 0):.0f} ms)[/dim]"
    console.print(f"[bold]{args.model}[/bold] ready{loaded}. Type a command; /quit to leave.")
    while True:
        try:
            line = input("drone> ").strip()
        except (EOFError, KeyboardInterrupt):
            console.print()
            return 0
        if not line:
            continue
        if line in ("/quit", "/exit", "/q"):
            return 0
        if line == "/reset":
            copilot.reset()
            console.print("[dim]history cleared[/dim]")
        elif line == "/land":
            copilot.reset(drone=True)
            console.print("[dim]history cleared, drone back on its pad[/dim]")
        elif line == "/state":
            console.print_json(json.dumps(copilot.state))
        elif line.startswith("/history"):
            copilot.keep_history = line.endswith("on")
            console.print(f"[dim]history {'on' if copilot.keep_history else 'off'}[/dim]")
        elif line.startswith("/"):
            console.print(
                f"[red]unknown command {line.split()[0]}[/red] (/reset /land /state /quit)"
            )
        else:
            with console.status("thinking ..."):
                turn = copilot.send(line)
            _show_turn(console, turn)
            console.print(f"[dim]{_status_line(copilot.state)}[/dim]")


def ask(args: argparse.Namespace) -> int:
    from copilot.session import Copilot
    from simulator.core import DroneSim  # the command line sits above every layer

    copilot = Copilot(_backend(args), sim=DroneSim())
    turn = copilot.send(" ".join(args.command))
    c = turn.completion
    if args.json:
        print(
            json.dumps(
                {
                    "calls": [{"name": x.name, "arguments": x.arguments} for x in turn.calls],
                    "acks": [str(a) for a in turn.acks],
                    "error": redact_optional(c.error),
                    "raw": redact(c.raw),
                    "latency_ms": round(c.latency_ms, 1),
                    "load_ms": round(c.load_ms, 1),
                    "prompt_tokens": c.prompt_tokens,
                    "completion_tokens": c.completion_tokens,
                }
            )
        )
    else:
        from rich.console import Console

        _show_turn(Console(), turn)
    return 0 if c.error is None else 1


def models(_: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from copilot.backends.registry import list_models

    table = Table("model", "kind", "ready", "description")
    for info in list_models():
        ready = "yes" if info.available else f"[yellow]no[/yellow]: {info.note}"
        table.add_row(info.name, info.kind, ready, info.description)
    table.add_row("ft:...", "openai", "with OPENAI_API_KEY", "an OpenAI fine-tuned model")
    table.add_row("NAME --base-url URL", "openai", "-", "any OpenAI-compatible server")
    table.add_row("replay:PATH", "replay", "-", "answers recorded in a JSONL file")
    Console().print(table)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["batch"]:  # its own arguments and --help
        from copilot.batch import main as batch

        return batch(argv[1:])
    parser = argparse.ArgumentParser(
        prog="python -m copilot",
        description="Fly a simulated drone by typing commands; a model turns them into tool calls.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EXAMPLES,
    )
    parser.add_argument(
        "action",
        nargs="?",
        default="repl",
        choices=["repl", "ask", "models", "batch"],
        help="repl (default), ask, models, or batch (see: batch --help)",
    )
    parser.add_argument("command", nargs="*", help="the command for `ask`")
    parser.add_argument("--model", default="local-ft", help="a registry name (default local-ft)")
    parser.add_argument("--base-url", help="an OpenAI-compatible server for --model")
    parser.add_argument("--base-model", help="a local transformers folder or GGUF file")
    parser.add_argument("--no-history", action="store_true", help="send each command alone")
    parser.add_argument("--json", action="store_true", help="`ask`: print one JSON object")
    args = parser.parse_intermixed_args(argv)
    if args.action == "ask" and not args.command:
        parser.error("ask needs a command, e.g. python -m copilot ask take off to 20 metres")
    from copilot.backends.base import ModelUnavailable
    from copilot.backends.registry import UnknownModel

    try:
        return {"repl": repl, "ask": ask, "models": models}[args.action](args)
    except (UnknownModel, ModelUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
