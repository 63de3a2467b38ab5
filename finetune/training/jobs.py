"""`python -m finetune jobs`: list OpenAI fine-tuning jobs, show one with its events, or list the
fine-tuned models registered on this machine."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone

HELP = "list OpenAI fine-tuning jobs, show one job's events, or the registered fine-tuned models"
EXAMPLES = """examples:
  python -m finetune jobs                      # the 20 latest jobs
  python -m finetune jobs ftjob-abc123         # one job and its latest events
  python -m finetune jobs --registered         # fine-tuned models registered here (no network)
  python -m finetune jobs --format json        # for scripts
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("job", nargs="?", help="a job id: show it and its events")
    parser.add_argument("--limit", type=int, default=20, help="how many jobs or events")
    parser.add_argument("--registered", action="store_true", help="list the model registry")
    parser.add_argument("--format", choices=["table", "json"], default="table")
    parser.add_argument("--base-url", help="an OpenAI-compatible API (default: OPENAI_BASE_URL)")


def _when(stamp: int | None) -> str:
    if not stamp:
        return "-"
    return datetime.fromtimestamp(stamp, timezone.utc).strftime("%Y-%m-%d %H:%M")


def _table(title: str, columns: list[str], rows: list[list[str]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    Console().print(table)


def _registered(args: argparse.Namespace) -> int:
    from finetune.training.openai_jobs import registered_models, registry_path

    models = registered_models()
    if args.format == "json":
        print(json.dumps({"registry": str(registry_path()), "models": models}))
        return 0
    rows = [[m["name"], m["base_model"], m["job_id"], m["registered_at"]] for m in models]
    _table(str(registry_path()), ["model", "base", "job", "registered"], rows)
    return 0


def run(args: argparse.Namespace) -> int:
    import openai

    from finetune.training.openai_jobs import JobError, make_client

    if args.registered:
        try:
            return _registered(args)
        except JobError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    try:
        client = make_client(args.base_url)
        if args.job:
            job = client.fine_tuning.jobs.retrieve(args.job)
            events = client.fine_tuning.jobs.list_events(args.job, limit=args.limit).data
            if args.format == "json":
                print(
                    json.dumps(
                        {"job": job.model_dump(), "events": [e.model_dump() for e in events]}
                    )
                )
                return 0
            rows = [[_when(e.created_at), e.level, e.message] for e in reversed(events)]
            title = f"{job.id}  {job.model}  {job.status}  {job.fine_tuned_model or ''}"
            _table(title, ["time (UTC)", "level", "event"], rows)
            return 0
        jobs = client.fine_tuning.jobs.list(limit=args.limit).data
    except JobError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except openai.APIError as exc:
        print(f"error: the API refused: {exc}", file=sys.stderr)
        return 1
    if args.format == "json":
        print(json.dumps({"jobs": [j.model_dump() for j in jobs]}))
        return 0
    rows = [[j.id, j.model, j.status, j.fine_tuned_model or "-", _when(j.created_at)] for j in jobs]
    _table("fine-tuning jobs", ["job", "base model", "status", "fine-tuned model", "created"], rows)
    return 0
