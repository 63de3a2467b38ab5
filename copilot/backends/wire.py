"""The chat completions request and answer as JSON, shared by every path a request can take.

A live run through `OpenAIBackend`, a Batch API request line (`python -m evaluation batch
export`), and `python -m copilot batch` all build the request body with `chat_params`, so the
same file means the same request on OpenAI, on vLLM, on our server and here. Answers go the other
way: `completion_body` writes a `Completion` as a `chat.completion` body (as `copilot.serve`
answers), and `completion_from_body` reads any such body back, exactly as the OpenAI backend reads
a live answer.

A body written here carries one field OpenAI does not: `copilot`, with what the model wrote
(`raw`, `raw_calls`), why none of it may run (`error`), its latency and the backend's identity.
Reading a body that has it gives back the very `Completion` that was written (latency included),
so a file run here scores exactly as a live run of the same model. A body from OpenAI or vLLM has
no such field and is read from its standard fields alone.
"""

from __future__ import annotations

import json
from typing import Any

from copilot.backends.base import Completion
from copilot.catalog import ToolCall
from copilot.parsing import RawCall

# The seed's call settings: what every live request sends unless a backend is told otherwise.
DEFAULT_SETTINGS: dict[str, Any] = {
    "temperature": 0.0,
    "seed": 42,
    "tool_choice": "required",
    "max_tokens": 500,
}
EXTENSION = "copilot"


def chat_params(
    model: str,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]],
    settings: dict[str, Any] | None = None,
    max_calls: int | None = None,
) -> dict[str, Any]:
    """The `/v1/chat/completions` body. `parallel_tool_calls` is always said, never left to an
    engine's default: true lets a plan come back as several calls, false (`max_calls == 1`)
    asks for one call at most."""
    chosen = DEFAULT_SETTINGS if settings is None else settings
    return {
        "model": model,
        "messages": messages,
        "tools": tools,
        **{k: v for k, v in chosen.items() if v is not None},
        "parallel_tool_calls": max_calls != 1,
    }


def max_calls_of(body: dict[str, Any]) -> int | None:
    """The `max_calls` a request body asks for (1 when `parallel_tool_calls` is false)."""
    return 1 if body.get("parallel_tool_calls") is False else None


def chat_completion(
    completion: Completion, model: str, identity: str, request_id: str, created: int = 0
) -> dict[str, Any]:
    """A `chat.completion` body for one answer: valid calls as `tool_calls`, otherwise the text
    and why it does not run, so a person (or a parser) sees both. `copilot.serve` answers this."""
    message: dict[str, Any] = {"role": "assistant", "content": None}
    if completion.calls and not completion.error:
        message["tool_calls"] = [
            call.to_openai(f"call_{request_id[-12:]}_{i}")
            for i, call in enumerate(completion.calls)
        ]
        finish = "tool_calls"
    else:
        why = completion.error or "no valid tool call"
        message["content"] = f"{completion.raw}\n# not run: {why}" if completion.raw else why
        finish = "stop"
    return {
        **completion_head(request_id, model, identity, created),
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {
            "prompt_tokens": completion.prompt_tokens,
            "completion_tokens": completion.completion_tokens,
            "total_tokens": completion.total_tokens,
        },
    }


def completion_head(
    request_id: str, model: str, identity: str, created: int, kind: str = "chat.completion"
) -> dict[str, Any]:
    """The fields that name an answer; a stream's chunks (`kind` "chat.completion.chunk") share
    them with the answer they carry."""
    return {
        "id": f"chatcmpl-{request_id}",
        "object": kind,
        "created": created,
        "model": model,
        "system_fingerprint": identity[:64],
    }


def completion_body(
    completion: Completion, model: str, identity: str, request_id: str
) -> dict[str, Any]:
    """`chat_completion`, created 0 (a file that runs twice gives the same bytes), plus the
    `copilot` field an import reads back exactly."""
    body = chat_completion(completion, model, identity, request_id)
    body[EXTENSION] = {
        "raw": completion.raw,
        "raw_calls": [{"name": c.name, "arguments": c.arguments} for c in completion.raw_calls],
        "error": completion.error,
        "latency_ms": completion.latency_ms,
        "identity": identity,
    }
    return body


def completion_from_response(response: Any, max_calls: int | None, **fields: Any) -> Completion:
    """A `Completion` from a `ChatCompletion` (the `openai` client's type), as a live run reads
    it: tool calls parsed and validated as a plan, else the text content parsed."""
    if not response.choices:
        return Completion(error="the server returned no choices", **fields)
    message = response.choices[0].message
    if message.tool_calls is not None and not message.tool_calls:
        return Completion(error="the model returned an empty tool_calls list", **fields)
    if message.tool_calls:
        raw = json.dumps([call.model_dump() for call in message.tool_calls])
        completion = Completion.from_output(message.tool_calls, raw=raw, **fields)
        if max_calls is not None and len(completion.calls) > max_calls:
            n = len(completion.calls)
            return Completion(
                raw=raw, error=f"{n} calls where at most {max_calls} was asked for", **fields
            )
        return completion
    return Completion.from_output(message.content or "", **fields)


def completion_from_body(body: dict[str, Any], max_calls: int | None = None) -> Completion:
    """A `Completion` from a `chat.completion` body (a dict): the one `completion_body` wrote,
    in full, or any other server's, read as `completion_from_response` reads a live answer.
    Raises ValueError (pydantic's) when the body is not a chat completion."""
    from openai.types.chat import ChatCompletion

    response = ChatCompletion.model_validate(body)
    usage = response.usage
    tokens = {
        "prompt_tokens": getattr(usage, "prompt_tokens", 0) or 0,
        "completion_tokens": getattr(usage, "completion_tokens", 0) or 0,
    }
    ours = body.get(EXTENSION)
    if not isinstance(ours, dict):
        return completion_from_response(response, max_calls, **tokens)
    calls = []
    message = response.choices[0].message if response.choices else None
    for call in (message.tool_calls or []) if message else []:
        calls.append(ToolCall(call.function.name, json.loads(call.function.arguments or "{}")))
    raw_calls = [RawCall(c["name"], c.get("arguments")) for c in ours.get("raw_calls") or []]
    return Completion(
        calls=calls,
        raw=str(ours.get("raw") or ""),
        raw_calls=raw_calls,
        latency_ms=float(ours.get("latency_ms") or 0.0),
        error=ours.get("error"),
        **tokens,
    )


def identity_of(body: dict[str, Any]) -> str:
    """The backend identity a body names: ours in full, else the fingerprint or the model."""
    ours = body.get(EXTENSION)
    if isinstance(ours, dict) and ours.get("identity"):
        return str(ours["identity"])
    return str(body.get("system_fingerprint") or body.get("model") or "")
