"""Segments of a video, decoded apart, add up to exactly one sequential decode (or are refused)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from posepipe.video.decode import FrameStream
from posepipe.video.probe import probe_video
from posepipe.video.segment_decode import SegmentDecoder
from posepipe.video.segments import _boundaries, plan_segments
from tests import media_factory as make

# Files that decode in display order but are hard to cut: B-frames, open GOPs, no keyframe
# to cut at, a variable frame rate, rotation, other codecs and containers, and MPEG-TS,
# where seeking lands after the target and the decoder has to seek further back.
CASES: dict[str, dict[str, Any]] = {
    "keyframes every 12, B-frames": {"options": {"g": "12", "bf": "3"}},
    "open GOP": {
        "options": {"bf": "3", "x264-params": "open-gop=1:keyint=12:min-keyint=12:scenecut=0"}
    },
    "one keyframe": {
        "frames": 150, "options": {"bf": "3", "x264-params": "keyint=1000:scenecut=0"}
    },
    "variable frame rate": {"options": {"g": "10", "bf": "2"}, "frame_ms": [20, 40, 33, 80]},
    "rotated": {"options": {"g": "15"}, "rotation": -90},
    "VP9 in WebM": {"codec": "libvpx-vp9", "container_format": "webm", "options": {"g": "20"}},
    "MPEG-TS": {"container_format": "mpegts", "options": {"g": "10", "bf": "2"}},
}
SUFFIX = {"webm": ".webm", "mpegts": ".ts"}


def _signature(time_s: float, image: Any) -> tuple[float, str]:
    return time_s, hashlib.md5(image.tobytes()).hexdigest()


@pytest.mark.parametrize("case", CASES)
def test_segments_decoded_apart_equal_one_decode(tmp_path: Path, case: str) -> None:
    spec = {"frames": 120, **CASES[case]}
    path = tmp_path / f"v{SUFFIX.get(spec.get('container_format', ''), '.mp4')}"
    info = probe_video(make.write_video(path, **spec))
    whole = [(f.index, *_signature(f.time_s, f.image)) for f in FrameStream(info)]

    plan = plan_segments(info, processes=3, min_frames=16)
    assert len(plan.segments) >= 3, plan.reason
    decoder = SegmentDecoder(info)
    decoded = {}
    for segment in reversed(plan.segments):  # out of order, on one open file: seeks each time
        decoded[segment.number] = list(decoder.frames(segment))
    decoder.close()

    joined = []
    for segment in plan.segments:
        frames = decoded[segment.number]
        warmup = [f for f in frames if f.warmup]
        kept = [f for f in frames if not f.warmup]
        assert len(warmup) == segment.warmup and len(kept) == segment.frames
        assert not any(f.warmup for f in frames[len(warmup) :]), "warm-up frames come first"
        assert kept[0].frame.index == segment.first_frame
        joined += [(f.frame.index, *_signature(f.frame.time_s, f.frame.image)) for f in kept]
    assert joined == whole


def test_boundaries_follow_keyframes_when_there_are_some(tmp_path: Path) -> None:
    info = probe_video(make.write_video(tmp_path / "v.mp4", frames=120, options={"g": "12"}))
    plan = plan_segments(info, processes=2, min_frames=16)
    later = plan.segments[1:]
    assert later and all(s.seek_pts == s.warm_pts for s in later), "decoding starts at the cut"
    assert all(s.warmup == 8 for s in later)


def test_boundaries_without_keyframes_decode_from_the_start_up_to_a_limit() -> None:
    # One keyframe: each cut decodes and discards from frame 0, allowed up to twice the
    # segment's length, so the rest of a long video stays one segment.
    assert _boundaries(1000, [0], 100, 8) == [100, 200]
    assert _boundaries(1000, [0, 250, 500, 750], 250, 8) == [258, 508, 758]


def test_a_short_video_is_not_cut(tmp_path: Path) -> None:
    info = probe_video(make.write_video(tmp_path / "v.mp4", frames=40, options={"g": "5"}))
    plan = plan_segments(info, processes=4)
    assert not plan.splits and "too few" in plan.reason


def test_one_process_is_not_cut(tmp_path: Path) -> None:
    info = probe_video(make.write_video(tmp_path / "v.mp4", frames=400, options={"g": "5"}))
    assert not plan_segments(info, processes=1).splits


def test_a_stream_without_timestamps_is_not_cut(tmp_path: Path) -> None:
    # A raw H.264 stream: its packets carry no pts, so a segment could not be told apart.
    path = make.write_video(
        tmp_path / "v.h264", frames=120, container_format="h264", options={"g": "10"}
    )
    plan = plan_segments(probe_video(path), processes=2, min_frames=16)
    assert not plan.splits and "timestamps" in plan.reason


def test_long_videos_get_segments_of_at_most_the_maximum(tmp_path: Path) -> None:
    info = probe_video(make.write_video(tmp_path / "v.mp4", frames=600, options={"g": "10"}))
    plan = plan_segments(info, processes=2, max_frames=100)
    assert len(plan.segments) >= 6
    assert all(s.frames <= 100 + 50 for s in plan.segments)  # a cut moves to a keyframe nearby
    assert sum(s.frames for s in plan.segments) == 600
    assert [s.first_frame for s in plan.segments] == sorted({s.first_frame for s in plan.segments})


@pytest.mark.parametrize("case", CASES)
def test_segments_after_a_resume_point_equal_the_rest_of_one_decode(
    tmp_path: Path, case: str
) -> None:
    # A resume point keeps the last stored frame's timestamp; the plan cuts what follows it.
    spec = {"frames": 120, **CASES[case]}
    path = tmp_path / f"v{SUFFIX.get(spec.get('container_format', ''), '.mp4')}"
    info = probe_video(make.write_video(path, **spec))
    frames = list(FrameStream(info))
    stored = 45  # frames 0-44 stored; 45 is the first left (mid-GOP in every case)
    whole = [(f.index, f.pts, *_signature(f.time_s, f.image)) for f in frames[stored:]]

    plan = plan_segments(info, processes=2, min_frames=16, after_pts=frames[stored - 1].pts)
    assert len(plan.segments) >= 2, plan.reason
    first = plan.segments[0]
    assert first.first_frame == stored and first.warmup == 8  # warmed up like any later one
    assert sum(s.frames for s in plan.segments) == len(frames) - stored
    decoder = SegmentDecoder(info)
    joined = []
    for segment in plan.segments:
        kept = [f.frame for f in decoder.frames(segment) if not f.warmup]
        joined += [(f.index, f.pts, *_signature(f.time_s, f.image)) for f in kept]
    decoder.close()
    assert joined == whole


def test_a_resume_point_near_the_end_leaves_too_few_frames_to_share(tmp_path: Path) -> None:
    info = probe_video(make.write_video(tmp_path / "v.mp4", frames=120, options={"g": "12"}))
    frames = list(FrameStream(info))
    near_end = plan_segments(info, processes=2, after_pts=frames[100].pts)
    assert not near_end.splits and near_end.reason.startswith("19 frames are too few")
    at_end = plan_segments(info, processes=2, after_pts=frames[-1].pts)
    assert not at_end.splits and at_end.reason == "no frame is left after the resume point"
