"""`python -m finetune export --gguf OUT.gguf`: the adapter merged into a GGUF for llama.cpp and Ollama.

Why: users of llama.cpp and Ollama cannot load a peft adapter on our Gemma base, and a GGUF they
can load must carry the base's tokenizer and metadata exactly. So the export starts from the
packaged base GGUF itself (`copilot.base_gguf()`) and copies every metadata field and every tensor
the adapter leaves alone byte for byte; only the tensors the LoRA touches are replaced, by the base
GGUF's own values plus the adapter's delta (the merged weight minus the base weight, from peft's
`merge_and_unload`), quantised to Q8_0 with `gguf`'s quantiser. With `--quant q4_k_m` that file is
then requantised by llama.cpp's own quantiser (`llama_cpp.llama_model_quantize`), where
llama-cpp-python is installed; otherwise the Q8_0 file is kept and the command says so. Beside
the GGUF goes an Ollama `Modelfile` with the compact prompt's chat template and its stop token.

The adapter's deltas are computed in the transformers layout, which for Gemma 3 is the GGUF's
(rows = output features; llama.cpp permutes q/k only for LLaMA-style rope): the export checks
that every replaced base tensor dequantises to the transformers base weight before adding to it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

HELP = "export the adapter merged into the base as a GGUF for llama.cpp and Ollama"
EXAMPLES = """examples:
  python -m finetune export --gguf drone-copilot.gguf              # Q8_0 where the adapter acts
  python -m finetune export --gguf drone-copilot.gguf --quant q4_k_m   # needs llama-cpp-python
  python -m finetune export --gguf out.gguf --adapter runs/ft-new/adapter
  ollama create drone-copilot -f Modelfile                        # the Modelfile written beside it
"""

# Ollama's template for the compact prompt of copilot/formats.py (render_ft_prompt): no system
# prompt, turns in Gemma's markers, the answer after "<start_of_turn>model\n".
MODELFILE = '''FROM ./{gguf}
TEMPLATE """{{{{- range .Messages }}}}{{{{ if ne .Role "system" }}}}<start_of_turn>{{{{ if eq .Role "assistant" }}}}model{{{{ else }}}}user{{{{ end }}}}
{{{{ .Content }}}}<end_of_turn>
{{{{ end }}}}{{{{ end }}}}<start_of_turn>model
"""
PARAMETER stop "<end_of_turn>"
PARAMETER temperature 0
PARAMETER num_predict 120
'''


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from copilot import ADAPTER_DIR

    parser.add_argument("--gguf", type=Path, required=True, help="the GGUF file to write")
    parser.add_argument(
        "--quant",
        choices=("q8_0", "q4_k_m"),
        default="q8_0",
        help="q8_0 (gguf's quantiser) or q4_k_m (llama.cpp's, needs llama-cpp-python)",
    )
    parser.add_argument(
        "--adapter",
        type=Path,
        default=ADAPTER_DIR,
        help=f"the LoRA adapter (default {ADAPTER_DIR})",
    )


def merged_deltas(adapter: Path) -> dict[str, tuple[Any, Any]]:
    """{transformers weight name: (base weight, merged minus base)} for every weight the adapter
    changes, as float32 numpy arrays [out, in]."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from copilot import base_model_dir, quiet_libraries

    with quiet_libraries():
        model = AutoModelForCausalLM.from_pretrained(base_model_dir(), dtype=torch.float32)
        base = {name: p.detach().clone() for name, p in model.named_parameters()}
        merged = PeftModel.from_pretrained(model, adapter).merge_and_unload()
    out = {}
    for name, weight in merged.named_parameters():
        before = base.get(name)
        if before is not None and not torch.equal(before, weight):
            out[name] = (before.numpy(), (weight.detach() - before).numpy())
    return out


