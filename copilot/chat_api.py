"""The OpenAI chat completions request, as pydantic models: what `copilot.serve` accepts.

Every field the server reads or that OpenAI constrains is typed and bounded here, strictly (no
string-to-number coercion): `max_tokens: -1` or `"lots"`, `n: 10**9` or `temperature: NaN` are
refused with the field named, as OpenAI refuses them. Fields OpenAI added that this server does
not read are accepted and ignored. A user message's content may be plain text or a list of text
parts (`[{"type": "text", "text": "..."}]`); the parts are joined into plain text, so both ask
the same thing. The same models give the server's OpenAPI schema.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_NESTING = 64  # JSON levels; a chat request with tools needs under 20

Role = Literal["system", "developer", "user", "assistant", "tool"]
Temperature = Annotated[float, Field(ge=0, le=2, allow_inf_nan=False)]
Unit = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Penalty = Annotated[float, Field(ge=-2, le=2, allow_inf_nan=False)]
PositiveInt = Annotated[int, Field(ge=1, le=1_000_000)]
FunctionName = Annotated[str, Field(pattern=r"^[a-zA-Z0-9_-]{1,64}$")]


class _Strict(BaseModel):
    """Typed strictly; fields OpenAI may add are accepted and ignored."""

    model_config = ConfigDict(strict=True, extra="allow")


class CalledFunction(_Strict):
    name: FunctionName
    arguments: str | dict[str, Any] = "{}"  # OpenAI sends a JSON string


class AssistantToolCall(_Strict):
    id: str = ""
    type: Literal["function"] = "function"
    function: CalledFunction


def part_text(content: Any) -> Any:
    """Content as plain text: a list of text parts joined; anything else as it is."""
    if not isinstance(content, list):
        return content
    texts = []
    for i, part in enumerate(content):
        if not isinstance(part, dict) or part.get("type") not in ("text", "input_text"):
            kind = part.get("type") if isinstance(part, dict) else type(part).__name__
            raise ValueError(f"part {i} is {kind!r}: this model reads text parts only")
        if not isinstance(part.get("text"), str):
            raise ValueError(f"part {i} needs a 'text' string")
        texts.append(part["text"])
    return "".join(texts)


class Message(_Strict):
    role: Role
    content: str | None = None  # or a list of text parts, joined into this string
    name: str | None = None
    tool_calls: list[AssistantToolCall] | None = None
    tool_call_id: str | None = None

    _parts = field_validator("content", mode="before")(part_text)


class FunctionDefinition(_Strict):
    name: FunctionName
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class Tool(_Strict):
    type: Literal["function"] = "function"
    function: FunctionDefinition


class NamedFunction(_Strict):
    name: FunctionName


class NamedToolChoice(_Strict):
    type: Literal["function"] = "function"
    function: NamedFunction


class StreamOptions(_Strict):
    include_usage: bool | None = None  # a last chunk with the usage


class ChatRequest(_Strict):
    """A chat completions request. `messages` and `model` are required, as in OpenAI's API."""

    model: Annotated[str, Field(min_length=1, max_length=256)]
    messages: Annotated[list[Message], Field(max_length=1000, json_schema_extra={"minItems": 1})]
    tools: Annotated[list[Tool], Field(max_length=128)] | None = None
    tool_choice: Literal["none", "auto", "required"] | NamedToolChoice | None = None
    parallel_tool_calls: bool = True  # false: at most one call, no plan
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    n: Annotated[int, Field(ge=1, le=1)] | None = None  # this server writes one choice
    max_tokens: PositiveInt | None = None
    max_completion_tokens: PositiveInt | None = None
    temperature: Temperature | None = None
    top_p: Unit | None = None
    presence_penalty: Penalty | None = None
    frequency_penalty: Penalty | None = None
    seed: Annotated[int, Field(ge=-(2**63), le=2**63 - 1)] | None = None
    stop: str | Annotated[list[str], Field(max_length=4)] | None = None
    user: str | None = None
    logprobs: bool | None = None
    top_logprobs: Annotated[int, Field(ge=0, le=20)] | None = None
    logit_bias: dict[str, Annotated[float, Field(ge=-100, le=100)]] | None = None
    response_format: dict[str, Any] | None = None
    metadata: dict[str, str] | None = None
    store: bool | None = None


def nesting(value: Any, limit: int = MAX_NESTING) -> int:
    """How deep a decoded JSON value nests, counting no further than `limit + 1` (no recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if not isinstance(item, dict | list):
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children)
    return deepest


def openapi_schemas() -> tuple[dict[str, Any], dict[str, Any]]:
    """(the request body's schema, the named schemas it refers to) for the OpenAPI document."""
    schema = ChatRequest.model_json_schema(ref_template="#/components/schemas/{model}")
    return schema, schema.pop("$defs", {})
