"""OpenAI fine-tuning jobs: check the file, estimate the cost, upload, create, poll, register.

The same JSONL that feeds the local trainer feeds an OpenAI job (the chat fine-tuning format with
tools). A file that fails `python -m finetune check` is never uploaded. Polling shows the job's
status, its step progress and its events, and resumes from a job id at any time
(`python -m finetune train --backend openai --job ftjob-...`). When a job succeeds, the fine-tuned
model's name goes into the model registry file (`registry_path()`), which `copilot.backends.registry` reads.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from platformdirs import user_config_dir
from rich.console import Console

TERMINAL = ("succeeded", "failed", "cancelled")

# USD per million training tokens (OpenAI's published fine-tuning prices, per trained token).
TRAINING_PRICE_PER_M = {
    "gpt-4o-mini-2024-07-18": 3.00,
    "gpt-4o-2024-08-06": 25.00,
    "gpt-4.1-2025-04-14": 25.00,
    "gpt-4.1-mini-2025-04-14": 5.00,
    "gpt-4.1-nano-2025-04-14": 1.50,
    "gpt-3.5-turbo-0125": 8.00,
    "gpt-3.5-turbo": 8.00,
}

console = Console(stderr=True)


class JobError(RuntimeError):
    """A fine-tuning job cannot start or did not succeed; the message says why, in one line."""


# --------------------------------------------------------------------------- the registry


def registry_path() -> Path:
    """The JSON file listing fine-tuned models (override the folder with DRONE_COPILOT_CONFIG)."""
    folder = os.environ.get("DRONE_COPILOT_CONFIG") or user_config_dir("drone-copilot")
    return Path(folder) / "models.json"


def registered_models() -> list[dict[str, Any]]:
    """Every registered fine-tuned model, oldest first ([] when there is no registry yet)."""
    path = registry_path()
    if not path.exists():
        return []
    try:
        return list(json.loads(path.read_text(encoding="utf-8")).get("models", []))
    except (ValueError, AttributeError):
        raise JobError(f"the model registry is not valid JSON: {path}") from None


def register_model(job: Any, data: str | None = None, base_url: str | None = None) -> Path:
    """Add (or update) the fine-tuned model of a succeeded job in the registry file."""
    entry = {
        "name": job.fine_tuned_model,
        "kind": "openai",
        "base_model": job.model,
        "job_id": job.id,
        "training_file": job.training_file,
        "data": data,
        "base_url": base_url,
        "trained_tokens": job.trained_tokens,
        "registered_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    models = [m for m in registered_models() if m.get("job_id") != job.id]
    path = registry_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"models": [*models, entry]}, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


# --------------------------------------------------------------------------- before uploading


def estimate_cost(model: str, billed_tokens: int) -> float | None:
    """USD for a job that trains on `billed_tokens` tokens; None for a model without a price."""
    price = TRAINING_PRICE_PER_M.get(model)
    return None if price is None else billed_tokens / 1e6 * price


def preflight(data: str, model: str, n_epochs: int | None) -> dict[str, Any]:
    """Run the dataset check; JobError if it fails. Returns its statistics plus the cost."""
    from finetune.quality.check import check_for_openai

    report = check_for_openai(data, model=model, n_epochs=n_epochs)
    if report["errors"]:
        raise JobError(
            f"{data} fails the dataset check: {report['errors'][0]} (see finetune check)"
        )
    report["usd"] = estimate_cost(model, report["billed_tokens"])
    return report


def confirm(message: str, yes: bool) -> None:
    """Ask before spending money; --yes skips the question, and no terminal means no."""
    if yes:
        return
    import sys

    from rich.prompt import Confirm

    if not sys.stdin.isatty():
        raise JobError("not starting without confirmation: add --yes")
    if not Confirm.ask(message, console=console, default=False):
        raise JobError("cancelled: nothing was uploaded")


# --------------------------------------------------------------------------- the API


def make_client(base_url: str | None = None) -> Any:
    """The official client, with OPENAI_API_KEY / OPENAI_BASE_URL from the environment or .env."""
    import openai
    from dotenv import find_dotenv, load_dotenv

    load_dotenv(find_dotenv(usecwd=True))  # the working directory's .env; never overrides env
    key = os.environ.get("OPENAI_API_KEY")
    if not key:
        raise JobError("set OPENAI_API_KEY (environment or .env) to use OpenAI fine-tuning")
    return openai.OpenAI(api_key=key, base_url=base_url or os.environ.get("OPENAI_BASE_URL"))


def start_job(
    client: Any,
    data: str,
    model: str,
    val: str | None = None,
    suffix: str | None = None,
    n_epochs: int | None = None,
    seed: int | None = 42,
) -> Any:
    """Upload the file(s) and create the job; returns the job object."""
    with open(data, "rb") as handle:
        training = client.files.create(file=handle, purpose="fine-tune")
    console.print(f"uploaded {data} as {training.id}")
    validation = None
    if val:
        with open(val, "rb") as handle:
            validation = client.files.create(file=handle, purpose="fine-tune")
        console.print(f"uploaded {val} as {validation.id}")
    params: dict[str, Any] = {"model": model, "training_file": training.id, "seed": seed}
    if validation is not None:
        params["validation_file"] = validation.id
    if suffix:
        params["suffix"] = suffix
    if n_epochs:
        params["hyperparameters"] = {"n_epochs": n_epochs}
    job = client.fine_tuning.jobs.create(**params)
    console.print(f"created job {job.id} ({job.status})")
    return job


_STEP = re.compile(r"Step (\d+)/(\d+)")


def _step_of(event: Any) -> tuple[int, int] | None:
    """(step, total) from a metrics event, by its data or its message."""
    data = getattr(event, "data", None) or {}
    if isinstance(data, dict) and "step" in data and "total_steps" in data:
        return int(data["step"]), int(data["total_steps"])
    match = _STEP.search(getattr(event, "message", "") or "")
    return (int(match[1]), int(match[2])) if match else None


def poll(
    client: Any,
    job_id: str,
    interval: float = 15.0,
    timeout: float | None = None,
    on_event: Callable[[Any], None] | None = None,
) -> Any:
    """Follow a job until it ends, showing status, steps and new events; returns the final job.

    Safe to stop and start again: everything shown comes from the API, nothing from local state.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    seen: set[str] = set()
    began = time.monotonic()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(f"{job_id}: starting", total=None)
        while True:
            job = client.fine_tuning.jobs.retrieve(job_id)
            events = client.fine_tuning.jobs.list_events(job_id, limit=50).data
            for event in reversed(events):  # the API lists newest first
                if event.id in seen:
                    continue
                seen.add(event.id)
                step = _step_of(event)
                if step:
                    progress.update(task, completed=step[0], total=step[1])
                else:
                    progress.console.print(f"[dim]{job_id}[/] {event.message}")
                if on_event:
                    on_event(event)
            progress.update(task, description=f"{job_id}: {job.status}")
            if job.status in TERMINAL:
                return job
            if timeout is not None and time.monotonic() - began > timeout:
                raise JobError(
                    f"{job_id} still {job.status} after {timeout:.0f} s; poll again with --job"
                )
            time.sleep(interval)


