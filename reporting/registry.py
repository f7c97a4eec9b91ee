"""The report-run machinery's registry: one builder per kind of document.

Each document module under ``reporting/builders/`` registers its builder with
``@builder(ReportKind.X, soft_time_limit=…)``: a function ``build(run, progress) -> BuiltFile``
that reads the other modules through their selectors and returns the document. The time limits
are the Celery task's for that kind (``reporting.tasks.execute_report``): at the soft limit the
builder is interrupted and the run fails with a message; at the hard limit the worker process is
killed, and the run's lease lets the sweep take it up again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Progress = Callable[[int, int], None]
HARD_LIMIT_MARGIN_S = 30  # after the soft limit, the time the builder gets to clean up


@dataclass
class BuiltFile:
    """What a builder returns: the bytes (or a temporary file), a name and a media type."""

    content: bytes | None
    file_name: str
    media_type: str
    path: str | None = None  # a temporary file on disk instead of bytes, for large outputs


@dataclass(frozen=True)
class Builder:
    kind: str
    build: Callable  # (ReportRun, Progress) -> BuiltFile
    soft_time_limit: int  # seconds

    @property
    def time_limit(self) -> int:
        return self.soft_time_limit + HARD_LIMIT_MARGIN_S


_BUILDERS: dict[str, Builder] = {}


def builder(kind: str, *, soft_time_limit: int):
    """Register the decorated function as the builder of ``kind``."""

    def register(func):
        _BUILDERS[kind] = Builder(kind=kind, build=func, soft_time_limit=soft_time_limit)
        return func

    return register


def builder_for(kind: str) -> Builder | None:
    return _BUILDERS.get(kind)


def registered_kinds() -> list[str]:
    return sorted(_BUILDERS)
