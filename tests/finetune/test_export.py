"""`python -m finetune export --gguf`: the merged GGUF reads back with the base's tensors and metadata.

Real files: the packaged base GGUF, the shipped adapter, gguf's own reader.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.model

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def exported(tmp_path_factory, local_model) -> Path:
    target = tmp_path_factory.mktemp("export") / "drone.gguf"
    done = subprocess.run(
        [sys.executable, "-m", "finetune", "export", "--gguf", str(target)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert "84 tensors merged" in done.stdout
    return target


def test_the_export_round_trips_with_the_base_tensor_names_and_shapes(exported):
    import gguf

    from copilot import base_gguf

    base, out = gguf.GGUFReader(base_gguf()), gguf.GGUFReader(exported)
    assert [(t.name, tuple(t.shape)) for t in out.tensors] == [
        (t.name, tuple(t.shape)) for t in base.tensors
    ]
    for key in ("general.architecture", "tokenizer.ggml.model", "tokenizer.ggml.eos_token_id"):
        assert out.fields[key].contents() == base.fields[key].contents()
    tokens = "tokenizer.ggml.tokens"
    assert len(out.fields[tokens].data) == len(base.fields[tokens].data) == 262144


def test_the_merged_tensors_hold_the_adapter_and_the_rest_are_the_base_bytes(exported):
    import gguf
    import numpy as np

    from copilot import base_gguf

    base = {t.name: t for t in gguf.GGUFReader(base_gguf()).tensors}
    out = {t.name: t for t in gguf.GGUFReader(exported).tensors}
    merged = [n for n, t in out.items() if not np.array_equal(t.data, base[n].data)]
    assert len(merged) == 84  # 7 projections in each of the adapter's 12 layers
    assert sorted({n.split(".")[1] for n in merged}, key=int) == [str(i) for i in range(6, 18)]
    assert all(out[n].tensor_type == gguf.GGMLQuantizationType.Q8_0 for n in merged)
    untouched = out["blk.0.attn_q.weight"], base["blk.0.attn_q.weight"]
    assert untouched[0].tensor_type == untouched[1].tensor_type
    assert np.array_equal(untouched[0].data, untouched[1].data)
    changed = [
        gguf.quants.dequantize(t.data, t.tensor_type)
        for t in (out["blk.17.attn_q.weight"], base["blk.17.attn_q.weight"])
    ]
    assert not np.allclose(changed[0], changed[1], atol=1e-3)  # the adapter's delta is in it


def test_the_modelfile_has_the_chat_template_and_the_stop_token(exported):
    text = exported.with_name("Modelfile").read_text()
    assert text.startswith(f"FROM ./{exported.name}\n")
    assert 'PARAMETER stop "<end_of_turn>"' in text
    assert "<start_of_turn>model\n" in text and "{{ .Content }}<end_of_turn>" in text
