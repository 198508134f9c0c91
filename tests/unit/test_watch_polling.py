"""WATCH_POLLING is parsed once, as a boolean, and handed to watchfiles unambiguously."""

from __future__ import annotations

import os

import pytest

from posepipe.cli.services import _set_watch_polling
from posepipe.config import Settings


@pytest.mark.parametrize(
    ("value", "expected"), [("1", "true"), ("true", "true"), ("0", "false"), ("false", "false")]
)
def test_watchfiles_gets_what_watch_polling_means(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: str
) -> None:
    monkeypatch.setenv("WATCH_POLLING", value)
    monkeypatch.setenv("WATCHFILES_FORCE_POLLING", "unset by the test")  # restored after
    _set_watch_polling(Settings().watch_polling)
    # watchfiles reads any value but "false" as on: "0" must never reach it.
    assert os.environ["WATCHFILES_FORCE_POLLING"] == expected
