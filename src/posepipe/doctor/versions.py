"""Version strings as tools print them ("v2.29.7-desktop.1", "560.94", "27.3.1")."""

from __future__ import annotations

import re


def parse_version(text: str) -> tuple[int, ...] | None:
    """The leading dotted numbers of `text` ("v2.24.6-desktop.1" -> (2, 24, 6))."""
    match = re.search(r"(\d+(?:\.\d+)+)", text)
    if not match:
        return None
    return tuple(int(part) for part in match.group(1).split("."))


def at_least(version: tuple[int, ...], minimum: tuple[int, ...]) -> bool:
    """Whether `version` >= `minimum`, padding the shorter one with zeros."""
    width = max(len(version), len(minimum))
    return version + (0,) * (width - len(version)) >= minimum + (0,) * (width - len(minimum))


def show(version: tuple[int, ...]) -> str:
    """(2, 24) -> "2.24"."""
    return ".".join(str(part) for part in version)
