"""Files the containers write into bind mounts belong to the host user (UID/GID in .env)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.compose.harness import ComposeStack

pytestmark = pytest.mark.compose


@pytest.mark.parametrize("service", ["backend-api", "pose-service", "frontend"])
def test_our_services_run_as_the_host_user(stack: ComposeStack, service: str) -> None:
    ids = (
        stack.compose("exec", "-T", service, "id", "-u").strip(),
        stack.compose("exec", "-T", service, "id", "-g").strip(),
    )
    assert ids == (stack.settings["UID"], stack.settings["GID"])


def test_a_file_written_into_a_bind_mount_is_the_users(stack: ComposeStack) -> None:
    # MODEL_CACHE_DIR=./models: the model cache is a folder of the user's, bind-mounted.
    stack.compose(
        "exec",
        "-T",
        "pose-service",
        "sh",
        "-c",
        "echo written by pose-service > /models/ownership-probe.txt",
    )
    probe = stack.root / "models" / "ownership-probe.txt"
    assert probe.read_text() == "written by pose-service\n"
    stat = probe.stat()
    assert (str(stat.st_uid), str(stat.st_gid)) == (stack.settings["UID"], stack.settings["GID"])


def test_the_model_bundle_the_worker_made_is_the_users(
    stack: ComposeStack, main_job: dict[str, Any]
) -> None:
    # The worker builds MediaPipe's .task bundle into the model cache on its first job; a
    # root-owned one would make the user's own `posepipe process` fail to replace it.
    bundles = list((stack.root / "models" / "mediapipe").glob("*.task"))
    assert bundles, "no MediaPipe bundle in ./models/mediapipe after a job ran"
    for path in bundles:
        stat = path.stat()
        assert (str(stat.st_uid), str(stat.st_gid)) == (
            stack.settings["UID"],
            stack.settings["GID"],
        ), path
