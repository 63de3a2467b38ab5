"""Send a request file to the OpenAI Batch API with the official client, wait, download.

`files.create(purpose="batch")` uploads the file, `batches.create` starts the batch (the
parameters typed as the `openai` package's `BatchCreateParams`), `batches.retrieve` is polled
with the request counts shown, and `files.content` downloads the output file and the error file
into one Batch output file that `batch import` reads (an error file line is an error case).
Any server that implements those endpoints will do: point the client at it with `base_url`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evaluation.batch.requests import CHAT_URL, BatchInputError

FINAL = ("completed", "failed", "expired", "cancelled")
Report = Callable[[Any], None]  # told each polled `Batch`


def make_client(base_url: str | None = None) -> Any:
    """The official client; OPENAI_API_KEY (and OPENAI_BASE_URL) from the environment."""
    import openai

    try:
        return openai.OpenAI(base_url=base_url)
    except openai.OpenAIError as exc:
        raise BatchInputError(f"{exc}".splitlines()[0]) from None


def start(client: Any, requests: Path, metadata: dict[str, str] | None = None) -> Any:
    """Upload `requests` and create the batch; the `Batch` as created."""
    from openai.types import BatchCreateParams

    with requests.open("rb") as handle:
        uploaded = client.files.create(file=handle, purpose="batch")
    params: BatchCreateParams = {
        "input_file_id": uploaded.id,
        "endpoint": CHAT_URL,
        "completion_window": "24h",
    }
    if metadata:
        params["metadata"] = metadata
    return client.batches.create(**params)


def wait(client: Any, batch_id: str, poll_s: float = 10.0, report: Report | None = None) -> Any:
    """Poll until the batch is final; the final `Batch`."""
    while True:
        batch = client.batches.retrieve(batch_id)
        if report is not None:
            report(batch)
        if batch.status in FINAL:
            return batch
        time.sleep(poll_s)


def download(client: Any, batch: Any, out: Path) -> int:
    """Write the output file, then the error file's lines, to `out`; the line count."""
    if batch.status != "completed":
        why = "; ".join(e.message or "" for e in (batch.errors.data or [])) if batch.errors else ""
        raise BatchInputError(
            f"batch {batch.id} ended {batch.status}" + (f": {why}" if why else "")
        )
    text = ""
    for file_id in (batch.output_file_id, batch.error_file_id):
        if file_id:
            part = client.files.content(file_id).text
            text += part if not part or part.endswith("\n") else part + "\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return sum(1 for line in text.splitlines() if line.strip())
