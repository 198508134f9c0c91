"""The worker's memory with its pose processes': sums of the kernel's figures, peaks reset."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from posepipe.memory import peak_rss_bytes, rss_bytes
from posepipe.worker.process_tree import ProcessTreeMemory

MB = 1_000_000
# A child that holds 200 MB, lets it go when told, then waits to be ended.
CHILD = (
    "import sys\n"
    "block = bytearray(200_000_000)\n"
    "block[::4096] = b'x' * len(block[::4096])\n"  # touch every page: resident, not reserved
    "print('holding', flush=True)\n"
    "sys.stdin.readline()\n"
    "del block\n"
    "print('freed', flush=True)\n"
    "sys.stdin.readline()\n"
)


@pytest.fixture
def child() -> Iterator[subprocess.Popen[str]]:
    with subprocess.Popen(
        [sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as process:
        assert process.stdout is not None and process.stdout.readline() == "holding\n"
        yield process
        process.kill()


def _tell(process: subprocess.Popen[str], expect: str) -> None:
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write("\n")
    process.stdin.flush()
    assert process.stdout.readline() == expect


def test_resident_memory_counts_the_children(child: subprocess.Popen[str]) -> None:
    tree = ProcessTreeMemory(lambda: [child.pid])
    alone = ProcessTreeMemory(list)
    total, own, theirs = tree.rss(), rss_bytes(), rss_bytes(child.pid)
    assert total is not None and own is not None and theirs is not None
    assert theirs > 200 * MB
    assert total == pytest.approx(own + theirs, abs=5 * MB)  # read a moment apart
    assert alone.rss() == pytest.approx(own, abs=5 * MB)


def test_a_reset_peak_forgets_what_a_child_held_before(child: subprocess.Popen[str]) -> None:
    tree = ProcessTreeMemory(lambda: [child.pid])
    before = tree.peak()
    assert before is not None and (peak_rss_bytes(child.pid) or 0) > 200 * MB
    _tell(child, "freed\n")
    assert tree.reset_peak()
    after = tree.peak()
    assert after is not None and after < before - 150 * MB


def test_a_child_that_has_ended_counts_for_nothing() -> None:
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    gone = int(ended.stdout)
    tree = ProcessTreeMemory(lambda: [gone])
    own = rss_bytes()
    assert own is not None and tree.rss() == pytest.approx(own, abs=5 * MB)
