"""How the server answers one chat request: tools and tool_choice honoured, finished turns closed.

- The model writes only the functions the request's `tools` offer (`reject_request` too only if
  offered): the local grammar decoder is constrained to them; another backend's calls outside
  them make the answer text, never a dropped step. An offered tool is one of ours only when its
  parameters name the catalogue function's arguments (`callable_names`): a `takeoff_drone` that
  takes `height_feet` is not sent `altitude`.
- `parallel_tool_calls: false`: one call a turn. The whole plan for the last user message is
  decoded (so refusal stays atomic) and its next step sent; after each tool result the plan is
  decoded again and the step after the ones already made is sent, until none is left and the
  turn ends with text (`copilot.turns.next_step`).
- `tool_choice`: a named function forces that function; `"required"` forces calls of the offered
  functions; `"auto"` (the default) answers in words when the model would rather call a function
  that is not offered; `"none"`, or no `tools` at all, answers in words what would be done.
- Otherwise a turn whose last message is a tool result ends with text (`copilot.turns`), finish
  "stop".
- `max_tokens` is the decoder's budget; an output it cuts short ends with finish "length".
- Parameters this server cannot honour are refused (`refusal`), never silently ignored.
"""

from __future__ import annotations

import inspect
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from functools import cache
from typing import Any

from copilot.backends.base import Backend, Completion
from copilot.backends.wire import chat_completion
from copilot.catalog import FUNCTION_NAMES, parameters_schema
from copilot.chat_api import ChatRequest, NamedToolChoice, Tool
from copilot.turns import finished_turn_text, next_step, plan_in_words, split_turn


@cache
def _arguments(name: str) -> frozenset[str]:
    """The parameter names of a catalogue function."""
    return frozenset(parameters_schema(name, descriptions=False).get("properties", {}))


def callable_names(tools: list[Tool] | None) -> frozenset[str]:
    """The offered tools this model can call: a catalogue function's name with the same
    parameter names (no `parameters` at all counts as none)."""
    return frozenset(
        tool.function.name
        for tool in tools or []
        if tool.function.name in FUNCTION_NAMES
        and set((tool.function.parameters or {}).get("properties") or {})
        == _arguments(tool.function.name)
    )


def refusal(request: ChatRequest) -> tuple[str, str] | None:
    """(param, message) for a parameter this server cannot honour, or None."""
    if request.logprobs or request.top_logprobs:
        return "logprobs", "logprobs are not available from this model; send logprobs=false"
    kind = (request.response_format or {}).get("type", "text")
    if kind != "text":
        return (
            "response_format",
            f"response_format {kind!r} is not supported: this model answers with tool calls; "
            "send tools (with tool_choice) or response_format {'type': 'text'}",
        )
    offered = [t.function.name for t in request.tools or []]
    choice = request.tool_choice
    if isinstance(choice, NamedToolChoice) and choice.function.name not in offered:
        return (
            "tool_choice",
            f"tool_choice names {choice.function.name!r}, which tools do not offer",
        )
    if choice == "required" and not offered:
        return "tool_choice", "tool_choice 'required' needs tools"
    ours = callable_names(request.tools)
    if isinstance(choice, NamedToolChoice) and choice.function.name not in ours:
        return (
            "tool_choice",
            f"tool_choice names {choice.function.name!r}, whose parameters are not the drone "
            "catalogue's: this model can only call the catalogue's functions as they are",
        )
    forced = choice == "required" or isinstance(choice, NamedToolChoice)
    if forced and not ours:
        return "tools", "none of the tools is a function this drone model can call"
    return None


def answer(
    request: ChatRequest,
    backend: Backend,
    *,
    request_id: str | None = None,
    on_text: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """The `chat.completion` body answering `request` with `backend`.

    `request_id` names the answer (a stream sends it before the answer exists); `on_text` hears
    the output text grow, where the backend is our decoder (`copilot.streaming` uses it).
    """
    messages = [m.model_dump(exclude_none=True) for m in request.messages]
    request_id = request_id or uuid.uuid4().hex
    one_a_turn = request.parallel_tool_calls is False
    asked, done = split_turn(messages)
    if done and not one_a_turn:
        return _text_body(Completion(), finished_turn_text(messages), request, backend, request_id)
    names = callable_names(request.tools)
    choice = request.tool_choice
    in_words = choice == "none" or not names
    if isinstance(choice, NamedToolChoice) and choice.function.name in names:
        names = frozenset({choice.function.name})
    completion = _complete(request, backend, asked, None if in_words else names, on_text)
    if one_a_turn:
        step = None if in_words or completion.error else next_step(completion.calls, done)
        if step is not None:
            completion = replace(completion, calls=[step])
        elif done:  # every step made, or the client went its own way: the turn ends
            text = finished_turn_text(messages)
            return _text_body(completion, text, request, backend, request_id)
    if in_words:
        text = plan_in_words(completion.calls) if completion.calls else _why(completion)
        return _text_body(completion, text, request, backend, request_id)
    if completion.finish_reason == "length":
        body = _text_body(completion, completion.raw, request, backend, request_id)
        body["choices"][0]["finish_reason"] = "length"
        return body
    called = {c.name for c in completion.calls}
    if completion.finish_reason == "unoffered" or (called and not called <= names):
        text = "The request's tools do not offer what this needs.\n" + plan_in_words(
            completion.calls
        )
        return _text_body(completion, text, request, backend, request_id)
    return chat_completion(
        completion, request.model, backend.identity, request_id, int(time.time())
    )


def _complete(
    request: ChatRequest,
    backend: Backend,
    messages: list[dict[str, Any]],
    names: Any,
    on_text: Callable[[str], None] | None = None,
) -> Completion:
    tools = [t.model_dump(exclude_none=True) for t in request.tools or []]
    tools = [t for t in tools if names is None or t["function"]["name"] in names] or None
    budget = request.max_completion_tokens or request.max_tokens
    if "names" not in inspect.signature(backend.complete).parameters:  # not our decoder
        return backend.complete(messages, tools)  # the whole plan, always
    strict = request.tool_choice not in (None, "auto")
    return backend.complete(  # type: ignore[call-arg]
        messages,
        tools,
        names=names,
        strict=strict,
        max_new_tokens=budget,
        on_text=on_text,
    )


def _why(completion: Completion) -> str:
    return completion.error or "I have no drone command to suggest for that."


def _text_body(
    completion: Completion, text: str, request: ChatRequest, backend: Backend, request_id: str
) -> dict[str, Any]:
    """A text answer (no tool calls), finish "stop", with the completion's token counts."""
    quiet = Completion(
        prompt_tokens=completion.prompt_tokens,
        completion_tokens=completion.completion_tokens,
        error=text,
    )
    body = chat_completion(quiet, request.model, backend.identity, request_id, int(time.time()))
    body["choices"][0]["message"]["content"] = text
    return body
