"""How a turn ends in words: a finished turn's summary, and a plan said instead of run.

- `finished_turn_text(messages)`: when the last message is a `tool` result (the client ran the
  calls and sent back their acks, with no new user message), the turn is over. An OpenAI model
  then answers with text and `finish_reason="stop"`, so agent loops (the Agents SDK, inspect,
  LangChain) end; asking the model again would only repeat the same calls. The text is one line
  per step, from the acks themselves.
- `split_turn(messages)` and `next_step(plan, done)`: a plan served one call a turn (a client's
  `parallel_tool_calls: false`). The plan is decoded again for the last user message, and the
  step after those already made is sent; when the calls made are the whole plan (or not its
  beginning: the client went its own way), there is no next step and the turn ends in words.
- `plan_in_words(calls)`: what a plan would do, from the catalogue's own descriptions, for a
  request that asks for no tool calls (`tool_choice="none"`, or no `tools` at all).
"""

from __future__ import annotations

import json
from typing import Any

from copilot.catalog import REJECT, ToolCall, tools


def finished_turn_text(messages: list[dict[str, Any]]) -> str | None:
    """The closing text of a turn whose last messages are tool results, or None if the model
    still has a command to answer."""
    if not messages or messages[-1].get("role") != "tool":
        return None
    results: list[dict[str, Any]] = []
    for message in reversed(messages):
        if message.get("role") != "tool":
            break
        results.insert(0, message)
    names = {}
    for message in messages:
        for call in message.get("tool_calls") or []:
            function = call.get("function") or {}
            names[call.get("id")] = function.get("name", "step")
    lines = []
    for i, result in enumerate(results, 1):
        name = names.get(result.get("tool_call_id"), "step")
        ack = _text(result.get("content")).strip() or "done"
        lines.append(f"{i}. {name}: {ack}" if len(results) > 1 else f"{name}: {ack}")
    return "\n".join(lines)


Made = tuple[str, Any]  # (name, arguments) of a call the client ran; arguments None if unreadable


def split_turn(messages: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[Made]]:
    """(the conversation up to its last user message, the calls made since then) when the last
    message is a tool result; (messages, []) while a command is still to be answered."""
    if not messages or messages[-1].get("role") != "tool":
        return messages, []
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
    done = []
    for message in messages[last_user + 1 :]:
        for call in message.get("tool_calls") or []:
            function = call.get("function") or {}
            arguments = function.get("arguments") or "{}"
            try:
                arguments = json.loads(arguments) if isinstance(arguments, str) else arguments
            except json.JSONDecodeError:
                arguments = None
            done.append((function.get("name", ""), arguments))
    return messages[: last_user + 1], done


def next_step(plan: list[ToolCall], done: list[Made]) -> ToolCall | None:
    """The plan's step after `done`, if `done` is the plan's beginning and a step is left."""
    if len(done) >= len(plan) or [(c.name, c.arguments) for c in plan[: len(done)]] != done:
        return None
    return plan[len(done)]


def _text(content: Any) -> str:
    if isinstance(content, list):  # text parts
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return "" if content is None else str(content)


def plan_in_words(calls: list[ToolCall]) -> str:
    """One line per call: what it would do, said with the catalogue's description."""
    if not calls:
        return "I have no drone command to suggest for that."
    described = {t["function"]["name"]: t["function"].get("description", "") for t in tools()}
    if calls[0].name == REJECT:
        return "I would refuse this request: " + described.get(REJECT, "").rstrip(".") + "."
    lines = []
    for call in calls:
        arguments = ", ".join(f"{k}={json.dumps(v)}" for k, v in call.arguments.items())
        what = described.get(call.name, "").split(". ")[0].rstrip(".")
        lines.append(f"I would call {call.name}({arguments}): {what}.")
    return "\n".join(lines)
