"""A crash: pose-service's main process killed with SIGKILL from the host in the middle of a
longer job (no `docker stop`, no warning). Docker's restart policy brings the container back,
the restarted worker takes its dead incarnation's job back at once (the same container keeps
its slot file) and goes on after the last stored batch, and the job ends `succeeded`, with
every frame once."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from tests.compose.conftest import REPORT
from tests.compose.harness import ComposeStack
from tests.conftest import VIDEOS
from tests.media_factory import loop_video

pytestmark = pytest.mark.compose


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """988 frames of real footage (the juggling clip four times over)."""
    path = tmp_path_factory.mktemp("clips") / "juggling_x4.mp4"
    return loop_video(VIDEOS / "single_person_soccer_ball_juggling.mp4", path, 4)


def test_a_killed_pose_service_comes_back_and_finishes_the_job(
    stack: ComposeStack, long_clip: Path
) -> None:
    restarts_before = stack.inspect("pose-service")["RestartCount"]
    job_id = stack.upload(long_clip)
    frames_total = 988
    with stack.client() as client:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            progress = client.get(f"/api/jobs/{job_id}").json()["progress"]
            if progress["frames_done"] >= 0.3 * frames_total:
                break
            time.sleep(0.3)
        else:
            pytest.fail(f"the job never got to 30%: {progress}")
    stored_before_kill = progress["frames_done"]

    container = stack.inspect("pose-service")
    pid = container["State"]["Pid"]
    # The pid Docker reports is in this host's pid namespace only when the engine runs here
    # (not in a VM, as Docker Desktop's does): check it is the container's before killing it.
    try:
        cgroup = Path(f"/proc/{pid}/cgroup").read_text()
    except OSError:
        cgroup = ""
    if container["Id"] not in cgroup:
        pytest.skip(f"pid {pid} is not pose-service's container here: the engine runs elsewhere")
    killed_at = time.monotonic()
    os.kill(pid, signal.SIGKILL)  # the container's main process (tini), from the host

    stack.wait_health("pose-service", "healthy", timeout_s=120)
    back_s = time.monotonic() - killed_at
    assert stack.inspect("pose-service")["RestartCount"] == restarts_before + 1
    job = stack.wait_for_job(job_id, "succeeded", timeout_s=300)
    done_s = time.monotonic() - killed_at
    REPORT["measured:crash, kill -9 to pose-service healthy"] = f"{back_s:.1f} s"
    REPORT["measured:crash, kill -9 to the job succeeded"] = f"{done_s:.1f} s"

    assert job["attempts"] >= 2
    # Taken back by the restarted worker (not after QUEUE_HEARTBEAT_TIMEOUT_S by luck of a
    # redelivery) and resumed where the stored frames ended, not from frame 0.
    first, second = job["attempt_log"][0], job["attempt_log"][1]
    hostname = container["Config"]["Hostname"]
    # Worker ids are hostname-pid-random: the same container, a new process.
    assert first["worker"].startswith(f"{hostname}-"), job["attempt_log"]
    assert second["worker"].startswith(f"{hostname}-"), job["attempt_log"]
    assert second["worker"] != first["worker"], job["attempt_log"]
    assert 0 < second["resumed_from"] <= frames_total, job["attempt_log"]
    assert second["resumed_from"] >= stored_before_kill, (stored_before_kill, job["attempt_log"])
    REPORT["measured:crash, resumed at frame"] = (
        f"{second['resumed_from']} of {frames_total} (killed at {stored_before_kill} stored)"
    )
    assert job["progress"] == {"frames_done": frames_total, "frames_total": frames_total}
    with stack.client() as client:
        doc = client.get(f"/api/jobs/{job_id}/poses").json()
    assert [frame["i"] for frame in doc["frames"]] == list(range(frames_total))
