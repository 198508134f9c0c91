"""What a check finds: a status, one line for people, and the exact fix when it is not fine."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Status(str, Enum):
    """How a check came out. `skip`: it does not apply here (or needs what already failed)."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


@dataclass(frozen=True)
class CheckResult:
    """One finding of `posepipe doctor`."""

    id: str
    title: str
    status: Status
    summary: str
    fix: str | None = None
    details: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The JSON form `posepipe doctor --json` prints."""
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status.value,
            "summary": self.summary,
            "fix": self.fix,
            "details": list(self.details),
        }


def worst(statuses: list[Status]) -> Status:
    """The most serious of several statuses (fail > warn > pass > skip)."""
    order = [Status.FAIL, Status.WARN, Status.PASS, Status.SKIP]
    return next((s for s in order if s in statuses), Status.SKIP)
