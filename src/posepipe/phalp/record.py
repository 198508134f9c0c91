"""PHALP's per-frame result dicts, built from DeepSORT's track states one frame at a time.

`PHALP.track()` keeps these dicts in a local variable until the video ends; the hmr2
backend drives PHALP frame by frame instead, so it records them here with the same rules
(rendering off): after each frame, every *confirmed* track is listed with its latest
history entry and `tracked_time = time_since_update` (ghosts included, as PHALP does);
when a track is confirmed (its `n_init`-th consecutive hit) its `n_init - 1` earlier
frames are back-filled. `posepipe.phalp.convert` then reads these dicts exactly as it
reads a results file.

One difference, because the pipeline hands results on batch by batch: a frame can be
handed on before PHALP would know whether a track seen in it gets confirmed. `take()`
therefore also lists *tentative* tracks still alive at that moment (and back-fill skips
frames already handed on). A person who appears just before a batch ends keeps their
first frames; the price is that a false detection lasting 1-4 frames at the very end of
a batch (then lost) is kept where PHALP would drop it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

HISTORY_KEYS = (
    "center", "scale", "size", "img_path", "img_name", "class_name", "conf", "annotations",
    "smpl", "camera", "camera_bbox", "3d_joints", "2d_joints", "mask", "extra_data",
)
EVAL_KEYS = ("tracked_ids", "tracked_bbox", "tid", "bbox", "tracked_time")


class TrackState(Protocol):
    """What the recorder reads of a PHALP DeepSORT track."""

    track_id: int
    hits: int
    time_since_update: int
    track_data: Mapping[str, Any]

    def is_confirmed(self) -> bool: ...

    def is_deleted(self) -> bool: ...


def _append(
    frame: dict[str, Any], track_id: int, entry: Mapping[str, Any], tracked_time: int
) -> None:
    frame["tid"].append(track_id)
    frame["bbox"].append(entry["bbox"])
    frame["tracked_time"].append(tracked_time)
    for key in HISTORY_KEYS:
        frame[key].append(entry.get(key))
    if tracked_time == 0:
        frame["tracked_ids"].append(track_id)
        frame["tracked_bbox"].append(entry["bbox"])


class FrameRecorder:
    """Accumulates PHALP frame dicts until the caller takes them."""

    def __init__(self, n_init: int = 5) -> None:
        self.n_init = n_init
        self.backfills_skipped = 0  # back-fill aimed at frames already handed on
        self._pending: dict[str, dict[str, Any]] = {}
        self._tracked_frames: list[str] = []

    def record(self, t: int, frame_name: str, tracks: Sequence[TrackState], shot: int = 0) -> None:
        """Record frame `t` from the tracker's state right after its update for that frame."""
        frame: dict[str, Any] = {"time": t, "shot": shot, "frame_path": frame_name}
        for key in (*EVAL_KEYS, *HISTORY_KEYS):
            frame[key] = []
        self._pending[frame_name] = frame
        if tracks:  # PHALP lists a frame here only when the tracker holds any track
            self._tracked_frames.append(frame_name)
            del self._tracked_frames[: -self.n_init]
        for track in tracks:
            if not track.is_confirmed():
                continue
            history = track.track_data["history"]
            _append(frame, track.track_id, history[-1], track.time_since_update)
            if track.time_since_update == 0 and track.hits == self.n_init:
                self._backfill(track, history)

    def _backfill(self, track: TrackState, history: Sequence[Mapping[str, Any]]) -> None:
        for back in range(1, self.n_init):
            if back >= len(self._tracked_frames):
                break
            target = self._pending.get(self._tracked_frames[-1 - back])
            if target is None:
                self.backfills_skipped += 1
                continue
            _append(target, track.track_id, history[-1 - back], 0)

    def take(self, tracks: Iterable[TrackState]) -> list[dict[str, Any]]:
        """The frames recorded since the last call, oldest first, with live tentative tracks."""
        for track in tracks:
            if track.is_confirmed() or track.is_deleted() or track.time_since_update != 0:
                continue
            history = track.track_data["history"]
            for back in range(min(track.hits, len(history))):
                entry = history[-1 - back]
                target = self._pending.get(str(entry.get("img_path")))
                if target is not None:
                    _append(target, track.track_id, entry, 0)
        frames = list(self._pending.values())
        self._pending.clear()
        return frames
