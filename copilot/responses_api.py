"""`POST /v1/responses`: the part of OpenAI's Responses API the Agents SDK and inspect_ai use.

A request is turned into the chat request it means (`chat_request`) and answered by the same
logic as `/v1/chat/completions` (`copilot.chat_answer`); the `chat.completion` body is then
written as a `response` object (`response_object`): each tool call a `function_call` item
(`id`, `call_id`, `name`, `arguments`, `status`), a text answer one `message` item with an
`output_text` part. A budget (`max_output_tokens`) that runs out gives status "incomplete".

What is read:
- `input`: a string (one user message), or a list of items: messages (`role` user, system,
  developer or assistant; `content` a string or `input_text`/`output_text` parts),
  `function_call` items (consecutive ones are one assistant message, a plan) and
  `function_call_output` items (tool results: a turn that ends with them is answered with text,
  `copilot.turns`); `instructions` becomes the first, system, message;
- `tools`: flat function tools (`{"type": "function", "name", "description", "parameters"}`),
  `tool_choice` ("auto", "none", "required" or `{"type": "function", "name"}`),
  `parallel_tool_calls`, `max_output_tokens`, `stream`;
- accepted and without effect on a greedy, stateless answer, as on the chat endpoint:
  `temperature`, `top_p`, `user`, `metadata` (echoed), `service_tier`, `truncation`,
  `prompt_cache_key`, `safety_identifier`, `stream_options`, `text` with the text format,
  `reasoning` with nothing set, `include` asking only for `reasoning.encrypted_content` (there is
  no reasoning to include).

What is refused with a 400 naming the field, never silently ignored: this server keeps no
state, so `previous_response_id`, `conversation`, `prompt` (a stored prompt), `background` and
**`store: true`** (a promise to keep the response that we would break) are refused; send the
whole conversation in `input` and `store: false` or no `store` (the answer says `"store": false`).
Also refused: hosted tools (web search, file search, ...), input images and files, a text format
other than text, reasoning settings, logprobs, and any field not named here.

With `stream: true` the answer is OpenAI's event sequence (`response.created`,
`response.in_progress`, per item `response.output_item.added`, the arguments' or text's deltas
and done events, `response.output_item.done`, then `response.completed`, or
`response.incomplete`), each `event:`-named; as for chat streams (`copilot.streaming`), the
first events leave at once and the items only once the answer is final.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from copilot.chat_api import ChatRequest, FunctionName, PositiveInt, Temperature, Unit, part_text
from copilot.request_body import ApiError, validated
from copilot.streaming import arguments_pieces, events, sse, words

IGNORED = {  # accepted, and without effect on a greedy, stateless answer
    "temperature",
    "top_p",
    "user",
    "metadata",
    "service_tier",
    "truncation",
    "prompt_cache_key",
    "prompt_cache_retention",
    "safety_identifier",
    "stream_options",
}
STATELESS = (
    "this server keeps no responses or conversations: send the whole conversation in `input`"
)
REFUSED = {
    "previous_response_id": STATELESS,
    "conversation": STATELESS,
    "prompt": "stored prompts are not kept here: send `instructions` and `input`",
    "background": "background responses need stored responses, which this server does not keep",
    "max_tool_calls": "max_tool_calls is not supported: send parallel_tool_calls=false for one",
    "top_logprobs": "logprobs are not available from this model",
}
INCLUDABLE = {"reasoning.encrypted_content"}  # this model does not reason: nothing to include


class _Strict(BaseModel):
    """Typed strictly; other fields are kept in `model_extra`, for `_refuse` to judge."""

    model_config = ConfigDict(strict=True, extra="allow")


class FunctionTool(_Strict):
    type: Literal["function"]
    name: FunctionName
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class NamedChoice(_Strict):
    type: Literal["function"]
    name: FunctionName


class ResponsesRequest(_Strict):
    """A Responses API request: the fields this server reads, typed and bounded strictly."""

    model: Annotated[str, Field(min_length=1, max_length=256)]
    input: str | Annotated[list[dict[str, Any]], Field(min_length=1, max_length=1000)]
    instructions: str | None = None
    tools: Annotated[list[dict[str, Any]], Field(max_length=128)] | None = None
    tool_choice: Literal["none", "auto", "required"] | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    max_output_tokens: PositiveInt | None = None
    stream: bool | None = None
    store: bool | None = None
    include: list[str] | None = None
    text: dict[str, Any] | None = None
    reasoning: dict[str, Any] | None = None
    temperature: Temperature | None = None
    top_p: Unit | None = None
    metadata: dict[str, str] | None = None


def chat_request(request: ResponsesRequest) -> ChatRequest:
    """The chat completions request `request` means, or `ApiError` naming what we cannot do."""
    _refuse(request)
    tools = []
    for i, tool in enumerate(request.tools or []):
        try:
            tools.append(validated(FunctionTool, tool))
        except ApiError as exc:
            where = f"tools[{i}].{exc.extra.get('param')}"
            raise ApiError(400, f"tools[{i}].{exc.message}", param=where) from None
    choice: Any = request.tool_choice
    if isinstance(choice, dict):
        named = validated(NamedChoice, choice)
        choice = {"type": "function", "function": {"name": named.name}}
    chat = {
        "model": request.model,
        "messages": messages(request),
        "tools": [
            {"type": "function", "function": t.model_dump(exclude={"type"}, exclude_none=True)}
            for t in tools
        ]
        or None,
        "tool_choice": choice,
        "parallel_tool_calls": request.parallel_tool_calls is not False,
        "max_tokens": request.max_output_tokens,
    }
    try:
        return validated(ChatRequest, chat)
    except ApiError as exc:  # a field of an input item, said in chat terms: point at `input`
        raise ApiError(400, f"input, read as chat messages: {exc.message}", param="input") from None


def _refuse(request: ResponsesRequest) -> None:
    extra = dict(request.model_extra or {})
    for field, why in REFUSED.items():
        if extra.get(field) not in (None, False, 0):
            raise ApiError(400, f"{field} is not supported: {why}", param=field)
    unknown = sorted(set(extra) - IGNORED - set(REFUSED))
    if unknown:
        raise ApiError(400, f"{unknown[0]} is not supported by this server", param=unknown[0])
    if request.store:
        raise ApiError(400, f"store=true cannot be honoured: {STATELESS}", param="store")
    wanted = sorted(set(request.include or ()) - INCLUDABLE)
    if wanted:
        raise ApiError(400, f"include {wanted[0]!r} is not available here", param="include")
    shape = (request.text or {}).get("format") or {"type": "text"}
    kind = shape.get("type") if isinstance(shape, dict) else shape
    if kind != "text":
        raise ApiError(
            400,
            f"text.format {kind!r} is not supported: this model answers with function calls",
            param="text",
        )
    if any(v is not None for v in (request.reasoning or {}).values()):
        raise ApiError(400, "this model does not reason: send no reasoning", param="reasoning")
    for i, tool in enumerate(request.tools or []):
        if tool.get("type") != "function":
            raise ApiError(
                400,
                f"tools[{i}] is a {tool.get('type')!r} tool: this server offers function tools only",
                param=f"tools[{i}]",
            )


def messages(request: ResponsesRequest) -> list[dict[str, Any]]:
    """The chat messages of the request's `instructions` and `input`."""
    out: list[dict[str, Any]] = []
    if request.instructions:
        out.append({"role": "system", "content": request.instructions})
    items = request.input
    if isinstance(items, str):
        return [*out, {"role": "user", "content": items}]
    for i, item in enumerate(items):
        kind = item.get("type", "message" if "role" in item else None)
        if kind == "message":
            role = item.get("role")
            if role not in ("user", "system", "developer", "assistant"):
                raise ApiError(400, f"input[{i}].role {role!r} is not one we read", param="input")
            out.append({"role": role, "content": _text(item.get("content"), i)})
        elif kind == "function_call":
            call = {
                "id": item.get("call_id"),
                "type": "function",
                "function": {"name": item.get("name"), "arguments": item.get("arguments", "{}")},
            }
            if out and out[-1]["role"] == "assistant":  # a plan: one message, several calls
                out[-1].setdefault("tool_calls", []).append(call)
            else:
                out.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind == "function_call_output":
            output = _text(item.get("output"), i)
            out.append({"role": "tool", "tool_call_id": item.get("call_id"), "content": output})
        else:
            raise ApiError(
                400,
                f"input[{i}] is a {kind!r} item: this server reads messages, function_call "
                "and function_call_output items",
                param=f"input[{i}]",
            )
    return out


