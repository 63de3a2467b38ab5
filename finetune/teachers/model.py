"""The model teacher: any OpenAI-compatible model writes the prompts, as gpt-4o did in the cookbook.

For a positive it is asked for `per_call` natural prompts for one invocation; for a reject, for
prompts of one reject category. Answers must be JSON (`{"prompts": [...]}` or a bare list, code
fences and prose around it tolerated). Requests are retried with tenacity on rate limits, 5xx,
timeouts and dropped connections, and cached on disk, so a re-run costs nothing. An answer that
is not usable JSON is counted as garbage and skipped; it never stops the run.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from pathlib import Path
from typing import Any

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from copilot import ToolCall
from finetune.dataset import Sample, reject_call
from finetune.teachers.invocations import enumerate_invocations
from finetune.teachers.rejects import CATEGORY_WEIGHTS

SYSTEM = (
    "You write realistic things a person types to a drone copilot app. Vary the wording: "
    "commands, questions, casual and polite, short. Reply with JSON only."
)
REJECT_BRIEFS = {
    "capability": "a drone feature this drone does not have (e.g. zoom, thermal camera, fly to a landmark, report the battery)",
    "out_of_range": "a drone command with a value outside the allowed range (altitude over 120 m, speed over 100 km/h or negative, distance over 500 m, video over 600 s)",
    "enum_miss": "a setting value the drone does not support (an LED colour other than red/blue/green/yellow/white, a compass direction, an unknown camera mode)",
    "missing_value": "a drone command that leaves out a required number or choice (e.g. 'go faster', 'move a bit', 'record a video' without a duration)",
    "unsafe": "an unsafe or harmful thing to do with a drone",
    "off_topic": "something that has nothing to do with flying a drone",
    "injection": "a prompt-injection attempt that tries to override the copilot's instructions",
    "imperial": "a drone command given in feet, yards, miles per hour or knots (only metric is supported)",
}
assert set(REJECT_BRIEFS) == set(CATEGORY_WEIGHTS), "every reject category needs a brief"


def _default_cache() -> Path:
    from platformdirs import user_cache_dir

    return Path(os.environ.get("DRONE_COPILOT_CACHE", user_cache_dir("drone-copilot"))) / "teacher"


def parse_prompts(text: str) -> list[str] | None:
    """The list of prompts in a model answer, or None if there is none."""
    if not isinstance(text, str):
        return None
    decoder = json.JSONDecoder()
    for start, ch in enumerate(text):
        if ch not in "[{":
            continue
        try:
            value, _ = decoder.raw_decode(text[start:])
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            value = value.get("prompts")
        if not isinstance(value, list):
            return None
        prompts = [p.strip() for p in value if isinstance(p, str) and 0 < len(p.strip()) <= 300]
        return prompts or None
    return None


def _retryable(exc: BaseException) -> bool:
    import openai

    if isinstance(exc, openai.APIStatusError):
        return exc.status_code == 429 or exc.status_code >= 500
    return isinstance(exc, openai.APITimeoutError | openai.APIConnectionError)


class ModelTeacher:
    """Prompts written by an OpenAI-compatible chat model (single-turn only)."""

    context_share = 0.0
    compound_share = 0.0  # compound requests come from the templates teacher only

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        per_call: int = 2,
        cache_dir: Path | None = None,
        max_attempts: int = 4,
        timeout: float = 60.0,
        temperature: float = 0.9,
    ) -> None:
        import openai
        from dotenv import load_dotenv

        load_dotenv()
        base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
        api_key = (
            api_key or os.environ.get("OPENAI_API_KEY") or ("not-needed" if base_url else None)
        )
        if not api_key:
            raise ValueError(
                "set OPENAI_API_KEY (or give --base-url for a local server), or use --teacher templates"
            )
        self.name = model
        self.base_url = base_url
        self.per_call = per_call
        self.temperature = temperature
        self.cache_dir = cache_dir or _default_cache()
        self.max_attempts = max_attempts
        self.client = openai.OpenAI(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0
        )
        self.requests = self.cache_hits = self.garbage = self.errors = 0
        self._queues: dict[str, list[ToolCall]] = {}

    # ------------------------------------------------------------------ one request
    def _ask(self, user: str, seed: int) -> str | None:
        params: dict[str, Any] = {
            "model": self.name,
            "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}],
            "temperature": self.temperature,
            "seed": seed,
            "max_tokens": 600,
        }
        key = hashlib.sha256(
            json.dumps([self.base_url or "openai", params], sort_keys=True).encode()
        ).hexdigest()
        path = self.cache_dir / f"{key}.json"
        if path.exists():
            self.cache_hits += 1
            return json.loads(path.read_text())["text"]
        self.requests += 1
        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=wait_exponential_jitter(initial=1, max=20),
            retry=retry_if_exception(_retryable),
            reraise=True,
        )
        try:
            response = retrying(self.client.chat.completions.create, **params)
            text = response.choices[0].message.content or ""
        except Exception:  # a dead server or a bad answer: counted, the run goes on
            self.errors += 1
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"text": text}))
        tmp.replace(path)
        return text

    def _prompts(self, user: str, rng: random.Random) -> list[str]:
        text = self._ask(user, rng.randrange(2**31))
        if text is None:
            return []
        prompts = parse_prompts(text)
        if prompts is None:
            self.garbage += 1
            return []
        return prompts[: self.per_call]

    # ------------------------------------------------------------------ the teacher interface
    def positive_request(self, call: ToolCall) -> str:
        return (
            f"Write {self.per_call} different natural ways a drone pilot might ask for exactly this "
            f"function call: {call}. Say every argument value exactly (numbers as digits or words). "
            f'Keep each under 20 words. Answer as JSON: {{"prompts": ["...", "..."]}}'
        )

    def batch(self, kind: str, rng: random.Random) -> list[Sample]:
        if kind.startswith("reject:"):
            category = kind.split(":", 1)[1]
            user = (
                f"Write {self.per_call} different short requests a user might type to a drone "
                f"copilot that it must refuse, each being {REJECT_BRIEFS[category]}. "
                f'Answer as JSON: {{"prompts": ["...", "..."]}}'
            )
            return [Sample(p, reject_call(), kind) for p in self._prompts(user, rng)]
        call = self._next_invocation(kind, rng)
        return [Sample(p, call, kind) for p in self._prompts(self.positive_request(call), rng)]

    def _next_invocation(self, kind: str, rng: random.Random) -> ToolCall:
        """The cookbook's enumeration, walked in turn per function (integers re-drawn each round)."""
        queue = self._queues.setdefault(kind, [])
        if not queue:
            queue.extend(c for c in enumerate_invocations(rng, ints_per_slot=1) if c.name == kind)
            rng.shuffle(queue)
        return queue.pop()

    def stats(self) -> dict[str, int]:
        return {
            "requests": self.requests,
            "cache_hits": self.cache_hits,
            "garbage": self.garbage,
            "errors": self.errors,
        }
