"""Every name the hmr2 backend takes from 4D-Humans, PHALP, detectron2 and NMR, in one place.

`import_upstream()` makes the backend's upstream imports through the same paths the backend
takes (4D-Humans' `track.py` loaded from the checkout by file, under the same module name),
then checks what the backend does with them: the functions it replaces, the PHALP methods
it overrides or calls (with the number of arguments it passes), the config keys it sets and
the files PHALP opens by path at load time. It loads no model, reads no model file and
needs no GPU, so it runs wherever the CUDA image's packages are installed:

* the runtime (`hmr2_runtime`) takes every upstream name from the `Upstream` it returns,
  so this is the only list;
* the CUDA image's builder stage ends with `python -m posepipe.pose.hmr2_imports`, so a
  name missing at the pinned commits fails `docker build` on any host, GPU or not;
* `make gpu-check` runs it first.

`tests/unit/test_hmr2_imports.py` parses the backend's source to keep this list complete;
`docs/hmr2-upstream.md` gives, per name, its upstream file and line at the pinned commits.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from posepipe.errors import BackendUnavailable

# The packages whose names only this module may import (the unit test enforces it).
UPSTREAM_PACKAGES = ("hmr2", "phalp", "detectron2", "neural_renderer")
TRACK_MODULE = "posepipe_4dhumans_track"

# Methods of PHALP (`HMR2_4dhuman`) the backend calls, with the positional arguments it passes.
TRACKER_CALLS = {"get_detections": 5, "run_additional_models": 10, "get_human_features": 12,
                 "setup_deepsort": 0, "track": 0}
# Methods of PHALP that hmr2_runtime.tracker_class replaces, with the arguments PHALP passes.
TRACKER_OVERRIDES = {"setup_visualizer": 0, "cached_download_from_drive": 1}
# DeepSORT's Tracker (PHALP's `.tracker`), and its Track, read by posepipe.phalp.record.
DEEPSORT_CALLS = {"predict": 0, "update": 4}
TRACK_CALLS = {"is_confirmed": 0, "is_deleted": 0}
# hmr2.models functions hmr2_runtime replaces; 4D-Humans' HMR2Predictor imports them when it
# is built and calls them without arguments.
REPLACED_FUNCTIONS = {"download_models": 0, "load_hmr2": 0}
# Keys of Human4DConfig the backend sets or reads.
CONFIG_KEYS = ("video.source", "video.output_dir", "video.end_frame", "render.enable",
               "phalp.detector", "phalp.n_init", "phalp.shot", "overwrite", "device")
VITDET_CONFIG = "cascade_mask_rcnn_vitdet_h_75ep.py"  # in phalp/configs/
# detectron2 model-zoo configs PHALP opens by name when it builds its detectors.
DETECTRON2_CONFIGS = ("new_baselines/mask_rcnn_regnety_4gf_dds_FPN_400ep_LSJ.py",
                      "COCO-InstanceSegmentation/mask_rcnn_X_101_32x8d_FPN_3x.yaml")


@dataclass(frozen=True)
class Upstream:
    """The upstream names the hmr2 backend and `make gpu-check` use."""

    tracker: type  # track.HMR2_4dhuman: PHALP with HMR 2.0 and the NMR texture sampler
    config: type  # track.Human4DConfig: PHALP's FullConfig plus expand_bbox_shape
    hmr2_models: ModuleType  # hmr2.models, whose download_models and load_hmr2 we replace
    hmr2_model: Any  # hmr2.models.HMR2, a LightningModule class
    check_smpl_exists: Callable[[], Any]  # hmr2.models.check_smpl_exists
    get_config: Callable[..., Any]  # hmr2.configs.get_config
    create_backbone: Callable[[Any], Any]  # hmr2.models.backbones.create_backbone
    lazy_config: Any  # detectron2.config.LazyConfig
    instantiate: Callable[..., Any]  # detectron2.config.instantiate
    vitdet_config: Path  # PHALP's ViTDet-H detector config, opened by path


def load_track_module(repo_dir: Path) -> ModuleType:
    """4D-Humans' track.py (HMR2_4dhuman, Human4DConfig), which pip does not install."""
    if TRACK_MODULE in sys.modules:
        return sys.modules[TRACK_MODULE]
    path = repo_dir / "track.py"
    if not path.is_file():
        raise BackendUnavailable(
            f"no 4D-Humans checkout at {repo_dir} (track.py is not part of the hmr2 package); "
            "set POSE_HMR2_REPO_DIR"
        )
    spec = importlib.util.spec_from_file_location(TRACK_MODULE, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[TRACK_MODULE] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # an import error, or a missing library behind one (libGL)
        del sys.modules[TRACK_MODULE]
        raise BackendUnavailable(
            f"4D-Humans/PHALP do not import: {type(exc).__name__}: {exc}"
        ) from exc
    return module


def import_upstream(repo_dir: Path) -> Upstream:
    """Import every upstream name the backend uses and check how it uses them."""
    track = load_track_module(repo_dir)
    try:
        import hmr2.models
        import neural_renderer
        import phalp
        from detectron2 import model_zoo
        from detectron2.config import LazyConfig, instantiate
        from hmr2.configs import get_config
        from hmr2.models import HMR2, check_smpl_exists
        from hmr2.models.backbones import create_backbone
        from omegaconf import OmegaConf
        from phalp.external.deep_sort_.track import Track
        from phalp.external.deep_sort_.tracker import Tracker
    except Exception as exc:  # ImportError, or a library behind one that does not load
        raise BackendUnavailable(
            f"4D-Humans/PHALP do not import: {type(exc).__name__}: {exc}"
        ) from exc
    problems = [f"track.py has no {name}" for name in ("HMR2_4dhuman", "Human4DConfig")
                if not hasattr(track, name)]
    if problems:
        raise BackendUnavailable("; ".join(problems))
    upstream = Upstream(
        tracker=track.HMR2_4dhuman,
        config=track.Human4DConfig,
        hmr2_models=hmr2.models,
        hmr2_model=HMR2,
        check_smpl_exists=check_smpl_exists,
        get_config=get_config,
        create_backbone=create_backbone,
        lazy_config=LazyConfig,
        instantiate=instantiate,
        vitdet_config=Path(phalp.__file__).parent / "configs" / VITDET_CONFIG,
    )
    # 4D-Humans' texture sampler builds this renderer when the tracker is built.
    problems += _missing_calls(neural_renderer, {"Renderer": 0}, "neural_renderer")
    problems += _missing_calls(hmr2.models, REPLACED_FUNCTIONS, "hmr2.models")
    problems += _missing_calls(upstream.tracker, {**TRACKER_CALLS, **TRACKER_OVERRIDES},
                               "HMR2_4dhuman", method=True)
    problems += _missing_calls(Tracker, DEEPSORT_CALLS, "DeepSORT Tracker", method=True)
    problems += _missing_calls(Track, TRACK_CALLS, "DeepSORT Track", method=True)
    if "init_renderer" not in inspect.signature(HMR2.__init__).parameters:
        problems.append("HMR2() takes no init_renderer (the backend loads it without renderers)")
    problems += _missing_config_keys(OmegaConf.to_container(OmegaConf.structured(upstream.config)))
    if not upstream.vitdet_config.is_file():
        problems.append(f"PHALP's detector config {upstream.vitdet_config} is missing")
    for name in DETECTRON2_CONFIGS:
        try:
            model_zoo.get_config_file(name)
        except RuntimeError as exc:
            problems.append(f"detectron2's model zoo: {exc}")
    if problems:
        raise BackendUnavailable(
            "4D-Humans/PHALP are not the versions the backend was written for: "
            + "; ".join(problems)
        )
    return upstream


def _missing_calls(
    owner: Any, calls: Mapping[str, int], where: str, *, method: bool = False
) -> list[str]:
    """Why each call `owner.<name>(<n positional arguments>)` would fail, if it would."""
    problems = []
    for name, arguments in calls.items():
        target = getattr(owner, name, None)
        if not callable(target):
            problems.append(f"{where} has no {name}")
            continue
        receiver = [None] if method else []  # `self` of a method read off its class
        try:
            inspect.signature(target).bind(*receiver, *([None] * arguments))
        except TypeError as exc:
            problems.append(f"{where}.{name} does not take {arguments} argument(s): {exc}")
        except ValueError:  # no signature to read (a builtin): nothing more to check
            pass
    return problems


def _missing_config_keys(config: Any) -> list[str]:
    problems = []
    for key in CONFIG_KEYS:
        node = config
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                problems.append(f"Human4DConfig has no {key}")
                break
            node = node[part]
    return problems


def main(argv: list[str] | None = None) -> int:
    """`python -m posepipe.pose.hmr2_imports [REPO_DIR]`: exit 1 when an upstream name is off."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("repo_dir", nargs="?", type=Path,
                        help="the 4D-Humans checkout (default: POSE_HMR2_REPO_DIR)")
    args = parser.parse_args(argv)
    repo_dir = args.repo_dir
    if repo_dir is None:
        from posepipe.config import get_settings

        repo_dir = get_settings().pose_hmr2_repo_dir
    try:
        upstream = import_upstream(repo_dir)
    except BackendUnavailable as exc:
        print(f"hmr2 upstream imports: FAILED: {exc.message}", file=sys.stderr)
        return 1
    print(f"hmr2 upstream imports: ok ({upstream.tracker.__name__} from {repo_dir}/track.py "
          "and every other name the backend uses)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
