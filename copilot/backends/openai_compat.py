"""The OpenAI-compatible backend: OpenAI itself, vLLM, Ollama, a llama.cpp server, or `copilot.serve`.

The seed's call settings are the defaults (`tool_choice="required"`, temperature 0, seed 42).
Rate limits, 5xx answers, timeouts and dropped connections are retried by tenacity with
exponential backoff and jitter, a bounded number of attempts, and the server's Retry-After
honoured. Anything still failing becomes a `Completion` with an error, never an exception.
Whatever the server says is redacted (`copilot.redaction`) before it reaches a `Completion`: an
error text that echoes the request's `Authorization` header never carries the key further.
"""

from __future__ import annotations

import os
import time
from typing import Any

from dotenv import dotenv_values, find_dotenv
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_exponential_jitter

from copilot.backends.base import Completion, ModelUnavailable
from copilot.backends.wire import chat_params, completion_from_response
from copilot.catalog import tools as catalog_tools
from copilot.prompts import DEFAULT_SYSTEM_PROMPT
from copilot.redaction import redact, redact_optional, remember

MISSING_KEY = "set OPENAI_API_KEY (in the environment or .env), or use --model local-ft"
MAX_RETRY_AFTER_S = 60.0


def with_system_prompt(messages: list[dict[str, Any]], system: str | None) -> list[dict[str, Any]]:
    """The messages with `system` put first, unless they already start with a system message."""
    if system is None or any(m.get("role") in ("system", "developer") for m in messages):
        return list(messages)
    return [{"role": "system", "content": system}, *messages]


def dotenv_file() -> dict[str, str | None]:
    """The `.env` file found from the working directory upwards ({} if there is none)."""
    path = find_dotenv(usecwd=True)
    return dict(dotenv_values(path)) if path else {}


def setting(key: str, dotenv: dict[str, str | None]) -> str | None:
    """A setting from the environment, else from `.env` (the environment wins)."""
    return os.environ.get(key) or dotenv.get(key) or None


def _retryable(exc: BaseException) -> bool:
    import openai

    if isinstance(exc, openai.APIStatusError):
        return exc.status_code == 429 or exc.status_code >= 500
    return isinstance(exc, openai.APITimeoutError | openai.APIConnectionError)


def retry_after_seconds(exc: BaseException | None) -> float | None:
    """The wait a server asked for (`retry-after-ms` or `Retry-After` in seconds), if any."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if not headers:
        return None
    for key, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(key)
        if value is None:
            continue
        try:
            return min(max(float(value) * scale, 0.0), MAX_RETRY_AFTER_S)
        except ValueError:
            continue  # an HTTP date: fall back to backoff
    return None


class _WaitRetryAfter:
    """Wait what the server asked for; otherwise exponential backoff with jitter."""

    def __init__(self, initial: float, maximum: float) -> None:
        self.backoff = wait_exponential_jitter(multiplier=initial, max=maximum, jitter=initial)

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        asked = retry_after_seconds(exc)
        return asked if asked is not None else self.backoff(state)


def _describe_failure(exc: BaseException, attempts: int) -> str:
    import openai

    if isinstance(exc, openai.AuthenticationError):
        return f"authentication failed (401): {MISSING_KEY}"
    if isinstance(exc, openai.APIStatusError):
        message = getattr(exc, "message", str(exc))
        tail = f" after {attempts} attempts" if _retryable(exc) else ""
        return f"server answered {exc.status_code}{tail}: {message}"[:300]
    if isinstance(exc, openai.APITimeoutError):
        return f"request timed out after {attempts} attempts"
    if isinstance(exc, openai.APIConnectionError):
        return f"could not connect after {attempts} attempts: {exc}"[:300]
    return f"{type(exc).__name__}: {exc}"[:300]


class OpenAIBackend:
    """Chat completions with tools through the official `openai` client."""

    def __init__(
        self,
        model: str = "gpt-3.5-turbo",
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        temperature: float = 0.0,
        seed: int | None = 42,
        tool_choice: str | dict[str, Any] | None = "required",
        max_tokens: int = 500,
        timeout: float = 60.0,
        max_attempts: int = 4,
        backoff_initial: float = 1.0,
        backoff_max: float = 30.0,
        system_prompt: str | None = DEFAULT_SYSTEM_PROMPT,
    ) -> None:
        import openai

        dotenv = dotenv_file()
        base_url = base_url or setting("OPENAI_BASE_URL", dotenv)
        api_key = api_key or setting("OPENAI_API_KEY", dotenv)
        if not api_key:
            if base_url is None:
                raise ModelUnavailable(MISSING_KEY)
            api_key = "not-needed"  # local OpenAI-compatible servers usually ignore the key
        remember(api_key)
        self.name = model
        self.base_url = base_url
        self.settings = {
            "temperature": temperature,
            "seed": seed,
            "tool_choice": tool_choice,
            "max_tokens": max_tokens,
        }
        self.system_prompt = system_prompt
        self.max_attempts = max_attempts
        self._wait = _WaitRetryAfter(backoff_initial, backoff_max)
        # Retries are ours (tenacity), so the client's own are off.
        self.client = openai.OpenAI(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0
        )

    @property
    def identity(self) -> str:
        where = self.base_url or "openai"
        return f"openai:{self.name}@{where}:seed={self.settings['seed']}"

    def _create(self, params: dict[str, Any]) -> Any:
        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=self._wait,
            retry=retry_if_exception(_retryable),
            reraise=True,
        )
        return retrying(self.client.chat.completions.create, **params)

    def complete(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None = None,
        *,
        max_calls: int | None = None,
    ) -> Completion:
        completion = self._complete(messages, tools, max_calls)
        completion.error = redact_optional(completion.error)
        completion.raw = redact(completion.raw)
        return completion

    def request(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None = None,
        max_calls: int | None = None,
    ) -> dict[str, Any]:
        """The request body this backend sends (a Batch API line's `body` is the same)."""
        messages = with_system_prompt(messages, self.system_prompt)
        tools = tools if tools is not None else catalog_tools()
        return chat_params(self.name, messages, tools, self.settings, max_calls)

    def _complete(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None,
        max_calls: int | None,
    ) -> Completion:
        params = self.request(messages, tools, max_calls)
        start = time.perf_counter()
        try:
            response = self._create(params)
        except Exception as exc:
            latency = (time.perf_counter() - start) * 1000
            return Completion(error=_describe_failure(exc, self.max_attempts), latency_ms=latency)
        latency = (time.perf_counter() - start) * 1000
        usage = getattr(response, "usage", None)
        fields = {
            "latency_ms": latency,
            "prompt_tokens": getattr(usage, "prompt_tokens", 0) or 0,
            "completion_tokens": getattr(usage, "completion_tokens", 0) or 0,
        }
        return completion_from_response(response, max_calls, **fields)
