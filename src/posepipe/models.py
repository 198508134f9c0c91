"""Every file the hmr2 backend loads, where it must sit under MODEL_CACHE_DIR, and whence.

4D-Humans and PHALP find their files under `$HOME/.cache` (HOME is the only knob they
honour), detectron2 under `$FVCORE_CACHE` (default `~/.torch/iopath_cache`) and torch-hub
under `$TORCH_HOME/hub`. The backend points all of these at MODEL_CACHE_DIR, so the cache
folder holds them at the relative paths below. Nothing is downloaded at job time:
`posepipe models fetch` fills the folder once; the backend refuses to start without it.
A few files PHALP downloads are read only by parts of PHALP the backend never runs: they are
listed as optional, fetched too, and never block the backend.

URLs are the current ones: PHALP moved its files from people.eecs.berkeley.edu to
www.cs.utexas.edu/~pavlakos in February 2026, and the 4D-Humans archive is mirrored there.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

PHALP_URL = "https://www.cs.utexas.edu/~pavlakos/phalp"
HMR2_ARCHIVE_URL = "https://www.cs.utexas.edu/~pavlakos/4dhumans/hmr2_data.tar.gz"
# Size of hmr2_data.tar.gz as a third-party resume script records it; not published upstream.
HMR2_ARCHIVE_BYTES = 2_710_589_440
DETECTRON2_URL = "https://dl.fbaipublicfiles.com/detectron2"
SMPL_REGISTRATION_URL = "https://smplify.is.tue.mpg.de"
SMPL_ORIGINAL_NAME = "basicModel_neutral_lbs_10_207_0_v1.0.0.pkl"

FOURD = ".cache/4DHumans"
PHALP = ".cache/phalp"
IOPATH = ".torch/iopath_cache"
TORCH_HUB = ".cache/torch/hub/checkpoints"
HMR2_CHECKPOINT = f"{FOURD}/logs/train/multiruns/hmr2/0/checkpoints/epoch=35-step=1000000.ckpt"
SMPL_PATHS = (f"{FOURD}/data/smpl/SMPL_NEUTRAL.pkl", f"{PHALP}/3D/models/smpl/SMPL_NEUTRAL.pkl")
# Where a user puts the file downloaded from the SMPL site; `models fetch` converts it.
SMPL_DROP_PATH = f"smpl/{SMPL_ORIGINAL_NAME}"

DETECTORS = ("vitdet", "regnety")


class Source(str, Enum):
    """How a file gets into the cache."""

    DOWNLOAD = "download"  # fetched from `url` on its own
    HMR2_ARCHIVE = "hmr2-archive"  # extracted from hmr2_data.tar.gz
    SMPL = "smpl"  # needs a registration at the SMPL site; never downloaded


@dataclass(frozen=True)
class ModelFile:
    """One file the hmr2 backend reads."""

    path: str  # relative to MODEL_CACHE_DIR
    group: str  # what it belongs to, for people reading `models check`
    source: Source
    url: str | None = None
    size: int | None = None  # bytes, where known
    sha256_prefix: str | None = None  # torch-hub names carry one
    detector: str | None = None  # needed only with this POSE_HMR2_DETECTOR
    optional_because: str | None = None  # set when the backend never reads it: who does

    @property
    def name(self) -> str:
        """The file name."""
        return Path(self.path).name

    @property
    def optional(self) -> bool:
        """Whether the backend starts without it."""
        return self.optional_because is not None


def _phalp(
    sub: str, name: str, remote: str | None = None, optional_because: str | None = None
) -> ModelFile:
    remote_path = remote or f"{sub}/{name}"
    return ModelFile(f"{PHALP}/{sub}/{name}", f"PHALP {sub}/", Source.DOWNLOAD,
                     f"{PHALP_URL}/{remote_path}", optional_because=optional_because)


# PHALP downloads these with the others (cached_download_from_drive), but only parts of PHALP
# the backend never runs read them (phalp/visualize/visualizer.py, phalp/utils/lart_utils.py).
_HEAD_MASKS = "only PHALP's Visualizer reads it (head masks); the backend renders nothing"
_AVA = "only PHALP's LART action labels read it; the backend does not use them"


def _detectron2(remote: str, detector: str | None, group: str) -> ModelFile:
    return ModelFile(f"{IOPATH}/detectron2/{remote}", group, Source.DOWNLOAD,
                     f"{DETECTRON2_URL}/{remote}", detector=detector)


MODEL_FILES: tuple[ModelFile, ...] = (
    ModelFile(HMR2_CHECKPOINT, "4D-Humans checkpoint (HMR 2.0b)", Source.HMR2_ARCHIVE),
    ModelFile(f"{FOURD}/logs/train/multiruns/hmr2/0/model_config.yaml",
              "4D-Humans checkpoint (HMR 2.0b)", Source.HMR2_ARCHIVE),
    ModelFile(f"{FOURD}/data/smpl_mean_params.npz", "4D-Humans data", Source.HMR2_ARCHIVE),
    ModelFile(f"{FOURD}/data/SMPL_to_J19.pkl", "4D-Humans data", Source.HMR2_ARCHIVE),
    ModelFile(SMPL_PATHS[0], "SMPL body model", Source.SMPL),
    ModelFile(SMPL_PATHS[1], "SMPL body model", Source.SMPL),
    _phalp("3D", "head_faces.npy", optional_because=_HEAD_MASKS),
    _phalp("3D", "mean_std.npy"),
    _phalp("3D", "smpl_mean_params.npz"),
    _phalp("3D", "SMPL_to_J19.pkl"),
    _phalp("3D", "texture.npz"),
    _phalp("3D", "bmap_256.npy", remote="bmap_256.npy"),
    _phalp("3D", "fmap_256.npy", remote="fmap_256.npy"),
    _phalp("weights", "hmar_v2_weights.pth"),
    _phalp("weights", "pose_predictor.pth", remote="weights/pose_predictor_40006.ckpt"),
    _phalp("weights", "pose_predictor.yaml", remote="weights/config_40006.yaml"),
    _phalp("ava", "ava_labels.pkl", optional_because=_AVA),
    _phalp("ava", "ava_class_mapping.pkl", remote="ava/ava_class_mappping.pkl",
           optional_because=_AVA),
    _detectron2("ViTDet/COCO/cascade_mask_rcnn_vitdet_h/f328730692/model_final_f05665.pkl",
                "vitdet", "detector: ViTDet-H cascade mask R-CNN"),
    _detectron2("new_baselines/mask_rcnn_regnety_4gf_dds_FPN_400ep_LSJ/42045954/"
                "model_final_ef3a80.pkl", "regnety", "detector: RegNetY-4GF mask R-CNN"),
    # PHALP always builds this one too (setup_detectron2_with_RPN), whichever detector runs.
    _detectron2("COCO-InstanceSegmentation/mask_rcnn_X_101_32x8d_FPN_3x/139653917/"
                "model_final_2d9806.pkl", None, "detector: X101 mask R-CNN (box-prompted masks)"),
    ModelFile(f"{TORCH_HUB}/resnet50-19c8e357.pth", "torch-hub ResNet-50 (PHALP's HMAR)",
              Source.DOWNLOAD, "https://download.pytorch.org/models/resnet50-19c8e357.pth",
              sha256_prefix="19c8e357"),
)


def files_for(detector: str = "vitdet") -> list[ModelFile]:
    """The files `models check` lists and `models fetch` fetches with this detector."""
    if detector not in DETECTORS:
        raise ValueError(f"unknown detector {detector!r}; expected one of {DETECTORS}")
    return [f for f in MODEL_FILES if f.detector in (None, detector)]


def required_files(detector: str = "vitdet") -> list[ModelFile]:
    """The files the backend needs with this POSE_HMR2_DETECTOR (the optional ones left out)."""
    return [f for f in files_for(detector) if not f.optional]


def is_present(cache_dir: Path, model: ModelFile) -> bool:
    """Whether the file is in the cache (non-empty, and of the expected size where known)."""
    path = cache_dir / model.path
    try:
        size = path.stat().st_size
    except OSError:
        return False
    if not path.is_file() or size == 0:
        return False
    return model.size is None or size == model.size


def missing_model_files(cache_dir: Path, detector: str = "vitdet") -> list[str]:
    """Relative paths of the files the hmr2 backend needs that are not in `cache_dir`."""
    return [f.path for f in required_files(detector) if not is_present(cache_dir, f)]


def by_source(files: Iterable[ModelFile], source: Source) -> list[ModelFile]:
    """The files that come from one source."""
    return [f for f in files if f.source is source]


def smpl_instructions(cache_dir: Path) -> str:
    """What a person must do to get the SMPL file, which may not be redistributed."""
    return (
        "SMPL_NEUTRAL.pkl cannot be downloaded for you: the SMPL licence requires a "
        f"registration. Register at {SMPL_REGISTRATION_URL} (or smpl.is.tue.mpg.de), "
        f"download the neutral model `{SMPL_ORIGINAL_NAME}` and put it at "
        f"{cache_dir / SMPL_DROP_PATH}; `posepipe models fetch` (run where the hmr2 extra "
        "with chumpy is installed, e.g. in the pose-service image) converts it to the two "
        "places the backend reads. If you already have a converted SMPL_NEUTRAL.pkl (from "
        "~/.cache/4DHumans/data/smpl/ or ~/.cache/phalp/3D/models/smpl/ of a 4D-Humans "
        f"install), copy it to {cache_dir / SMPL_PATHS[0]}; fetch copies it to the other "
        "place. Check the SMPL licence before any commercial use."
    )