def _text(content: Any, i: int) -> Any:
    """Message content as text: parts of type input_text, output_text or text joined."""
    if not isinstance(content, list):
        return content
    parts = [
        {**p, "type": "text"} if isinstance(p, dict) and p.get("type") == "output_text" else p
        for p in content
    ]
    try:
        return part_text(parts)
    except ValueError as exc:
        raise ApiError(400, f"input[{i}].content: {exc}", param=f"input[{i}].content") from None


def response_object(
    request: ResponsesRequest, response_id: str, created: int, body: dict[str, Any] | None
) -> dict[str, Any]:
    """The `response` object answering `request` with the chat `body` (None: in progress)."""
    output, usage, status, incomplete = [], None, "in_progress", None
    if body is not None:
        choice = body["choices"][0]
        message = choice["message"]
        for call in message.get("tool_calls") or []:
            output.append(
                {
                    "type": "function_call",
                    "id": "fc_" + call["id"].removeprefix("call_"),
                    "call_id": call["id"],
                    "name": call["function"]["name"],
                    "arguments": call["function"]["arguments"],
                    "status": "completed",
                }
            )
        status = "incomplete" if choice["finish_reason"] == "length" else "completed"
        if message.get("content") is not None:
            text = {"type": "output_text", "text": message["content"], "annotations": []}
            output.append(
                {
                    "type": "message",
                    "id": f"msg_{response_id}",
                    "role": "assistant",
                    "status": status,
                    "content": [{**text, "logprobs": []}],
                }
            )
        if status == "incomplete":
            incomplete = {"reason": "max_output_tokens"}
        tokens = body["usage"]
        usage = {
            "input_tokens": tokens["prompt_tokens"],
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": tokens["completion_tokens"],
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": tokens["total_tokens"],
        }
    return {
        "id": f"resp_{response_id}",
        "object": "response",
        "created_at": created,
        "status": status,
        "error": None,
        "incomplete_details": incomplete,
        "instructions": request.instructions,
        "max_output_tokens": request.max_output_tokens,
        "model": request.model,
        "output": output,
        "parallel_tool_calls": request.parallel_tool_calls is not False,
        "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None},
        "store": False,
        "temperature": request.temperature,
        "text": {"format": {"type": "text"}},
        "tool_choice": request.tool_choice or "auto",
        "tools": request.tools or [],
        "top_p": request.top_p,
        "truncation": "disabled",
        "usage": usage,
        "metadata": request.metadata or {},
    }


