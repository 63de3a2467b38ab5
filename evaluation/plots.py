"""PNG plots of a run: accuracy by model and suite, latency distribution, confusion matrices.

matplotlib is imported here only (and with the headless Agg backend), so a run that writes no
plots never pays for it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
from collections.abc import Sequence
from pathlib import Path

from evaluation.metrics import confusion, group, models_of, suites_of, summarise
from evaluation.report_terminal import SHORT
from evaluation.results import CaseResult
from evaluation.scoring import percentile

PLOTS = ("accuracy.png", "latency.png", "confusion.png")
PLOT_VERSION = 3  # bump when a plot's look changes, so cached pictures are redrawn
_METRICS = (
    ("name_match", "name match"),
    ("call_match", "call match"),
    ("executed_match", "executed match"),
)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def accuracy_plot(results: Sequence[CaseResult], path: Path) -> Path:
    """One panel per metric; groups of bars per suite, one bar per model."""
    plt = _pyplot()
    models, suites = models_of(results), suites_of(results)
    groups = group(results)
    width = 0.8 / max(1, len(models))
    fig, axes = plt.subplots(
        1, len(_METRICS), figsize=(4.2 * len(_METRICS), 4.2), sharey=True, squeeze=False
    )
    colours = plt.get_cmap("tab10")
    for ax, (key, label) in zip(axes[0], _METRICS, strict=True):
        for i, model in enumerate(models):
            xs, ys = [], []
            for j, suite in enumerate(suites):
                if (model, suite) in groups:
                    xs.append(j + (i - (len(models) - 1) / 2) * width)
                    ys.append(getattr(summarise(model, suite, groups[(model, suite)]), key) * 100)
            bars = ax.bar(xs, ys, width * 0.95, label=model, color=colours(i))
            ax.bar_label(bars, fmt="%.0f", fontsize=8, padding=2)
        ax.set_title(label)
        ax.set_xticks(range(len(suites)), suites, rotation=20, ha="right")
        ax.set_ylim(0, 110)
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].set_ylabel("% of cases")
    fig.suptitle("Accuracy by model and suite", y=1.0, fontsize=14)
    fig.tight_layout(rect=(0, 0, 1, 0.9))
    fig.legend(
        *axes[0][0].get_legend_handles_labels(),
        loc="upper center",
        bbox_to_anchor=(0.5, 0.95),
        ncol=max(1, len(models)),
        frameon=False,
    )
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def latency_plot(results: Sequence[CaseResult], path: Path) -> Path:
    """Per model: a box of latencies with every case as a dot (log scale when spread wide)."""
    plt = _pyplot()
    models = models_of(results)
    data = [[r.latency_ms for r in results if r.model == m and r.latency_ms > 0] for m in models]
    fig, ax = plt.subplots(figsize=(max(5.0, 1.8 * len(models) + 2), 4.2))
    positions = list(range(1, len(models) + 1))
    ax.boxplot(data, positions=positions, widths=0.5, showfliers=False)
    for pos, values in zip(positions, data, strict=True):
        if values:
            offsets = [((k * 37) % 21 - 10) / 60 for k in range(len(values))]  # fixed jitter
            ax.scatter([pos + o for o in offsets], values, s=10, alpha=0.5, zorder=3)
            middle = percentile(values, 50)
            ax.annotate(f"p50 {middle:.0f} ms", (pos + 0.28, middle), va="center", fontsize=8)
    ax.set_xticks(positions, models, rotation=15, ha="right")
    ax.set_xlim(0.5, len(models) + 0.9)  # room for the p50 labels
    flat = [v for values in data for v in values]
    if flat and max(flat) / max(min(flat), 1e-3) > 50:
        ax.set_yscale("log")
    ax.set_ylabel("latency per request (ms)")
    ax.set_title("Latency per request (box: quartiles; dots: cases)")
    ax.grid(axis="y", alpha=0.3, which="both")
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def _cell_colour(share: float, right: bool) -> tuple[float, float, float]:
    """White at 0, deep green (right) or deep red (wrong) at 1."""
    if share <= 0:
        return (1.0, 1.0, 1.0)
    full = (0.1, 0.55, 0.2) if right else (0.8, 0.1, 0.1)
    strength = 0.25 + 0.75 * share
    return tuple(1 - strength * (1 - c) for c in full)  # type: ignore[return-value]


def confusion_plot(results: Sequence[CaseResult], path: Path) -> Path:
    """One heatmap per model: expected function (rows) against the first call (columns)."""
    plt = _pyplot()
    models = models_of(results)
    fig, axes = plt.subplots(1, len(models), figsize=(6.2 * len(models), 5.8), squeeze=False)
    for ax, model in zip(axes[0], models, strict=True):
        rows, cols, counts = confusion([r for r in results if r.model == model])
        # shade by the share of each row (so a 1-case function shows as clearly as a 12-case
        # one): right answers green, mistakes red, empty cells white
        image = []
        for i, line in enumerate(counts):
            total = max(1, sum(line))
            image.append([_cell_colour(n / total, rows[i] == cols[j]) for j, n in enumerate(line)])
        ax.imshow(image, aspect="auto")
        ax.set_xticks(range(len(cols)), [SHORT.get(c, c) for c in cols], rotation=60, ha="right")
        ax.set_yticks(range(len(rows)), [SHORT.get(r, r) for r in rows])
        for i, line in enumerate(counts):
            for j, n in enumerate(line):
                if n:
                    dark = n / max(1, sum(line)) > 0.55
                    ax.text(j, i, str(n), ha="center", va="center",
                            color="white" if dark else "black", weight="bold")  # fmt: skip
        ax.set_xlabel("first call (predicted)")
        ax.set_ylabel("expected")
        ax.set_title(model)
    fig.suptitle("Confusion matrix: counts, shaded by share of the row\n(green right, red wrong)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_digest(results: Sequence[CaseResult]) -> str:
    """A hash of everything the plots show: equal digests draw identical pictures."""
    rows = [
        (r.model, r.suite, r.expected_name, r.actual_name, r.name_match, r.call_match,
         r.executed_match, r.latency_ms)
        for r in results
    ]  # fmt: skip
    blob = json.dumps([PLOT_VERSION, rows], separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:24]


def write_plots(
    results: Sequence[CaseResult], directory: Path, cache: Path | None = None
) -> list[Path]:
    """All three plots into `directory`; nothing when there are no results.

    With a `cache` directory, plots of results already drawn once are copied instead of drawn:
    a cached re-run does not even import matplotlib (about a second and a half saved).
    """
    if not results:
        return []
    directory.mkdir(parents=True, exist_ok=True)
    targets = [directory / name for name in PLOTS]
    stored = cache / plot_digest(results) if cache else None
    if stored is not None and all((stored / name).exists() for name in PLOTS):
        for name, target in zip(PLOTS, targets, strict=True):
            shutil.copyfile(stored / name, target)
        return targets
    accuracy_plot(results, targets[0])
    latency_plot(results, targets[1])
    confusion_plot(results, targets[2])
    if stored is not None:
        with contextlib.suppress(OSError):
            stored.mkdir(parents=True, exist_ok=True)
            for name, target in zip(PLOTS, targets, strict=True):
                shutil.copyfile(target, stored / name)
    return targets
