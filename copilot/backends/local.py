"""The embedded local backend: Gemma 3 270M (or any causal LM folder / GGUF) on torch.

Two prompt styles:
- `base`: the bare model, prompted with the catalogue and a few examples (`formats.render_base_prompt`);
- `ft`: the compact format the trainer uses (`formats.render_ft_prompt`), for a LoRA adapter.

Two decoders:
- `grammar` (default): greedy decoding constrained to the call syntax (`copilot.decoding.grammar`), with
  logits computed only for the tokens the syntax can emit, forced text fed in one forward pass,
  and the fixed prompt prefix's KV cache reused. Output is always well-formed.
- `generate`: plain transformers `generate` (greedy), parsed afterwards. The baseline.

The model is loaded lazily on the first request, once per process. `complete` never raises.
"""

from __future__ import annotations

import functools
import hashlib
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from copilot.backends.base import Completion, ModelUnavailable
from copilot.catalog import MAX_NEW_TOKENS, MAX_PLAN
from copilot.drone_state import state_line
from copilot.formats import (
    END,
    START,
    base_prompt_prefix,
    prompt_options,
    render_base_prompt,
    render_ft_prompt,
)

MAX_PROMPT_CHARS = 4000  # a command is a sentence; 20,000 characters is an error, not a prompt


def _adapter_digest(adapter: Path | None) -> str:
    if adapter is None:
        return "none"
    h = hashlib.sha256()
    for file in sorted(adapter.glob("adapter_*")):
        h.update(file.name.encode())
        h.update(file.read_bytes())
    return h.hexdigest()[:12]


@functools.cache
def _code_digest() -> str:
    """A hash of the code that turns a prompt into output text: prompts, grammar, decoder.

    Part of the backend's identity, so a cached answer is never reused after any of it changes.
    """
    h = hashlib.sha256()
    package = Path(__file__).resolve().parents[1]  # copilot/
    for module in (
        "formats",
        "drone_state",
        "prompts",
        "decoding/grammar",
        "decoding/decoder",
        "decoding/fast_gemma",
        "backends/lean_model",
        "catalog",
    ):
        h.update((package / f"{module}.py").read_bytes())
    return h.hexdigest()[:8]


