"""probe_video on real clips, synthetic clips, and every kind of bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from posepipe.errors import InvalidInput, NotAVideo, UndecodableVideo
from posepipe.video.probe import clockwise_rotation, probe_video
from tests import media_factory as make


@pytest.mark.parametrize(
    ("name", "size", "fps", "frames"),
    [
        ("single_person_running_indoor_track.mp4", (1920, 1088), 30.0, 180),
        ("single_person_squats_portrait.mp4", (720, 1280), 5.0, 65),
        ("single_person_soccer_ball_juggling.mp4", (1280, 720), 24.0, 247),
        ("multi_person_kids_jumping_on_bed.mp4", (960, 540), 30.0, 200),
    ],
)
def test_real_clips(
    videos_dir: Path, name: str, size: tuple[int, int], fps: float, frames: int
) -> None:
    info = probe_video(videos_dir / name)
    assert (info.width, info.height) == size
    assert info.fps == pytest.approx(fps, rel=1e-3)
    assert info.frames == frames
    assert info.codec == "h264"
    assert info.rotation == 0
    assert info.duration_s == pytest.approx(frames / fps, rel=0.02)


@pytest.mark.parametrize(("tag", "clockwise"), [(90, 270), (-90, 90), (180, 180)])
def test_rotation_tag_swaps_displayed_size(tmp_path: Path, tag: int, clockwise: int) -> None:
    info = probe_video(make.write_video(tmp_path / "r.mp4", width=160, height=120, rotation=tag))
    assert info.rotation == clockwise
    expected = (120, 160) if clockwise in (90, 270) else (160, 120)
    assert (info.width, info.height) == expected
    assert info.coded_size == (160, 120)


def test_clockwise_rotation_follows_ffmpeg() -> None:
    # FFmpeg's display matrix angle is counter-clockwise; phones tag portrait video -90.
    assert clockwise_rotation(-90.0) == 90
    assert clockwise_rotation(90.0) == 270
    assert clockwise_rotation(0.0) == 0
    assert clockwise_rotation(180.0) == 180


def _bad_inputs(tmp_path: Path, juggling: Path) -> dict[str, tuple[Path, type[InvalidInput], str]]:
    text = tmp_path / "notes.mp4"
    text.write_text("this is a text file, not a video\n")
    # Named .txt and long enough, FFmpeg's tty demuxer would render it as a "video".
    long_text = tmp_path / "notes.txt"
    long_text.write_text("a line of notes, not a video\n" * 200)
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    return {
        "missing": (tmp_path / "missing.mp4", InvalidInput, "no such file"),
        "empty": (empty, NotAVideo, "empty"),
        "text": (text, NotAVideo, "not a video file"),
        "long_text": (long_text, NotAVideo, "a text file, not a video"),
        "png": (make.write_png(tmp_path / "still.mp4"), NotAVideo, "still image"),
        "random": (make.write_random_bytes(tmp_path / "random.mp4"), NotAVideo, "not a video"),
        "audio": (make.write_audio_only(tmp_path / "audio.mp4"), NotAVideo, "no video stream"),
        "moov_cut": (
            make.cut_short(
                make.write_moov_at_end(juggling, tmp_path / "full.mp4"), tmp_path / "cut.mp4"
            ),
            UndecodableVideo,
            "cut short",
        ),
        "folder": (tmp_path, InvalidInput, "not a regular file"),
    }


@pytest.mark.parametrize(
    "case",
    ["missing", "empty", "text", "long_text", "png", "random", "audio", "moov_cut", "folder"],
)
def test_bad_input_names_the_file_and_the_reason(
    tmp_path: Path, videos_dir: Path, case: str
) -> None:
    path, error, reason = _bad_inputs(
        tmp_path, videos_dir / "single_person_soccer_ball_juggling.mp4"
    )[case]
    with pytest.raises(error) as raised:
        probe_video(path)
    assert str(path) in raised.value.message
    assert reason in raised.value.message


def test_a_file_cut_short_with_its_index_first_still_probes(
    tmp_path: Path, videos_dir: Path
) -> None:
    # The index (moov) is at the start of these clips: the header survives, frames are lost.
    cut = make.cut_short(
        videos_dir / "single_person_soccer_ball_juggling.mp4", tmp_path / "cut.mp4"
    )
    assert probe_video(cut).frames == 247
