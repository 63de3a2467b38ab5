"""A tiny phrasing grammar: `(a|b|c)` picks one, `[x]` or `[a|b]` is optional, `{slot}` is filled in.

Templates nest freely: `"[please ](take off|launch) (to|at) {alt}"`. A template is parsed once and
cached; expanding it with a seeded `random.Random` is deterministic, and fast enough to write
thousands of prompts a second.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache

Slot = str | Callable[[random.Random], str]


@dataclass(frozen=True)
class _Text:
    text: str


@dataclass(frozen=True)
class _Slot:
    name: str


@dataclass(frozen=True)
class _Choice:
    options: tuple[tuple[object, ...], ...]


@dataclass(frozen=True)
class _Optional:
    choice: _Choice


class GrammarError(ValueError):
    """A template is malformed (unbalanced brackets, empty slot)."""


def _parse(template: str, pos: int, closer: str | None) -> tuple[tuple[object, ...], int, bool]:
    """Parse until `closer` or `|`; returns (sequence, next position, stopped at '|')."""
    seq: list[object] = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            seq.append(_Text("".join(buf)))
            buf.clear()

    while pos < len(template):
        ch = template[pos]
        if ch == "(":
            flush()
            options = []
            pos += 1
            while True:
                body, pos, more = _parse(template, pos, ")")
                options.append(body)
                if not more:
                    break
            seq.append(_Choice(tuple(options)))
        elif ch == "[":
            flush()
            options = []
            pos += 1
            while True:
                body, pos, more = _parse(template, pos, "]")
                options.append(body)
                if not more:
                    break
            seq.append(_Optional(_Choice(tuple(options))))
        elif ch == "{":
            flush()
            end = template.find("}", pos)
            if end <= pos + 1:
                raise GrammarError(f"bad slot in {template!r}")
            seq.append(_Slot(template[pos + 1 : end]))
            pos = end + 1
        elif ch == "|" and closer in (")", "]"):
            flush()
            return tuple(seq), pos + 1, True
        elif closer is not None and ch == closer:
            flush()
            return tuple(seq), pos + 1, False
        elif ch in ")]":
            raise GrammarError(f"unbalanced {ch!r} in {template!r}")
        else:
            buf.append(ch)
            pos += 1
    if closer is not None:
        raise GrammarError(f"missing {closer!r} in {template!r}")
    flush()
    return tuple(seq), pos, False


@cache
def compile_template(template: str) -> tuple[object, ...]:
    """The parsed form of a template (cached)."""
    seq, _, _ = _parse(template, 0, None)
    return seq


def _render(seq: tuple[object, ...], rng: random.Random, slots: Mapping[str, Slot]) -> str:
    out = []
    for node in seq:
        if isinstance(node, _Text):
            out.append(node.text)
        elif isinstance(node, _Choice):
            out.append(_render(rng.choice(node.options), rng, slots))
        elif isinstance(node, _Optional):
            if rng.random() < 0.5:
                out.append(_render(rng.choice(node.choice.options), rng, slots))
        elif isinstance(node, _Slot):
            value = slots[node.name]
            out.append(value if isinstance(value, str) else value(rng))
    return "".join(out)


_SPACES = re.compile(r"\s+")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.!?;:])")


def expand(template: str, rng: random.Random, slots: Mapping[str, Slot] | None = None) -> str:
    """One random phrasing of `template`, with whitespace tidied."""
    text = _render(compile_template(template), rng, slots or {})
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", _SPACES.sub(" ", text)).strip()
    return text.lstrip(",;: ").strip()
