"""The lean runtime: the int8 model and its tables, cached once, loaded without transformers.

Why: loading through transformers imports it (seconds), builds the fp32 model (1 GB), merges the
LoRA adapter with peft and converts the weights again, every time a process starts. What the
decoder runs is smaller and fixed for a (base, adapter, code) triple: the lean forward's int8
weights (`copilot.decoding.fast_gemma`) with the adapter merged in, the fp32 rows of the tokens
the call grammar can emit, and that grammar vocabulary. The first load builds them through
transformers and saves them next to the cached base weights, under a key hashed from the base
files, the adapter's bytes and the code that derives them (`derived_key`); every later load reads
them with safetensors, and the tokenizer as `copilot.backends.lean_tokenizer` saved it, and
never imports transformers.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from copilot.backends import lean_tokenizer, local_model
from copilot.backends.base import ModelUnavailable
from copilot.backends.lean_tokenizer import CompactBPE, LeanTokenizer

__all__ = ["LeanTokenizer", "aligned", "derived_dir", "derived_key", "load_lean", "prune"]

FORMAT = 2  # bump when the saved files change shape (2: word rows first)
CODE = (  # decoder.py holds grammar_vocabulary, whose table is saved
    "decoding/decoder.py",
    "decoding/fast_gemma.py",
    "decoding/grammar.py",
    "catalog.py",
    "backends/lean_model.py",
    "backends/lean_tokenizer.py",
)
STALE_DAYS = 14  # a derived runtime unused this long is deleted when another one is built
ALIGN = 16  # bytes: int8pack_mm crashes on weights that are not (seen at an 8-byte offset)
EXTRA_TOKENS = ("\n", "\n\n", "<end_of_turn>", "<eos>")  # every decoder style's end tokens

_lock = threading.Lock()
_loaded: dict[str, tuple[Any, Any]] = {}


def _digest_files(h: Any, files: list[Path], contents: bool) -> None:
    for file in files:
        h.update(file.name.encode())
        if contents:
            h.update(file.read_bytes())
        else:  # a 1 GB base file: its size and time stand for it, as make does
            stat = file.stat()
            h.update(f"{stat.st_size}:{stat.st_mtime_ns}".encode())


def derived_key(base: Path, adapter: Path | None) -> str:
    """The cache key of the derived runtime: base files (name, size, time), the adapter's bytes,
    and the code that derives and reads them. Any change gives a new key, so a stale cache is
    never used; an old one is removed by `prune` once it has gone unused for `STALE_DAYS`."""
    h = hashlib.sha256(f"lean-int8:{FORMAT}".encode())
    files = [base] if base.is_file() else sorted(p for p in base.iterdir() if p.is_file())
    _digest_files(h, files, contents=False)
    h.update(b"adapter:")
    if adapter is not None:
        _digest_files(h, sorted(Path(adapter).glob("adapter_*")), contents=True)
    package = Path(__file__).resolve().parents[1]  # copilot/
    _digest_files(h, [package / name for name in CODE], contents=True)
    return h.hexdigest()[:16]


def derived_dir(base: Path, adapter: Path | None) -> Path:
    return local_model.CACHE_DIR / "derived" / derived_key(base, adapter)


def _tokenizer_file(base: Path) -> Path:
    folder = base.parent if base.is_file() else base
    return folder / "tokenizer.json"


def _build(base: str | os.PathLike[str] | None, adapter: Path | None, target: Path) -> None:
    """Derive the runtime through transformers once: int8 weights, grammar rows, vocabulary."""
    from safetensors.torch import save_file

    from copilot.decoding.decoder import grammar_vocabulary
    from copilot.decoding.fast_gemma import FastGemma, word_ids, words_first

    model, tokenizer = local_model.load(base, adapter)
    vocabulary = grammar_vocabulary(tokenizer)
    known = tokenizer.get_vocab()
    keep = sorted({*vocabulary, *(known[t] for t in EXTRA_TOKENS if t in known)})
    fast = FastGemma(model, int8=True, keep=keep)
    staging = target.with_name(target.name + f".tmp{os.getpid()}")
    staging.mkdir(parents=True, exist_ok=True)
    tensors = words_first(fast.tensors(), word_ids(known))
    tensors = {name: t.contiguous() for name, t in tensors.items()}
    save_file(tensors, str(staging / "weights.safetensors"))
    lean_tokenizer.save(_tokenizer_file(local_model.resolve_base(base)), staging)
    meta = {
        "format": FORMAT,
        "config": fast.settings,
        "call_vocabulary": {str(i): text for i, text in vocabulary.items()},
    }
    (staging / "meta.json").write_text(json.dumps(meta))
    if target.exists():  # another process finished first: keep its copy
        shutil.rmtree(staging, ignore_errors=True)
    else:
        staging.replace(target)
    local_model.forget(base, adapter)  # the fp32 model is not needed by this process any more
    prune(target.parent, keep=target)


def prune(folder: Path, keep: Path, now: float | None = None) -> list[Path]:
    """Delete the derived runtimes in `folder` (about 270 MB each) that no load has touched for
    `STALE_DAYS`, and staging folders a crashed build left; never `keep`. Returns what went.

    A load touches its `meta.json`, so a runtime another checkout still uses survives."""
    now = time.time() if now is None else now
    gone = []
    for entry in folder.iterdir() if folder.is_dir() else ():
        if entry == keep or not entry.is_dir():
            continue
        marker = entry / "meta.json"
        used = marker.stat().st_mtime if marker.exists() else entry.stat().st_mtime
        if now - used > STALE_DAYS * 86400:
            shutil.rmtree(entry, ignore_errors=True)
            gone.append(entry)
    return gone


def aligned(tensors: dict[str, Any]) -> dict[str, Any]:
    """The tensors, each at an address the int8 kernels accept. safetensors places a tensor
    after the header and the tensors before it, so its offset in the mapped file is only 8-byte
    aligned by format; such a tensor is copied (none is, in the layout saved today)."""
    return {k: t if t.data_ptr() % ALIGN == 0 else t.clone() for k, t in tensors.items()}


def load_lean(
    base: str | os.PathLike[str] | None = None, adapter: str | os.PathLike[str] | None = None
) -> tuple[Any, LeanTokenizer]:
    """(FastGemma in int8, LeanTokenizer) for a Gemma 3 base and optional LoRA adapter, from the
    derived cache (built on first use). Raises `ModelUnavailable`."""
    adapter_path = Path(adapter) if adapter is not None else None
    if adapter_path is not None and not (adapter_path / "adapter_config.json").exists():
        raise ModelUnavailable(
            f"LoRA adapter not found: {adapter_path / 'adapter_config.json'} is missing"
        )
    base_path = local_model.resolve_base(base)
    target = derived_dir(base_path, adapter_path)
    with _lock:
        if str(target) in _loaded:
            return _loaded[str(target)]
        if not (target / "meta.json").exists():
            _build(base, adapter_path, target)
        from safetensors.torch import load_file

        from copilot.decoding.fast_gemma import LeanGemma

        meta = json.loads((target / "meta.json").read_text())
        os.utime(target / "meta.json")  # last used now: `prune` keeps it
        tensors = aligned(load_file(str(target / "weights.safetensors")))
        model = LeanGemma(tensors, meta["config"])
        vocabulary = {int(i): text for i, text in meta["call_vocabulary"].items()}
        # The grammar vocabulary travels with the tokenizer: the decoder never scans 262k tokens.
        tokenizer = LeanTokenizer(CompactBPE.load(target), vocabulary)
        _loaded[str(target)] = (model, tokenizer)
        return model, tokenizer
