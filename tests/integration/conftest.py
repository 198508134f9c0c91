"""Fixtures of the integration tests: the native stack (real servers, real services)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.stack import NativeStack

StackFactory = Callable[..., NativeStack]


@pytest.fixture
def stack_factory(tmp_path: Path) -> Iterator[StackFactory]:
    """Start stacks with `make(env={...}, workers=N)`; every one is stopped after the test."""
    stacks: list[NativeStack] = []

    def make(**kwargs: Any) -> NativeStack:
        stack = NativeStack(tmp_path / f"stack{len(stacks)}", **kwargs)
        stacks.append(stack)
        return stack.start()

    yield make
    for stack in stacks:
        stack.stop()


@pytest.fixture
def native_stack(stack_factory: StackFactory) -> NativeStack:
    """Redis, MongoDB (or FerretDB), `posepipe api` and one `posepipe worker`, started."""
    return stack_factory()
