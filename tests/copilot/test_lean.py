"""The lean runtime: the derived cache's key, the compact tokenizer, and answers without transformers.

Real files throughout: the cached base model, the shipped adapter, the suites.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from copilot.backends.lean_model import STALE_DAYS, aligned, derived_key, prune
from copilot.backends.lean_tokenizer import CompactBPE, save

pytestmark = pytest.mark.model

ROOT = Path(__file__).resolve().parents[2]
ADAPTER = ROOT / "assets" / "adapters" / "drone-lora"
TRICKY = [
    "<start_of_turn>user\nTake off  to 50 m\t now<end_of_turn>\n<start_of_turn>model\n",
    "émoji 🚁 naïve 北京 \n\n\n\n\n\n\n\n x",
    "<unused5> a<0x41>b",
    'control_camera(mode="video", duration=10*60)',
    "   leading and trailing   ",
    "",
]


@pytest.fixture(scope="module")
def base_dir(local_model) -> Path:
    from copilot import base_model_dir

    return base_model_dir()


def test_a_changed_adapter_gives_a_new_cache_key(base_dir, tmp_path):
    copy = tmp_path / "adapter"
    shutil.copytree(ADAPTER, copy)
    assert derived_key(base_dir, copy) == derived_key(base_dir, ADAPTER)  # bytes, not paths
    weights = copy / "adapter_model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1  # one bit of one weight
    weights.write_bytes(bytes(data))
    assert derived_key(base_dir, copy) != derived_key(base_dir, ADAPTER)
    assert derived_key(base_dir, None) not in (derived_key(base_dir, ADAPTER),)


def test_the_compact_tokenizer_gives_the_full_tokenizers_ids(base_dir, tmp_path):
    from tokenizers import Tokenizer

    save(base_dir / "tokenizer.json", tmp_path)
    compact = CompactBPE.load(tmp_path)
    full = Tokenizer.from_file(str(base_dir / "tokenizer.json"))
    texts = list(TRICKY)
    for suite in sorted((ROOT / "evaluation" / "suites").glob("*.jsonl")):
        texts += [json.loads(line)["prompt"] for line in suite.read_text().splitlines() if line]
    for text in texts:
        for special in (True, False):
            expected = full.encode(text, add_special_tokens=special).ids
            assert compact.encode(text, special) == expected, text
    for index in [*range(0, 262144, 4099), 236743, 106, 107]:
        assert compact.decode([index]) == full.decode([index], skip_special_tokens=False)


def test_the_lean_runtime_is_int8_from_transformers_and_loads_without_it(local_model):
    """The cached int8 runtime computes exactly what int8 built from the merged transformers
    model computes, and a process that answers with it never imports transformers."""
    import torch

    from copilot.backends import local_model as loading
    from copilot.backends.lean_model import load_lean
    from copilot.decoding.fast_gemma import FastGemma

    lean, tokenizer = load_lean(None, ADAPTER)
    model, _ = loading.load(None, ADAPTER)
    built = FastGemma(model, int8=True, keep=lean.head_ids.tolist())
    ids = tokenizer(TRICKY[0]).input_ids
    lean.crop(0)
    assert torch.equal(built.forward(ids), lean.forward(ids))
    lean.crop(0)
    loading.forget(None, ADAPTER)
    script = (
        "import sys, json\n"
        "from copilot import LocalBackend\n"
        f"b = LocalBackend(adapter={str(ADAPTER)!r})\n"
        "out = [b.complete([{'role': 'user', 'content': p}]).raw for p in sys.argv[1:]]\n"
        "print(json.dumps({'out': out, 'transformers': 'transformers' in sys.modules}))\n"
    )
    prompts = ["take off to 30 metres", "blink the LEDs pink", "land at the home base"]
    done = subprocess.run(
        [sys.executable, "-c", script, *prompts],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.splitlines()[-1])
    assert answer["transformers"] is False
    assert answer["out"] == [
        "takeoff_drone(altitude=30)",
        "reject_request()",
        'land_drone(location="home_base")',
    ]


def test_prune_deletes_only_derived_runtimes_unused_for_weeks(tmp_path):
    day = 86400
    now = 1_000 * day
    folders = {}
    for name, age_days in (("fresh", 1), ("old", STALE_DAYS + 1), ("kept", 100), ("x.tmp9", 30)):
        folder = tmp_path / name
        folder.mkdir()
        if not name.endswith("tmp9"):
            (folder / "meta.json").write_text("{}")
            os.utime(folder / "meta.json", (now - age_days * day, now - age_days * day))
        os.utime(folder, (now - age_days * day, now - age_days * day))
        folders[name] = folder
    gone = prune(tmp_path, keep=folders["kept"], now=now)
    assert sorted(p.name for p in gone) == ["old", "x.tmp9"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh", "kept"]


def test_tensors_at_an_8_byte_offset_are_copied_to_an_aligned_address(tmp_path):
    """An int8 tensor that safetensors maps at an 8-byte offset crashed int8pack_mm; the
    runtime copies such a tensor. The header is padded until the weight lands misaligned."""
    import torch
    from safetensors.torch import load_file, save_file

    weight = torch.arange(64 * 640, dtype=torch.int32).remainder(255).sub(127).to(torch.int8)
    tensors = {"a": torch.tensor(7), "w": weight.reshape(64, 640)}
    for pad in range(16):
        save_file(tensors, str(tmp_path / "w.safetensors"), metadata={"pad": "x" * pad})
        loaded = load_file(str(tmp_path / "w.safetensors"))
        if loaded["w"].data_ptr() % 16:
            break
    assert loaded["w"].data_ptr() % 16, "no padding put the weight at an 8-byte offset"
    fixed = aligned(loaded)
    assert all(t.data_ptr() % 16 == 0 for t in fixed.values())
    assert torch.equal(fixed["w"], tensors["w"]) and int(fixed["a"]) == 7


def test_the_word_rows_hold_every_token_that_decodes_to_letters(base_dir):
    """The other-word check skips the whole vocabulary when no word row leads: exact only if
    every token that decodes to letters alone is among the word rows."""
    from tokenizers import Tokenizer

    from copilot.decoding.fast_gemma import word_ids

    tokenizer = Tokenizer.from_file(str(base_dir / "tokenizer.json"))
    vocab = tokenizer.get_vocab()
    words = set(word_ids(vocab))
    texts = tokenizer.decode_batch([[i] for i in range(len(vocab))], skip_special_tokens=False)
    missing = [i for i, text in enumerate(texts) if text.isalpha() and i not in words]
    assert missing == [] and len(words) > 50_000


def test_the_word_rows_score_what_the_whole_vocabulary_scores(local_model):
    import torch

    from copilot.backends.lean_model import load_lean

    lean, tokenizer = load_lean(None, ADAPTER)
    hidden = lean.forward(tokenizer("set the LED colour to").input_ids)[-1]
    lean.crop(0)  # the decoder computes its prefix again
    full = lean.all_logits(hidden)
    in_order = lean.order[: lean.n_words]
    assert lean.best_word_logit(hidden) == float(full[in_order].max())
    ids = torch.tensor([2, 100, 262_000, int(in_order[0])])
    rows = lean.embed_rows(ids)  # looked up by token id, whatever the row order
    assert torch.equal(rows[2], lean.embed_rows(torch.tensor([262_000]))[0])
    assert torch.allclose(full[ids], rows @ hidden, rtol=0.05, atol=0.5)  # bf16 activations