def write_gguf(source: Path, target: Path, deltas: dict[str, tuple[Any, Any]]) -> list[str]:
    """Copy `source` to `target` with each delta added to its tensor (as Q8_0); the names of the
    replaced tensors. Raises ValueError if a base tensor is not the weight the delta was made on."""
    import gguf
    import numpy as np

    reader = gguf.GGUFReader(source)
    arch = str(reader.fields[gguf.Keys.General.ARCHITECTURE].contents())
    blocks = int(reader.fields[f"{arch}.block_count"].contents())
    kind_of = {name: kind for kind, name in gguf.MODEL_ARCH_NAMES.items()}
    names = gguf.get_tensor_name_map(kind_of[arch], blocks)
    by_gguf = {names.get_name(n, try_suffixes=(".weight",)): d for n, d in deltas.items()}
    writer = gguf.GGUFWriter(target, arch)
    for field in reader.fields.values():  # every metadata field as it was (gguf_new_metadata's way)
        if field.name == gguf.Keys.General.ARCHITECTURE or field.name.startswith("GGUF."):
            continue
        kind = field.types[0]
        sub = field.types[-1] if kind == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(field.name, field.contents(), kind, sub_type=sub)
    data, replaced = [], []
    for tensor in reader.tensors:
        if tensor.name in by_gguf:
            before, delta = by_gguf[tensor.name]
            values = gguf.quants.dequantize(tensor.data, tensor.tensor_type).reshape(before.shape)
            if not np.allclose(values, before, atol=1e-5):
                raise ValueError(f"{tensor.name}: the GGUF tensor is not the base weight")
            raw = gguf.quants.quantize(values + delta, gguf.GGMLQuantizationType.Q8_0)
            kind = gguf.GGMLQuantizationType.Q8_0
            replaced.append(tensor.name)
        else:
            raw, kind = tensor.data, tensor.tensor_type
        writer.add_tensor_info(tensor.name, raw.shape, raw.dtype, raw.nbytes, kind)
        data.append(raw)
    missing = set(by_gguf) - set(replaced)
    if missing:
        raise ValueError(f"no GGUF tensor for {sorted(missing)[:3]}")
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for raw in data:
        writer.write_tensor_data(raw, tensor_endianess=reader.endianess)
    writer.close()
    return replaced


def requantize_q4_k_m(path: Path) -> bool:
    """Requantise `path` in place to Q4_K_M with llama.cpp's quantiser; False if it is absent."""
    try:
        import llama_cpp
    except ImportError:
        return False
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_K_M
    params.allow_requantize = True
    staging = path.with_suffix(".q4_k_m.tmp")
    code = llama_cpp.llama_model_quantize(str(path).encode(), str(staging).encode(), params)
    if code != 0:
        staging.unlink(missing_ok=True)
        raise RuntimeError(f"llama.cpp's quantiser failed with code {code}")
    staging.replace(path)
    return True


def export(adapter: Path, target: Path, quant: str = "q8_0") -> dict[str, Any]:
    """Write the merged GGUF and its Modelfile; what was done, for the command's summary."""
    from copilot import base_gguf

    target.parent.mkdir(parents=True, exist_ok=True)
    replaced = write_gguf(base_gguf(), target, merged_deltas(adapter))
    quantised = "q8_0"
    if quant == "q4_k_m":
        quantised = "q4_k_m" if requantize_q4_k_m(target) else "q8_0 (llama-cpp-python absent)"
    modelfile = target.with_name("Modelfile")
    modelfile.write_text(MODELFILE.format(gguf=target.name))
    return {"gguf": target, "modelfile": modelfile, "replaced": replaced, "quant": quantised}


def run(args: argparse.Namespace) -> int:
    if not (args.adapter / "adapter_config.json").exists():
        print(f"error: no adapter at {args.adapter} (adapter_config.json missing)", file=sys.stderr)
        return 2
    try:
        done = export(args.adapter, args.gguf, args.quant)
    except ImportError as exc:
        print(f"error: the export needs the 'local' extra ({exc.name} is missing)", file=sys.stderr)
        return 2
    except (ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    size = done["gguf"].stat().st_size / 2**20
    print(
        f"wrote {done['gguf']} ({size:.0f} MiB, {len(done['replaced'])} tensors merged, "
        f"{done['quant']}) and {done['modelfile']}"
    )
    return 0
