"""Fine-tune the embedded model with LoRA: Gemma 3 270M base, on 2 CPU cores or a GPU.

Read top to bottom: the config, the model, the loss, evaluation, checkpoints, the loop.
`python -m finetune train --backend local --data data/train.jsonl --val data/val.jsonl --out DIR`
calls `train(TrainConfig(...))`.

The run folder holds `adapter/` (the best adapter + its model card), `checkpoint/` (the state
after the last finished epoch, or the step at which the run was interrupted) and `log.jsonl`.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from finetune.training.data import (
    DataError,
    collate,
    encode,
    file_sha256,
    load_examples,
    make_batches,
)

BASE_MODEL_ID = "google/gemma-3-270m"  # what the embedded GGUF was made from, named in the card
# The settings with a fixed set of values, checked before any work and offered by the CLI.
CHOICES = {
    "head": ("grammar", "full"),
    "precision": ("auto", "bf16", "fp32"),
    "compile": ("auto", "on", "off"),
}


@dataclass
class TrainConfig:
    # data -----------------------------------------------------------------------------------
    data: str = "data/train.jsonl"  # OpenAI chat fine-tuning format with tools
    val: str | None = "data/val.jsonl"  # drives early stopping; None trains without it
    out: str = "runs/ft-local"  # run folder: adapter/, checkpoint/, log.jsonl
    export: str | None = None  # also copy the final adapter here (assets/adapters/drone-lora)
    base: str | None = None  # None: embedded Gemma 3 270M; or a transformers folder / GGUF file
    max_tokens: int = 256  # longest example accepted; ours are ~30-60 tokens
    max_examples: int = 0  # 0 = all; N trains on a seeded sample of N (to fit a time budget)
    # LoRA -----------------------------------------------------------------------------------
    rank: int = 16  # r=16 on attention + MLP is ~3.8M parameters, a 15 MB adapter
    alpha: int = 32  # the update is scaled by alpha / rank = 2
    dropout: float = 0.0  # few steps on clean data: dropout slows learning more than it helps
    target_modules: tuple[str, ...] = (
        "q_proj",
        "k_proj",
        "v_proj",
        "o_proj",
        "gate_proj",
        "up_proj",
        "down_proj",
    )
    layers: int = 0  # LoRA on the top N decoder layers only (0 = all 18): backward stops below them
    head: str = "grammar"  # softmax over the tokens a call can contain (as decoded), or "full"
    precision: str = "auto"  # "bf16" autocast, "fp32", or "auto": bf16 where the hardware has it
    compile: str = "auto"  # torch.compile each decoder layer: "on", "off", or "auto" (CPU + C++)
    # optimisation ---------------------------------------------------------------------------
    epochs: int = 3
    batch_size: int = 8  # 8 sequences of ~30 tokens: ~0.7 s a step on 2 cores in bf16
    lr: float = 5e-4  # LoRA tolerates a high rate; 5e-4 learns the format within ~30 steps
    warmup_steps: int = 10  # linear warm-up, then cosine decay to min_lr_ratio * lr
    min_lr_ratio: float = 0.1
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    ema: float = 0.0  # 0 = off; else validate and save an average of the weights with this decay
    seed: int = 42  # the LoRA initialisation, the sample and the batch order
    # evaluation and stopping ----------------------------------------------------------------
    eval_every: int = 0  # steps between validation passes; 0 = once per epoch
    val_limit: int = 0  # 0 = the whole validation file
    patience: int = 2  # stop after this many validation passes without a better accuracy
    stop_at: float = 1.0  # stop as soon as validation call accuracy reaches this
    max_minutes: float = 0.0  # 0 = no limit; else stop (keeping the best adapter) after this
    max_steps: int = 0  # 0 = epochs decide; else the run (and its schedule) ends after N steps
    schedule_steps: int = 0  # 0 = the run's length; else the learning-rate schedule spans N steps
    resume: bool = False  # continue from <out>/checkpoint
    quiet: bool = False  # no progress bar (tests)
    command: str = ""  # the command line, written into the model card


@dataclass
class RunState:
    """Everything the loop needs to continue after an interruption (saved in each checkpoint)."""

    epoch: int = 0  # epochs finished
    batch: int = 0  # batches finished within the current epoch
    step: int = 0  # optimiser steps in all
    examples: int = 0  # training examples seen in all (for the time per 100 examples)
    seconds: float = 0.0  # training wall time so far, summed over resumed runs
    best_accuracy: float = -1.0
    best_step: int = 0
    bad_evals: int = 0
    last_eval_step: int = -1
    history: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class TrainResult:
    adapter: Path
    state: RunState
    n_train: int
    n_val: int
    data_sha256: str
    val_sha256: str | None
    stopped: str  # "epochs", "early stopping", "target accuracy", "time budget" or "step limit"
    device: str  # where it ran and in what precision: "cpu, bf16 autocast"
    schedule_steps: int = 0  # the steps the learning-rate schedule spans
    bf16: bool = False  # whether the forward pass ran in bf16 autocast
    compiled: bool = False  # whether the decoder layers ran compiled (torch.compile)
    wall_seconds: float = 0.0  # the whole call: loading, tokenising, training, validation, saving

    @property
    def first_loss(self) -> float:
        return next(h["loss"] for h in self.state.history if "loss" in h)

    @property
    def last_loss(self) -> float:
        return [h["loss"] for h in self.state.history if "loss" in h][-1]


# --------------------------------------------------------------------------- model


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

    from copilot import resolve_base

    path = resolve_base(cfg.base)
    gguf = {"gguf_file": path.name} if path.suffix == ".gguf" else {}
    folder = path.parent if gguf else path
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
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
    model = get_peft_model(model, lora).to(device)  # LoRA weights stay fp32 even on bf16 bases
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


# --------------------------------------------------------------------------- checkpoints


def save_checkpoint(folder: Path, model: Any, optimizer: Any, scheduler: Any, extra: dict) -> None:
    """Write the checkpoint atomically: a crash mid-write leaves the previous one usable."""
    import torch

    tmp, old = folder.with_name(folder.name + ".tmp"), folder.with_name(folder.name + ".old")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    torch.save(
        {
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "rng": torch.get_rng_state(),
            **extra,
        },
        tmp / "trainer_state.pt",
    )
    if folder.exists():
        folder.replace(old)
    tmp.replace(folder)
    shutil.rmtree(old, ignore_errors=True)


class WeightAverage:
    """An exponential moving average of the LoRA weights, the ones validated and saved.

    Single steps move the reject-or-call decision of many prompts back and forth (12 of 335
    held-out cases changed between steps 600 and 619 of one run, at a tenth of the peak rate);
    the average sits in the middle of that noise. The decay ramps up as (1 + t) / (10 + t), so
    the early, fast-moving weights are forgotten quickly. Only the LoRA weights (2.5M) are kept:
    torch's AveragedModel would copy and average all 270M weights of the model at every step.
    """

    def __init__(self, params: list, decay: float) -> None:
        self.params, self.decay, self.updates = params, decay, 0
        self.shadow = [p.detach().clone() for p in params]

    def update(self) -> None:
        self.updates += 1
        decay = min(self.decay, (1 + self.updates) / (10 + self.updates))
        for average, param in zip(self.shadow, self.params, strict=True):
            average.lerp_(param.detach(), 1 - decay)

    def swap(self) -> None:
        """Exchange the live weights and the average (call again to swap back)."""
        for average, param in zip(self.shadow, self.params, strict=True):
            live = param.detach().clone()
            param.data.copy_(average)
            average.copy_(live)

    def state(self) -> dict:
        return {"updates": self.updates, "shadow": [t.clone() for t in self.shadow]}

    def load(self, state: dict) -> None:
        self.updates = state["updates"]
        for average, saved in zip(self.shadow, state["shadow"], strict=True):
            average.copy_(saved)


def read_checkpoint(out: Path) -> tuple[Path, dict]:
    """(folder, saved state) of the run's checkpoint, or DataError if there is none."""
    import torch

    for folder in (out / "checkpoint", out / "checkpoint.old"):  # .old: died between renames
        if (folder / "trainer_state.pt").exists():
            return folder, torch.load(folder / "trainer_state.pt", weights_only=False)
    raise DataError(f"cannot resume: no checkpoint in {out / 'checkpoint'}")


