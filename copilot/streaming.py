"""`stream=true` on `/v1/chat/completions`: server-sent events of `chat.completion.chunk` objects.

The events, in OpenAI's order and shape:
1. `delta: {"role": "assistant", "content": null}`, as soon as the request is admitted, before
   the model has written a token;
2. SSE comment lines (`: 12 tokens decoded`) while our grammar decoder writes, one per token:
   clients skip comments, a person with curl sees the decoding go, and a proxy sees a live
   connection;
3. the answer: for a plan, per call one `tool_calls` entry with its index, id, type and name
   (arguments "") and then the arguments JSON in pieces, an argument at a time; for a text
   answer, `content` pieces, a word at a time;
4. an empty delta with the `finish_reason` ("tool_calls", "stop" or "length");
5. with `stream_options: {"include_usage": true}`, a chunk with empty `choices` and the `usage`
   (every earlier chunk then says `"usage": null`, as OpenAI's do);
6. `data: [DONE]`.

The rule for what is sent when: **no part of the answer leaves before the whole answer is
final.** A streamed call cannot be taken back, and until the decoder stops, even a complete,
valid call may be withdrawn: refusal is atomic (a later step's impossible value turns the whole
plan into `reject_request()`), a plan is validated as a whole (a fifth call, a refusal beside a
call), under "auto" the model's preference for an unoffered function re-decodes the request, a
budget that runs out makes the output text, and the text answers are written from the finished
plan. So the answer is `copilot.chat_answer.answer`'s, computed exactly as without streaming,
then cut into chunks: put back together, the pieces are the non-streamed message, exactly. What
streams as it happens is the decoding's progress (2.).

An error found before the stream starts is a normal JSON 4xx; one found after it (the backend
failing) ends the stream with `data: {"error": {...}}`, which the openai client raises.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import Any

from starlette.responses import StreamingResponse

from copilot.backends.wire import completion_head

log = logging.getLogger("copilot.serve")
DONE = b"data: [DONE]\n\n"
OnText = Callable[[str], None]
SERVER_ERROR = {
    "message": "the server failed on this request; it is logged",
    "type": "server_error",
    "param": None,
    "code": None,
}


def sse(data: Any, event: str | None = None) -> bytes:
    """One server-sent event: `data: <json>` (after `event: <name>` when named)."""
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def event_stream(events: AsyncIterator[bytes]) -> StreamingResponse:
    """The HTTP answer that sends `events` as they come."""
    # no-cache and X-Accel-Buffering: a proxy (nginx) must pass each event on, not keep it
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events, media_type="text/event-stream", headers=headers)


def words(text: str) -> list[str]:
    """`text` in pieces of a word and the space after it; joined, they are `text` again."""
    return [piece for piece in re.findall(r"\s*\S*\s*", text) if piece] or [text]


def arguments_pieces(arguments: str) -> list[str]:
    """A call's arguments JSON in pieces, cut after each `, `: `{"a": 1, ` then `"b": 2}`."""
    return [piece for piece in re.split(r"(?<=, )", arguments) if piece] or [arguments]


def start(run: Callable[[OnText], Awaitable[Any]]) -> tuple[asyncio.Task[Any], asyncio.Queue]:
    """Start computing an answer now, apart from the stream that will send it: the task that
    yields it and a queue that hears each token the decoder writes. The task runs to its end
    even when the client hangs up, so its slot is given back only when the model is done."""
    loop = asyncio.get_running_loop()
    heard: asyncio.Queue[str] = asyncio.Queue()

    def on_text(text: str) -> None:  # called in the worker thread
        loop.call_soon_threadsafe(heard.put_nowait, text)

    task = asyncio.ensure_future(run(on_text))
    task.add_done_callback(_quiet)  # a stream that never started must not log "never retrieved"
    return task, heard


def _quiet(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()


async def _progress(task: asyncio.Task[Any], heard: asyncio.Queue) -> AsyncIterator[bytes]:
    """SSE comments, one per token decoded, until `task` is done."""
    tokens = 0
    while not task.done():
        hearing = asyncio.ensure_future(heard.get())
        done, _ = await asyncio.wait({task, hearing}, return_when=asyncio.FIRST_COMPLETED)
        if hearing in done:
            tokens += 1
            yield f": {tokens} tokens decoded\n\n".encode()
        else:
            hearing.cancel()


def chunk_head(request_id: str, model: str, identity: str, created: int) -> dict[str, Any]:
    """The fields every chunk of one stream shares."""
    return completion_head(request_id, model, identity, created, "chat.completion.chunk")


def _chunk(
    head: dict[str, Any], delta: dict[str, Any], usage: bool, finish: str | None = None
) -> dict[str, Any]:
    choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
    return {**head, "choices": [choice], **({"usage": None} if usage else {})}


def role_chunk(head: dict[str, Any], include_usage: bool) -> dict[str, Any]:
    return _chunk(head, {"role": "assistant", "content": None}, include_usage)


def answer_chunks(
    body: dict[str, Any], head: dict[str, Any], include_usage: bool
) -> Iterator[dict[str, Any]]:
    """The chunks after the role chunk that carry `body` (a `chat.completion`), to the usage."""
    choice = body["choices"][0]
    message = choice["message"]
    for index, call in enumerate(message.get("tool_calls") or []):
        function = call["function"]
        first = {"name": function["name"], "arguments": ""}
        entry = {"index": index, "id": call["id"], "type": "function", "function": first}
        yield _chunk(head, {"tool_calls": [entry]}, include_usage)
        for piece in arguments_pieces(function["arguments"]):
            entry = {"index": index, "function": {"arguments": piece}}
            yield _chunk(head, {"tool_calls": [entry]}, include_usage)
    if message.get("content") is not None:
        for piece in words(message["content"]):
            yield _chunk(head, {"content": piece}, include_usage)
    yield _chunk(head, {}, include_usage, choice["finish_reason"])
    if include_usage:
        yield {**head, "choices": [], "usage": body["usage"]}


def chat_events(
    head: dict[str, Any],
    task: asyncio.Task[dict[str, Any]],
    heard: asyncio.Queue,
    include_usage: bool,
) -> AsyncIterator[bytes]:
    """The whole stream of one chat completion whose answer `task` computes."""

    def closing(body: dict[str, Any]) -> Iterator[bytes]:
        for chunk in answer_chunks(body, head, include_usage):
            yield sse(chunk)
        yield DONE

    return events([sse(role_chunk(head, include_usage))], task, heard, closing)


async def events(
    opening: list[bytes],
    task: asyncio.Task[Any],
    heard: asyncio.Queue,
    closing: Callable[[Any], Iterable[bytes]],
) -> AsyncIterator[bytes]:
    """A stream: the `opening` events at once, a comment per token decoded while `task`
    computes the answer, then the `closing` events that carry it (or an error event)."""
    for event in opening:
        yield event
    async for comment in _progress(task, heard):
        yield comment
    try:
        body = await task
    except Exception as exc:
        log.error("a streamed answer failed: %s", exc, exc_info=exc)
        yield sse({"error": SERVER_ERROR})
        return
    for event in closing(body):
        yield event