def item_events(item: dict[str, Any], index: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """(event type, fields) that stream one output item, from added to done."""
    where = {"item_id": item["id"], "output_index": index}
    if item["type"] == "function_call":
        yield (
            "response.output_item.added",
            {"item": {**item, "arguments": "", "status": "in_progress"}, "output_index": index},
        )
        for piece in arguments_pieces(item["arguments"]):
            yield "response.function_call_arguments.delta", {**where, "delta": piece}
        done = {**where, "arguments": item["arguments"], "name": item["name"]}
        yield "response.function_call_arguments.done", done
    else:
        part = item["content"][0]
        started = {**item, "content": [], "status": "in_progress"}
        yield "response.output_item.added", {"item": started, "output_index": index}
        where["content_index"] = 0
        empty = {**part, "text": ""}
        yield "response.content_part.added", {**where, "part": empty}
        for piece in words(part["text"]):
            yield "response.output_text.delta", {**where, "delta": piece, "logprobs": []}
        yield "response.output_text.done", {**where, "text": part["text"], "logprobs": []}
        yield "response.content_part.done", {**where, "part": part}
    yield "response.output_item.done", {"item": item, "output_index": index}


def response_events(
    request: ResponsesRequest,
    response_id: str,
    created: int,
    task: asyncio.Task[dict[str, Any]],
    heard: asyncio.Queue,
) -> AsyncIterator[bytes]:
    """The whole event stream of one response whose chat answer `task` computes."""
    numbers = itertools.count()

    def event(kind: str, fields: dict[str, Any]) -> bytes:
        return sse({"type": kind, "sequence_number": next(numbers), **fields}, event=kind)

    def closing(body: dict[str, Any]) -> Iterator[bytes]:
        final = response_object(request, response_id, created, body)
        for index, item in enumerate(final["output"]):
            for kind, fields in item_events(item, index):
                yield event(kind, fields)
        last = "response.incomplete" if final["status"] == "incomplete" else "response.completed"
        yield event(last, {"response": final})

    started = response_object(request, response_id, created, None)
    opening = [
        event("response.created", {"response": started}),
        event("response.in_progress", {"response": started}),
    ]
    return events(opening, task, heard, closing)
