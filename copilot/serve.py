"""An OpenAI-compatible server over any backend, so every OpenAI tool can use the local model.

    python -m copilot.serve --model local-ft --host 127.0.0.1 --port 8000
    DRONE_COPILOT_API_KEY=secret python -m copilot.serve --host 0.0.0.0   # reachable, with a key

Endpoints: `POST /v1/chat/completions` (with `tools`, `tool_choice`, `parallel_tool_calls`,
`max_tokens`, `usage` and `stream`; how a request is answered is `copilot.chat_answer`),
`POST /v1/responses` (the Responses API as the Agents SDK and inspect_ai use it, answered by the
same logic; what it reads and refuses, `store` and `previous_response_id` among them:
`copilot.responses_api`), `GET /v1/models` and `GET /v1/models/{id}`. A plan comes back as
several `tool_calls` in one message (several `function_call` items), in order;
`parallel_tool_calls: false` asks for one call at most. A model that cannot produce a valid call
answers with text content instead of tool calls (finish_reason "stop"); so does a finished turn
(the last message a tool result). `stream: true` answers with server-sent events of
`chat.completion.chunk` objects in OpenAI's shape (`stream_options.include_usage` adds the usage
chunk), and on `/v1/responses` with OpenAI's `response.*` events; the first event leaves at
once, and the answer, computed as without streaming, follows when it is final (why, and the
events: `copilot.streaming`).

How many at once: `--max-concurrency N` answers are computed together (default 1: the local
model decodes one request at a time), `--max-queue M` more wait in arrival order (default 16),
and a request past those gets a 429 (`rate_limit_error`) with a `Retry-After` header
(`copilot.admission`).

Who may call it: with `--api-key` (or DRONE_COPILOT_API_KEY) every request needs
`Authorization: Bearer KEY`, as vLLM and llama.cpp's server ask; without a key the server only
binds to a loopback address. A POST must say `Content-Type: application/json` (415 otherwise), so a
cross-site form or `text/plain` POST from a web page cannot drive the drone.

Bad requests get an OpenAI-style error body (`{"error": {"message", "type", "param", "code"}}`)
with a 4xx status naming the field: the body is read by `copilot.request_body`, its fields
checked by `copilot.chat_api`.
"""

from __future__ import annotations

import argparse
import hmac
import ipaddress
import json
import logging
import os
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from copilot import responses_api, streaming
from copilot.admission import MAX_CONCURRENCY, MAX_QUEUE, Busy, Gate
from copilot.backends.base import Backend
from copilot.backends.local import MAX_PROMPT_CHARS
from copilot.chat_answer import answer, refusal
from copilot.chat_api import ChatRequest, openapi_schemas
from copilot.redaction import remember
from copilot.request_body import ApiError, error_response, field_name, read_json, validated

API_KEY_ENV = "DRONE_COPILOT_API_KEY"
log = logging.getLogger("copilot.serve")


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
    users = [m for m in request.messages if m.role == "user"]
    last = users[-1].content if users else None
    if not isinstance(last, str) or not last.strip():
        raise ApiError(400, "the last user message is empty: send a command", param="messages")
    size = sum(len(json.dumps(m.content or "")) for m in request.messages)
    if size > MAX_PROMPT_CHARS:
        raise ApiError(
            400,
            f"the messages are {size} characters long; this model reads at most {MAX_PROMPT_CHARS}",
            param="messages",
            code="context_length_exceeded",
        )
    if request.stream_options is not None and not request.stream:
        raise ApiError(
            400, "stream_options is only allowed with stream=true", param="stream_options"
        )
    refused = refusal(request)
    if refused:
        raise ApiError(400, refused[1], param=refused[0])


def _key_checker(api_key: str | None):
    """A dependency that lets a request through only with `Authorization: Bearer <api_key>`."""

    def check(request: Request) -> None:
        if not api_key:
            return
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode(), api_key.encode()
        ):
            raise ApiError(
                401,
                "missing or wrong API key: send the header 'Authorization: Bearer <key>'",
                code="invalid_api_key",
            )

    return check


