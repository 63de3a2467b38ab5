"""Score Batch API output files with the live run's scorer (`evaluation.runner.score_case`).

Each output line names its request by `custom_id` (model/suite/case/repeat, as export wrote it).
Its `response.body` is read by `copilot.completion_from_body`, exactly as a live run reads an
answer; an error line (`error` set, or no 200 response) is the model's error for that case, as a
live run records a failed request. The import refuses, in one line, an output it cannot trust: a
line that is not JSON, a `custom_id` seen twice or naming no case, a body that is not a chat
completion. A request with no output line is not dropped: it is scored as an error case.

Which cases were asked: every case of each model and suite the outputs name (the first `limit`
with `--limit`), in every repeat up to the highest seen.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copilot import Completion, completion_from_body, identity_of
from evaluation.batch.requests import BatchInputError, parse_custom_id
from evaluation.results import CaseResult
from evaluation.runner import score_case
from evaluation.suites import Case, Suite, SuiteNotFound, load_suite, resolve_suites

MISSING = "no output line for this request"


@dataclass
class OutputLine:
    where: str  # file:line
    model: str
    suite: str
    case: str
    repeat: int
    record: dict[str, Any]


@dataclass
class Imported:
    """The scored results, and what the outputs held."""

    results: list[CaseResult]
    suites: list[Suite]
    identities: dict[str, str] = field(default_factory=dict)
    missing: int = 0
    errors: int = 0


def read_outputs(paths: Sequence[Path]) -> list[OutputLine]:
    """Every line of the output files; raises `BatchInputError` at the first bad one."""
    lines: list[OutputLine] = []
    seen: dict[str, str] = {}
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise BatchInputError(f"cannot read {path}: {exc}") from None
        for number, raw in enumerate(text.splitlines(), start=1):
            if not raw.strip():
                continue
            where = f"{path}:{number}"
            try:
                record = json.loads(raw)
            except ValueError:
                raise BatchInputError(f"{where}: not JSON (a torn or foreign line)") from None
            if not isinstance(record, dict) or "custom_id" not in record:
                raise BatchInputError(f"{where}: not a Batch output line (no custom_id)")
            cid = record["custom_id"]
            try:
                model, suite, case, repeat = parse_custom_id(cid)
            except BatchInputError as exc:
                raise BatchInputError(f"{where}: {exc}") from None
            if cid in seen:
                raise BatchInputError(f"{where}: duplicate custom_id {cid!r} (also {seen[cid]})")
            seen[cid] = where
            lines.append(OutputLine(where, model, suite, case, repeat, record))
    if not lines:
        raise BatchInputError("the output files hold no line")
    return lines


def _suites(names: list[str], given: Sequence[str]) -> dict[str, Suite]:
    """The suites the outputs name: a `--suite` of that name, else the shipped one."""
    found = {}
    for path in resolve_suites(list(given)) if given else []:
        suite = load_suite(path)
        found[suite.name] = suite
    for name in names:
        if name in found:
            continue
        try:
            found[name] = load_suite(resolve_suites([name])[0])
        except SuiteNotFound:
            raise BatchInputError(
                f"the outputs name suite {name!r}, which is not shipped: give --suite PATH "
                "(the file the requests were exported from)"
            ) from None
    return found


def completion_of(line: OutputLine) -> Completion:
    """The answer a line holds; an error line as the model's error."""
    record = line.record
    response = record.get("response")
    error = record.get("error")
    if error or not isinstance(response, dict) or response.get("status_code") != 200:
        detail = error if isinstance(error, dict) else {}
        body = response.get("body") if isinstance(response, dict) else None
        if not detail and isinstance(body, dict) and isinstance(body.get("error"), dict):
            detail = body["error"]
        code = detail.get("code") or (response or {}).get("status_code") or "error"
        message = detail.get("message") or str(error or "no response")
        return Completion(error=f"batch request failed ({code}): {message}"[:300])
    try:
        return completion_from_body(response.get("body") or {})
    except ValueError as exc:
        first = str(exc).splitlines()[0]
        raise BatchInputError(
            f"{line.where}: response.body is not a chat completion ({first})"
        ) from None


def import_outputs(
    paths: Sequence[Path], suites: Sequence[str] = (), limit: int | None = None
) -> Imported:
    """Read, check and score output files; raises `BatchInputError` for an untrustworthy one."""
    lines = read_outputs(paths)
    found = _suites(list(dict.fromkeys(line.suite for line in lines)), suites)
    cases: dict[tuple[str, str], Case] = {}
    for suite in found.values():
        for case in suite.cases[:limit]:
            cases[(suite.name, case.id)] = case
    by_key = {}
    for line in lines:
        if (line.suite, line.case) not in cases:
            raise BatchInputError(
                f"{line.where}: unknown custom_id {line.record['custom_id']!r}: suite "
                f"{line.suite!r} has no case {line.case!r}"
                + (f" among its first {limit}" if limit else "")
            )
        by_key[(line.model, line.suite, line.case, line.repeat)] = line
    models = list(dict.fromkeys(line.model for line in lines))
    suite_names = list(dict.fromkeys(line.suite for line in lines))
    out = Imported([], [found[s] for s in suite_names])
    for model in models:
        repeats = 1 + max(line.repeat for line in lines if line.model == model)
        for name in suite_names:
            if not any(line.model == model and line.suite == name for line in lines):
                continue
            for r in range(repeats):
                for case in found[name].cases[:limit]:
                    out.results.append(
                        _score(out, model, case, r, by_key.get((model, name, case.id, r)))
                    )
    return out


def _score(
    out: Imported, model: str, case: Case, repeat: int, line: OutputLine | None
) -> CaseResult:
    if line is None:
        out.missing += 1
        completion = Completion(error=MISSING)
        identity = out.identities.get(model, "")
    else:
        completion = completion_of(line)
        body = (line.record.get("response") or {}).get("body")
        identity = identity_of(body) if isinstance(body, dict) else ""
        out.identities.setdefault(model, identity)
    out.errors += completion.error is not None
    return score_case(model, case, completion, False, identity, repeat)
