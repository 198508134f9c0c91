"""Pose results as files: the streaming `poses.json` writer the CLI uses, and readers."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

from posepipe.pose.pipeline import ResultHeader
from posepipe.schema import SCHEMA_ID, FramePoses, PoseDocument, VideoMeta

_COPY_CHUNK = 1 << 20


class PoseFileSink:
    """Writes `poses.json` without holding the frames in memory.

    Frames are appended to a JSON-lines file as they finish; `finish` assembles the final
    document next to it. Both live in `work_dir`: the caller moves the result into place.
    """

    def __init__(self, work_dir: Path) -> None:
        self.work_dir = work_dir
        self.frames_path = work_dir / "frames.jsonl"
        self.document_path = work_dir / "poses.json"
        self._header: ResultHeader | None = None
        self._frames_file: TextIO | None = None

    def begin(self, header: ResultHeader) -> None:
        self._header = header
        self._frames_file = self.frames_path.open("w", encoding="utf-8")

    def write(self, frames: Sequence[FramePoses]) -> None:
        assert self._frames_file is not None, "begin() first"
        self._frames_file.writelines(f.model_dump_json(exclude_none=False) + "\n" for f in frames)

    def finish(self, video: VideoMeta) -> None:
        assert self._frames_file is not None and self._header is not None, "begin() first"
        self._frames_file.close()
        head = {
            "schema": SCHEMA_ID,
            "backend": self._header.backend,
            "backend_version": self._header.backend_version,
            "skeleton": self._header.skeleton.model_dump(mode="json"),
            "video": video.model_dump(mode="json"),
        }
        with self.document_path.open("w", encoding="utf-8") as out:
            out.write(json.dumps(head)[:-1] + ', "frames": [')
            with self.frames_path.open("r", encoding="utf-8") as frames:
                for n, line in enumerate(frames):
                    out.write(("," if n else "") + "\n" + line.rstrip("\n"))
            out.write("\n]}\n")

    def close(self) -> None:
        """Close the frames file if a run stopped half way."""
        if self._frames_file is not None and not self._frames_file.closed:
            self._frames_file.close()

    def iter_frames(self) -> Iterator[FramePoses]:
        """The frames written so far, in order, read back one at a time."""
        with self.frames_path.open("r", encoding="utf-8") as frames:
            for line in frames:
                yield FramePoses.model_validate_json(line)


def read_pose_document(path: Path) -> PoseDocument:
    """Load and validate a `poses.json`."""
    return PoseDocument.model_validate_json(path.read_bytes())
