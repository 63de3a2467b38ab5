"""Benchmark section: which client frameworks work against our server, feature by feature.

    python -m bench --only clients --output /tmp/clients.json

The server (`copilot.serve` over the real `local-ft` model, on loopback) is started once; each
client that is installed is driven the way its users drive it, through six features:

- call: the catalogue's tools and "take off to 30 metres" give takeoff_drone(altitude=30);
- streaming: the same request streamed, the chunks assembled by the client into the same call;
- tool_choice: a named function forced ("turn the lights on", set_drone_lighting);
- agent loop: the client runs the tool, sends its result back and the server ends the turn with
  text; the tool ran once and no turn limit was hit;
- content parts: the user's message as a list of text parts;
- one call a turn: the agent loop with `parallel_tool_calls: false` and a two-step command ("take
  off to 30 metres then turn the lights on"): both steps run, one a turn, then the turn ends.

Each cell passes or fails (with a one-line reason), or is skipped when the client is not
installed. The table is printed and written into docs/clients.md between its markers. Then the
server's throughput and p50 at 1, 2 and 4 concurrent clients (`bench/server_load.py`). The
clients' probes are `bench/client_probes.py`: openai, langchain-openai and openai-agents come with
the `test` extra, inspect_ai and litellm with `compat` (`pip install -e '.[compat]'`).
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import importlib.util
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench import server_load
from bench.client_probes import CLIENTS, MODEL, Call, Probe
from copilot import ADAPTER_DIR, get_backend
from copilot.serve import create_app, running_server

PROMPT, EXPECTED = "take off to 30 metres", [("takeoff_drone", {"altitude": 30})]
NAMED_PROMPT, NAMED = "turn the lights on", [("set_drone_lighting", {"mode": "on"})]
PLAN_PROMPT = "take off to 30 metres then turn the lights on"
PLAN = [*EXPECTED, *NAMED]
FEATURES = ("call", "streaming", "tool_choice", "agent loop", "content parts", "one call a turn")
DOC = Path(__file__).resolve().parent.parent / "docs" / "clients.md"
BEGIN, END = "<!-- clients:begin -->", "<!-- clients:end -->"
MARKS = {"pass": "✓", "fail": "✗", "skip": "–"}


def _show(calls: list[Call]) -> str:
    shown = [f"{n}({', '.join(f'{k}={v!r}' for k, v in a.items())})" for n, a in calls]
    return "; ".join(shown) or "no tool call"


def _expect(calls: list[Call], expected: list[Call]) -> None:
    if calls != expected:
        raise AssertionError(f"expected {_show(expected)}, got {_show(calls)}")


def _ended(ran: list[Call], text: str, expected: list[Call] = EXPECTED) -> None:
    _expect(ran, expected)
    if not text.strip():
        raise AssertionError("the turn ended without text")


def reason(exc: BaseException) -> str:
    """One line saying why a cell failed: the server's own message where the client kept it."""
    body = getattr(exc, "body", None)
    message = body.get("message") if isinstance(body, dict) else None
    status = getattr(exc, "status_code", None)
    text = f"{status}: {message}" if status and message else str(exc) or repr(exc)
    # a client that wraps the error in a dump of its request (inspect_ai) keeps the status line
    wrapped = re.search(r"Error code: \d+ - [^'\"\\]+", text)
    text = wrapped.group(0) if wrapped else text.strip().splitlines()[0]
    line = re.sub(r"\s+", " ", f"{type(exc).__name__}: {text}").strip()
    return line if len(line) <= 160 else line[:157] + "..."


def cells(probe: Probe) -> dict[str, dict[str, str]]:
    """Each feature of one client: {"status": pass | fail | skip, "reason": ...}."""
    checks: dict[str, Callable[[], None]] = {
        "call": lambda: _expect(probe.ask(PROMPT), EXPECTED),
        "streaming": lambda: _expect(probe.ask(PROMPT, stream=True), EXPECTED),
        "tool_choice": lambda: _expect(probe.ask(NAMED_PROMPT, choice=NAMED[0][0]), NAMED),
        "agent loop": lambda: _ended(*probe.loop(PROMPT)),
        "content parts": lambda: _expect(probe.ask(PROMPT, parts=True), EXPECTED),
        "one call a turn": lambda: _ended(*probe.loop(PLAN_PROMPT, parallel=False), PLAN),
    }
    out = {}
    for feature, check in checks.items():
        try:
            check()
            out[feature] = {"status": "pass", "reason": ""}
        except Exception as exc:  # a client's failure is a cell, never the section's end
            out[feature] = {"status": "fail", "reason": reason(exc)}
    return out


