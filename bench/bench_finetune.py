"""Benchmark section: local LoRA fine-tuning speed, and the shipped adapter's recipe.

- Time per 100 examples: a short real training run (default hyperparameters: r=16 on attention +
  MLP, batch 8) on a seeded sample of `data/train.jsonl`; the figure is the median step time
  scaled to 100 examples, so a slow first step does not skew it (the first step is shown apart:
  with compiled layers it includes the compiling). Once in fp32, once in the precision
  `--precision auto` picks here (bf16 autocast where the CPU has native bf16), and once more with
  the decoder layers compiled where `--compile auto` compiles them (a CPU with a C++ compiler).
- The shipped adapter: wall time, examples, steps and size, read from the figures its model card
  carries (`assets/adapters/drone-lora/README.md`), against the 15-minute target.

`python -m bench --only finetune [--quick]`, or `python bench/bench_finetune.py [--quick]`.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "train.jsonl"
ADAPTER = ROOT / "assets" / "adapters" / "drone-lora"
OPENAI_JOB_SECONDS = 719  # the cookbook's gpt-3.5 fine-tuning job (DESIGN.md)
DESIGN_PER_100 = 65.0  # DESIGN.md throwaway: 200 examples x 2 epochs in 260 s


def _sample_data(folder: Path) -> Path:
    """The project's training data, or (before it is generated) a small file of seed-like lines."""
    if DATA.exists():
        return DATA
    import json

    from copilot import SEED_SYSTEM_PROMPT, tools

    lines = []
    for i in range(64):
        altitude, distance = 5 + i, 3 + 2 * i
        for prompt, name, args in (
            (f"Take off to {altitude} meters", "takeoff_drone", {"altitude": altitude}),
            (f"Fly forward {distance} m", "control_drone_movement",
             {"direction": "forward", "distance": distance}),
        ):  # fmt: skip
            call = {"name": name, "arguments": json.dumps(args)}
            messages = [
                {"role": "system", "content": SEED_SYSTEM_PROMPT},
                {"role": "user", "content": prompt},
                {
                    "role": "assistant",
                    "tool_calls": [{"id": "c", "type": "function", "function": call}],
                },
            ]
            lines.append(json.dumps({"messages": messages, "tools": tools()}))
    path = folder / "train.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def measure_speed(quick: bool, precision: str = "auto", compile: str = "off") -> dict[str, Any]:
    """Train briefly and time it: seconds per 100 examples from the median step."""
    from finetune.training.config import TrainConfig
    from finetune.training.loop import train

    with tempfile.TemporaryDirectory(prefix="bench-ft-") as tmp:
        data = _sample_data(Path(tmp))
        n = 24 if quick else 96
        cfg = TrainConfig(data=str(data), val=None, out=str(Path(tmp) / "run"), epochs=1,
                          max_examples=n, quiet=True, precision=precision, compile=compile)  # fmt: skip
        result = train(cfg)
    steps = [h for h in result.state.history if "seconds" in h]
    per_example = statistics.median(h["seconds"] / h["examples"] for h in steps)
    return {
        "per_100_s": round(per_example * 100, 1),
        "steps": len(steps),
        "first_step_s": steps[0]["seconds"],
        "examples": result.state.examples,
        "wall_s": round(result.wall_seconds, 1),
        "data": str(data.relative_to(ROOT)) if data == DATA else "built-in sample",
        "device": result.device,
    }


def shipped_recipe() -> dict[str, Any] | None:
    """The shipped adapter's figures from its model card, or None if it is not there yet."""
    from finetune.training.card import read_card_figures

    if not (ADAPTER / "README.md").exists():
        return None
    figures = read_card_figures(ADAPTER)
    size = sum(f.stat().st_size for f in ADAPTER.iterdir() if f.is_file()) / 1e6
    return {**figures, "size_mb": round(size, 1)}


def run(quick: bool = False) -> dict[str, Any]:
    import torch

    from finetune.training.local import autocast_dtype, compiles

    device_type = "cuda" if torch.cuda.is_available() else "cpu"
    speeds = [measure_speed(quick, "fp32")]
    if autocast_dtype("auto", device_type) is not None:
        speeds.append(measure_speed(quick, "auto"))
    if compiles("auto", device_type):
        speeds.append(measure_speed(quick, "auto", "auto"))
    recipe = shipped_recipe()
    rows = [
        {
            "figure": f"local LoRA fine-tune, time per 100 examples ({speed['device']}, r=16, "
            f"batch 8; first step {speed['first_step_s']:.0f} s)",
            "value": speed["per_100_s"],
            "unit": "s",
            "anchor": f"DESIGN throwaway: {DESIGN_PER_100:.0f} s",
            "target": "fits 15 min",
            "ok": None,
        }
        for speed in speeds
    ]
    if recipe is None:
        rows.append({"figure": "shipped adapter", "value": "missing", "unit": "",
                     "anchor": "", "target": str(ADAPTER.relative_to(ROOT)), "ok": False})  # fmt: skip
    else:
        minutes = recipe["wall_seconds"] / 60
        rows += [
            {
                "figure": f"shipped adapter: fine-tune wall time ({recipe['examples_seen']} "
                f"examples seen, {recipe['steps']} steps, {recipe['device']})",
                "value": round(minutes, 1),
                "unit": "min",
                "anchor": f"OpenAI job: {OPENAI_JOB_SECONDS} s",
                "target": "≤ 45 min",
                "ok": minutes <= 45,
            },
            {
                "figure": "shipped adapter: time per 100 examples (from its card)",
                "value": recipe["seconds_per_100_examples"],
                "unit": "s",
                "anchor": "",
                "target": "",
                "ok": None,
            },
            {
                "figure": "shipped adapter: size",
                "value": recipe["size_mb"],
                "unit": "MB",
                "anchor": "",
                "target": "< 20 MB",
                "ok": recipe["size_mb"] < 20,
            },
        ]
    result = {"rows": rows, "speed": speeds[-1], "speeds": speeds, "shipped": recipe}
    _print(rows)
    return result


def _print(rows: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="fine-tuning")
    for column in ("figure", "value", "anchor", "target", ""):
        table.add_column(column)
    for row in rows:
        mark = "" if row["ok"] is None else ("✓" if row["ok"] else "✗")
        table.add_row(row["figure"], f"{row['value']} {row['unit']}".strip(), row["anchor"],
                      row["target"], mark)  # fmt: skip
    Console().print(table)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    run(quick="--quick" in sys.argv)
