"""Overlap between training data and the evaluation suites: suites are test data, never training.

A training prompt overlaps a suite prompt when it is the same text after normalisation (exact),
or a near duplicate: the same words once filler, politeness and word order are ignored, or a
character-trigram Jaccard similarity of at least `NEAR_THRESHOLD`. Every user turn of a suite
case counts, its `history` included.

    from finetune.quality.overlap import check_file
    report = check_file("data/train.jsonl")          # every evaluation/suites/*.jsonl
    assert not report.overlaps, report.summary()
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from evaluation.suites import SUITES_DIR
from finetune.dataset import near_key, normalize, read_jsonl

NEAR_THRESHOLD = 0.8


@dataclass(frozen=True)
class SuitePrompt:
    suite: str
    case_id: str
    prompt: str


@dataclass(frozen=True)
class Overlap:
    """One training prompt that matches a suite prompt."""

    prompt: str
    kind: str  # "exact" or "near"
    suite: SuitePrompt
    similarity: float
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line is not None else ""
        return (
            f"{where}{self.kind} ({self.similarity:.2f}) {self.prompt!r} ~ "
            f"{self.suite.suite}/{self.suite.case_id} {self.suite.prompt!r}"
        )


@dataclass
class OverlapReport:
    checked: int = 0
    overlaps: list[Overlap] = field(default_factory=list)
    suite_prompts: int = 0

    def summary(self) -> str:
        exact = sum(o.kind == "exact" for o in self.overlaps)
        lines = [
            f"{self.checked} training prompts against {self.suite_prompts} suite prompts: "
            f"{exact} exact, {len(self.overlaps) - exact} near-duplicate overlaps"
        ]
        lines += [f"  {o}" for o in self.overlaps[:20]]
        return "\n".join(lines)


def _trigrams(text: str) -> frozenset[str]:
    padded = f"  {text} "
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2))


class SuitesError(ValueError):
    """A suites file or folder that cannot guard the data: missing, unreadable or without prompts.

    An empty guard would let every suite prompt into the training data, so it is an error, never
    a silent pass."""


def _file_prompts(file: Path) -> list[SuitePrompt]:
    try:
        rows, errors = read_jsonl(file)
    except OSError as exc:
        raise SuitesError(f"suites file {file} cannot be read ({exc.strerror or exc})") from None
    if errors:
        raise SuitesError(f"suites file {file}:{errors[0].line}: {errors[0].reason}")
    out: list[SuitePrompt] = []
    for line, case in rows:
        if not isinstance(case, dict):
            raise SuitesError(f"suites file {file}:{line}: a case must be a JSON object")
        case_id = str(case.get("id", f"line{line}"))
        texts = [case.get("prompt")]
        texts += [
            m.get("content")
            for m in case.get("history") or []
            if isinstance(m, dict) and m.get("role") == "user"
        ]
        out.extend(
            SuitePrompt(file.stem, case_id, t) for t in texts if isinstance(t, str) and t.strip()
        )
    if not out:
        raise SuitesError(f"suites file {file} holds no prompt to keep out of the data")
    return out


def load_suite_prompts(suites: Iterable[str | os.PathLike[str]] | None = None) -> list[SuitePrompt]:
    """Every user prompt of every suite file (default: all of evaluation/suites/*.jsonl).

    Raises `SuitesError` (or FileNotFoundError for a missing path) rather than return a guard
    with nothing in it."""
    paths = [Path(p) for p in suites] if suites is not None else sorted(SUITES_DIR.glob("*.jsonl"))
    if not paths:
        raise SuitesError("no suites given to keep out of the data")
    out: list[SuitePrompt] = []
    for path in paths:
        if not path.exists():
            raise FileNotFoundError(f"suite not found: {path}")
        files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
        if not files:
            raise SuitesError(f"suites folder {path} holds no .jsonl file")
        for file in files:
            out.extend(_file_prompts(file))
    return out


class OverlapIndex:
    """Suite prompts indexed for fast exact and near-duplicate lookups."""

    def __init__(self, prompts: list[SuitePrompt], threshold: float = NEAR_THRESHOLD) -> None:
        self.prompts = prompts
        self.threshold = threshold
        self._exact = {normalize(p.prompt): p for p in prompts}
        self._near = {near_key(p.prompt): p for p in prompts}
        self._grams = [_trigrams(normalize(p.prompt)) for p in prompts]
        self._postings: dict[str, list[int]] = defaultdict(list)
        for i, grams in enumerate(self._grams):
            for g in grams:
                self._postings[g].append(i)

    def fingerprint(self) -> str:
        """A hash of every suite prompt, so a dataset records which suites it was kept clear of."""
        digest = hashlib.sha256()
        for p in sorted((p.suite, p.case_id, p.prompt) for p in self.prompts):
            digest.update(json.dumps(p).encode())
        return digest.hexdigest()[:16]

    @classmethod
    def from_suites(cls, suites: Iterable[str | os.PathLike[str]] | None = None) -> OverlapIndex:
        return cls(load_suite_prompts(suites))

    def match(self, prompt: str) -> Overlap | None:
        """The suite prompt this prompt duplicates, if any."""
        norm = normalize(prompt)
        if norm in self._exact:
            return Overlap(prompt, "exact", self._exact[norm], 1.0)
        key = near_key(prompt)
        if key in self._near:
            return Overlap(prompt, "near", self._near[key], 1.0)
        grams = _trigrams(norm)
        counts: dict[int, int] = defaultdict(int)
        for g in grams:
            for i in self._postings.get(g, ()):
                counts[i] += 1
        best, best_sim = None, 0.0
        for i, shared in counts.items():
            sim = shared / (len(grams) + len(self._grams[i]) - shared)
            if sim > best_sim:
                best, best_sim = i, sim
        if best is not None and best_sim >= self.threshold:
            return Overlap(prompt, "near", self.prompts[best], best_sim)
        return None


def check_prompts(prompts: Iterable[str], index: OverlapIndex | None = None) -> OverlapReport:
    index = index or OverlapIndex.from_suites()
    report = OverlapReport(suite_prompts=len(index.prompts))
    for prompt in prompts:
        report.checked += 1
        found = index.match(prompt)
        if found:
            report.overlaps.append(found)
    return report


def check_file(
    path: str | os.PathLike[str],
    suites: Iterable[str | os.PathLike[str]] | None = None,
    index: OverlapIndex | None = None,
) -> OverlapReport:
    """Overlaps between every user prompt of a training JSONL file and the suites."""
    index = index or OverlapIndex.from_suites(suites)
    report = OverlapReport(suite_prompts=len(index.prompts))
    rows, _ = read_jsonl(path)
    for line, example in rows:
        messages = example.get("messages", []) if isinstance(example, dict) else []
        for m in messages:
            if (
                isinstance(m, dict)
                and m.get("role") == "user"
                and isinstance(m.get("content"), str)
            ):
                report.checked += 1
                found = index.match(m["content"])
                if found:
                    report.overlaps.append(
                        Overlap(found.prompt, found.kind, found.suite, found.similarity, line)
                    )
    return report


def main(argv: list[str] | None = None) -> int:
    """`python -m finetune.quality.overlap FILE [--suites PATH ...]`: exit 1 if FILE overlaps a suite."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m finetune.quality.overlap",
        description="Exact and near-duplicate overlap between a training JSONL file and the suites.",
        epilog="example: python -m finetune.quality.overlap data/train.jsonl",
    )
    parser.add_argument("file", type=Path)
    parser.add_argument(
        "--suites",
        type=Path,
        action="append",
        help="suite file or folder (default: evaluation/suites/)",
    )
    args = parser.parse_args(argv)
    if not args.file.is_file():
        print(f"error: no such file: {args.file}")
        return 2
    try:
        report = check_file(args.file, suites=args.suites)
    except FileNotFoundError as exc:
        print(f"error: {exc}")
        return 2
    print(report.summary())
    return 1 if report.overlaps else 0


if __name__ == "__main__":
    raise SystemExit(main())
