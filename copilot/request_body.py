"""A request's body read as OpenAI's servers read it, and what is wrong said in OpenAI's shape.

Every endpoint of `copilot.serve` reads its body here: JSON only (415 otherwise, so a cross-site
form or `text/plain` POST cannot drive the drone), at most `MAX_BODY_BYTES` (413, refused before
it is all read), a JSON object nested no deeper than `MAX_NESTING`, then validated by the
endpoint's pydantic model with the first wrong field named as OpenAI names fields
(`messages[0].content`). `ApiError` is any answer of that kind; `error_response` writes it as
`{"error": {"message", "type", "param", "code"}}`.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from copilot.chat_api import MAX_NESTING, nesting

MAX_BODY_BYTES = 1_000_000
Model = TypeVar("Model", bound=BaseModel)


class ApiError(Exception):
    """An OpenAI-style error answer."""

    def __init__(
        self, status: int, message: str, kind: str = "invalid_request_error", **extra: Any
    ):
        super().__init__(message)
        self.status, self.message, self.kind, self.extra = status, message, kind, extra


def error_response(
    status: int,
    message: str,
    kind: str,
    param: str | None = None,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return JSONResponse(body, status_code=status, headers=headers)


def field_name(loc: tuple[Any, ...]) -> str:
    """A pydantic error location as OpenAI names a field: `messages[0].content`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not any(c in str(part) for c in "[]()"):  # skip union branch names
            out += f".{part}" if out else str(part)
    return out or "body"


def json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or `ApiError` saying why it is not one."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ApiError(400, f"the request body is not UTF-8 (byte {exc.start})") from None
    except RecursionError:
        raise ApiError(400, f"the request body nests deeper than {MAX_NESTING} levels") from None
    except ValueError as exc:
        raise ApiError(400, f"the request body is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise ApiError(400, "the request body must be a JSON object")
    if nesting(payload) > MAX_NESTING:
        raise ApiError(400, f"the request body nests deeper than {MAX_NESTING} levels")
    return payload


def validated(model: type[Model], payload: Any) -> Model:
    """`payload` as a `model`, or `ApiError` naming the first wrong field."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = field_name(first["loc"])
        raise ApiError(400, f"{where}: {first['msg']}", param=where) from None


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


async def read_json(request: Request) -> dict[str, Any]:
    """The body of a POST that says it is JSON (415 otherwise), as a JSON object."""
    if not _is_json(request.headers.get("content-type", "")):
        raise ApiError(
            415,
            "send the request as JSON, with the header 'Content-Type: application/json'",
            code="unsupported_media_type",
        )
    return json_object(await _read_body(request))


async def _read_body(request: Request) -> bytes:
    """The body, refused (413) past `MAX_BODY_BYTES` before it is all read."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise ApiError(413, f"request body over {MAX_BODY_BYTES} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ApiError(413, f"request body over {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
