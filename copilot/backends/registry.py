"""The model registry: one place that maps a model name to a backend and its settings.

Names:
- `local-base`: the embedded Gemma 3 270M base model, prompted with the catalogue and examples;
- `local-ft`: the same model with the LoRA adapter this project trains (`assets/adapters/drone-lora`,
  or the folder in DRONE_COPILOT_ADAPTER);
- `gpt-3.5-turbo`, `gpt-4o-mini` and any `ft:...` model: OpenAI (needs OPENAI_API_KEY);
- any name with `base_url=...`, the local ones too: that OpenAI-compatible server (vLLM, Ollama,
  llama.cpp, ours, e.g. `python -m copilot.serve --model local-ft` asked for `local-ft`);
- `replay:PATH`: answers recorded in a JSONL file (re-scoring, fast harness tests).

Importing this module is cheap: torch and openai are imported only when a backend is built.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from copilot.backends.base import Backend, ModelUnavailable

REPO_ROOT = Path(__file__).resolve().parents[2]
ADAPTER_DIR = REPO_ROOT / "assets" / "adapters" / "drone-lora"
TRAIN_COMMAND = "python -m finetune train --backend local"

__all__ = [
    "ADAPTER_DIR",
    "ModelInfo",
    "ModelUnavailable",
    "UnknownModel",
    "get_backend",
    "list_models",
]


@dataclass(frozen=True)
class ModelInfo:
    """A model the registry knows, as `python -m copilot models` lists it."""

    name: str
    kind: str  # "local", "openai" or "replay"
    description: str
    available: bool = True
    note: str = ""


_OPENAI_MODELS = {
    "gpt-3.5-turbo": "OpenAI, the cookbook's base model (needs OPENAI_API_KEY)",
    "gpt-4o-mini": "OpenAI, small and cheap (needs OPENAI_API_KEY)",
}


class UnknownModel(ValueError):
    """A model name the registry cannot map to a backend."""

    def __init__(self, name: str) -> None:
        known = ", ".join([*(m.name for m in list_models()), "ft:...", "replay:PATH"])
        super().__init__(
            f"unknown model {name!r}; known: {known} (or any name with --base-url URL)"
        )
        self.name = name


def _adapter_note(adapter: Path) -> str:
    return (
        f"the local-ft adapter is missing: {adapter / 'adapter_config.json'} "
        f"(make it with: {TRAIN_COMMAND})"
    )


def list_models() -> list[ModelInfo]:
    """The named models, with whether each can be used on this machine right now."""
    from copilot.backends.openai_compat import dotenv_file, setting

    adapter_ok = (ADAPTER_DIR / "adapter_config.json").exists()
    key_ok = bool(setting("OPENAI_API_KEY", dotenv_file()))
    models = [
        ModelInfo("local-base", "local", "Gemma 3 270M base, catalogue + examples in the prompt"),
        ModelInfo(
            "local-ft",
            "local",
            "Gemma 3 270M + this project's LoRA adapter, compact prompt",
            available=adapter_ok,
            note="" if adapter_ok else _adapter_note(ADAPTER_DIR),
        ),
    ]
    for name, description in _OPENAI_MODELS.items():
        models.append(
            ModelInfo(
                name,
                "openai",
                description,
                available=key_ok,
                note="" if key_ok else "set OPENAI_API_KEY (environment or .env)",
            )
        )
    return models


def get_backend(name: str, **overrides: Any) -> Backend:
    """A ready backend for a model name. Raises `UnknownModel` or `ModelUnavailable` (one line).

    Overrides go to the backend: `base_url`, `api_key`, `seed`, `temperature`, `tool_choice` for
    OpenAI-compatible models; `base_model` (a folder or GGUF file), `adapter`, `decoder` for the
    local ones.
    """
    name = (name or "").strip()
    if name.startswith("replay:"):
        from copilot.backends.replay import ReplayBackend

        return ReplayBackend(name.removeprefix("replay:"))
    if name in ("local-base", "local-ft") and not overrides.get("base_url"):
        from copilot.backends.local import LocalBackend

        style = "base" if name == "local-base" else "ft"
        default = Path(os.environ.get("DRONE_COPILOT_ADAPTER") or ADAPTER_DIR)
        adapter = overrides.pop("adapter", default if style == "ft" else None)
        if adapter is not None and not (Path(adapter) / "adapter_config.json").exists():
            raise ModelUnavailable(_adapter_note(Path(adapter)))
        return LocalBackend(name=name, style=style, adapter=adapter, **overrides)
    if name in _OPENAI_MODELS or name.startswith("ft:") or overrides.get("base_url"):
        from copilot.backends.openai_compat import OpenAIBackend

        return OpenAIBackend(name, **overrides)
    raise UnknownModel(name)
