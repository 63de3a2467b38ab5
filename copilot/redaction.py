"""Secrets kept out of everything the project writes or prints.

A server's error text may echo the request's headers (`Authorization: Bearer sk-...`); copied
into a results file, a report or a terminal, it would leak the key. `redact` replaces a bearer
token, anything shaped like an OpenAI key (`sk-...`) and every configured key (OPENAI_API_KEY,
DRONE_COPILOT_API_KEY, and keys registered with `remember` by the backends and the server) with
`[redacted]`. It is applied where text from outside enters (the backends' completions, model
error lines) and again where files are written.
"""

from __future__ import annotations

import os
import re
import threading

SECRET_ENV = ("OPENAI_API_KEY", "DRONE_COPILOT_API_KEY")
REDACTED = "[redacted]"
MIN_KEY_CHARS = 6  # shorter "keys" (`unused`, `x`) are placeholders, and too common to replace

_BEARER = re.compile(r"(?i)\b(bearer)(\s+|%20)[A-Za-z0-9._~+/=:-]{4,}")
_KEY_SHAPED = re.compile(r"\bsk-[A-Za-z0-9_-]{8,}")
_KNOWN: set[str] = set()
_LOCK = threading.Lock()


def remember(key: str | None) -> None:
    """Treat `key` as a secret from now on, in this process."""
    if key and len(key) >= MIN_KEY_CHARS and key != "not-needed":
        with _LOCK:
            _KNOWN.add(key)


def _keys() -> list[str]:
    keys = {os.environ.get(name) or "" for name in SECRET_ENV} | _KNOWN
    return sorted((k for k in keys if len(k) >= MIN_KEY_CHARS), key=len, reverse=True)


def redact(text: str) -> str:
    """`text` with every secret replaced by `[redacted]`."""
    if not text:
        return text
    for key in _keys():
        text = text.replace(key, REDACTED)
    text = _BEARER.sub(lambda m: f"{m[1]} {REDACTED}", text)
    return _KEY_SHAPED.sub(f"sk-{REDACTED}", text)


def redact_optional(text: str | None) -> str | None:
    """`redact` for a value that may be None (an error field)."""
    return None if text is None else redact(text)