# Settings a resumed run must share with the checkpoint, or its batches and weights would not fit.
_RESUME_KEYS = (
    "batch_size",
    "seed",
    "max_examples",
    "rank",
    "alpha",
    "target_modules",
    "layers",
    "head",
    "base",
    "ema",
)


def check_resumable(saved: dict, cfg: TrainConfig, data_hash: str) -> None:
    if saved["data_sha256"] != data_hash:
        raise DataError(f"cannot resume: {cfg.data} changed since the checkpoint was written")
    for key in _RESUME_KEYS:
        # a setting an older checkpoint lacks had its default there
        was, now = saved["config"].get(key, getattr(TrainConfig(), key)), getattr(cfg, key)
        if (list(was) if isinstance(was, tuple | list) else was) != (
            list(now) if isinstance(now, tuple | list) else now
        ):
            raise DataError(f"cannot resume: {key} was {was!r} in the checkpoint, now {now!r}")


def restore(folder: Path, saved: dict, model: Any, optimizer: Any, scheduler: Any) -> RunState:
    """Put the checkpoint's adapter weights, optimiser, schedule and RNG back."""
    import torch
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    set_peft_model_state_dict(model, load_file(folder / "adapter_model.safetensors"))
    optimizer.load_state_dict(saved["optimizer"])
    scheduler.load_state_dict(saved["scheduler"])
    torch.set_rng_state(saved["rng"])
    return RunState(**saved["state"])


