"""How doctor's findings are shown: lines for people, one JSON document for machines."""

from __future__ import annotations

import json
from collections import Counter

from rich.console import Console
from rich.markup import escape

from posepipe.doctor.result import CheckResult, Status

STYLES = {Status.PASS: "green", Status.WARN: "yellow", Status.FAIL: "bold red",
          Status.SKIP: "dim"}


def counts(results: list[CheckResult]) -> dict[str, int]:
    """How many checks ended in each status."""
    tally = Counter(r.status for r in results)
    return {status.value: tally.get(status, 0) for status in Status}


def to_json(results: list[CheckResult]) -> str:
    """The `--json` document: ok, counts, and every check."""
    document = {
        "ok": not any(r.status is Status.FAIL for r in results),
        "counts": counts(results),
        "checks": [r.to_json() for r in results],
    }
    return json.dumps(document, indent=2)


def print_text(results: list[CheckResult], console: Console) -> None:
    """One block per check, its fix indented under it, and a closing tally."""
    width = max(len(r.title) for r in results) if results else 0
    for result in results:
        style = STYLES[result.status]
        label = f"[{style}]{result.status.value.upper():4}[/{style}]"
        console.print(f"{label}  {escape(result.title.ljust(width))}  {escape(result.summary)}")
        if result.fix and result.status in (Status.FAIL, Status.WARN):
            for number, line in enumerate(result.fix.splitlines()):
                prefix = "fix:" if number == 0 else "    "
                console.print(f"      {' ' * width}  [bold]{prefix}[/bold] {escape(line)}")
    tally = counts(results)
    console.print(
        f"\n{tally['pass']} passed, {tally['warn']} warnings, {tally['fail']} failed, "
        f"{tally['skip']} skipped"
    )
