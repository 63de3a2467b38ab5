"""The trainer's progress bar: step, loss (smoothed), epoch, elapsed time and ETA, with rich."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class TrainProgress:
    """`with TrainProgress(total, done) as p: p.advance(loss, epoch, epochs)`; quiet prints nothing."""

    def __init__(self, total: int, done: int = 0, quiet: bool = False) -> None:
        self.quiet = quiet
        self.smoothed: float | None = None
        self.console = Console(stderr=True)
        self.progress = Progress(
            TextColumn("[bold]train[/] epoch {task.fields[epoch]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]}"),
            TextColumn("{task.fields[note]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console,
            disable=quiet,
        )
        self.task = self.progress.add_task(
            "train", total=total, completed=done, epoch="-", loss="-", note=""
        )

    def __enter__(self) -> TrainProgress:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.__exit__(*exc)

    def advance(self, loss: float, epoch: int, epochs: int) -> None:
        """One optimiser step done; the loss shown is an exponential moving average."""
        self.smoothed = loss if self.smoothed is None else 0.9 * self.smoothed + 0.1 * loss
        self.progress.update(
            self.task, advance=1, loss=f"{self.smoothed:.3f}", epoch=f"{epoch}/{epochs}"
        )

    def note(self, text: str) -> None:
        """A short status beside the bar (the last validation accuracy)."""
        self.progress.update(self.task, note=text)
        if not self.quiet:
            self.progress.console.print(f"[dim]{text}[/]")
