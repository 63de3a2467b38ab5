"""`manifest.json`: what a run was started with, so `--resume DIR` alone continues exactly it.

A run directory records its suites (absolute paths and a hash of each file), its models, its
`--base-url` and `--limit`, and whether it draws plots, before its first case runs. Resuming reads
them back: an argument given again must agree (a different suite or model is an error naming the
difference, and nothing is touched), and a suite file that changed since is an error too, since
its finished cases would no longer be the cases of that file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

MANIFEST_FILE = "manifest.json"
MANIFEST_VERSION = 1


class ManifestError(ValueError):
    """A run that cannot be resumed as asked (one line, saying what to do)."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


@dataclass
class Manifest:
    """The settings that decide which cases a run holds."""

    suites: list[str]
    models: list[str]
    base_url: str | None = None
    limit: int | None = None
    plots: bool = True
    suite_sha256: dict[str, str] = field(default_factory=dict)
    version: int = MANIFEST_VERSION
    repeats: int = 1

    @classmethod
    def start(
        cls,
        suites: list[Path],
        models: list[str],
        base_url: str | None,
        limit: int | None,
        plots: bool,
        repeats: int = 1,
    ) -> Manifest:
        paths = [os.path.abspath(p) for p in suites]
        hashes = {p: file_sha256(Path(p)) for p in paths}
        return cls(paths, models, base_url, limit, plots, hashes, repeats=repeats)

    def write(self, directory: Path) -> Path:
        """Write `manifest.json` atomically (a temporary file renamed into place)."""
        path = directory / MANIFEST_FILE
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(asdict(self), handle, indent=2)
            handle.write("\n")
        os.replace(tmp, path)
        return path

    @classmethod
    def read(cls, directory: Path) -> Manifest | None:
        """The run's manifest; None for a run written before manifests existed."""
        path = directory / MANIFEST_FILE
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
        except (OSError, ValueError, TypeError) as exc:
            raise ManifestError(f"{path} is not a run manifest ({exc})") from None

    def check(
        self, suites: list[Path] | None, models: list[str] | None, base_url: str | None,
        limit: int | None, repeats: int | None = None,
    ) -> None:  # fmt: skip
        """Raise `ManifestError` if an argument given on resume differs from the run's."""
        given: dict[str, tuple[Any, Any]] = {
            "--suite": (suites and [os.path.abspath(p) for p in suites], self.suites),
            "--model": (models, self.models),
            "--base-url": (base_url, self.base_url),
            "--limit": (limit, self.limit),
            "--repeats": (repeats, self.repeats),
        }
        for option, (asked, recorded) in given.items():
            if asked is not None and asked != recorded:
                shown = ", ".join(map(str, recorded)) if isinstance(recorded, list) else recorded
                raise ManifestError(
                    f"{option} differs from the run being resumed ({shown}); resume it with "
                    "--resume DIR alone, or start another run with --output"
                )
        for path, digest in self.suite_sha256.items():
            if not Path(path).is_file():
                raise ManifestError(f"the run's suite {path} is gone; it cannot be resumed")
            if file_sha256(Path(path)) != digest:
                raise ManifestError(
                    f"the run's suite {path} changed since the run started; start another run"
                )