# --------------------------------------------------------------------------- the loop


def _schedule(cfg: TrainConfig, total_steps: int):
    """Learning-rate multiplier: linear warm-up, then cosine decay to min_lr_ratio."""

    def factor(step: int) -> float:
        if step < cfg.warmup_steps:
            return (step + 1) / cfg.warmup_steps
        progress = (step - cfg.warmup_steps) / max(1, total_steps - cfg.warmup_steps)
        cosine = 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
        return cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * cosine

    return factor


def _limit_reached(cfg: TrainConfig, state: RunState) -> str | None:
    if cfg.max_minutes and state.seconds > cfg.max_minutes * 60:
        return "time budget"
    if cfg.max_steps and state.step >= cfg.max_steps:
        return "step limit"
    return None


def _sample(examples: list, n: int, seed: int) -> list:
    if not n or n >= len(examples):
        return examples
    import random

    return random.Random(seed).sample(examples, n)


def _name_base(config_file: Path, name: str) -> None:
    """Name the base model portably (not this machine's cache path) in the shipped adapter.

    Done after training: peft would try to reach the hub if it saw a hub id while saving.
    """
    config = json.loads(config_file.read_text(encoding="utf-8"))
    config["base_model_name_or_path"] = name
    config_file.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def train(cfg: TrainConfig) -> TrainResult:
    """Train a LoRA adapter and write it with its model card. DataError before any work on bad data."""
    import torch
    import torch.nn.functional as F

    from finetune.training.card import write_card

    began = time.time()
    from finetune.training.progress import TrainProgress

    # 1. Settings and data first: bad input must stop the run before the model is even loaded.
    for setting, allowed in CHOICES.items():
        if getattr(cfg, setting) not in allowed:
            names = ", ".join(repr(a) for a in allowed)
            raise DataError(f"unknown {setting} {getattr(cfg, setting)!r}: use one of {names}")
    if not 0 <= cfg.ema < 1:
        raise DataError(f"ema must be in [0, 1), not {cfg.ema}: the decay of the weight average")
    train_examples = _sample(load_examples(cfg.data), cfg.max_examples, cfg.seed)
    val_examples = load_examples(cfg.val, "validation data") if cfg.val else []
    val_examples = _sample(val_examples, cfg.val_limit, cfg.seed)
    out = Path(cfg.out)
    data_hash = file_sha256(cfg.data)
    val_hash = file_sha256(cfg.val) if cfg.val else None
    folder, saved = read_checkpoint(out) if cfg.resume else (out, {})
    if cfg.resume:
        check_resumable(saved, cfg, data_hash)

    # 2. Model, tokens, optimiser.
    torch.manual_seed(cfg.seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(cfg.seed)
    model, tokenizer, device = load_model(cfg)
    dtype = autocast_dtype(cfg.precision, device.type)
    compiled = compiles(cfg.compile, device.type)
    if compiled:
        compile_layers(model)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    train_items = encode(train_examples, tokenizer, cfg.max_tokens)
    val_items = encode(val_examples, tokenizer, cfg.max_tokens)
    head = OutputHead(model, tokenizer, cfg.head, train_items + val_items)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps_per_epoch = math.ceil(len(train_items) / cfg.batch_size)
    total_steps = steps_per_epoch * cfg.epochs  # the learning-rate schedule spans exactly these
    if cfg.max_steps:
        total_steps = min(total_steps, cfg.max_steps)
    if cfg.schedule_steps:  # e.g. to replay exactly a run that a time budget cut short
        total_steps = cfg.schedule_steps
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _schedule(cfg, total_steps))

    state = restore(folder, saved, model, optimizer, scheduler) if cfg.resume else RunState()
    average = WeightAverage(params, cfg.ema) if cfg.ema else None
    if average and cfg.resume:
        average.load(saved["ema"])
    out.mkdir(parents=True, exist_ok=True)
    log = (out / "log.jsonl").open("a", encoding="utf-8")

    def record(entry: dict) -> None:
        state.history.append(entry)
        log.write(json.dumps(entry) + "\n")
        log.flush()

    def checkpoint() -> None:
        extra = {"state": asdict(state), "config": asdict(cfg), "data_sha256": data_hash}
        if average:
            extra["ema"] = average.state()
        save_checkpoint(out / "checkpoint", model, optimizer, scheduler, extra)

    def validate() -> str | None:
        """Evaluate, keep the best adapter, and say why to stop (or None to go on)."""
        if not average:
            return validate_live()
        average.swap()  # validate and save the averaged weights, then train on from the live ones
        try:
            return validate_live()
        finally:
            average.swap()

    def validate_live() -> str | None:
        state.last_eval_step = state.step
        if not val_items:
            model.save_pretrained(out / "best")  # no validation: the latest is the best we know
            return None
        scores = evaluate(head, val_items, cfg.batch_size * 2, pad_id, device, dtype)
        record({"step": state.step, "epoch": state.epoch, **scores})
        progress.note(f"val call accuracy {scores['val_accuracy']:.1%}")
        if scores["val_accuracy"] > state.best_accuracy:
            state.best_accuracy, state.best_step, state.bad_evals = (
                scores["val_accuracy"],
                state.step,
                0,
            )
            model.save_pretrained(out / "best")
        else:
            state.bad_evals += 1
        if scores["val_accuracy"] >= cfg.stop_at:
            return "target accuracy"
        if state.bad_evals >= cfg.patience:
            return "early stopping"
        return None

    # 3. The loop. Interrupts save a checkpoint at the exact batch; resuming skips what was done.
    stopped = "epochs"
    started = time.time() - state.seconds
    model.train()
    with TrainProgress(total_steps, state.step, quiet=cfg.quiet) as progress:
        try:
            while state.epoch < cfg.epochs and stopped == "epochs":
                batches = make_batches(train_items, cfg.batch_size, cfg.seed, state.epoch)
                for indices in batches[state.batch :]:
                    tick = time.perf_counter()
                    batch = collate([train_items[i] for i in indices], pad_id, device)
                    with torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
                        logits, labels = head(batch)
                    loss = F.cross_entropy(logits.float(), labels)
                    loss.backward()
                    torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip)
                    optimizer.step()
                    scheduler.step()
                    if average:
                        average.update()
                    optimizer.zero_grad(set_to_none=True)
                    state.step, state.batch = state.step + 1, state.batch + 1
                    state.examples += len(indices)
                    state.seconds = time.time() - started
                    seconds = round(time.perf_counter() - tick, 3)
                    record({"step": state.step, "epoch": state.epoch, "loss": loss.item(),
                            "examples": len(indices), "seconds": seconds})  # fmt: skip
                    progress.advance(loss.item(), state.epoch + 1, cfg.epochs)
                    limit = _limit_reached(cfg, state)
                    due = cfg.eval_every and state.step % cfg.eval_every == 0
                    if due or limit:
                        stopped = validate() or limit or "epochs"
                        if stopped != "epochs":
                            break
                if stopped == "epochs":
                    state.epoch, state.batch = state.epoch + 1, 0
                    recent = cfg.eval_every and state.step - state.last_eval_step < max(
                        1, cfg.eval_every // 2
                    )  # a mid-epoch pass just ran: no second one a few steps later
                    if not recent:
                        stopped = validate() or "epochs"
                state.seconds = time.time() - started
                checkpoint()
        except KeyboardInterrupt:
            state.seconds = time.time() - started
            checkpoint()
            log.close()
            raise
    log.close()

    # 4. Outputs: the best adapter, its card, and an optional export copy.
    adapter = out / "adapter"
    shutil.rmtree(adapter, ignore_errors=True)
    shutil.copytree(out / "best", adapter)
    _name_base(adapter / "adapter_config.json", cfg.base or BASE_MODEL_ID)
    result = TrainResult(
        adapter,
        state,
        len(train_items),
        len(val_items),
        data_hash,
        val_hash,
        stopped,
        f"{device}, {'bf16 autocast' if dtype else 'fp32'}{', compiled layers' if compiled else ''}",
        schedule_steps=total_steps,
        bf16=dtype is not None,
        compiled=compiled,
    )
    result.wall_seconds = time.time() - began
    write_card(adapter, cfg, result)
    if cfg.export:
        export = Path(cfg.export)
        shutil.rmtree(export, ignore_errors=True)
        shutil.copytree(adapter, export)
    return result
