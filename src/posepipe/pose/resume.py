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

    def to_document(self) -> dict[str, Any]:
        """Plain data for the job's resume_points document (FrameStore.save_resume_point)."""
        return {
            "next_frame": self.next_frame,
            "frames_with_people": self.frames_with_people,
            "tracker": self.tracker,
            "most_people": self.most_people,
        }

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> ResumePoint:
        """The inverse of `to_document`."""
        return cls(
            next_frame=int(doc["next_frame"]),
            frames_with_people=int(doc["frames_with_people"]),
            tracker=dict(doc["tracker"]),
            most_people=int(doc.get("most_people", 0)),
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
