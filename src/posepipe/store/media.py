"""Where uploaded videos and rendered overlays live: a folder now, an object store later.

Keys are relative names (`<sha256>.mp4`, `overlays/<job_id>.mp4`) that services share
through the store, never paths a user chose. `LocalMediaStore` keeps them under MEDIA_DIR;
several hosts share it as a network volume. An S3-compatible store would implement the
same protocol: `staging_path` and `local_path` give local files because PyAV decodes files
(an S3 store stages uploads on local disk, uploads them in `commit`, and downloads to a
cache in `local_path`); `commit` is the one place an object appears, whole, under its key.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path
from typing import Protocol

from posepipe.errors import PosepipeError

_KEY = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$")
_STAGING = ".staging"


class MediaStore(Protocol):
    """Named binary objects (videos, overlays) shared by the API and the workers."""

    def staging_path(self, suffix: str = ".part") -> Path:
        """A fresh local path to write a file that is not yet in the store."""
        ...

    def commit(self, staged: Path, key: str) -> None:
        """Move a finished local file into the store under `key` (replacing any)."""
        ...

    def local_path(self, key: str) -> Path:
        """A local file holding the object's bytes, for decoding or serving."""
        ...

    def exists(self, key: str) -> bool:
        """True when an object is stored under `key`."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object if it is there."""
        ...


def check_key(key: str) -> str:
    """`key` if it is a safe relative name (no `..`, no absolute path); else an error."""
    if not _KEY.match(key) or any(part in ("", ".", "..") for part in key.split("/")):
        raise PosepipeError(f"not a valid media key: {key!r}")
    return key


class LocalMediaStore:
    """A folder on a local disk or a volume every service mounts at MEDIA_DIR."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        (self.root / _STAGING).mkdir(parents=True, exist_ok=True)

    def staging_path(self, suffix: str = ".part") -> Path:
        # In the same folder tree as the objects, so `commit` is an atomic rename.
        return self.root / _STAGING / f"{uuid.uuid4().hex}{suffix}"

    def commit(self, staged: Path, key: str) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged, target)

    def local_path(self, key: str) -> Path:
        return self._path(key)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def _path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if self.root not in path.parents:
            raise PosepipeError(f"media key {key!r} points outside the media folder")
        return path


def video_key(video_id: str, extension: str) -> str:
    """Where an uploaded video is kept: named by its SHA-256, so a second upload reuses it."""
    return check_key(f"{video_id}.{extension}")


def overlay_key(job_id: str) -> str:
    """Where a job's overlay video is kept."""
    return check_key(f"overlays/{job_id}.mp4")
