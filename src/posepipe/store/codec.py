"""Pose results to MongoDB documents and back.

FerretDB (the MongoDB wire server the tests run where no `mongod` exists) stores no arrays
nested directly in arrays, and the result schema is full of them (`kp2d` is a list of
`[x, y, v]`). Documents therefore keep each point list flat (`[x0, y0, v0, x1, ...]`) and
reshape on the way out. Both FerretDB and `mongo:7` accept this shape, and
`people.track` stays queryable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from posepipe.schema import SCHEMA_ID, FramePoses, SkeletonInfo, VideoMeta


def frame_id(job_id: str, i: int) -> str:
    """The `_id` of a frame document: one per (job, frame), so a rewrite replaces it."""
    return f"{job_id}:{i}"


def frame_to_document(job_id: str, frame: FramePoses) -> dict[str, Any]:
    """A frame as stored in the `frames` collection."""
    return {
        "_id": frame_id(job_id, frame.i),
        "job_id": job_id,
        "i": frame.i,
        "t": frame.t,
        "people": [
            {
                "track": p.track,
                "bbox": list(p.bbox),
                "score": p.score,
                "kp2d": _flat(p.kp2d),
                "kp3d": None if p.kp3d is None else _flat(p.kp3d),
                "smpl": None
                if p.smpl is None
                else {
                    "global_orient": _flat_matrices(p.smpl.global_orient),
                    "body_pose": _flat_matrices(p.smpl.body_pose),
                    "betas": list(p.smpl.betas),
                },
                "camera": None if p.camera is None else list(p.camera),
            }
            for p in frame.people
        ],
    }


def frame_from_document(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored frame in the result schema's shape, as plain JSON-ready values."""
    return {
        "i": doc["i"],
        "t": doc["t"],
        "people": [
            {
                "track": p["track"],
                "bbox": p["bbox"],
                "score": p["score"],
                "kp2d": _triples(p["kp2d"]),
                "kp3d": None if p.get("kp3d") is None else _triples(p["kp3d"]),
                "smpl": None
                if p.get("smpl") is None
                else {
                    "global_orient": _matrices(p["smpl"]["global_orient"]),
                    "body_pose": _matrices(p["smpl"]["body_pose"]),
                    "betas": p["smpl"]["betas"],
                },
                "camera": p.get("camera"),
            }
            for p in doc["people"]
        ],
    }


def header_to_document(
    *, backend: str, backend_version: str, skeleton: SkeletonInfo, video: VideoMeta
) -> dict[str, Any]:
    """The result's header (everything but the frames), as kept in the results collection."""
    return {
        "backend": backend,
        "backend_version": backend_version,
        "skeleton": {
            "name": skeleton.name,
            "joints": list(skeleton.joints),
            "edges": [v for edge in skeleton.edges for v in edge],
        },
        "video": video.model_dump(mode="json"),
    }


def header_from_document(doc: dict[str, Any]) -> dict[str, Any]:
    """The result document without its frames, in the result schema's shape."""
    flat = doc["skeleton"]["edges"]
    return {
        "schema": SCHEMA_ID,
        "backend": doc["backend"],
        "backend_version": doc["backend_version"],
        "skeleton": {
            "name": doc["skeleton"]["name"],
            "joints": doc["skeleton"]["joints"],
            "edges": [[flat[k], flat[k + 1]] for k in range(0, len(flat), 2)],
        },
        "video": doc["video"],
    }


def _flat(points: Sequence[Sequence[float]]) -> list[float]:
    return [v for point in points for v in point]


def _triples(flat: list[float]) -> list[list[float]]:
    return [flat[k : k + 3] for k in range(0, len(flat), 3)]


def _flat_matrices(matrices: Sequence[Sequence[Sequence[float]]]) -> list[float]:
    return [v for m in matrices for row in m for v in row]


def _matrices(flat: list[float]) -> list[list[list[float]]]:
    rows = _triples(flat)
    return [rows[k : k + 3] for k in range(0, len(rows), 3)]
