"""Where an interrupted run goes on from: the resume point saved with each stored batch.

A job's frames are stored batch by batch; after each batch the worker saves a `ResumePoint`
(strictly after the frames it describes), so a redelivered job starts after the last stored
frame with the tracker as it was there, and track ids continue across the crash.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ResumePoint:
    """Every frame before `next_frame` is stored; `tracker` is Tracker.snapshot() after it."""

    next_frame: int
    frames_with_people: int
    tracker: dict[str, Any]
    most_people: int = 0  # the most people in one frame so far
    # The last stored frame's timestamp (stream time base; None: it had none). Pose
    # processes, which seek by timestamp, start at the first frame after it; one process
    # counts `next_frame` frames instead. The two agree: frames are numbered by their rank
    # among the frames that decode, in timestamp order wherever pose processes are used.
    after_pts: int | None = None

    def to_document(self) -> dict[str, Any]:
        """Plain data for the job's resume_points document (FrameStore.save_resume_point)."""
        return {
            "next_frame": self.next_frame,
            "frames_with_people": self.frames_with_people,
            "tracker": self.tracker,
            "most_people": self.most_people,
            "after_pts": self.after_pts,
        }

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> ResumePoint:
        """The inverse of `to_document`."""
        return cls(
            next_frame=int(doc["next_frame"]),
            frames_with_people=int(doc["frames_with_people"]),
            tracker=dict(doc["tracker"]),
            most_people=int(doc.get("most_people", 0)),
            after_pts=None if doc.get("after_pts") is None else int(doc["after_pts"]),
        )


def without_hints(tracker_state: dict[str, Any]) -> dict[str, Any]:
    """A tracker snapshot whose tracks forget the backend's own ids.

    A backend that tracks by itself (PHALP) starts its numbering afresh in a new process: its
    id 1 after a resume is not the person its id 1 was before, so the old hints must not
    match. Those people get new track ids instead (the README's resume limits say so).
    """
    return {
        **tracker_state,
        "tracks": [{**t, "hint": None} for t in tracker_state["tracks"]],
        "hints": [],
    }
