"""A backend that answers from a recording: re-score old runs, and test the harness fast.

The recording is JSONL, one `{"prompt": ..., "output": ...}` a line. `output` is anything a model
can produce (text in any shape the parser accepts, or a list of OpenAI `tool_calls`). Optional
keys `latency_ms`, `prompt_tokens` and `completion_tokens` are passed through.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from copilot.backends.base import Completion, ModelUnavailable


def last_user_text(messages: list[dict[str, Any]]) -> str:
    """The content of the last user message ('' if there is none)."""
    for message in reversed(messages):
        if message.get("role") == "user":
            content = message.get("content") or ""
            if isinstance(content, list):  # OpenAI content parts
                content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
            return str(content)
    return ""


class ReplayBackend:
    """Answers each user prompt with the output recorded for it; unknown prompts get an error."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.name = f"replay:{self.path}"
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            raise ModelUnavailable(
                f"replay file not readable: {self.path} ({exc.strerror})"
            ) from exc
        self._digest = hashlib.sha256(data).hexdigest()[:12]
        self._records: dict[str, dict[str, Any]] = {}
        for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise ModelUnavailable(f"{self.path}:{number}: not JSON ({exc.msg})") from exc
            if not isinstance(record, dict) or "prompt" not in record or "output" not in record:
                raise ModelUnavailable(f"{self.path}:{number}: needs 'prompt' and 'output' keys")
            self._records[str(record["prompt"])] = record

    @property
    def identity(self) -> str:
        return f"replay:{self.path.name}@{self._digest}"

    def __len__(self) -> int:
        return len(self._records)

    def complete(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None = None,
        *,
        max_calls: int | None = None,
    ) -> Completion:
        prompt = last_user_text(messages)
        record = self._records.get(prompt)
        if record is None:
            return Completion(error=f"no recorded output for prompt {prompt[:60]!r}")
        fields = {
            key: record[key]
            for key in ("latency_ms", "prompt_tokens", "completion_tokens")
            if isinstance(record.get(key), int | float)
        }
        output = record["output"]
        raw = output if isinstance(output, str) else json.dumps(output)
        completion = Completion.from_output(output, raw=raw, **fields)
        if max_calls is not None and len(completion.calls) > max_calls:
            n = len(completion.calls)
            return Completion(
                raw=raw,
                raw_calls=completion.raw_calls,
                error=f"the recorded answer is a plan of {n} calls; the request allows {max_calls}",
                **fields,
            )
        return completion
