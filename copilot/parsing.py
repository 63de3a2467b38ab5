"""From raw model output to tool calls.

A model answers in one of several shapes: OpenAI `tool_calls` objects, JSON text (arguments as a
JSON string or an object, possibly inside a code fence or surrounded by prose), or the compact
call syntax `name(key=value, ...)`. `parse_output` accepts all of them and never raises: garbage
becomes a `ParsedOutput` with an error.

Its time is linear in the output's length, whatever the output: one pass pairs the brackets, and
the decoders are only handed the spans that open at most `MAX_TRIED_DEPTH` levels deep, so each
character is read a bounded number of times (`ScanCost` counts them, and the reliability tests
hold the count under a multiple of the length). An output longer than `MAX_OUTPUT_CHARS` is an
error before any of that: four calls with coordinates fit in well under a kilobyte.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from typing import Any

from copilot.catalog import FUNCTION_NAMES, CallError, ToolCall, validate_call
from copilot.decoding.grammar import evaluate


@dataclass(frozen=True)
class RawCall:
    """A call as the model wrote it, before validation."""

    name: str
    arguments: Any  # a dict, or a string that should hold a JSON object


@dataclass
class ParsedOutput:
    """What a model output parsed to: raw calls, or an error saying why there are none."""

    calls: list[RawCall] = field(default_factory=list)
    error: str | None = None

    def validated(self) -> list[ToolCall | CallError]:
        """Each raw call checked against the catalogue."""
        return [validate_call(c.name, c.arguments) for c in self.calls]


MAX_OUTPUT_CHARS = (
    64_000  # a plan of four calls is under 1,000 characters; past this is not an answer
)
MAX_TRIED_DEPTH = 3  # spans opening deeper than this are never handed to a decoder on their own

_DECODER = json.JSONDecoder()
_CALL_RE = re.compile(r"\b(" + "|".join(FUNCTION_NAMES) + r")\s*\(")
_PAIRS = {"}": "{", "]": "["}


@dataclass
class ScanCost:
    """Characters handed to the decoders (JSON and Python syntax) while parsing one output.

    The parser's work is this count plus one pass over the text; it stays under
    `(MAX_TRIED_DEPTH + 2) * len(text)` for any text, which is what makes the parse linear.
    """

    chars: int = 0


def _from_mapping(obj: Any) -> list[RawCall] | None:
    """Calls from a decoded JSON value, or None if it does not look like a call."""
    if isinstance(obj, list):
        calls: list[RawCall] = []
        for item in obj:
            found = _from_mapping(item)
            if found is None:
                return None
            calls.extend(found)
        return calls or None
    if not isinstance(obj, dict):
        return None
    if isinstance(obj.get("tool_calls"), list):
        return _from_mapping(obj["tool_calls"])
    if isinstance(obj.get("function"), dict):
        return _from_mapping(obj["function"])
    name = obj.get("name", obj.get("function"))
    if isinstance(name, str):
        args = obj.get("arguments", obj.get("parameters", obj.get("args", {})))
        return [RawCall(name, args)]
    return None


def _from_openai_objects(items: list[Any]) -> list[RawCall]:
    """Calls from OpenAI SDK `tool_calls` (pydantic objects) or their dict form."""
    calls = []
    for item in items:
        fn = item.get("function") if isinstance(item, dict) else getattr(item, "function", None)
        if isinstance(fn, dict):
            calls.append(RawCall(str(fn.get("name", "")), fn.get("arguments", "")))
        elif fn is not None:
            calls.append(RawCall(str(getattr(fn, "name", "")), getattr(fn, "arguments", "")))
    return calls


def _json_spans(text: str) -> list[tuple[int, int, int]]:
    """(start, end, depth) of every bracketed span that could hold JSON, in order of start.

    One pass: a stack pairs `{`/`[` with `}`/`]`; inside brackets a `"` opens a JSON string
    (escapes honoured) that must close on its line, since JSON strings hold no raw newline. A
    bracket that does not pair, or a string that runs past its line, empties the stack: nothing
    open before it can be JSON.
    """
    spans: list[tuple[int, int, int]] = []
    stack: list[int] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "{[":
            stack.append(i)
        elif ch in "}]":
            if stack and text[stack[-1]] == _PAIRS[ch]:
                start = stack.pop()
                spans.append((start, i + 1, len(stack)))
            else:
                stack.clear()
        elif ch == '"' and stack:
            j = i + 1
            while j < n and text[j] not in '"\\\n':
                j += 1
            while j < n and text[j] == "\\":  # an escape: skip it and read on
                j += 2
                while j < n and text[j] not in '"\\\n':
                    j += 1
            if j >= n or text[j] == "\n":
                stack.clear()
            i = j
        i += 1
    spans.sort()
    return spans


def _json_values(text: str, cost: ScanCost) -> list[Any]:
    """Every outermost JSON object or array that decodes from a bracketed span of `text`.

    A span that does not decode lets the spans inside it be tried, down to `MAX_TRIED_DEPTH`.
    """
    values: list[Any] = []
    after = 0  # spans starting before this lie inside a value already decoded
    for start, end, depth in _json_spans(text):
        if start < after or depth > MAX_TRIED_DEPTH:
            continue
        cost.chars += end - start
        try:
            value = _DECODER.decode(text[start:end])
        except (ValueError, RecursionError):
            continue
        values.append(value)
        after = end
    return values


def _literal(node: ast.expr) -> Any:
    """A Python literal node as a JSON-like value; bare names become strings (mode=photo).

    A number with one operation (`duration=10*60`, `speed=30/2`) is evaluated by the same rule
    the grammar decoder allows: a whole number on the right, nothing nested.
    """
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.BinOp):
        value = evaluate(ast.unparse(node).replace(" ", ""))
        if value is None:
            raise ValueError("not a number with one operation")
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(node, ast.Dict):
        return {_literal(k): _literal(v) for k, v in zip(node.keys, node.values, strict=True) if k}
    return ast.literal_eval(node)


def _paren_spans(text: str) -> dict[int, tuple[int, int]]:
    """For each `(` that closes, (the index after its `)`, how many parentheses enclose it)."""
    spans: dict[int, tuple[int, int]] = {}
    stack: list[int] = []
    for i, ch in enumerate(text):
        if ch == "(":
            stack.append(i)
        elif ch == ")" and stack:
            start = stack.pop()
            spans[start] = (i + 1, len(stack))
    return spans


def _from_call_syntax(text: str, cost: ScanCost) -> list[RawCall]:
    """Calls written as `name(key=value, ...)`, one after another.

    A call inside another call's parentheses is read only when the outer one is not a call, and
    only down to `MAX_TRIED_DEPTH` parentheses deep.
    """
    calls = []
    spans = _paren_spans(text)
    after = 0  # matches before this lie inside a call already read
    for match in _CALL_RE.finditer(text):
        if match.start() < after or (match.end() - 1) not in spans:
            continue
        end, depth = spans[match.end() - 1]
        if depth > MAX_TRIED_DEPTH:
            continue
        cost.chars += end - match.start()
        try:
            node = ast.parse(text[match.start() : end], mode="eval").body
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        if not isinstance(node, ast.Call) or node.args:
            continue
        try:
            args = {kw.arg: _literal(kw.value) for kw in node.keywords if kw.arg}
        except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
            continue
        calls.append(RawCall(match.group(1), args))
        after = end
    return calls


def parse_output(
    output: Any, max_chars: int | None = MAX_OUTPUT_CHARS, cost: ScanCost | None = None
) -> ParsedOutput:
    """Parse whatever a model produced into raw calls. Never raises; linear time.

    Text longer than `max_chars` is refused with an error saying so (`None`: no cap). `cost`, if
    given, counts the characters the decoders read.
    """
    cost = cost if cost is not None else ScanCost()
    try:
        if isinstance(output, list | tuple):
            calls = _from_openai_objects(list(output))
            return ParsedOutput(calls) if calls else ParsedOutput(error="no tool calls in output")
        if output is None:
            return ParsedOutput(error="empty output")
        if isinstance(output, bytes):
            output = output.decode("utf-8", errors="replace")
        text = str(output)
        if max_chars is not None and len(text) > max_chars:
            return ParsedOutput(
                error=f"output too long: {len(text)} characters (the parser reads at most "
                f"{max_chars}; a plan of four calls is under 1,000)"
            )
        text = text.strip()
        if not text:
            return ParsedOutput(error="empty output")
        for value in _json_values(text, cost):
            calls = _from_mapping(value)
            if calls:
                return ParsedOutput(calls)
        calls = _from_call_syntax(text, cost)
        if calls:
            return ParsedOutput(calls)
        return ParsedOutput(error=f"no tool call found in output: {text[:80]!r}")
    except Exception as exc:  # the contract is "never raises"; say what went wrong instead
        return ParsedOutput(error=f"could not parse output ({type(exc).__name__})")
