"""Worker slots: one live holder each, and a successor that knows what a dead one held."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from posepipe.config import Settings
from posepipe.worker.identity import acquire_slot


def test_a_live_holder_keeps_its_slot_and_the_next_worker_takes_another(tmp_path: Path) -> None:
    first = acquire_slot(tmp_path, "host", scope="redis://a")
    second = acquire_slot(tmp_path, "host", scope="redis://a")
    elsewhere = acquire_slot(tmp_path, "host", scope="redis://b")  # another stack's slots
    assert (first.name, second.name, elsewhere.name) == ("host", "host.2", "host")
    assert first.previous is None
    first.record(worker_id="w1", broker_id="b1")
    first.release()
    again = acquire_slot(tmp_path, "host", scope="redis://a")
    assert again.name == "host" and again.previous == {"worker_id": "w1", "broker_id": "b1"}
    for slot in (second, elsewhere, again):
        slot.release()


def test_a_killed_holder_frees_its_slot_with_its_record(tmp_path: Path) -> None:
    # The holder is another process, killed the way a crash or `docker kill` kills it.
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from pathlib import Path
            from posepipe.worker.identity import acquire_slot
            slot = acquire_slot(Path({str(tmp_path)!r}), "host", scope="s")
            slot.record(worker_id="dead", broker_id="b-dead")
            print(slot.name, flush=True)
            time.sleep(60)
        """)],
        stdout=subprocess.PIPE, text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "host"
    alive = acquire_slot(tmp_path, "host", scope="s")
    assert alive.name == "host.2"  # held: the holder may be running a job
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=10)
    holder.stdout.close()

    successor = acquire_slot(tmp_path, "host", scope="s")
    assert successor.name == "host"
    assert successor.previous == {"worker_id": "dead", "broker_id": "b-dead"}
    successor.record(worker_id="next")
    assert json.loads(successor.path.read_text()) == {"worker_id": "next"}
    alive.release()
    successor.release()


def test_an_odd_name_makes_a_safe_file_name(tmp_path: Path) -> None:
    slot = acquire_slot(tmp_path, "../gpu 1", scope="s")
    assert slot.path.parent == tmp_path and slot.name == "../gpu 1"
    slot.release()


def test_blank_settings_mean_unset() -> None:
    settings = Settings(pose_state_dir="", pose_worker_name=" ")
    assert settings.pose_state_dir is None and settings.pose_worker_name is None


def test_a_worker_whose_state_dir_is_unusable_says_so_and_exits(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the folder should be")
    result = subprocess.run(
        [sys.executable, "-m", "posepipe", "worker", "--health-port", "0"],
        env={**os.environ, "POSE_STATE_DIR": str(blocked), "LOG_FORMAT": "console"},
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2
    assert f"POSE_STATE_DIR: cannot keep this worker's slot file in {blocked}" in (
        result.stdout + result.stderr)