class LocalBackend:
    """A local causal LM behind the `Backend` protocol."""

    def __init__(
        self,
        name: str = "local-ft",
        *,
        style: str = "ft",
        adapter: str | Path | None = None,
        base_model: str | Path | None = None,
        decoder: str = "grammar",
        max_new_tokens: int = MAX_NEW_TOKENS,
        max_calls: int = MAX_PLAN,
        fast: str | None = "int8",
    ) -> None:
        if style not in ("base", "ft"):
            raise ValueError(f"style must be 'base' or 'ft', got {style!r}")
        if decoder not in ("grammar", "generate"):
            raise ValueError(f"decoder must be 'grammar' or 'generate', got {decoder!r}")
        self.name = name
        self.style = style
        self.adapter = Path(adapter) if adapter is not None else None
        self.base_model = base_model
        self.decoder = decoder
        self.max_new_tokens = max_new_tokens
        self.max_calls = max_calls
        self.fast = fast
        # an adapter trained with the drone's state line in its prompts reads one (formats.py)
        self.reads_state = style == "ft" and prompt_options(self.adapter)["state_line"]
        self._lock = threading.Lock()
        self._engine: Any = None
        self.load_ms = 0.0  # how long `load` took, once it has run

    @property
    def identity(self) -> str:
        base = str(self.base_model or "gemma-3-270m")
        decoder = self.decoder if self.decoder == "generate" else f"grammar-{self.fast or 'hf'}"
        adapter = _adapter_digest(self.adapter)
        return f"local:{base}:adapter={adapter}:{self.style}:{decoder}:code={_code_digest()}"

    # ------------------------------------------------------------------ loading

    def load(self) -> Any:
        """Load the model (once per process) and build the decoder. Raises `ModelUnavailable`."""
        with self._lock:
            if self._engine is None:
                started = time.perf_counter()
                model, tokenizer = self._load_model()
                if self.decoder == "grammar":
                    from copilot.decoding.decoder import GrammarDecoder

                    self._engine = GrammarDecoder(
                        model,
                        tokenizer,
                        style=self.style,
                        prefix=self._prefix_text(),
                        max_calls=self.max_calls,
                        fast=self.fast,
                    )
                    self._engine.decode(self.render([{"role": "user", "content": "hi"}]), 4)
                else:
                    self._engine = (model, tokenizer)
                self.load_ms = (time.perf_counter() - started) * 1000
            return self._engine

    def _load_model(self) -> tuple[Any, Any]:
        """The lean runtime (int8, cached, no transformers) for the embedded Gemma base under
        the grammar decoder; transformers for everything else."""
        if self.decoder == "grammar" and self.fast == "int8" and self.base_model is None:
            from copilot.backends.lean_model import load_lean

            return load_lean(None, self.adapter)
        from copilot.backends import local_model

        return local_model.load(self.base_model, self.adapter)

    def _prefix_text(self) -> str:
        return base_prompt_prefix() if self.style == "base" else f"{START}user\n"

    def render(self, messages: list[dict[str, Any]]) -> str:
        if self.style == "base":
            return render_base_prompt(messages)
        return render_ft_prompt(messages, state_line(messages) if self.reads_state else "")

    # ------------------------------------------------------------------ answering

    def complete(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None = None,
        *,
        max_calls: int | None = None,
        names: frozenset[str] | None = None,
        strict: bool = True,
        max_new_tokens: int | None = None,
        on_text: Callable[[str], None] | None = None,
    ) -> Completion:
        """The model's plan. The grammar decoder also takes `names` (the functions allowed),
        `strict=False` (report a preference for an unoffered function rather than force an
        offered one), a smaller token budget, and `on_text` (the output so far, as it grows)."""
        problem = _check_messages(messages)
        if problem:
            return Completion(error=problem)
        loaded = self._engine is not None
        try:
            engine = self.load()
        except ModelUnavailable as exc:
            return Completion(error=str(exc))
        load_ms = 0.0 if loaded else self.load_ms  # reported apart: never in the latency
        start = time.perf_counter()
        prompt = self.render(messages)
        try:
            with self._lock:  # one request at a time per model: the KV cache is shared state
                budget = min(max_new_tokens or self.max_new_tokens, self.max_new_tokens)
                finish = None
                if self.decoder == "grammar":
                    text, n_prompt, n_out = engine.decode(
                        prompt,
                        budget,
                        max_calls=max_calls,
                        names=names,
                        strict=strict,
                        on_text=on_text,
                    )
                    finish = engine.finish if engine.finish != "stop" else None
                else:
                    text, n_prompt, n_out = _generate(*engine, prompt, budget)
        except Exception as exc:  # the contract: a Completion with an error, never a raise
            return Completion(error=f"local model failed: {type(exc).__name__}: {exc}"[:300])
        latency = (time.perf_counter() - start) * 1000
        return Completion.from_output(
            text,
            prompt_tokens=n_prompt,
            completion_tokens=n_out,
            latency_ms=latency,
            load_ms=load_ms,
            finish_reason=finish,
        )


def _check_messages(messages: list[dict[str, Any]]) -> str | None:
    """A one-line reason the request cannot be answered, or None."""
    users = [m for m in messages if m.get("role") == "user"]
    if not users:
        return "no user message to answer"
    text = users[-1].get("content")
    if not isinstance(text, str) or not text.strip():
        return "empty prompt: type a command for the drone"
    total = sum(len(str(m.get("content") or "")) for m in messages)
    if total > MAX_PROMPT_CHARS:
        return f"prompt too long: {total} characters (the limit is {MAX_PROMPT_CHARS})"
    return None


def _generate(model: Any, tokenizer: Any, prompt: str, max_new_tokens: int) -> tuple[str, int, int]:
    """Plain greedy `generate`: the baseline the grammar decoder is measured against."""
    import torch

    ids = tokenizer(prompt, return_tensors="pt").input_ids.to(model.device)
    stop = [tokenizer.convert_tokens_to_ids(END), tokenizer.eos_token_id]
    with torch.inference_mode():
        out = model.generate(
            ids,
            max_new_tokens=max_new_tokens,
            do_sample=False,
            eos_token_id=stop,
            pad_token_id=tokenizer.pad_token_id,
        )
    new = out[0, ids.shape[1] :]
    text = tokenizer.decode(new, skip_special_tokens=True)
    if "Call:" in prompt[-10:]:  # the base style: one call on one line
        text = text.split("\n")[0]
    return text, int(ids.shape[1]), len(new)
