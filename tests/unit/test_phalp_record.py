"""The frame-by-frame recorder the hmr2 backend uses agrees with PHALP's whole-video output.

DeepSORT's track life cycle is replayed here as PHALP's `deep_sort_/track.py` defines it
(tentative until `n_init` hits, deleted on a miss while tentative or after `max_age`
misses, history deque pre-filled with the first detection), driven by the fixture's
scripted detections; the recorder's frames must match what the fixture writer (which
follows `PHALP.track()`) produces for the same scenario.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import pytest

from posepipe.phalp.convert import iter_frames
from posepipe.phalp.record import FrameRecorder
from tests.unit.phalp_fixture import (
    FRAMES,
    MAX_AGE,
    N_INIT,
    SCENARIO,
    ScriptedTrack,
    _detection,
    build_results,
    frame_path,
)

HISTORY = 7


class _Track:
    def __init__(self, track_id: int, detection: dict[str, Any]) -> None:
        self.track_id = track_id
        self.hits = 1
        self.time_since_update = 0
        self.state = "tentative"
        self.track_data = {"history": deque([detection] * HISTORY, maxlen=HISTORY)}

    def is_confirmed(self) -> bool:
        return self.state == "confirmed"

    def is_deleted(self) -> bool:
        return self.state == "deleted"

    def update(self, detection: dict[str, Any]) -> None:
        self.track_data["history"].append(detection)
        self.hits += 1
        self.time_since_update = 0
        if self.state == "tentative" and self.hits >= N_INIT:
            self.state = "confirmed"

    def mark_missed(self) -> None:
        if self.state == "tentative" or self.time_since_update > MAX_AGE:
            self.state = "deleted"


def _replay(scenario: tuple[ScriptedTrack, ...], frames: int, take_every: int,
            width: int = 1920, height: int = 1080) -> tuple[dict[str, dict], FrameRecorder]:
    recorder = FrameRecorder(n_init=N_INIT)
    tracks: dict[int, _Track] = {}
    out: dict[str, dict] = {}
    for t in range(frames):
        for track in tracks.values():
            track.time_since_update += 1  # predict()
        for index, scripted in enumerate(s for s in scenario if t in s.frames):
            detection = _detection(scripted, t, index, width, height)
            if scripted.tid in tracks and not tracks[scripted.tid].is_deleted():
                tracks[scripted.tid].update(detection)
            else:
                tracks[scripted.tid] = _Track(scripted.tid, detection)
        for track in tracks.values():
            if track.time_since_update > 0:
                track.mark_missed()
        tracks = {k: v for k, v in tracks.items() if not v.is_deleted()}
        recorder.record(t, frame_path(t), list(tracks.values()))
        if (t + 1) % take_every == 0 or t == frames - 1:
            out.update({f["frame_path"]: f for f in recorder.take(tracks.values())})
    return out, recorder


def _listing(results: dict[str, dict]) -> dict[int, list[tuple[int, int]]]:
    return {f["time"]: sorted(zip(f["tid"], f["tracked_time"], strict=True))
            for f in results.values()}


def test_recording_the_whole_video_at_once_matches_phalp() -> None:
    recorded, recorder = _replay(SCENARIO, FRAMES, take_every=FRAMES)
    assert _listing(recorded) == _listing(build_results())
    assert {len(f) for f in recorded.values()} == {23}
    assert recorder.backfills_skipped == 0


@pytest.mark.parametrize(("take_every", "blip_frames"),
                         [(1, {20, 21}), (3, {20}), (8, set()), (16, set())])
def test_batches_keep_phalps_people(take_every: int, blip_frames: set[int]) -> None:
    recorded, _ = _replay(SCENARIO, FRAMES, take_every=take_every)
    people = {f.index: sorted(p.track_hint for p in f.people)
              for f in iter_frames(recorded, 1920, 1080)}
    expected = {f.index: sorted(p.track_hint for p in f.people)
                for f in iter_frames(build_results(), 1920, 1080)}
    # Track 3 (frames 20-21, never confirmed) is kept only where a batch ended while it lived.
    for t in blip_frames:
        expected[t] = sorted([*expected[t], 3])
    assert people == expected


def test_a_person_appearing_at_a_batch_end_keeps_their_first_frames() -> None:
    late = (ScriptedTrack(7, frozenset(range(6, 20)), 0.0),)
    recorded, recorder = _replay(late, 20, take_every=8)
    people = {f.index: [p.track_hint for p in f.people] for f in iter_frames(recorded, 1920, 1080)}
    assert [t for t, ids in people.items() if ids] == list(range(6, 20))
    assert recorder.backfills_skipped == 2  # frames 6 and 7 were handed on as tentative


def test_a_blip_at_a_batch_end_is_the_known_difference() -> None:
    blip = (ScriptedTrack(9, frozenset({6, 7}), 0.0),)
    batched, _ = _replay(blip, 12, take_every=8)
    whole, _ = _replay(blip, 12, take_every=12)
    assert [f.index for f in iter_frames(batched, 1920, 1080) if f.people] == [6, 7]
    assert [f.index for f in iter_frames(whole, 1920, 1080) if f.people] == []
