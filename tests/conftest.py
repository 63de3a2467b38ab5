"""Shared fixtures: the real local model, loaded once per test session.

Tests that use it are marked `@pytest.mark.model`; each should add only a few seconds beyond the
one load (about 5-10 s from the safetensors cache; the very first load on a machine builds that
cache from the packaged GGUF, about a minute).
"""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="session")
def local_model() -> tuple[Any, Any]:
    """(model, tokenizer) of the embedded Gemma 3 270M base, fp32 on the CPU."""
    from copilot.backends import local_model

    try:
        return local_model.load()
    except local_model.ModelUnavailable as exc:
        pytest.skip(f"local model unavailable: {exc}")


@pytest.fixture(scope="session")
def local_ft_format(local_model: tuple[Any, Any]) -> Any:
    """The base weights behind the `local-ft` prompt format and grammar decoder.

    The adapter changes the weights' values, not the code path, so this exercises everything
    `local-ft` runs without depending on the trained adapter being present.
    """
    from copilot import LocalBackend

    backend = LocalBackend(name="local-ft-format", style="ft")
    backend.load()
    return backend


@pytest.fixture(scope="session")
def local_base(local_model: tuple[Any, Any]) -> Any:
    """The `local-base` backend (catalogue and examples in the prompt, prefix KV cached)."""
    from copilot import get_backend

    backend = get_backend("local-base")
    backend.load()
    return backend
