"""Flight scripts: one command per line, for `python -m simulator --headless --script FILE`.

A line is one of:
- a tool call in compact syntax: `takeoff_drone(altitude=30)`;
- a tool call as JSON: `{"name": "takeoff_drone", "arguments": {"altitude": 30}}`;
- a plan: 2 to 4 such calls separated by `;`, flown step by step
  (`takeoff_drone(altitude=30); control_camera(mode="photo")`);
- a typed command for the model, as plain text (`take off to 30 m`) or `{"prompt": "..."}`;
- blank, or a `#` comment.

A line longer than a command can be (`copilot.MAX_PROMPT_CHARS`, 4,000 characters) is an error
when the script is read, before anything flies.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from copilot import MAX_PROMPT_CHARS
from simulator.mission import split_plan
from simulator.pilot import looks_like_call


class ScriptError(ValueError):
    """A script file that cannot be read or has a malformed line (one readable line)."""


@dataclass(frozen=True)
class ScriptLine:
    number: int
    kind: str  # "call" (run as-is), "plan" (calls run as one plan) or "text" (ask the model)
    value: Any  # the call (str or dict), the plan's calls (a list of str) or the text
    raw: str


def parse_line(raw: str, number: int = 1, where: str = "script") -> ScriptLine | None:
    s = raw.strip()
    if not s or s.startswith("#"):
        return None
    if len(s) > MAX_PROMPT_CHARS:
        raise ScriptError(
            f"{where}:{number}: a line of {len(s):,} characters; a command or plan is at most "
            f"{MAX_PROMPT_CHARS:,}"
        )
    parts = split_plan(s)
    if len(parts) > 1 and looks_like_call(parts[0]):  # checked whole when it runs
        return ScriptLine(number, "plan", parts, s)
    if s.startswith("{"):
        try:
            obj = json.loads(s)
        except ValueError as exc:
            raise ScriptError(f"{where}:{number}: not valid JSON ({exc})") from None
        if not isinstance(obj, dict):
            raise ScriptError(f"{where}:{number}: a JSON line must be an object")
        if "prompt" in obj or "command" in obj:
            return ScriptLine(number, "text", str(obj.get("prompt", obj.get("command"))), s)
        if "name" in obj or "function" in obj:
            return ScriptLine(number, "call", obj, s)
        raise ScriptError(
            f"{where}:{number}: a JSON line needs 'name' (a call) or 'prompt' (a command)"
        )
    if looks_like_call(s):
        return ScriptLine(number, "call", s, s)
    return ScriptLine(number, "text", s, s)


def read_script(path: str | Path) -> list[ScriptLine]:
    """Every command in a script file, in order. Raises `ScriptError` with the file and line."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScriptError(f"script not found: {p}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScriptError(f"cannot read script {p}: {exc}") from None
    lines = [parse_line(raw, i, str(p)) for i, raw in enumerate(text.splitlines(), 1)]
    found = [line for line in lines if line is not None]
    if not found:
        raise ScriptError(f"script {p} has no commands")
    return found
