"""The model side of the local trainer: precision, compiled layers, LoRA, the loss head, evaluation.

Gemma 3 270M base (or `--base-model`), on 2 CPU cores or a GPU. torch, transformers and peft
load inside the functions, so importing this module stays cheap.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from finetune.training.config import TrainConfig
from finetune.training.data import collate, make_batches


def cpu_has_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 natively (AVX-512 BF16 or AMX); Linux only."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def autocast_dtype(precision: str, device_type: str) -> Any:
    """The dtype the forward pass runs in under autocast, or None for plain fp32.

    On 2 cores with AVX-512 BF16, a training step in bf16 autocast takes 0.59 s against 0.99 s in
    fp32 (8 sequences, LoRA on 12 layers) with the same losses. Without native bf16 the CPU
    has to convert in software (not measured here), so "auto" keeps fp32 there.
    """
    import torch

    if precision == "fp32":
        return None
    if precision == "bf16" or device_type == "cuda" or cpu_has_bf16():
        return torch.bfloat16
    return None


def compiles(setting: str, device_type: str) -> bool:
    """Whether `--compile SETTING` compiles the decoder layers on this device.

    Measured on 2 CPU cores (bf16 autocast, batch 16, LoRA on the top 12 layers, the shipped
    data): 6.99 s per 100 examples compiled against 9.50 eager. The compiling happens in the
    first step: 71 s with an empty compile cache (/tmp/torchinductor_*), 42 s with a warm one.
    Inductor writes C++ kernels on a CPU, so "auto" compiles there when a C++ compiler is on the
    PATH; GPUs stay eager because nothing was measured on one.
    """
    native = device_type == "cpu" and any(shutil.which(cxx) for cxx in ("g++", "c++"))
    return setting == "on" or (setting == "auto" and native)


def compile_layers(model: Any) -> None:
    """Compile each decoder layer in place with torch.compile.

    Layer by layer, the compiler builds one graph per kind of layer and reuses it for the others;
    compiling the whole model at once ran a little faster (6.56 s per 100 examples) but took 240 s
    to compile. In place, the weights keep the names peft saves them under.
    """
    for layer in model.get_base_model().model.layers:
        layer.compile(dynamic=True)  # sequence lengths and batch sizes vary from step to step


def load_model(cfg: TrainConfig) -> tuple[Any, Any, Any]:
    """(peft model, tokenizer, device): the base model with fresh LoRA layers, ready to train."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from copilot import quiet_libraries, resolve_base

    path = resolve_base(cfg.base)
    gguf = {"gguf_file": path.name} if path.suffix == ".gguf" else {}
    folder = path.parent if gguf else path
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    with quiet_libraries():  # no "Loading weights" bar or deprecation notices of the libraries
        tokenizer = AutoTokenizer.from_pretrained(folder, **gguf)
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype, **gguf)
    torch.manual_seed(cfg.seed)  # the LoRA A matrices are initialised at random
    depth = model.config.num_hidden_layers
    top = range(max(0, depth - cfg.layers), depth) if cfg.layers else None
    lora = LoraConfig(
        r=cfg.rank,
        lora_alpha=cfg.alpha,
        lora_dropout=cfg.dropout,
        target_modules=list(cfg.target_modules),
        layers_to_transform=list(top) if top else None,
        task_type="CAUSAL_LM",
    )
    with quiet_libraries():  # peft reads an attribute transformers has deprecated
        model = get_peft_model(model, lora).to(device)  # LoRA stays fp32 even on bf16 bases
    return model, tokenizer, device


class OutputHead:
    """The output layer the loss is taken over: all 262k words, or only the grammar's tokens.

    The grammar decoder scores only the ~700 tokens a call can contain, so a softmax over those
    is the quantity it maximises; it also skips most of the output layer's cost. Labels are
    mapped to positions in that list, and every label token is in it.
    """

    def __init__(self, model: Any, tokenizer: Any, kind: str, items: list) -> None:
        import torch

        self.lm = model.get_base_model()  # the causal LM, with the LoRA layers injected in place
        self.cap = getattr(self.lm.config, "final_logit_softcapping", None)
        self.weight = self.index = None
        if kind == "full":
            return
        from copilot import grammar_vocabulary

        labels = {i for item in items for i in item.input_ids[len(item) - item.n_target :]}
        ids = torch.tensor(sorted(set(grammar_vocabulary(tokenizer)) | labels))
        full = self.lm.lm_head.weight
        self.weight = full.detach()[ids.to(full.device)]  # [K, H], frozen
        self.index = torch.full((full.shape[0],), -1, dtype=torch.long, device=full.device)
        self.index[ids.to(full.device)] = torch.arange(len(ids), device=full.device)

    def __call__(self, batch: dict[str, Any]) -> tuple[Any, Any]:
        """(logits at the N target positions [N, K], labels as indices into K [N])."""
        import torch

        hidden = self.lm.model(
            input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], use_cache=False
        ).last_hidden_state  # [B, L, H]
        picked = hidden[batch["rows"], batch["cols"]]  # [N, H]: the states that predict a target
        if self.weight is None:
            logits, labels = self.lm.lm_head(picked).float(), batch["labels"]
        else:
            logits, labels = (picked @ self.weight.T).float(), self.index[batch["labels"]]
        if self.cap:
            logits = torch.tanh(logits / self.cap) * self.cap
        return logits, labels


def evaluate(
    head: OutputHead, items: list, batch_size: int, pad_id: int, device: Any, dtype: Any = None
) -> dict:
    """Validation loss and call accuracy, teacher-forced: one forward pass per batch.

    An example counts as correct when the argmax at every target position is the target token,
    which is exactly what greedy decoding would write: the whole call, arguments and the closing
    `<end_of_turn>` included.
    """
    import torch
    import torch.nn.functional as F

    model = head.lm
    model.eval()
    correct, loss_sum, tokens = 0, 0.0, 0
    with torch.no_grad():
        for indices in make_batches(items, batch_size, seed=0, epoch=0, shuffle=False):
            batch = collate([items[i] for i in indices], pad_id, device)
            with torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
                logits, labels = head(batch)
            loss_sum += F.cross_entropy(logits, labels, reduction="sum").item()
            tokens += len(labels)
            wrong = (logits.argmax(-1) != labels).float()  # [N]
            per_example = torch.zeros(len(indices), device=device).index_add_(
                0, batch["rows"], wrong
            )  # [B] wrong tokens per example
            correct += int((per_example == 0).sum())
    model.train()
    return {"val_accuracy": correct / max(len(items), 1), "val_loss": loss_sum / max(tokens, 1)}