def create_app(
    backend: Backend,
    model_name: str | None = None,
    api_key: str | None = None,
    *,
    max_concurrency: int = MAX_CONCURRENCY,
    max_queue: int = MAX_QUEUE,
) -> FastAPI:
    """The FastAPI app serving `backend` under `model_name` (default: the backend's name).

    With `api_key`, every request needs `Authorization: Bearer <api_key>`. `max_concurrency`
    answers are computed at once, `max_queue` more wait their turn in order, and one more is
    refused with a 429 (`copilot.admission`); the gate is `app.state.gate`.
    """
    served = [model_name or backend.name]
    remember(api_key)
    gate = Gate(max_concurrency, max_queue)
    app = FastAPI(
        title="drone-copilot",
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(_key_checker(api_key))],
    )
    app.state.gate = gate

    @app.exception_handler(ApiError)
    async def _apierror_response(_: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return error_response(
            exc.status,
            exc.message,
            exc.kind,
            exc.extra.get("param"),
            exc.extra.get("code"),
            headers,
        )

    @app.exception_handler(Busy)
    async def _busy(_: Request, exc: Busy) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after)}
        return error_response(429, str(exc), "rate_limit_error", None, "server_busy", headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        return error_response(
            400, f"{field_name(first['loc'])}: {first['msg']}", "invalid_request_error"
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = "not_found_error" if exc.status_code == 404 else "invalid_request_error"
        return error_response(exc.status_code, str(exc.detail), kind, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        log.error("%s %s failed: %s", request.method, request.url.path, exc, exc_info=exc)
        return error_response(
            500, "the server failed on this request; it is logged", "server_error"
        )

    @app.exception_handler(ClientDisconnect)
    async def _gone(request: Request, _: ClientDisconnect) -> Response:
        client = f"{request.client.host}:{request.client.port}" if request.client else "a client"
        log.info("%s disconnected before its request was read; nothing answered", client)
        return Response(status_code=499)

    @app.get("/v1/models")
    def models() -> dict[str, Any]:
        data = [
            {"id": n, "object": "model", "created": 0, "owned_by": "drone-copilot"} for n in served
        ]
        return {"object": "list", "data": data}

    @app.get("/v1/models/{model_id}")
    def model(model_id: str) -> dict[str, Any]:
        if model_id not in served:
            raise ApiError(
                404,
                f"The model {model_id!r} does not exist here; this server serves {served}",
                kind="not_found_error",
                code="model_not_found",
                param="model",
            )
        return {"id": model_id, "object": "model", "created": 0, "owned_by": "drone-copilot"}

    def answering(turn: Any, parsed: ChatRequest, request_id: str) -> tuple[Any, Any]:
        """Start a streamed answer now: the task computing it and the decoder's progress."""
        return streaming.start(
            lambda on_text: gate.run(
                turn, answer, parsed, backend, request_id=request_id, on_text=on_text
            )
        )

    body_schema, _ = openapi_schemas()
    body_schema["properties"]["model"] = {"type": "string", "enum": served, "title": "Model"}

    @app.post("/v1/chat/completions", openapi_extra=_body(body_schema))
    async def chat(request: Request) -> Response:
        parsed = validated(ChatRequest, await read_json(request))
        _check(parsed, served)
        turn = gate.enter()  # a 429 here, before any stream starts
        if not parsed.stream:
            return JSONResponse(await gate.run(turn, answer, parsed, backend))
        request_id = uuid.uuid4().hex
        task, heard = answering(turn, parsed, request_id)
        head = streaming.chunk_head(request_id, parsed.model, backend.identity, int(time.time()))
        usage = bool(parsed.stream_options and parsed.stream_options.include_usage)
        return streaming.event_stream(streaming.chat_events(head, task, heard, usage))

    responses_schema = responses_api.ResponsesRequest.model_json_schema()
    responses_schema["properties"]["model"] = body_schema["properties"]["model"]

    @app.post("/v1/responses", openapi_extra=_body(responses_schema))
    async def responses(request: Request) -> Response:
        wanted = validated(responses_api.ResponsesRequest, await read_json(request))
        parsed = responses_api.chat_request(wanted)
        try:
            _check(parsed, served)
        except ApiError as exc:  # the chat request's `messages` are this request's `input`
            if exc.extra.get("param") == "messages":
                exc.extra["param"] = "input"
            raise
        turn = gate.enter()
        response_id, created = uuid.uuid4().hex, int(time.time())
        if not wanted.stream:
            body = await gate.run(turn, answer, parsed, backend, request_id=response_id)
            return JSONResponse(responses_api.response_object(wanted, response_id, created, body))
        task, heard = answering(turn, parsed, response_id)
        events = responses_api.response_events(wanted, response_id, created, task, heard)
        return streaming.event_stream(events)

    _document(app)
    return app


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    """An endpoint's OpenAPI request body: required JSON of `schema`."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def _document(app: FastAPI) -> None:
    """Put the request models' named schemas into the OpenAPI document's components."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            _, named = openapi_schemas()
            schema.setdefault("components", {}).setdefault("schemas", {}).update(named)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


@contextmanager
def running_server(app: Any, host: str = "127.0.0.1") -> Iterator[str]:
    """Run `app` with uvicorn in a thread on a free port; yield its base URL (`.../v1`)."""
    import socket
    import threading

    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # accepted connections inherit it: an answer's head and body leave together, not 40 ms
    # apart (Nagle's algorithm waiting on the client's delayed ACK)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
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


def is_loopback(host: str) -> bool:
    """Whether `host` is a loopback address (or `localhost`), reachable from this machine only."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to any interface


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m copilot.serve",
        description="Serve a drone copilot model over OpenAI's chat completions and Responses "
        "APIs (streaming included).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        "  python -m copilot.serve --model local-ft --port 8000\n"
        "  python -m copilot.serve --model local-base --base-model ~/models/qwen2.5-0.5b\n"
        "  python -m copilot.serve --model gpt-4o-mini --max-concurrency 8 --max-queue 64\n"
        '  python -m copilot.serve --host 0.0.0.0 --api-key "$(openssl rand -hex 16)"\n'
        "then: python -m evaluation --model local-ft --base-url http://127.0.0.1:8000/v1\n"
        "  or: curl -N http://127.0.0.1:8000/v1/responses -H 'Content-Type: application/json' "
        '-d \'{"model": "local-ft", "input": "take off to 30 m", "stream": true}\'',
    )
    parser.add_argument("--model", default="local-ft", help="a registry name (default local-ft)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--base-model", help="a transformers folder or GGUF file (local models)")
    parser.add_argument("--base-url", help="serve another OpenAI-compatible server's model")
    parser.add_argument(
        "--max-concurrency",
        type=int,
        default=MAX_CONCURRENCY,
        help=f"answers computed at once (default {MAX_CONCURRENCY}: the local model decodes one "
        "request at a time; more helps a --base-url model)",
    )
    parser.add_argument(
        "--max-queue",
        type=int,
        default=MAX_QUEUE,
        help=f"requests that may wait, in arrival order, for a slot (default {MAX_QUEUE}); "
        "one more is answered 429 with a Retry-After header",
    )
    parser.add_argument(
        "--api-key",
        default=os.environ.get(API_KEY_ENV) or None,
        help=f"require 'Authorization: Bearer KEY' on every request (default: ${API_KEY_ENV}); "
        "needed to listen on anything but a loopback address",
    )
    args = parser.parse_args(argv)
    if args.max_concurrency < 1 or args.max_queue < 0:
        parser.error("--max-concurrency must be at least 1 and --max-queue at least 0")
    if not args.api_key and not is_loopback(args.host):
        print(
            f"error: refusing to listen on {args.host} without an API key: anyone who can reach "
            f"the port could fly the drone. Pass --api-key KEY (or set {API_KEY_ENV}), or keep "
            "the default --host 127.0.0.1",
            file=sys.stderr,
        )
        return 2

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

    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(message)s")
    app = create_app(
        backend,
        args.model,
        api_key=args.api_key,
        max_concurrency=args.max_concurrency,
        max_queue=args.max_queue,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0


if __name__ == "__main__":
    sys.exit(main())
