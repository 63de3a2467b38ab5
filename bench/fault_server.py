"""A fault-injecting OpenAI-compatible server, for the reliability bench and tests.

It listens on a loopback port with plain asyncio sockets (so it can reset a connection or hang,
which a web framework would not let it do) and answers each prompt with the fault the prompt
names, a number of times, then with a tool call. Drive it with the official `openai` client
through `copilot.OpenAIBackend` to see retries bounded and every failure recorded.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import struct
import threading
from collections import Counter
from typing import Any

JSON = "application/json"

FAULT = re.compile(r"\[fault=(?P<kind>[a-z0-9-]+)x(?P<times>\d+)\]")
FAULT_KINDS = ("429", "500", "503", "reset", "hang", "malformed", "empty-choices", "bad-arguments")
RECOVERS = {"429", "500", "503", "reset", "hang"}  # retried: a later attempt is answered


def fault_prompt(kind: str, times: int, text: str = "come home") -> str:
    """A prompt the fault server answers with `kind` for its first `times` attempts."""
    return f"[fault={kind}x{times}] {text}"


def _answer(calls: list[dict[str, Any]] | None, choices: bool = True) -> bytes:
    message = {"role": "assistant", "content": None, "tool_calls": calls}
    body = {
        "id": "chatcmpl-fault",
        "object": "chat.completion",
        "created": 0,
        "model": "faulty",
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}]
        if choices
        else [],
        "usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10},
    }
    return json.dumps(body).encode()


def _call(arguments: str, name: str = "return_to_home") -> list[dict[str, Any]]:
    return [
        {"id": "call_1", "type": "function", "function": {"name": name, "arguments": arguments}}
    ]


class FaultServer:
    """An OpenAI-compatible chat completions server that misbehaves on request.

    A prompt holding `[fault=KINDxN]` gets KIND for its first N attempts, then a good answer
    (`return_to_home()`). KIND: 429 or 500/503 (with `retry-after-ms: 5`), `reset` (the
    connection closed with a TCP reset, no answer), `hang` (no answer for `hang_s`),
    `malformed` (200 with a body that is not JSON), `empty-choices`, `bad-arguments` (a tool
    call whose arguments are not JSON). `hits[prompt]` counts the attempts each prompt made.
    """

    def __init__(self, hang_s: float = 3.0) -> None:
        self.hang_s = hang_s
        self.hits: Counter[str] = Counter()
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(self._main(),))

    def __enter__(self) -> FaultServer:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
        self._loop.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        await self._stop.wait()
        server.close()
        handlers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in handlers:
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:  # keep-alive: one request after another on this connection
                head = await reader.readuntil(b"\r\n\r\n")
                length = re.search(rb"(?i)content-length:\s*(\d+)", head)
                body = await reader.readexactly(int(length[1])) if length else b""
                if not await self._respond(body, writer):
                    return
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:  # the server is stopping: end quietly
            pass
        finally:
            writer.close()

    async def _respond(self, body: bytes, writer: asyncio.StreamWriter) -> bool:
        try:
            messages = json.loads(body).get("messages", [])
            prompt = next(m["content"] for m in reversed(messages) if m.get("role") == "user")
        except (ValueError, StopIteration, AttributeError, KeyError, TypeError):
            prompt = ""
        self.hits[prompt] += 1
        match = FAULT.search(prompt)
        kind = match["kind"] if match and self.hits[prompt] <= int(match["times"]) else "ok"
        status, headers, payload = 200, {"content-type": JSON}, _answer(_call("{}"))
        if kind in ("429", "500", "503"):
            status, headers["retry-after-ms"] = int(kind), "5"
            payload = json.dumps(
                {"error": {"message": f"fault {kind}", "type": "server_error"}}
            ).encode()
        elif kind == "reset":
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return False
        elif kind == "hang":
            await asyncio.sleep(self.hang_s)
            writer.transport.abort()
            return False
        elif kind == "malformed":
            payload = b'{"id": "chatcmpl-fault", "choices": [{"message": '
        elif kind == "empty-choices":
            payload = _answer(None, choices=False)
        elif kind == "bad-arguments":
            payload = _answer(_call('{"altitude": ', "takeoff_drone"))
        reason = {200: "OK", 429: "Too Many Requests", 500: "Internal Server Error"}.get(
            status, "Error"
        )
        head = f"HTTP/1.1 {status} {reason}\r\ncontent-length: {len(payload)}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        writer.write(head.encode() + b"\r\n" + payload)
        await writer.drain()
        return True
