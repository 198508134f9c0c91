"""The threaded decoder: order, rotation, bounded memory, broken streams, early stop."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path

import numpy as np

from posepipe.video.decode import DecodedFrame, FrameStream
from posepipe.video.probe import probe_video
from tests import media_factory as make


def test_frames_come_in_order_with_times(tmp_path: Path) -> None:
    info = probe_video(make.write_video(tmp_path / "v.mp4", frames=12, fps=6))
    frames = list(FrameStream(info))
    assert [f.index for f in frames] == list(range(12))
    assert [round(f.time_s, 3) for f in frames] == [round(i / 6, 3) for i in range(12)]
    assert all(f.image.shape == (120, 160, 3) and f.image.dtype == np.uint8 for f in frames)


def test_rotation_is_applied_to_pixels(tmp_path: Path) -> None:
    # The bright square starts at the top-left of the stored frame; rotating 90 degrees
    # clockwise for display moves it to the top-right.
    info = probe_video(make.write_video(tmp_path / "r.mp4", rotation=-90))
    assert info.rotation == 90
    first = next(iter(FrameStream(info)))
    assert first.image.shape == (160, 120, 3)
    rows, cols = np.nonzero(first.image.min(axis=2) > 200)
    assert cols.mean() > 120 / 2 and rows.mean() < 160 / 2


def test_odd_heights_decode_whole(videos_dir: Path) -> None:
    info = probe_video(videos_dir / "single_person_running_indoor_track.mp4")
    first = next(iter(FrameStream(info)))
    assert first.image.shape == (1088, 1920, 3)


def test_decoding_runs_ahead_only_as_far_as_the_queue(tmp_path: Path) -> None:
    info = probe_video(make.write_video(tmp_path / "v.mp4", frames=60))
    stream = FrameStream(info, queue_size=4)
    consumed = 0
    for _ in stream:
        consumed += 1
        time.sleep(0.01)  # a slow consumer: the decoder must wait for it
        # Decoded but not consumed: the queue (4), one the thread holds, one in hand.
        assert stream.frames_decoded - consumed <= 4 + 1
    assert consumed == 60


def test_a_file_corrupted_in_the_middle_finishes_and_counts_losses(
    tmp_path: Path, videos_dir: Path
) -> None:
    broken = make.corrupt_middle(
        videos_dir / "single_person_soccer_ball_juggling.mp4", tmp_path / "c.mp4"
    )
    info = probe_video(broken)
    stream = FrameStream(info)
    frames = list(stream)
    assert 0 < len(frames) < 247
    assert stream.frames_lost == 247 - len(frames)
    assert [f.index for f in frames] == list(range(len(frames)))


def test_a_file_cut_short_keeps_what_decodes(tmp_path: Path, videos_dir: Path) -> None:
    cut = make.cut_short(
        videos_dir / "single_person_soccer_ball_juggling.mp4", tmp_path / "cut.mp4"
    )
    stream = FrameStream(probe_video(cut))
    decoded = sum(1 for _ in stream)
    assert 0 < decoded < 247
    assert stream.frames_lost == 247 - decoded


def test_close_stops_the_thread_early(videos_dir: Path) -> None:
    info = probe_video(videos_dir / "single_person_soccer_ball_juggling.mp4")
    before = threading.active_count()
    with FrameStream(info, queue_size=2) as stream:
        next(iter(stream))
    assert stream.frames_decoded < 247
    deadline = time.monotonic() + 5
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert threading.active_count() == before


def _same_frames(resumed: list[DecodedFrame], whole: list[DecodedFrame]) -> None:
    assert [(f.index, f.time_s) for f in resumed] == [(f.index, f.time_s) for f in whole]
    assert all(np.array_equal(a.image, b.image) for a, b in zip(resumed, whole, strict=True))


def test_a_variable_frame_rate_video_resumes_with_the_same_indexes_and_times(
    tmp_path: Path,
) -> None:
    info = probe_video(make.write_vfr_video(tmp_path / "vfr.mp4", frames=40))
    whole = list(FrameStream(info))
    gaps = {round(b.time_s - a.time_s, 4) for a, b in itertools.pairwise(whole)}
    assert len(whole) == 40 and len(gaps) == 3  # really variable
    _same_frames(list(FrameStream(info, start_frame=23)), whole[23:])


def test_a_resume_past_broken_packets_numbers_frames_as_an_uninterrupted_run(
    tmp_path: Path, videos_dir: Path
) -> None:
    broken = make.corrupt_middle(
        videos_dir / "single_person_soccer_ball_juggling.mp4", tmp_path / "c.mp4"
    )
    info = probe_video(broken)
    stream = FrameStream(info)
    whole = list(stream)
    start = len(whole) * 3 // 4  # past the damage, which sits in the middle
    skipped: list[int] = []
    resumed_stream = FrameStream(info, start_frame=start, on_skip=skipped.append)
    resumed = list(resumed_stream)
    _same_frames(resumed, whole[start:])
    assert resumed_stream.frames_lost == stream.frames_lost > 0
    assert skipped and skipped == sorted(skipped) and skipped[-1] <= start


def test_a_resume_at_the_end_yields_nothing(tmp_path: Path) -> None:
    info = probe_video(make.write_video(tmp_path / "v.mp4", frames=12))
    stream = FrameStream(info, start_frame=12)
    assert list(stream) == []
    assert stream.frames_decoded == 12 and stream.frames_lost == 0
