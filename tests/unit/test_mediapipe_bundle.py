"""The PoseLandmarker bundle: packed from the installed wheel's own model files, written
atomically into the model cache, repacked when its inputs change."""

from __future__ import annotations

import io
import os
import threading
import zipfile
from pathlib import Path

import pytest

from posepipe.pose.mediapipe_bundle import (
    BUNDLE_DIR,
    BUNDLE_PREFIX,
    bundle_bytes_in_memory,
    bundle_digest,
    ensure_bundle,
    wheel_model_bytes,
)

pytest.importorskip("mediapipe")


def test_the_bundle_holds_both_wheel_models_and_gives_the_landmarks_their_metadata(
    tmp_path: Path,
) -> None:
    models = wheel_model_bytes()
    assert len(models["pose_detector.tflite"]) == 2_959_046
    assert len(models["pose_landmarks_detector.tflite"]) == 6_440_512
    path = ensure_bundle(tmp_path)
    assert path.parent == tmp_path / BUNDLE_DIR
    assert path.name == f"{BUNDLE_PREFIX}{bundle_digest(models)}.task"
    with zipfile.ZipFile(path) as bundle:
        names = set(bundle.namelist())
        detector = bundle.read("pose_detector.tflite")
        landmarks = bundle.read("pose_landmarks_detector.tflite")
        stored = {info.compress_type for info in bundle.infolist()}
    assert names == {"pose_detector.tflite", "pose_landmarks_detector.tflite"}
    assert stored == {zipfile.ZIP_STORED}  # Tasks maps the models straight from the file
    assert detector == models["pose_detector.tflite"]
    # The wheel's landmark model has no metadata (Tasks refuses it); the bundled one has.
    assert b"TFLITE_METADATA" not in models["pose_landmarks_detector.tflite"]
    assert b"TFLITE_METADATA" in landmarks
    assert list((tmp_path / BUNDLE_DIR).iterdir()) == [path]


def test_a_packed_bundle_is_reused_as_it_is(tmp_path: Path) -> None:
    path = ensure_bundle(tmp_path)
    os.utime(path, (1_000_000_000, 1_000_000_000))
    assert ensure_bundle(tmp_path) == path
    assert path.stat().st_mtime == 1_000_000_000


def test_other_models_give_another_bundle_and_the_old_one_goes(tmp_path: Path) -> None:
    models = wheel_model_bytes()
    old = ensure_bundle(tmp_path)
    changed = dict(models)
    changed["pose_detector.tflite"] = models["pose_detector.tflite"] + b"\0"
    assert bundle_digest(changed) != bundle_digest(models)
    new = ensure_bundle(tmp_path, changed)
    assert new != old and new.is_file()
    assert not old.exists()


def test_a_failed_pack_leaves_nothing_behind(tmp_path: Path) -> None:
    broken = dict(wheel_model_bytes())
    broken["pose_landmarks_detector.tflite"] = b"not a tflite model"
    with pytest.raises(Exception):  # noqa: B017 - whatever the flatbuffer reader raises
        ensure_bundle(tmp_path, broken)
    assert list((tmp_path / BUNDLE_DIR).iterdir()) == []


def test_workers_packing_at_once_all_get_a_whole_bundle(tmp_path: Path) -> None:
    paths: list[Path] = []
    errors: list[BaseException] = []

    def pack() -> None:
        try:
            paths.append(ensure_bundle(tmp_path))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=pack) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(set(paths)) == 1
    assert [p.name for p in (tmp_path / BUNDLE_DIR).iterdir()] == [paths[0].name]
    with zipfile.ZipFile(paths[0]) as bundle:
        assert bundle.testzip() is None


def _members(bundle: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def test_the_bundle_packed_in_memory_is_the_same_bytes(tmp_path: Path) -> None:
    # Member by member: mediapipe's packer stamps each zip entry with the time it is written
    # (2-second resolution), so two packs a moment apart may differ in those header bytes.
    in_memory, on_disk = bundle_bytes_in_memory(), ensure_bundle(tmp_path).read_bytes()
    assert _members(in_memory) == _members(on_disk)
    assert len(in_memory) == len(on_disk)


def test_a_cache_that_cannot_be_written_is_an_os_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(OSError):
        ensure_bundle(blocker / "models")
