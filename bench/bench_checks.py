"""Benchmark: the decoder's other-word check, calibrated on generated validation data.

Where an enum value starts, the grammar decoder answers `reject_request()` when the model's
favourite token of all is a word no allowed value starts with, leading the best allowed value by
more than `ENUM_MISS_MARGIN` logits (`copilot/decoding/decoder.py`). This section regenerates the
validation file of the 13k recipe the margin was set on (no suite prompt is in it),
decodes every example with the shipped adapter and the check switched off, records each such word
and its lead, and counts the checks that would fire rightly (a reject was expected) and wrongly
(a call was expected): with no margin, and with the shipped one. The check never fires on a path
it did not start, so the counts for any margin follow from one pass.

    python bench/bench_checks.py [--quick]
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import track
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from copilot import ENUM_MISS_MARGIN, REJECT, get_backend  # noqa: E402
from finetune.dataset import to_example  # noqa: E402
from finetune.generate import generate  # noqa: E402
from finetune.teachers.templates import TemplateTeacher  # noqa: E402

# The data the margin was calibrated on: python -m finetune generate --n 13000 --seed 7 --value-rejects 0.33
SHIPPED_DATA = {"n": 13000, "seed": 7, "value_rejects": 0.33}
TARGET_CHECK_MS = 5.0  # the full-vocabulary product where an enum value starts


def leads(quick: bool) -> tuple[list[tuple[bool, list[tuple[str, float]], str]], list[float]]:
    """(a reject was expected, [(word, lead)], prompt) for each validation example, and the cost
    in ms of each other-word check as the decoder runs it by default (on up to 400 examples)."""
    data = generate(
        TemplateTeacher(),
        SHIPPED_DATA["n"],
        SHIPPED_DATA["seed"],
        value_rejects=SHIPPED_DATA["value_rejects"],
    )
    samples = data.val[:150] if quick else data.val
    backend = get_backend("local-ft")
    engine = backend.load()
    engine.enum_margin = float("inf")  # record every word, refuse none
    engine.record_words = True  # ...so score every check on the whole vocabulary
    out = []
    for sample in track(samples, description="decoding the validation file"):
        backend.complete(_messages(sample))
        out.append((sample.call.name == REJECT, list(engine.other_words), sample.prompt))
    engine.enum_margin, engine.record_words = ENUM_MISS_MARGIN, False  # as it runs by default
    costs = []
    for sample in track(samples[:400], description="timing the check as it runs"):
        engine.check_ms.clear()
        backend.complete(_messages(sample))
        costs += engine.check_ms
    return out, costs


def _messages(sample: Any) -> list[dict[str, Any]]:
    return [m for m in to_example(sample)["messages"][:-1] if m["role"] != "system"]


def fires(
    records: list[tuple[bool, list[tuple[str, float]], str]], margin: float
) -> tuple[int, int]:
    """(right, wrong): checks that would refuse, where a reject was and was not expected."""
    fired = [rejects for rejects, words, _ in records if any(lead > margin for _, lead in words)]
    return sum(fired), len(fired) - sum(fired)


def run(quick: bool = False) -> dict[str, Any]:
    records, costs = leads(quick)
    right_leads = [max(x for _, x in w) for rejects, w, _ in records if rejects and w]
    wrong_leads = [max(x for _, x in w) for rejects, w, _ in records if not rejects and w]
    n = len(records)
    rows = []
    for label, margin in (("no margin", 0.0), (f"margin {ENUM_MISS_MARGIN}", ENUM_MISS_MARGIN)):
        right, wrong = fires(records, margin)
        rows.append(
            {
                "figure": f"decoder other-word check, {label}: refusals right / wrong "
                f"({n} generated validation examples)",
                "value": f"{right} / {wrong}",
                "unit": "",
                "anchor": "—",
                "target": "",
                "ok": None,
            }
        )
    gap = f"wrong up to {max(wrong_leads, default=0):.2f}, right from {min(right_leads, default=0):.2f}"
    rows.append(
        {
            "figure": "decoder other-word check: the favourite word's lead, in logits",
            "value": gap,
            "unit": "",
            "anchor": "—",
            "target": "",
            "ok": None,
        }
    )
    if costs:
        p50 = statistics.median(costs)
        rows.append(
            {
                "figure": f"enum other-word check, p50 ({len(costs)} checks)",
                "value": f"{p50:.1f}",
                "unit": f"ms (p90 {sorted(costs)[int(0.9 * len(costs))]:.1f} ms)",
                "anchor": "fp32 runtime: 60-64 ms",
                "target": f"<= {TARGET_CHECK_MS:.0f} ms",
                "ok": p50 <= TARGET_CHECK_MS,
            }
        )
    _print(rows, records)
    return {"rows": rows, "examples": n, "right_leads": right_leads, "wrong_leads": wrong_leads}


def _print(rows: list[dict[str, Any]], records: list[tuple[bool, list, str]]) -> None:
    table = Table(title="the other-word check on generated validation data")
    for column in ("expected", "word", "lead", "prompt"):
        table.add_column(column)
    for rejects, words, prompt in sorted(
        records, key=lambda r: max((x for _, x in r[1]), default=0)
    ):
        for word, lead in words:
            table.add_row("reject" if rejects else "call", word, f"{lead:.2f}", prompt[:60])
    console = Console()
    console.print(table)
    for row in rows:
        console.print(f"{row['figure']}: {row['value']}")


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
