"""Batch API request lines: one per case (and per repeat), exactly the body a live run sends.

A line is `{"custom_id", "method": "POST", "url": "/v1/chat/completions", "body"}`. The body is
`copilot.chat_params` of the case's messages (system prompt, history, prompt) and the catalogue's
tools, with the seed's settings (`tool_choice: "required"`, temperature 0, seed 42, 500 tokens)
and `parallel_tool_calls: true`: the request `OpenAIBackend` sends in a live run, byte for byte.

The `custom_id` names the model, suite, case id and repeat, each percent-encoded and joined by
`/` (`local-ft/straightforward/s01/0`), so any output line leads back to its case.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from copilot import DEFAULT_SYSTEM_PROMPT, chat_params
from copilot import tools as catalogue_tools
from evaluation.suites import Case, Suite

CHAT_URL = "/v1/chat/completions"
MAX_REQUESTS = 50_000  # the Batch API's limit for one file


class BatchInputError(ValueError):
    """A request or output file that cannot be used as asked (one line, saying why)."""


def custom_id(model: str, suite: str, case: str, repeat: int = 0) -> str:
    return "/".join(quote(part, safe="") for part in (model, suite, case, str(repeat)))


def parse_custom_id(value: object) -> tuple[str, str, str, int]:
    """(model, suite, case id, repeat); raises `BatchInputError` for an id export never wrote."""
    parts = value.split("/") if isinstance(value, str) else []
    if len(parts) != 4 or not parts[3].isdigit():
        raise BatchInputError(
            f"custom_id {value!r} is not one that batch export writes (model/suite/case/repeat)"
        )
    model, suite, case = (unquote(p) for p in parts[:3])
    return model, suite, case, int(parts[3])


def request_line(
    model: str, case: Case, repeat: int = 0, tools: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    messages = case.messages(DEFAULT_SYSTEM_PROMPT)
    body = chat_params(model, messages, tools if tools is not None else catalogue_tools())
    return {
        "custom_id": custom_id(model, case.suite, case.id, repeat),
        "method": "POST",
        "url": CHAT_URL,
        "body": body,
    }


def request_shards(
    models: Sequence[str],
    suites: Sequence[Suite],
    limit: int | None = None,
    repeats: int = 1,
    shards: int = 1,
) -> list[list[dict[str, Any]]]:
    """The request lines in `shards` lists of whole cases (a case's repeats stay together),
    as even as the cases allow."""
    tools = catalogue_tools()
    units = [
        [request_line(model, case, r, tools) for r in range(repeats)]
        for model in models
        for suite in suites
        for case in suite.cases[:limit]
    ]
    out: list[list[dict[str, Any]]] = []
    for i in range(shards):
        chosen = units[len(units) * i // shards : len(units) * (i + 1) // shards]
        out.append([line for unit in chosen for line in unit])
    return out


def shard_paths(out: Path, shards: int) -> list[Path]:
    """`requests.jsonl` alone, or `requests-1-of-3.jsonl` ... for shards."""
    if shards == 1:
        return [out]
    return [out.with_name(f"{out.stem}-{i}-of-{shards}{out.suffix}") for i in range(1, shards + 1)]


@functools.cache
def _types() -> tuple[tuple[str, ...], Any, Any, Any]:
    """The endpoints `BatchCreateParams` allows, and validators for the body's types."""
    from typing import get_args, get_type_hints

    from openai.types import BatchCreateParams
    from openai.types.chat import ChatCompletionMessageParam, ChatCompletionToolParam
    from openai.types.chat.completion_create_params import CompletionCreateParamsNonStreaming
    from pydantic import TypeAdapter

    endpoint = get_type_hints(BatchCreateParams, include_extras=True)["endpoint"]
    endpoints = get_args(get_args(endpoint)[0])  # Required[Literal[...]]
    return (
        endpoints,
        TypeAdapter(CompletionCreateParamsNonStreaming),
        TypeAdapter(list[ChatCompletionMessageParam]),
        TypeAdapter(list[ChatCompletionToolParam]),
    )


def validate_line(line: dict[str, Any]) -> None:
    """Check a line against the Batch API's request format as the `openai` package types it:
    the endpoint `BatchCreateParams` allows, and a body that is a non-streaming
    `CompletionCreateParams` (messages and tools included). Raises ValueError."""
    endpoints, body_type, messages_type, tools_type = _types()
    if set(line) != {"custom_id", "method", "url", "body"}:
        raise ValueError(f"a request line has custom_id, method, url and body; got {sorted(line)}")
    if line["method"] != "POST" or line["url"] not in endpoints:
        raise ValueError(f"not a Batch API endpoint: {line['method']} {line['url']}")
    body = line["body"]
    body_type.validate_python(body)
    messages_type.validate_python(body["messages"])
    tools_type.validate_python(body.get("tools", []))
