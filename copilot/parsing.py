"""From raw model output to tool calls.

A model answers in one of several shapes: OpenAI `tool_calls` objects, JSON text (arguments as a
JSON string or an object, possibly inside a code fence or surrounded by prose), or the compact
call syntax `name(key=value, ...)`. `parse_output` accepts all of them and never raises: garbage
becomes a `ParsedOutput` with an error.
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


_DECODER = json.JSONDecoder()
_CALL_RE = re.compile(r"\b(" + "|".join(FUNCTION_NAMES) + r")\s*\(")


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


def _json_values(text: str) -> list[Any]:
    """Every top-level JSON object or array that can be decoded from positions in `text`."""
    values, i = [], 0
    while i < len(text):
        if text[i] in "{[":
            try:
                value, end = _DECODER.raw_decode(text, i)
            except (ValueError, RecursionError):
                i += 1
                continue
            values.append(value)
            i = end
        else:
            i += 1
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


def _from_call_syntax(text: str) -> list[RawCall]:
    """Calls written as `name(key=value, ...)`, one after another."""
    calls = []
    for match in _CALL_RE.finditer(text):
        depth, end = 0, None
        for j in range(match.end() - 1, len(text)):
            depth += {"(": 1, ")": -1}.get(text[j], 0)
            if depth == 0:
                end = j + 1
                break
        if end is None:
            continue
        try:
            node = ast.parse(text[match.start() : end], mode="eval").body
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        if not isinstance(node, ast.Call) or node.args:
            continue
        try:
            args = {kw.arg: _literal(kw.value) for kw in node.keywords if kw.arg}
        except (ValueError, TypeError, SyntaxError, RecursionError):
            continue
        calls.append(RawCall(match.group(1), args))
    return calls


def parse_output(output: Any) -> ParsedOutput:
    """Parse whatever a model produced into raw calls. Never raises."""
    try:
        if isinstance(output, list | tuple):
            calls = _from_openai_objects(list(output))
            return ParsedOutput(calls) if calls else ParsedOutput(error="no tool calls in output")
        if output is None:
            return ParsedOutput(error="empty output")
        if isinstance(output, bytes):
            output = output.decode("utf-8", errors="replace")
        text = str(output).strip()
        if not text:
            return ParsedOutput(error="empty output")
        for value in _json_values(text):
            calls = _from_mapping(value)
            if calls:
                return ParsedOutput(calls)
        calls = _from_call_syntax(text)
        if calls:
            return ParsedOutput(calls)
        return ParsedOutput(error=f"no tool call found in output: {text[:80]!r}")
    except Exception as exc:  # the contract is "never raises"; say what went wrong instead
        return ParsedOutput(error=f"could not parse output ({type(exc).__name__})")