def measure(url: str) -> dict[str, dict[str, Any]]:
    """Every client in `CLIENTS`: its version and its cells (all skipped when not installed)."""
    measured = {}
    for label, (distribution, module, probe) in CLIENTS.items():
        if importlib.util.find_spec(module) is None:
            why = f"{distribution} is not installed (pip install -e '.[compat]')"
            row = {f: {"status": "skip", "reason": why} for f in FEATURES}
            measured[label] = {"version": None, "cells": row}
            continue
        version = importlib.metadata.version(distribution)
        try:
            row = cells(probe(url))
        except Exception as exc:  # the client would not even start
            row = {f: {"status": "fail", "reason": reason(exc)} for f in FEATURES}
        measured[label] = {"version": version, "cells": row}
    return measured


def markdown(measured: dict[str, dict[str, Any]], date: str) -> str:
    """The generated part of docs/clients.md: the table, then why each cell that did not pass."""
    lines = [
        f"Measured {date} with `python -m bench --only clients` (the real `local-ft` model).",
        "",
        "| client | version | " + " | ".join(FEATURES) + " |",
        "|---|---|" + "---|" * len(FEATURES),
    ]
    notes = []
    for label, client in measured.items():
        marks = [MARKS[client["cells"][f]["status"]] for f in FEATURES]
        lines.append(f"| {label} | {client['version'] or '-'} | " + " | ".join(marks) + " |")
        notes += [
            f"- {label}, {f}: {MARKS[c['status']]} {c['reason']}"
            for f in FEATURES
            if (c := client["cells"][f])["reason"]
        ]
    return "\n".join([*lines, "", "✓ pass, ✗ fail, – skipped.", "", *notes])


def write_doc(measured: dict[str, dict[str, Any]], date: str, doc: Path = DOC) -> None:
    """Put the table between docs/clients.md's markers; the hand-written text stays."""
    text = doc.read_text()
    if BEGIN not in text or END not in text:
        raise RuntimeError(f"{doc} has no {BEGIN} ... {END} block to fill")
    block = f"{BEGIN}\n{markdown(measured, date)}\n{END}"
    pattern = re.escape(BEGIN) + r".*?" + re.escape(END)
    doc.write_text(re.sub(pattern, lambda _: block, text, flags=re.S))


def rows(measured: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One results row a client: how many features passed, and which did not."""
    out = []
    for label, client in measured.items():
        by = {s: [f for f in FEATURES if client["cells"][f]["status"] == s] for s in MARKS}
        tried = len(by["pass"]) + len(by["fail"])
        value = f"{len(by['pass'])}/{tried} features" if tried else "not installed"
        value += "".join(f" ({MARKS[s]} {', '.join(by[s])})" for s in ("fail", "skip") if by[s])
        figure = f"client: {label}" + (f" {client['version']}" if client["version"] else "")
        out.append({"figure": figure, "value": value, "ok": (not by["fail"]) if tried else None})
    return out


def table(measured: dict[str, dict[str, Any]]) -> Table:
    out = Table(title=f"clients against python -m copilot.serve --model {MODEL}")
    for column in ("client", "version", *FEATURES):
        out.add_column(column)
    colour = {"pass": "green", "fail": "red", "skip": "dim"}
    for label, client in measured.items():
        marks = [
            f"[{colour[c['status']]}]{MARKS[c['status']]}[/]"
            for c in (client["cells"][f] for f in FEATURES)
        ]
        out.add_row(label, client["version"] or "-", *marks)
    return out


def run(quick: bool = False) -> dict[str, Any]:
    """The clients section: about a minute on 2 cores (the load rows: half as many requests
    with --quick)."""
    if not (ADAPTER_DIR / "adapter_config.json").exists():
        raise RuntimeError(f"no shipped adapter at {ADAPTER_DIR}: the clients need local-ft")
    backend = get_backend(MODEL)
    backend.load()
    with running_server(create_app(backend, MODEL)) as url:
        measured = measure(url)
    load = server_load.measure(backend, MODEL, requests=16 if quick else 32)
    console = Console(width=max(Console().width, 150))
    console.print(table(measured))
    for label, client in measured.items():
        for feature, cell in client["cells"].items():
            if cell["reason"]:
                console.print(f"{label}, {feature}: {MARKS[cell['status']]} {cell['reason']}")
    for row in load:
        console.print(f"{row['figure']}: {row['value']} {row['unit']}")
    write_doc(measured, dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    return {"rows": rows(measured) + load, "clients": measured}
