"""A job's result as one streamed document: JSON (`posepipe.poses/1`) or CSV.

Frames are read from MongoDB a batch at a time and written out as they come, so an
hour-long video is served without holding its frames in memory.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from typing import Any

CSV_COLUMNS = [
    "frame", "t", "track", "joint", "joint_name", "x", "y", "visibility",
    "x3d", "y3d", "z3d", "score",
]


async def poses_json(
    header: dict[str, Any], frames: AsyncIterator[dict[str, Any]]
) -> AsyncIterator[bytes]:
    """The result document, written frame by frame."""
    head = json.dumps(header, separators=(",", ":"))
    yield (head[:-1] + ',"frames":[').encode()
    first = True
    async for frame in frames:
        yield (("" if first else ",") + json.dumps(frame, separators=(",", ":"))).encode()
        first = False
    yield b"]}\n"


async def poses_csv(
    header: dict[str, Any], frames: AsyncIterator[dict[str, Any]]
) -> AsyncIterator[str]:
    """One row per (frame, track, joint); 3D columns empty when the backend has none."""
    joints: list[str] = header["skeleton"]["joints"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    yield _take(buffer)
    async for frame in frames:
        for person in frame["people"]:
            kp3d = person.get("kp3d")
            for j, (x, y, v) in enumerate(person["kp2d"]):
                x3, y3, z3 = kp3d[j] if kp3d else ("", "", "")
                name = joints[j] if j < len(joints) else ""
                writer.writerow(
                    [frame["i"], frame["t"], person["track"], j, name, x, y, v, x3, y3, z3,
                     person["score"]]
                )
        if buffer.tell():
            yield _take(buffer)


def _take(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
