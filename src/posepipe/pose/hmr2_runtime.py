"""Building 4D-Humans' PHALP tracker (`HMR2_4dhuman`) in-process, and the traps around it.

Every upstream name comes from `posepipe.pose.hmr2_imports` (the one list, which the CUDA
image's build and `make gpu-check` run on their own). What this module takes care of
(research note `hmr2_phalp.md`):

* Caches: 4D-Humans and PHALP compute `CACHE_DIR = $HOME/.cache` when first imported, and
  honour nothing else; detectron2 caches under `$FVCORE_CACHE`, torch-hub under
  `$TORCH_HOME`. `prepare_environment` points all three into MODEL_CACHE_DIR *before*
  anything imports them, and refuses to go on if one was imported earlier.
* No downloads at job time: PHALP's `cached_download_from_drive` (which shells out to
  `wget` for SMPL) and 4D-Humans' `download_models` (which re-downloads 2.7 GB unless the
  tarball is kept) are replaced by a check of `posepipe.models`; missing files make the
  backend unavailable, with `posepipe models fetch` as the remedy.
* EGL: PHALP's `__init__` always builds a pyrender `OffscreenRenderer` (setup_visualizer)
  and 4D-Humans' `load_hmr2()` builds two more renderers, all needing an EGL context even
  with `render.enable=False`. posepipe draws its own overlay, so we skip them: the tracker
  subclass's `setup_visualizer` builds nothing and HMR 2.0 is loaded with
  `init_renderer=False`. No EGL context is ever created, so the backend runs where EGL
  fails (WSL2, a container without the `graphics` driver capability). pyrender and
  PyOpenGL are still *imported* by those modules, so libEGL/libGL must be installed.
* Config: `Human4DConfig` built with OmegaConf (no Hydra CLI): rendering off,
  `video.end_frame=-1` (the default stops at 1300 frames), detector from
  POSE_HMR2_DETECTOR (`regnety` is PHALP's `maskrcnn`).
* `track()` swallows exceptions (prints them, returns None) and returns 0 when results
  exist and `overwrite` is off: `reference_track` checks both.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from posepipe.config import Settings
from posepipe.errors import BackendFailed, BackendUnavailable, DeviceError
from posepipe.models import HMR2_CHECKPOINT, missing_model_files
from posepipe.pose.hmr2_imports import Upstream, import_upstream

log = logging.getLogger(__name__)
PHALP_DETECTOR = {"vitdet": "vitdet", "regnety": "maskrcnn"}


def prepare_environment(cache_dir: Path) -> None:
    """Point HOME, TORCH_HOME and FVCORE_CACHE into the model cache, before any import."""
    cache_dir = cache_dir.resolve()
    expected = str(cache_dir / ".cache")
    for name in ("phalp.configs.base", "hmr2.configs"):
        module = sys.modules.get(name)
        found = getattr(module, "CACHE_DIR", None) or getattr(module, "CACHE_DIR_4DHUMANS", None)
        if module is not None and found is not None and not str(found).startswith(expected):
            raise BackendUnavailable(
                f"{name} was imported before posepipe set HOME, so it caches under {found}; "
                "start the process with HOME set to MODEL_CACHE_DIR"
            )
    os.environ["HOME"] = str(cache_dir)
    os.environ["TORCH_HOME"] = str(cache_dir / ".cache" / "torch")
    os.environ["FVCORE_CACHE"] = str(cache_dir / ".torch" / "iopath_cache")


def check_model_files(settings: Settings) -> None:
    """Refuse to start without every model file (nothing is downloaded at job time)."""
    missing = missing_model_files(settings.model_cache_dir, detector=settings.pose_hmr2_detector)
    if missing:
        raise BackendUnavailable(
            f"{len(missing)} hmr2 model file(s) missing under {settings.model_cache_dir} "
            f"(first: {missing[0]}); run `posepipe models check`, then `posepipe models fetch`"
        )


def _load_hmr2_headless(upstream: Upstream, checkpoint_path: str | None = None) -> Any:
    """4D-Humans' load_hmr2() without its two EGL renderers (init_renderer=False)."""
    checkpoint = checkpoint_path or str(Path(os.environ["HOME"]) / HMR2_CHECKPOINT)
    model_cfg = upstream.get_config(str(Path(checkpoint).parent.parent / "model_config.yaml"),
                                    update_cachedir=True)
    # As upstream: the ViT backbone crops people at 192x256 from its 256 px input.
    if model_cfg.MODEL.BACKBONE.TYPE == "vit" and "BBOX_SHAPE" not in model_cfg.MODEL:
        model_cfg.defrost()
        model_cfg.MODEL.BBOX_SHAPE = [192, 256]
        model_cfg.freeze()
    upstream.check_smpl_exists()
    model = upstream.hmr2_model.load_from_checkpoint(checkpoint, strict=False, cfg=model_cfg,
                                                     init_renderer=False)
    return model, model_cfg


