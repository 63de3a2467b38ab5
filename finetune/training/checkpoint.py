"""Checkpoints of a local run: written atomically, resumed only into the same run.

The folder holds the adapter weights, the optimiser, the schedule, the RNG, the run's state and
(with `--ema`) the weight average, so an interrupted run resumes at the exact batch.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from finetune.training.config import RunState, TrainConfig
from finetune.training.data import DataError


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
