"""Several people on the CPU, scored on the kids clip: who is found, and whose id is whose.

1. Detection: the multi-person mediapipe backend (up to 4 people) at three threshold sets
   (MediaPipe Tasks' defaults, the research note's, posepipe's), counted in the 123 frames
   where both children can be seen (by looking: data/reference/SOURCES.md).
2. Tracking: posepipe's own observations (its thresholds) fed to three trackers: the box
   tracker posepipe had (bench/box_tracker.py), norfair following joints (what posepipe runs
   now, src/posepipe/pose/tracking.py) and supervision's ByteTrack. Scored by
   tests/kids_clip.py: id switches (a track id whose next skeleton is the other child's),
   ids per child and how often each child's id changes (fragmentation), distinct ids, ids
   followed for half a second or more, skeletons left without an id.

Nothing here is timed: the figures are the same on every run on the same machine.

    .venv/bin/python -m pip install 'supervision==0.30.0'   # ByteTrack (removed in 0.31)
    .venv/bin/python bench/tracking_bench.py [--json out/tracking_bench.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the test suite's ground truth for the kids clip

from bench.box_tracker import BoxTracker  # noqa: E402
from tests import kids_clip  # noqa: E402
from tests.conftest import VIDEOS  # noqa: E402

from posepipe.pose.backend import Observation  # noqa: E402
from posepipe.pose.mediapipe_multi import MediaPipeMultiBackend  # noqa: E402
from posepipe.pose.tracking import Tracker  # noqa: E402
from posepipe.video.decode import DecodedFrame, FrameStream  # noqa: E402
from posepipe.video.probe import probe_video  # noqa: E402

THRESHOLDS = {  # detection, presence, tracking
    "Tasks' defaults": (0.5, 0.5, 0.5),
    "research note": (0.3, 0.3, 0.3),
    "posepipe": (0.3, 0.3, 0.7),
}
Frames = list[list[Observation]]
IdFn = Callable[[int, list[Observation]], list[int | None]]


def detect(
    frames: list[DecodedFrame], thresholds: tuple[float, float, float], cache: Path
) -> Frames:
    detection, presence, tracking = thresholds
    backend = MediaPipeMultiBackend(
        max_people=4,
        model_cache_dir=cache,
        min_detection_confidence=detection,
        min_presence_confidence=presence,
        min_tracking_confidence=tracking,
    )
    backend.start_video(probe_video(VIDEOS / kids_clip.CLIP))
    found = [backend.infer([frame])[0] for frame in frames]
    backend.close()
    return found


def byte_track(match: float, lost: int = 15) -> IdFn:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ByteTrack is deprecated in supervision 0.30
        import supervision as sv

        tracker = sv.ByteTrack(
            track_activation_threshold=0.25,
            lost_track_buffer=lost,
            minimum_matching_threshold=match,
            frame_rate=30,
            minimum_consecutive_frames=1,
        )

    def update(_: int, people: list[Observation]) -> list[int | None]:
        if not people:
            tracker.update_with_detections(sv.Detections.empty())
            return []
        detections = sv.Detections(
            xyxy=np.array([p.bbox for p in people], dtype=float),
            confidence=np.array([p.score for p in people]),
            data={"n": np.arange(len(people))},
        )
        out = tracker.update_with_detections(detections)
        ids: list[int | None] = [None] * len(people)
        if len(out):
            for n, track in zip(out.data["n"], out.tracker_id, strict=True):
                ids[int(n)] = int(track)
        return ids

    return update


def score(found: Frames, ids_of: IdFn) -> dict[str, Any]:
    scored, without_id, seen = [], 0, {}
    for i, people in enumerate(found):
        ids = ids_of(i, people)
        kept = []
        for track, person in zip(ids, people, strict=True):
            if track is None:
                without_id += 1
                continue
            kept.append((track, person.kp2d, person.score))
            seen[track] = seen.get(track, 0) + 1
        scored.append(kept)
    result = kids_clip.score_tracks(scored)
    return {
        "switches": result.switches,
        "mixed_tracks": result.mixed_tracks,
        "girl_ids": result.ids["girl"],
        "boy_ids": result.ids["boy"],
        "girl_id_changes": result.id_changes["girl"],
        "boy_id_changes": result.id_changes["boy"],
        "distinct_ids": len(result.distinct),
        "ids_half_a_second": sum(1 for n in seen.values() if n >= 15),
        "skeletons_without_id": without_id,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path, default=REPO / "out" / "tracking_bench.json")
    args = parser.parse_args()
    frames = list(FrameStream(probe_video(VIDEOS / kids_clip.CLIP)))
    results: dict[str, Any] = {"both_visible": len(kids_clip.BOTH_VISIBLE), "detection": {}}
    with tempfile.TemporaryDirectory() as cache:
        found = {name: detect(frames, t, Path(cache)) for name, t in THRESHOLDS.items()}
    print(f"| thresholds (detection, presence, tracking) | both children found, of "
          f"{results['both_visible']} | frames with 2+ people |\n|---|---|---|")
    for name, people in found.items():
        both = kids_clip.score_tracks(
            [[(n, p.kp2d, p.score) for n, p in enumerate(f)] for f in people]
        ).both_found
        results["detection"][name] = {"thresholds": THRESHOLDS[name], "both_found": both}
        print(f"| {name} {THRESHOLDS[name]} | {both} ({100 * both / results['both_visible']:.0f}%)"
              f" | {sum(len(f) >= 2 for f in people)} |")

    trackers: dict[str, Callable[[], IdFn]] = {
        "box (IoU >= 0.1 or near centre), before": lambda: BoxTracker(15, 0.1).update,
        "norfair joints, max distance 0.3": lambda: Tracker(15, 0.3).update,
        "norfair joints, max distance 0.4 (posepipe)": lambda: Tracker(15, 0.4).update,
        "norfair joints, max distance 0.5": lambda: Tracker(15, 0.5).update,
        "norfair joints, max distance 0.6": lambda: Tracker(15, 0.6).update,
        "ByteTrack, matching 0.8 (its default)": lambda: byte_track(0.8),
        "ByteTrack, matching 0.9": lambda: byte_track(0.9),
        "ByteTrack, matching 0.5": lambda: byte_track(0.5),
    }
    ours = found["posepipe"]
    results["tracking"] = {name: score(ours, make()) for name, make in trackers.items()}
    print("\n| tracker (15 frames lost at most) | id switches | girl's ids | boy's ids | "
          "id changes girl / boy | distinct ids | ids of 0.5 s+ | skeletons without id |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in results["tracking"].items():
        print(f"| {name} | {r['switches']} | {r['girl_ids']} | {r['boy_ids']} | "
              f"{r['girl_id_changes']} / {r['boy_id_changes']} | {r['distinct_ids']} | "
              f"{r['ids_half_a_second']} | {r['skeletons_without_id']} |")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))
    print(f"\n{args.json}")


if __name__ == "__main__":
    main()