def _no_download(*args: Any, **kwargs: Any) -> None:
    """Stands in for download_models(): the files were checked before loading."""


def patch_hmr2_loading(upstream: Upstream) -> None:
    """Make 4D-Humans load offline and headless (HMR2Predictor imports these at call time)."""

    def load_hmr2(checkpoint_path: str | None = None) -> Any:
        return _load_hmr2_headless(upstream, checkpoint_path)

    upstream.hmr2_models.download_models = _no_download  # type: ignore[attr-defined]
    upstream.hmr2_models.load_hmr2 = load_hmr2  # type: ignore[attr-defined]


def tracker_class(base: type) -> type:
    """HMR2_4dhuman without renderers and without PHALP's first-run downloads."""

    class HeadlessTracker(base):
        def setup_visualizer(self) -> None:
            self.visualizer = None  # PHALP's Visualizer needs an EGL context; we draw our own

        def cached_download_from_drive(self, additional_urls: Any = None) -> None:
            pass  # check_model_files() ran before construction; never wget at job time

    return HeadlessTracker


def build_config(upstream: Upstream, settings: Settings, scratch: Path) -> Any:
    """The structured `Human4DConfig`, set for posepipe (no Hydra command line)."""
    from omegaconf import OmegaConf

    cfg = OmegaConf.structured(upstream.config)
    cfg.video.source = str(scratch / "frames")  # read only by reference_track()
    cfg.video.output_dir = str(scratch)
    cfg.video.end_frame = -1  # the default, 1300, silently cuts long videos
    cfg.render.enable = False
    cfg.phalp.detector = PHALP_DETECTOR[settings.pose_hmr2_detector]
    cfg.overwrite = True
    cfg.device = "cuda"
    return cfg


def build_tracker(settings: Settings) -> tuple[Any, Any, Path]:
    """(tracker, cfg, scratch dir): HMR2_4dhuman with every model loaded on CUDA device 0."""
    upstream = import_upstream(settings.pose_hmr2_repo_dir)
    patch_hmr2_loading(upstream)
    scratch = Path(tempfile.mkdtemp(prefix="posepipe-phalp-"))
    cfg = build_config(upstream, settings, scratch)
    try:
        tracker = tracker_class(upstream.tracker)(cfg)
    except Exception as exc:
        raise as_posepipe_error(exc, "loading 4D-Humans/PHALP") from exc
    return tracker, cfg, scratch


def as_posepipe_error(exc: BaseException, doing: str) -> Exception:
    """Our error for an exception out of torch/PHALP: DeviceError for the GPU's own failures."""
    text = f"{type(exc).__name__}: {exc}"
    if "out of memory" in text.lower():
        return DeviceError(
            f"the GPU ran out of memory while {doing}: use POSE_HMR2_DETECTOR=regnety, raise "
            "POSE_GPU_MEMORY_FRACTION, or free the GPU (nvidia-smi shows who holds it)"
        )
    if "no kernel image is available" in text:
        return DeviceError(
            f"{text} while {doing}: a compiled extension (detectron2, neural_renderer) was "
            "built without this GPU's architecture; rebuild with TORCH_CUDA_ARCH_LIST set"
        )
    cuda_markers = ("CUDA error", "CUDNN_STATUS", "CUBLAS_STATUS", "device-side assert",
                    "CUDA driver", "cudaError")
    if any(marker in text for marker in cuda_markers):
        return DeviceError(f"the GPU failed while {doing}: {text}")
    if isinstance(exc, FileNotFoundError):
        return BackendUnavailable(f"a model file is missing ({exc}); run `posepipe models check`")
    return BackendFailed(f"4D-Humans/PHALP failed while {doing}: {text}")


def reference_track(tracker: Any, cfg: Any, frames_dir: Path) -> tuple[dict[str, Any], Path]:
    """Run PHALP's own `track()` over a folder of JPEGs (for checks against our driving)."""
    cfg.video.source = str(frames_dir)
    outcome = tracker.track()
    if outcome is None:
        raise BackendFailed(
            "PHALP's track() failed and returned nothing (it prints the traceback to stdout "
            "instead of raising)"
        )
    if outcome == 0:
        raise BackendFailed("PHALP's track() skipped the video: results exist, overwrite is off")
    results, pkl_path = outcome
    return results, Path(pkl_path)