def finish(job: Any, data: str | None = None, base_url: str | None = None) -> Path:
    """Register a succeeded job's model, or JobError with the API's reason."""
    if job.status != "succeeded":
        error = getattr(job, "error", None)
        reason = getattr(error, "message", None) or job.status
        raise JobError(f"job {job.id} {job.status}: {reason}")
    return register_model(job, data=data, base_url=base_url)


def run_openai(args: Any) -> int:
    """`python -m finetune train --backend openai`: start (or resume) a job and see it through."""
    interval = float(os.environ.get("DRONE_COPILOT_POLL_SECONDS", "15"))
    if args.job:
        client = make_client(args.base_url)
        job = poll(client, args.job, interval=interval)
    else:
        report = preflight(args.data, args.model, args.n_epochs)
        if args.val:
            preflight(args.val, args.model, args.n_epochs)
        usd = report["usd"]
        cost = "unknown (no price for this model)" if usd is None else f"about ${usd:.2f}"
        console.print(
            f"{report['n_examples']} examples, {report['epochs']} epochs, "
            f"~{report['billed_tokens']:,} billed training tokens: {cost}"
        )
        confirm(f"Upload and start a fine-tuning job on {args.model}?", args.yes)
        client = make_client(args.base_url)
        job = start_job(client, args.data, args.model, args.val or None, args.suffix, args.n_epochs)
        console.print(
            f"resume polling any time: python -m finetune train --backend openai --job {job.id}"
        )
        if args.no_wait:
            print(job.id)
            return 0
        job = poll(client, job.id, interval=interval)
    path = finish(job, data=None if args.job else args.data, base_url=args.base_url)
    print(f"{job.fine_tuned_model}")
    console.print(f"registered in {path}; use it with --model {job.fine_tuned_model}")
    return 0
