"""The hmr2 backend's parts that need no GPU: refusals, error mapping, the PHALP overrides.

What needs torch and CUDA (loading the models, the per-frame step) is in tests/gpu.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import pytest

from posepipe.config import Settings
from posepipe.errors import BackendFailed, BackendUnavailable, DeviceError
from posepipe.models import files_for, required_files
from posepipe.pose import hmr2_runtime as runtime
from posepipe.pose.backend import PoseBackend
from posepipe.pose.hmr2_backend import Hmr2Backend


@pytest.fixture
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The variables the backend writes, restored after the test."""
    for name in ("HOME", "TORCH_HOME", "FVCORE_CACHE"):
        monkeypatch.setenv(name, str(tmp_path / "unused"))
    return tmp_path


def _full_cache(root: Path, detector: str = "vitdet") -> Path:
    for model in required_files(detector):
        path = root / model.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    return root


def test_it_follows_the_backend_protocol() -> None:
    backend = Hmr2Backend(Settings(model_cache_dir=Path("/nonexistent")))
    assert isinstance(backend, PoseBackend)
    assert backend.skeleton.name == "openpose25+19" and len(backend.skeleton.joints) == 44
    assert backend.device == "cuda:0" and "vitdet" in backend.version


def test_missing_model_files_make_it_unavailable(tmp_path: Path, isolated_env: Path) -> None:
    backend = Hmr2Backend(Settings(model_cache_dir=tmp_path / "empty"))
    with pytest.raises(BackendUnavailable, match="posepipe models check"):
        backend.load()


def test_the_optional_files_are_not_needed_to_start(tmp_path: Path, isolated_env: Path) -> None:
    cache = _full_cache(tmp_path / "models")  # required files only: no head masks, no AVA
    assert any(f.optional for f in files_for("vitdet"))
    runtime.check_model_files(Settings(model_cache_dir=cache))  # raises when one is missing


def test_without_torch_it_says_it_needs_the_cuda_image(
    tmp_path: Path, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch -> ImportError
    cache = _full_cache(tmp_path / "models")
    with pytest.raises(BackendUnavailable, match="CUDA image"):
        Hmr2Backend(Settings(model_cache_dir=cache)).load()


def test_caches_are_pointed_into_the_model_cache(tmp_path: Path, isolated_env: Path) -> None:
    import os

    runtime.prepare_environment(tmp_path / "models")
    root = (tmp_path / "models").resolve()
    assert os.environ["HOME"] == str(root)
    assert os.environ["TORCH_HOME"] == str(root / ".cache" / "torch")
    assert os.environ["FVCORE_CACHE"] == str(root / ".torch" / "iopath_cache")


def test_phalp_imported_with_another_home_is_refused(
    tmp_path: Path, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    early = types.ModuleType("phalp.configs.base")
    early.CACHE_DIR = "/root/.cache"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "phalp.configs.base", early)
    with pytest.raises(BackendUnavailable, match="imported before posepipe set HOME"):
        runtime.prepare_environment(tmp_path / "models")


@pytest.mark.parametrize(
    ("error", "expected", "words"),
    [
        (RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB"), DeviceError, "regnety"),
        (RuntimeError("CUDA error: no kernel image is available for execution on the device"),
         DeviceError, "TORCH_CUDA_ARCH_LIST"),
        (RuntimeError("CUDA error: an illegal memory access was encountered"), DeviceError,
         "the GPU failed"),
        (RuntimeError("cuDNN error: CUDNN_STATUS_INTERNAL_ERROR"), DeviceError, "GPU failed"),
        (FileNotFoundError("SMPL_NEUTRAL.pkl"), BackendUnavailable, "models check"),
        (ValueError("too many values to unpack"), BackendFailed, "processing frame 7"),
    ],
)
def test_library_failures_become_our_errors(error: Exception, expected: type, words: str) -> None:
    mapped = runtime.as_posepipe_error(error, "processing frame 7")
    assert type(mapped) is expected and words in mapped.message


def test_the_tracker_subclass_builds_no_renderer_and_downloads_nothing() -> None:
    calls: list[str] = []

    class PhalpLike:  # the order of PHALP.__init__'s calls that matter here
        def __init__(self, cfg: Any) -> None:
            self.cfg = cfg
            self.cached_download_from_drive()
            self.setup_visualizer()

        def cached_download_from_drive(self, additional_urls: Any = None) -> None:
            calls.append("download")

        def setup_visualizer(self) -> None:
            calls.append("egl renderer")

    tracker = runtime.tracker_class(PhalpLike)(cfg={})
    assert calls == [] and tracker.visualizer is None


def test_track_failures_are_not_swallowed() -> None:
    class Returns:
        def __init__(self, value: Any) -> None:
            self.value = value

        def track(self) -> Any:
            return self.value

    cfg = types.SimpleNamespace(video=types.SimpleNamespace(source=""))
    with pytest.raises(BackendFailed, match="prints the traceback"):
        runtime.reference_track(Returns(None), cfg, Path("/frames"))
    with pytest.raises(BackendFailed, match="overwrite is off"):
        runtime.reference_track(Returns(0), cfg, Path("/frames"))
    results, pkl = runtime.reference_track(Returns(({"f": {}}, "/out/r.pkl")), cfg, Path("/x"))
    assert results == {"f": {}} and pkl == Path("/out/r.pkl") and cfg.video.source == "/x"
