"""The local trainer's loop: `train(TrainConfig(...))` fine-tunes with LoRA and writes the adapter.

Read top to bottom: the settings and data are checked before the model loads (`_prepare`), then
`Run` holds one run's model, optimiser and state, and owns its three parts: the steps
(`Run.loop`), validation with early stopping (`Run.validate`), and checkpoints
(`Run.checkpoint`). `python -m finetune train --backend local --data data/train.jsonl --val
data/val.jsonl --out DIR` calls `train`.

The run folder holds `adapter/` (the best adapter + its model card), `checkpoint/` (the state
after the last finished epoch, or the step at which the run was interrupted) and `log.jsonl`.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from copilot import PROMPT_FILE
from finetune.training.card import write_card
from finetune.training.checkpoint import (
    WeightAverage,
    check_resumable,
    read_checkpoint,
    restore,
    save_checkpoint,
)
from finetune.training.config import BASE_MODEL_ID, CHOICES, RunState, TrainConfig, TrainResult
from finetune.training.data import (
    DataError,
    collate,
    encode,
    file_sha256,
    load_examples,
    make_batches,
)
from finetune.training.local import (
    OutputHead,
    autocast_dtype,
    compile_layers,
    compiles,
    evaluate,
    load_model,
)
from finetune.training.progress import TrainProgress


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


@dataclass
class _Data:
    """The checked inputs of a run, read before the model loads."""

    train: list
    val: list
    data_hash: str
    val_hash: str | None
    folder: Path  # where a resumed run's checkpoint was found
    saved: dict  # that checkpoint's state ({} for a fresh run)


def _prepare(cfg: TrainConfig) -> _Data:
    """Settings and data first: bad input must stop the run before the model is even loaded."""
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
    return _Data(train_examples, val_examples, data_hash, val_hash, folder, saved)


class Run:
    """One training run: the model, the optimiser, the schedule and the run's state."""

    def __init__(self, cfg: TrainConfig, data: _Data) -> None:
        import torch

        self.cfg, self.data_hash, self.out = cfg, data.data_hash, Path(cfg.out)
        torch.manual_seed(cfg.seed)
        if torch.cuda.is_available():
            torch.cuda.manual_seed_all(cfg.seed)
        self.model, tokenizer, self.device = load_model(cfg)
        self.dtype = autocast_dtype(cfg.precision, self.device.type)
        self.compiled = compiles(cfg.compile, self.device.type)
        if self.compiled:
            compile_layers(self.model)
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        self.train_items = encode(data.train, tokenizer, cfg.max_tokens, cfg.state_line)
        self.val_items = encode(data.val, tokenizer, cfg.max_tokens, cfg.state_line)
        self.head = OutputHead(self.model, tokenizer, cfg.head, self.train_items + self.val_items)
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(self.params, lr=cfg.lr, weight_decay=cfg.weight_decay)
        steps_per_epoch = math.ceil(len(self.train_items) / cfg.batch_size)
        total = steps_per_epoch * cfg.epochs  # the learning-rate schedule spans exactly these
        if cfg.max_steps:
            total = min(total, cfg.max_steps)
        if cfg.schedule_steps:  # e.g. to replay exactly a run that a time budget cut short
            total = cfg.schedule_steps
        self.total_steps = total
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, _schedule(cfg, total))
        self.state = (
            restore(data.folder, data.saved, self.model, self.optimizer, self.scheduler)
            if cfg.resume
            else RunState()
        )
        self.average = WeightAverage(self.params, cfg.ema) if cfg.ema else None
        if self.average and cfg.resume:
            self.average.load(data.saved["ema"])
        self.out.mkdir(parents=True, exist_ok=True)
        self.log = (self.out / "log.jsonl").open("a", encoding="utf-8")
        self.progress: Any = None

    # ------------------------------------------------------------------------- log, checkpoint
    def record(self, entry: dict) -> None:
        self.state.history.append(entry)
        self.log.write(json.dumps(entry) + "\n")
        self.log.flush()

    def checkpoint(self) -> None:
        extra = {
            "state": asdict(self.state),
            "config": asdict(self.cfg),
            "data_sha256": self.data_hash,
        }
        if self.average:
            extra["ema"] = self.average.state()
        save_checkpoint(self.out / "checkpoint", self.model, self.optimizer, self.scheduler, extra)

    # ------------------------------------------------------------------------- validation
    def validate(self) -> str | None:
        """Evaluate, keep the best adapter, and say why to stop (or None to go on)."""
        if not self.average:
            return self._validate_live()
        self.average.swap()  # validate and save the averaged weights, then train on from the live
        try:
            return self._validate_live()
        finally:
            self.average.swap()

    def _validate_live(self) -> str | None:
        cfg, state = self.cfg, self.state
        state.last_eval_step = state.step
        if not self.val_items:
            self.model.save_pretrained(self.out / "best")  # no validation: the latest is the best
            return None
        scores = evaluate(
            self.head, self.val_items, cfg.batch_size * 2, self.pad_id, self.device, self.dtype
        )
        self.record({"step": state.step, "epoch": state.epoch, **scores})
        self.progress.note(f"val call accuracy {scores['val_accuracy']:.1%}")
        if scores["val_accuracy"] > state.best_accuracy:
            state.best_accuracy, state.best_step, state.bad_evals = (
                scores["val_accuracy"],
                state.step,
                0,
            )
            self.model.save_pretrained(self.out / "best")
        else:
            state.bad_evals += 1
        if scores["val_accuracy"] >= cfg.stop_at:
            return "target accuracy"
        if state.bad_evals >= cfg.patience:
            return "early stopping"
        return None

    # ------------------------------------------------------------------------- the steps
    def _step(self, indices: list[int]) -> float:
        """One optimiser step on one batch; returns its loss."""
        import torch
        import torch.nn.functional as F

        batch = collate([self.train_items[i] for i in indices], self.pad_id, self.device)
        with torch.autocast(self.device.type, dtype=self.dtype, enabled=self.dtype is not None):
            logits, labels = self.head(batch)
        loss = F.cross_entropy(logits.float(), labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.params, self.cfg.grad_clip)
        self.optimizer.step()
        self.scheduler.step()
        if self.average:
            self.average.update()
        self.optimizer.zero_grad(set_to_none=True)
        return loss.item()

    def loop(self) -> str:
        """Train until the epochs, a limit or early stopping end it; returns why it stopped.

        Interrupts save a checkpoint at the exact batch; resuming skips what was done.
        """
        cfg, state = self.cfg, self.state
        stopped = "epochs"
        started = time.time() - state.seconds
        self.model.train()
        with TrainProgress(self.total_steps, state.step, quiet=cfg.quiet) as self.progress:
            try:
                while state.epoch < cfg.epochs and stopped == "epochs":
                    batches = make_batches(self.train_items, cfg.batch_size, cfg.seed, state.epoch)
                    for indices in batches[state.batch :]:
                        tick = time.perf_counter()
                        loss = self._step(indices)
                        state.step, state.batch = state.step + 1, state.batch + 1
                        state.examples += len(indices)
                        state.seconds = time.time() - started
                        seconds = round(time.perf_counter() - tick, 3)
                        self.record({"step": state.step, "epoch": state.epoch, "loss": loss,
                                     "examples": len(indices), "seconds": seconds})  # fmt: skip
                        self.progress.advance(loss, state.epoch + 1, cfg.epochs)
                        limit = _limit_reached(cfg, state)
                        due = cfg.eval_every and state.step % cfg.eval_every == 0
                        if due or limit:
                            stopped = self.validate() or limit or "epochs"
                            if stopped != "epochs":
                                break
                    if stopped == "epochs":
                        state.epoch, state.batch = state.epoch + 1, 0
                        recent = cfg.eval_every and state.step - state.last_eval_step < max(
                            1, cfg.eval_every // 2
                        )  # a mid-epoch pass just ran: no second one a few steps later
                        if not recent:
                            stopped = self.validate() or "epochs"
                    state.seconds = time.time() - started
                    self.checkpoint()
            except KeyboardInterrupt:
                state.seconds = time.time() - started
                self.checkpoint()
                self.log.close()
                raise
        self.log.close()
        return stopped

    # ------------------------------------------------------------------------- outputs
    def finish(self, stopped: str, data: _Data) -> TrainResult:
        """The best adapter, its result, and an optional export copy (the card is written after)."""
        cfg, out = self.cfg, self.out
        adapter = out / "adapter"
        shutil.rmtree(adapter, ignore_errors=True)
        shutil.copytree(out / "best", adapter)
        _name_base(adapter / "adapter_config.json", cfg.base or BASE_MODEL_ID)
        options = {"state_line": cfg.state_line}  # how local-ft must render this adapter's prompts
        (adapter / PROMPT_FILE).write_text(json.dumps(options) + "\n")
        precision = "bf16 autocast" if self.dtype else "fp32"
        return TrainResult(
            adapter,
            self.state,
            len(self.train_items),
            len(self.val_items),
            data.data_hash,
            data.val_hash,
            stopped,
            f"{self.device}, {precision}{', compiled layers' if self.compiled else ''}",
            schedule_steps=self.total_steps,
            bf16=self.dtype is not None,
            compiled=self.compiled,
        )


def train(cfg: TrainConfig) -> TrainResult:
    """Train a LoRA adapter and write it with its model card. DataError before any work on bad data."""
    began = time.time()
    data = _prepare(cfg)
    run = Run(cfg, data)
    result = run.finish(run.loop(), data)
    result.wall_seconds = time.time() - began
    write_card(result.adapter, cfg, result)
    if cfg.export:
        export = Path(cfg.export)
        shutil.rmtree(export, ignore_errors=True)
        shutil.copytree(result.adapter, export)
    return result
