"""The clients section's table: docs/clients.md keeps its hand-written text around the generated
block, a cell that did not pass says why, and a client that is not installed is a row of skips."""

from __future__ import annotations

from bench import bench_clients

PASS = {"status": "pass", "reason": ""}
SKIP = {"status": "skip", "reason": "litellm is not installed"}
STREAM_REFUSED = {"status": "fail", "reason": "BadRequestError: 400: streaming is not supported"}
MEASURED = {
    "langchain-openai": {
        "version": "1.8.1",
        "cells": {f: STREAM_REFUSED if f == "streaming" else PASS for f in bench_clients.FEATURES},
    },
    "litellm": {"version": None, "cells": {f: SKIP for f in bench_clients.FEATURES}},
}


def test_the_table_goes_between_the_markers_and_the_text_around_it_stays(tmp_path):
    doc = tmp_path / "clients.md"
    doc.write_text(f"# Clients\n\nHow to point a client.\n\n{bench_clients.BEGIN}\nold\n"
                   f"{bench_clients.END}\n\nAfter.\n")  # fmt: skip
    bench_clients.write_doc(MEASURED, "2026-12-06 03:00 UTC", doc)
    text = doc.read_text()
    assert text.startswith("# Clients\n\nHow to point a client.\n") and text.endswith("After.\n")
    assert "old" not in text
    assert "| langchain-openai | 1.8.1 | ✓ | ✗ | ✓ | ✓ | ✓ | ✓ |" in text
    assert (
        "- langchain-openai, streaming: ✗ BadRequestError: 400: streaming is not supported" in text
    )
    assert "| litellm | - | – | – | – | – | – | – |" in text


def test_a_row_counts_the_features_tried_and_names_the_failures():
    langchain, litellm = bench_clients.rows(MEASURED)
    assert langchain == {
        "figure": "client: langchain-openai 1.8.1",
        "value": "5/6 features (✗ streaming)",
        "ok": False,
    }
    assert litellm["value"].startswith("not installed") and litellm["ok"] is None


class Refused(Exception):
    """What the openai client raises: the server's error body kept beside the status."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.status_code = 400
        self.body = {"message": "streaming is not supported; send stream=false"}


def test_a_reason_is_one_line_with_the_servers_own_message():
    assert bench_clients.reason(Refused("Error code: 400 - {...}")) == (
        "Refused: 400: streaming is not supported; send stream=false"
    )
    wrapped = RuntimeError("ModelGenerateError('\\nRequest:\\n{...}\\n\\nBadRequestError("
                           "\\'Error code: 404 - Not Found\\')')")  # fmt: skip
    assert bench_clients.reason(wrapped) == "RuntimeError: Error code: 404 - Not Found"
    assert len(bench_clients.reason(ValueError("x" * 500))) == 160
