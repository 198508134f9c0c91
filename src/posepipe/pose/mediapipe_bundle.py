"""The `.task` bundle MediaPipe Tasks' PoseLandmarker needs, made from the installed wheel.

The pinned mediapipe wheel ships the two BlazePose models (detector and "full" landmarks)
for its legacy solution, but no `.task` bundle, and the landmark model carries no TFLite
metadata, without which Tasks refuses a float32 input. The wheel's own metadata writers add
that metadata (the landmark model takes pixels scaled to [0, 1]) and pack both models into a
bundle: nothing is downloaded. The bundle lands in the model cache under a name made from
a digest of its inputs (model bytes, mediapipe version, recipe), so a different wheel gets a
new bundle and the old one is removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import logging
import os
import tempfile
from pathlib import Path

from posepipe.errors import BackendUnavailable

log = logging.getLogger(__name__)

# Bump when the way the bundle is made changes: every cached bundle is then rebuilt.
RECIPE_VERSION = "1"
BUNDLE_PREFIX = "pose_landmarker_full-"
BUNDLE_DIR = "mediapipe"  # under MODEL_CACHE_DIR

# Name inside the bundle (what the PoseLandmarker graph looks for) -> file inside the wheel.
WHEEL_MODELS = {
    "pose_detector.tflite": ("modules", "pose_detection", "pose_detection.tflite"),
    "pose_landmarks_detector.tflite": ("modules", "pose_landmark", "pose_landmark_full.tflite"),
}
# The landmark model's outputs, in its order (BlazePose GHUM 3D).
_LANDMARK_OUTPUTS = ("landmarks", "presence", "segmentation", "heatmap", "world_landmarks")


def wheel_model_bytes() -> dict[str, bytes]:
    """The two model files of the installed mediapipe wheel, by their name in the bundle."""
    try:
        import mediapipe
    except ImportError as exc:
        raise BackendUnavailable(
            "the mediapipe backend needs the 'pose' extra: pip install 'posepipe[pose]'"
        ) from exc
    root = Path(mediapipe.__file__).parent
    models = {}
    for name, parts in WHEEL_MODELS.items():
        path = root.joinpath(*parts)
        try:
            models[name] = path.read_bytes()
        except OSError as exc:
            raise BackendUnavailable(
                f"the installed mediapipe has no {path.name} ({exc.strerror}): "
                "posepipe needs mediapipe==0.10.21, whose wheel ships it"
            ) from exc
    return models


def bundle_digest(models: dict[str, bytes]) -> str:
    """What names a bundle: its inputs, the mediapipe version that packs them, the recipe."""
    digest = hashlib.sha256(f"recipe {RECIPE_VERSION}\n".encode())
    digest.update(f"mediapipe {importlib.metadata.version('mediapipe')}\n".encode())
    for name in sorted(models):
        digest.update(f"{name} {len(models[name])}\n".encode())
        digest.update(models[name])
    return digest.hexdigest()[:16]


def pack_bundle(models: dict[str, bytes], target: Path) -> None:
    """Give the landmark model its metadata and pack both models into `target`."""
    from mediapipe.tasks.python.metadata.metadata_writers import (
        metadata_writer,
        model_asset_bundle_utils,
    )

    writer = metadata_writer.MetadataWriter.create(
        bytearray(models["pose_landmarks_detector.tflite"])
    )
    writer.add_general_info("pose_landmarks_detector", "BlazePose GHUM 3D, full")
    writer.add_image_input(norm_mean=[0.0], norm_std=[255.0])
    for output in _LANDMARK_OUTPUTS:
        writer.add_feature_output(name=output)
    landmarks_with_metadata, _ = writer.populate()
    model_asset_bundle_utils.create_model_asset_bundle(
        {
            "pose_detector.tflite": models["pose_detector.tflite"],
            "pose_landmarks_detector.tflite": bytes(landmarks_with_metadata),
        },
        str(target),
    )


def ensure_bundle(cache_dir: Path, models: dict[str, bytes] | None = None) -> Path:
    """The bundle's path in `cache_dir/mediapipe/`, packed there first when missing.

    `models` defaults to the installed wheel's. Written under a temporary name and renamed
    into place, so a reader (another worker, a crash half-way) never sees a partial file.
    """
    models = wheel_model_bytes() if models is None else models
    folder = cache_dir / BUNDLE_DIR
    target = folder / f"{BUNDLE_PREFIX}{bundle_digest(models)}.task"
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=folder)
    try:
        os.close(fd)
        pack_bundle(models, Path(partial))
        with open(partial, "rb") as written:
            os.fsync(written.fileno())
        os.replace(partial, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise
    log.info("packed the mediapipe pose bundle from the installed wheel: %s", target)
    _remove_stale(folder, keep=target)
    return target


def bundle_bytes_in_memory() -> bytes:
    """The bundle's bytes, packed in a private temporary folder that is then removed."""
    with tempfile.TemporaryDirectory(prefix="posepipe-bundle-") as tmp:
        target = Path(tmp) / "pose_landmarker_full.task"
        pack_bundle(wheel_model_bytes(), target)
        return target.read_bytes()


def _remove_stale(folder: Path, keep: Path) -> None:
    """Bundles packed from another wheel: unused from now on."""
    for old in folder.glob(f"{BUNDLE_PREFIX}*.task"):
        if old != keep:
            with contextlib.suppress(OSError):
                old.unlink()
                log.info("removed a bundle packed from another mediapipe wheel: %s", old)
