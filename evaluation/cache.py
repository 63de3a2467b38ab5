"""On-disk cache of model answers, so a re-run is free.

The key is a hash of everything that decides the answer: the backend's identity (model, adapter
hash, prompt style), the messages, the tools and the call parameters. The value is the
`Completion` as first measured, latency and tokens included. One small JSON file per key, written
to a temporary name and renamed, so a kill never leaves a half-written entry and threads never
collide; the temporary files a kill leaves behind are deleted when the next run starts. Answers that failed before the model said anything (no key, server down, adapter missing)
are not cached: they are not the model's answer.

A plan (several calls) is stored whole, in order, and read back as the same `Completion`. An entry
written before plans were checked may hold a malformed plan (5 calls, or `reject_request` beside
another call) as if it were valid; reading applies today's rule, so such an answer comes back as
the malformed plan it is (no calls, the error said), without asking the model again.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from platformdirs import user_cache_dir

from copilot import Completion, RawCall, ToolCall, plan_error

CACHE_VERSION = 1
STALE_TMP_S = 60.0  # a temporary entry older than this was left by a killed run


def default_cache_dir() -> Path:
    """`$DRONE_COPILOT_CACHE/eval`, or the user cache directory."""
    root = os.environ.get("DRONE_COPILOT_CACHE") or user_cache_dir("drone-copilot")
    return Path(root) / "eval"


def cache_key(
    identity: str,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]] | None,
    params: dict[str, Any] | None = None,
) -> str:
    """A stable hex digest of the request."""
    payload = {
        "v": CACHE_VERSION,
        "identity": identity,
        "messages": messages,
        "tools": tools,
        "params": params or {},
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def completion_to_dict(completion: Completion) -> dict[str, Any]:
    return {
        "calls": [{"name": c.name, "arguments": c.arguments} for c in completion.calls],
        "raw": completion.raw,
        "raw_calls": [{"name": c.name, "arguments": c.arguments} for c in completion.raw_calls],
        "prompt_tokens": completion.prompt_tokens,
        "completion_tokens": completion.completion_tokens,
        "latency_ms": completion.latency_ms,
        "error": completion.error,
    }


def completion_from_dict(data: dict[str, Any]) -> Completion:
    calls = [ToolCall(c["name"], c.get("arguments") or {}) for c in data.get("calls", [])]
    raw_calls = [RawCall(c["name"], c.get("arguments")) for c in data.get("raw_calls", [])]
    error = data.get("error")
    problem = plan_error([c.name for c in calls]) if calls else None
    if problem:  # stored before plans were checked: keep no call of a malformed plan
        raw_calls = raw_calls or [RawCall(c.name, c.arguments) for c in calls]
        calls, error = [], error or problem
    return Completion(
        calls=calls,
        raw=data.get("raw", ""),
        raw_calls=raw_calls,
        prompt_tokens=int(data.get("prompt_tokens", 0)),
        completion_tokens=int(data.get("completion_tokens", 0)),
        latency_ms=float(data.get("latency_ms", 0.0)),
        error=error,
    )


def cacheable(completion: Completion) -> bool:
    """Only answers the model actually gave: some output, or calls, or no error at all."""
    return completion.error is None or bool(completion.raw) or bool(completion.raw_calls)


class AnswerCache:
    """A directory of cached completions.

    `enabled=False` reads and writes nothing; `refresh=True` never reads but stores the new
    answers (what `--no-cache` does: ask again, and keep the fresh answers for the next run).
    """

    def __init__(
        self, directory: Path | None = None, enabled: bool = True, refresh: bool = False
    ) -> None:
        self.directory = Path(directory) if directory else default_cache_dir()
        self.enabled = enabled
        self.refresh = refresh

    def clean_stale(self, older_than_s: float = STALE_TMP_S) -> int:
        """Delete temporary files a killed writer left (older than `older_than_s`); how many.

        A live writer's temporary file exists for a millisecond, so the age keeps a concurrent
        run's writes safe."""
        if not self.enabled or not self.directory.is_dir():
            return 0
        removed, now = 0, time.time()
        for tmp in self.directory.glob("*/.tmp-*"):
            try:
                if now - tmp.stat().st_mtime > older_than_s:
                    tmp.unlink()
                    removed += 1
            except OSError:
                continue  # gone already, or not ours to delete
        return removed

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> Completion | None:
        if not self.enabled or self.refresh:
            return None
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
            return completion_from_dict(data)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, completion: Completion) -> None:
        if not self.enabled or not cacheable(completion):
            return
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(completion_to_dict(completion), handle, ensure_ascii=False)
            os.replace(tmp, path)
        except OSError:
            pass  # a cache that cannot be written only costs a re-run
