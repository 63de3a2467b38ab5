"""An OpenAI-compatible server over any backend, so every OpenAI tool can use the local model.

    python -m copilot.serve --model local-ft --host 127.0.0.1 --port 8000

Endpoints: `POST /v1/chat/completions` (with `tools`, `tool_choice`, `parallel_tool_calls` and
`usage`) and `GET /v1/models`. A plan comes back as several `tool_calls` in one message, in order;
`parallel_tool_calls: false` asks for one call at most. Bad requests get OpenAI-style error JSON with a 4xx status; a model that cannot
produce a valid call answers with text content instead of tool calls (finish_reason "stop").
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from copilot.backends.base import Backend
from copilot.backends.local import MAX_PROMPT_CHARS

MAX_BODY_BYTES = 1_000_000


class ChatRequest(BaseModel):
    """The fields we read from a chat completions request; other OpenAI fields are accepted."""

    model_config = ConfigDict(extra="allow")

    model: str
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: bool = True  # false: at most one call, no plan


class ApiError(Exception):
    """An OpenAI-style error answer."""

    def __init__(
        self, status: int, message: str, kind: str = "invalid_request_error", **extra: Any
    ):
        super().__init__(message)
        self.status, self.message, self.kind, self.extra = status, message, kind, extra


def _error(status: int, message: str, kind: str, param: str | None = None, code: str | None = None):
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return JSONResponse(body, status_code=status)


def _check(request: ChatRequest, served: list[str]) -> None:
    """Raise `ApiError` for anything we cannot answer; the message says what to change."""
    if request.model not in served:
        raise ApiError(
            404,
            f"The model {request.model!r} does not exist here; this server serves {served}",
            code="model_not_found",
            param="model",
        )
    if not request.messages:
        raise ApiError(400, "messages must hold at least one message", param="messages")
    for message in request.messages:
        if message.get("role") not in ("system", "developer", "user", "assistant", "tool"):
            raise ApiError(400, f"invalid role {message.get('role')!r}", param="messages")
        content = message.get("content")
        if content is not None and not isinstance(content, str | list):
            raise ApiError(400, "message content must be a string or a list", param="messages")
    users = [m for m in request.messages if m.get("role") == "user"]
    last = users[-1].get("content") if users else None
    if not isinstance(last, str) or not last.strip():
        raise ApiError(400, "the last user message is empty: send a command", param="messages")
    size = sum(len(json.dumps(m.get("content") or "")) for m in request.messages)
    if size > MAX_PROMPT_CHARS:
        raise ApiError(
            400,
            f"the messages are {size} characters long; this model reads at most {MAX_PROMPT_CHARS}",
            param="messages",
            code="context_length_exceeded",
        )
    if request.tool_choice == "none":
        raise ApiError(400, "this model only answers with tool calls", param="tool_choice")
    if isinstance(request.tool_choice, str) and request.tool_choice not in ("auto", "required"):
        raise ApiError(400, f"unknown tool_choice {request.tool_choice!r}", param="tool_choice")
    for tool in request.tools or []:
        if not isinstance(tool.get("function"), dict) or not tool["function"].get("name"):
            raise ApiError(400, "each tool needs a function with a name", param="tools")


def _answer(request: ChatRequest, backend: Backend) -> dict[str, Any]:
    max_calls = None if request.parallel_tool_calls else 1
    completion = backend.complete(request.messages, request.tools, max_calls=max_calls)
    allowed = {t["function"]["name"] for t in request.tools or []}
    calls = completion.calls
    missing = sorted({c.name for c in calls} - allowed) if allowed else []
    if missing:  # a plan runs whole or not at all: never drop a step the tools do not offer
        completion.error = (
            f"the plan calls {', '.join(missing)}, which the request's tools do not offer"
        )
    message: dict[str, Any] = {"role": "assistant", "content": None}
    if calls and not completion.error:
        message["tool_calls"] = [
            call.to_openai(f"call_{uuid.uuid4().hex[:12]}_{i}") for i, call in enumerate(calls)
        ]
        finish = "tool_calls"
    else:
        why = completion.error or "no valid tool call"
        # what the model wrote, then why none of it runs, so a person (or a parser) sees both
        message["content"] = f"{completion.raw}\n# not run: {why}" if completion.raw else why
        finish = "stop"
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.model,
        "system_fingerprint": backend.identity[:64],
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {
            "prompt_tokens": completion.prompt_tokens,
            "completion_tokens": completion.completion_tokens,
            "total_tokens": completion.total_tokens,
        },
    }


def create_app(backend: Backend, model_name: str | None = None) -> FastAPI:
    """The FastAPI app serving `backend` under `model_name` (default: the backend's name)."""
    served = [model_name or backend.name]
    app = FastAPI(title="drone-copilot", docs_url=None, redoc_url=None)

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return _error(
            exc.status, exc.message, exc.kind, exc.extra.get("param"), exc.extra.get("code")
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(400, f"invalid request: {exc.errors()[:1]}", "invalid_request_error")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = "not_found_error" if exc.status_code == 404 else "invalid_request_error"
        return _error(exc.status_code, str(exc.detail), kind)

    @app.get("/v1/models")
    def models() -> dict[str, Any]:
        data = [
            {"id": n, "object": "model", "created": 0, "owned_by": "drone-copilot"} for n in served
        ]
        return {"object": "list", "data": data}

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> JSONResponse:
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            raise ApiError(413, f"request body over {MAX_BODY_BYTES} bytes")
        try:
            payload = json.loads(body.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise ApiError(400, f"the request body is not UTF-8 (byte {exc.start})") from None
        except ValueError as exc:
            raise ApiError(400, f"the request body is not JSON: {exc}") from None
        if not isinstance(payload, dict):
            raise ApiError(400, "the request body must be a JSON object")
        try:
            parsed = ChatRequest.model_validate(payload)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ApiError(400, f"{where}: {first['msg']}", param=where) from None
        if payload.get("stream"):
            raise ApiError(400, "streaming is not supported; send stream=false", param="stream")
        _check(parsed, served)
        from starlette.concurrency import run_in_threadpool

        return JSONResponse(await run_in_threadpool(_answer, parsed, backend))

    return app


@contextmanager
def running_server(app: Any, host: str = "127.0.0.1") -> Iterator[str]:
    """Run `app` with uvicorn in a thread on a free port; yield its base URL (`.../v1`)."""
    import socket
    import threading

    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield f"http://{host}:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m copilot.serve",
        description="Serve a drone copilot model over the OpenAI chat completions API.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        "  python -m copilot.serve --model local-ft --port 8000\n"
        "  python -m copilot.serve --model local-base --base-model ~/models/qwen2.5-0.5b\n"
        "then: OPENAI_BASE_URL=http://127.0.0.1:8000/v1 python -m evaluation --model local-ft",
    )
    parser.add_argument("--model", default="local-ft", help="a registry name (default local-ft)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--base-model", help="a transformers folder or GGUF file (local models)")
    parser.add_argument("--base-url", help="serve another OpenAI-compatible server's model")
    args = parser.parse_args(argv)

    from copilot.backends.base import ModelUnavailable
    from copilot.backends.registry import UnknownModel, get_backend

    overrides: dict[str, Any] = {}
    if args.base_model:
        overrides["base_model"] = args.base_model
    if args.base_url:
        overrides["base_url"] = args.base_url
    try:
        backend = get_backend(args.model, **overrides)
        if hasattr(backend, "load"):
            print(f"loading {args.model} ...", file=sys.stderr)
            backend.load()
    except (UnknownModel, ModelUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    import uvicorn

    uvicorn.run(create_app(backend, args.model), host=args.host, port=args.port, log_level="info")
    return 0


if __name__ == "__main__":
    sys.exit(main())
