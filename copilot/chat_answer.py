"""How the server answers one chat request: tools and tool_choice honoured, finished turns closed.

- The model writes only the functions the request's `tools` offer (`reject_request` too only if
  offered): the local grammar decoder is constrained to them; another backend's calls outside
  them make the answer text, never a dropped step.
- `tool_choice`: a named function forces that function; `"required"` forces calls of the offered
  functions; `"auto"` (the default) answers in words when the model would rather call a function
  that is not offered; `"none"`, or no `tools` at all, answers in words what would be done.
- A turn whose last message is a tool result ends with text (`copilot.turns`), finish "stop".
- `max_tokens` is the decoder's budget; an output it cuts short ends with finish "length".
- Parameters this server cannot honour are refused (`refusal`), never silently ignored.
"""

from __future__ import annotations

import inspect
import time
import uuid
from collections.abc import Callable
from typing import Any

from copilot.backends.base import Backend, Completion
from copilot.backends.wire import chat_completion
from copilot.catalog import FUNCTION_NAMES
from copilot.chat_api import ChatRequest, NamedToolChoice
from copilot.turns import finished_turn_text, plan_in_words


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
    forced = choice == "required" or isinstance(choice, NamedToolChoice)
    if forced and not set(offered) & set(FUNCTION_NAMES):
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
    closing = finished_turn_text(messages)
    if closing is not None:
        return _text_body(Completion(), closing, request, backend, request_id)
    offered = [t.function.name for t in request.tools or []]
    names = frozenset(offered) & frozenset(FUNCTION_NAMES)
    choice = request.tool_choice
    in_words = choice == "none" or not offered or not names
    if isinstance(choice, NamedToolChoice) and choice.function.name in FUNCTION_NAMES:
        names = frozenset({choice.function.name})
    completion = _complete(request, backend, messages, None if in_words else names, on_text)
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
    max_calls = None if request.parallel_tool_calls else 1
    tools = [t.model_dump(exclude_none=True) for t in request.tools or []]
    tools = [t for t in tools if names is None or t["function"]["name"] in names] or None
    budget = request.max_completion_tokens or request.max_tokens
    if "names" not in inspect.signature(backend.complete).parameters:  # not our decoder
        return backend.complete(messages, tools, max_calls=max_calls)
    strict = request.tool_choice not in (None, "auto")
    return backend.complete(  # type: ignore[call-arg]
        messages,
        tools,
        max_calls=max_calls,
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
