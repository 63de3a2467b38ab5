"""The local trainer's settings and results: `TrainConfig`, `RunState`, `TrainResult`.

Kept apart from the trainer, as trl keeps `SFTConfig` in its own module: the command line, the
model card and the bench import these without importing torch, and the trainer imports them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    max_tokens: int = 320  # longest example accepted; 4 calls and a state line take ~270
    max_examples: int = 0  # 0 = all; N trains on a seeded sample of N (to fit a time budget)
    state_line: bool = False  # open multi-turn prompts with the drone's state (copilot/drone_state)
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
    layers: int = 12  # LoRA on the top N of the 18 decoder layers (0 = all): backward stops there
    head: str = "grammar"  # softmax over the tokens a call can contain (as decoded), or "full"
    precision: str = "auto"  # "bf16" autocast, "fp32", or "auto": bf16 where the hardware has it
    compile: str = "auto"  # torch.compile each decoder layer: "on", "off", or "auto" (CPU + C++)
    # optimisation ---------------------------------------------------------------------------
    epochs: int = 1  # one pass over generated data: a second repeats what the first taught
    batch_size: int = 16  # 16 sequences of ~40 tokens: 1.3-2 s a step on 2 cores in bf16
    lr: float = 1.4e-3  # LoRA on 12 layers tolerates a high rate (docs/experiments.md)
    warmup_steps: int = 10  # linear warm-up, then cosine decay to min_lr_ratio * lr
    min_lr_ratio: float = 0.1
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    ema: float = 0.99  # 0 = off; else validate and save an average of the weights with this decay
    seed: int = 42  # the LoRA initialisation, the sample and the batch order
    # evaluation and stopping ----------------------------------------------------------------
    eval_every: int = 150  # steps between validation passes; 0 = once per epoch
    val_limit: int = 160  # 0 = the whole validation file
    patience: int = 4  # stop after this many validation passes without a better accuracy
    stop_at: float = 1.0  # stop as soon as validation call accuracy reaches this
    max_minutes: float = 13.0  # stop (keeping the best adapter) after this; 0 = no limit
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
