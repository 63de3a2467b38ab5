"""`--format junit`: one `<testcase>` per case and model, for CI systems that read JUnit XML.

A `<testsuite>` per model and suite; a case passes when it scores on `--fail-metric` (call match
by default). A miss is a `<failure>` whose message shows the expected and the actual plan; a
case the model never answered (no key, server down, no output line) is an `<error>`. With
`--repeats K` each run is its own testcase (`s01 #2`).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from evaluation.metrics import group
from evaluation.results import CaseResult, plan_text, plans_text


def _name(r: CaseResult, repeats: int) -> str:
    run = f" #{r.repeat + 1}" if repeats > 1 else ""
    return f"{r.id}{run}: {r.prompt[:120]}"


def _failure(r: CaseResult, metric: str) -> tuple[str, str, str] | None:
    """(tag, message, details) for a case that did not pass; None when it did."""
    if r.error and not r.raw and not r.actual:
        return "error", f"no answer: {r.error}", r.error
    if getattr(r, metric):
        return None
    expected = plans_text(r.expected_plans or [r.expected[:1]])
    actual = plan_text(r.actual) or "(no call)"
    message = f"expected {expected}; got {actual}" + (f" ({r.error})" if r.error else "")
    details = f"prompt: {r.prompt}\nexpected: {expected}\nactual: {actual}\nraw: {r.raw}"
    return "failure", message, details


def junit_xml(results: Sequence[CaseResult], metric: str = "call_match") -> str:
    """The JUnit XML document for a run's results."""
    root = ET.Element("testsuites", name="drone-copilot evaluation")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for (model, suite), rs in group(results).items():
        repeats = 1 + max(r.repeat for r in rs)
        node = ET.SubElement(root, "testsuite", name=f"{model} · {suite}")
        counts = {"tests": len(rs), "failures": 0, "errors": 0}
        for r in rs:
            case = ET.SubElement(
                node, "testcase", classname=f"{model}.{suite}", name=_name(r, repeats),
                time=f"{r.latency_ms / 1000:.3f}",
            )  # fmt: skip
            outcome = _failure(r, metric)
            if outcome is not None:
                tag, message, details = outcome
                ET.SubElement(case, tag, message=message, type=metric).text = details
                counts["failures" if tag == "failure" else "errors"] += 1
        for key, value in counts.items():
            node.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, "unicode") + "\n"
