"""The store: documents FerretDB and mongo:7 both accept, frames that overwrite, safe keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pymongo.database import Database

from posepipe.errors import PosepipeError
from posepipe.schema import FramePoses, PersonPose, SkeletonInfo, SmplParams, VideoMeta
from posepipe.skeletons import MEDIAPIPE33
from posepipe.store.codec import (
    frame_from_document,
    frame_to_document,
    header_from_document,
    header_to_document,
)
from posepipe.store.frames import FrameStore
from posepipe.store.media import LocalMediaStore, check_key, overlay_key, video_key


def _nested_arrays(value: Any) -> bool:
    if isinstance(value, list):
        return any(isinstance(v, list) or _nested_arrays(v) for v in value)
    if isinstance(value, dict):
        return any(_nested_arrays(v) for v in value.values())
    return False


def _person(track: int = 1, *, smpl: bool = False) -> PersonPose:
    eye = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))
    return PersonPose(
        track=track, bbox=(1.0, 2.0, 3.0, 4.0), score=0.5,
        kp2d=[(float(j), 2.0 * j, 0.9) for j in range(33)],
        kp3d=[(0.1, 0.2, float(j)) for j in range(33)],
        smpl=SmplParams(global_orient=[eye], body_pose=[eye] * 23, betas=[0.5] * 10)
        if smpl else None,
        camera=(0.1, 0.2, 30.0) if smpl else None,
    )


def test_frame_round_trip_without_nested_arrays() -> None:
    frame = FramePoses(i=7, t=0.7, people=[_person(1), _person(2, smpl=True)])
    doc = frame_to_document("job", frame)
    assert doc["_id"] == "job:7" and doc["job_id"] == "job" and doc["i"] == 7
    assert not _nested_arrays(doc)
    back = FramePoses.model_validate(frame_from_document(doc))
    assert back == frame


def test_header_round_trip() -> None:
    skeleton = SkeletonInfo(
        name="mediapipe33", joints=list(MEDIAPIPE33.joints), edges=list(MEDIAPIPE33.edges)
    )
    video = VideoMeta(width=10, height=20, fps=5.0, frames=3, duration_s=0.6)
    doc = header_to_document(backend="mediapipe", backend_version="x", skeleton=skeleton,
                             video=video)
    assert not _nested_arrays(doc)
    back = header_from_document(doc)
    assert back["schema"] == "posepipe.poses/1"
    assert SkeletonInfo.model_validate(back["skeleton"]) == skeleton
    assert VideoMeta.model_validate(back["video"]) == video


def test_rewriting_frames_replaces_them(sync_db: Database[Any]) -> None:
    store = FrameStore(sync_db)
    store.write("j", [FramePoses(i=i, t=i / 10, people=[]) for i in range(10)])
    # A redelivered attempt writes the same frames again, with different content.
    store.write("j", [FramePoses(i=i, t=i / 10, people=[_person()]) for i in range(5, 12)])
    assert store.count("j") == 12
    frames = store.read("j", start=0, limit=100)
    assert [f.i for f in frames] == list(range(12))
    assert [bool(f.people) for f in frames] == [False] * 5 + [True] * 7
    assert [f.i for f in store.read("j", start=10, limit=100)] == [10, 11]
    with pytest.raises(Exception, match="duplicate key"):
        sync_db.frames.insert_one({"job_id": "j", "i": 3})
    store.clear("j")
    assert store.count("j") == 0


@pytest.mark.parametrize(
    "key", ["../x.mp4", "/abs.mp4", "a/../../b", "", ".", "a//b", ".hidden", "a\\b", "x y"]
)
def test_unsafe_media_keys_are_refused(key: str, tmp_path: Path) -> None:
    with pytest.raises(PosepipeError):
        check_key(key)
    with pytest.raises(PosepipeError):
        LocalMediaStore(tmp_path).local_path(key)


def test_local_media_store(tmp_path: Path) -> None:
    store = LocalMediaStore(tmp_path / "media")
    staged = store.staging_path(".mp4")
    staged.write_bytes(b"data")
    key = video_key("ab" * 32, "mp4")
    store.commit(staged, key)
    assert not staged.exists() and store.exists(key)
    assert store.local_path(key).read_bytes() == b"data"
    assert overlay_key("job1") == "overlays/job1.mp4"
    store.delete(key)
    store.delete(key)  # twice is fine
    assert not store.exists(key)


def test_a_resume_point_is_kept_per_job_and_a_stale_attempt_cannot_overwrite_it(
    sync_db: Database[Any],
) -> None:
    store = FrameStore(sync_db)
    tracker = {"joints": {"objects": [{"estimate": [[1.5], [2.5]]}]}, "next_id": 2}  # nested
    point = {"next_frame": 16, "frames_with_people": 16, "most_people": 1, "tracker": tracker,
             "backend": "mediapipe x"}
    assert store.resume_point("j") is None
    assert store.save_resume_point("j", 1, point)
    assert store.save_resume_point("j", 2, {**point, "next_frame": 8})  # a newer attempt
    # The first attempt, wrongly declared dead, is still running: it loses the job here.
    assert not store.save_resume_point("j", 1, {**point, "next_frame": 24})
    saved = store.resume_point("j")
    assert saved is not None and (saved["attempt"], saved["next_frame"]) == (2, 8)
    assert saved["tracker"] == tracker
    store.clear("j")
    assert store.resume_point("j") is None
