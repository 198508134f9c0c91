"""Receive a multipart upload straight to disk, enforcing the size limit while it streams.

FastAPI's `UploadFile` parses the whole body before the route runs, so a 10 GB upload
would be read (to a spooled file) before it could be refused. Here the body is parsed as
it arrives (python-multipart's push parser): each expected file part (`file` for a video,
`results` and `video` for an import) goes to a staging file and through SHA-256 chunk by
chunk, and the upload is refused with 413 as soon as the files together pass MAX_UPLOAD_MB
(at once when Content-Length already says so).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from posepipe.errors import InvalidInput, NoFileUploaded, UploadTooLarge
from posepipe.store.media import MediaStore
from posepipe.video.probe import VideoInfo, probe_video

# Room for the multipart framing around the file (boundaries, part headers, small fields).
_FRAMING_BYTES = 64 * 1024
_EXTENSION = re.compile(r"^[a-z0-9]{1,8}$")
_MAX_NAME = 200


@dataclass(frozen=True)
class StagedUpload:
    """A received file, on local disk, not yet in the media store."""

    path: Path
    filename: str
    extension: str
    size_bytes: int
    sha256: str


def safe_filename(raw: str) -> str:
    """The last path component of a client's file name, printable, at most 200 characters."""
    name = PureWindowsPath(PurePosixPath(raw).name).name
    name = "".join(c for c in unicodedata.normalize("NFC", name) if c.isprintable())
    name = name.strip().lstrip(".")
    return name[-_MAX_NAME:] or "video"


def extension_of(filename: str) -> str:
    """The lower-case extension when it looks like one (`mp4`), else `video`."""
    suffix = PurePosixPath(filename).suffix.lower().lstrip(".")
    return suffix if _EXTENSION.match(suffix) else "video"


def probe_upload(staged: StagedUpload) -> VideoInfo:
    """Probe a staged upload; a refusal names the client's file, never the staging path."""
    try:
        return probe_video(staged.path)
    except InvalidInput as exc:
        # probe_video names the path it was given (the CLI wants that); here that path is a
        # server detail the client neither knows nor should see.
        message = exc.message.replace(str(staged.path), staged.filename)
        raise type(exc)(message) from exc


@dataclass
class _Part:
    """One expected file part as it streams in: its staging file and running hash."""

    path: Path
    file: Any
    filename: str
    size: int = 0
    hasher: Any = field(default_factory=hashlib.sha256)
    done: bool = False

    def staged(self) -> StagedUpload:
        return StagedUpload(
            path=self.path,
            filename=self.filename,
            extension=PurePosixPath(self.path.name).suffix.lstrip("."),
            size_bytes=self.size,
            sha256=self.hasher.hexdigest(),
        )


class _Receiver:
    """python-multipart callbacks: each expected file part to disk, anything else counted."""

    def __init__(
        self,
        media: MediaStore,
        limit_bytes: int,
        fields: tuple[str, ...],
        suffixes: Mapping[str, str],
    ) -> None:
        self.media = media
        self.limit_bytes = limit_bytes
        self.fields = fields
        self.suffixes = suffixes
        self.parts: dict[str, _Part] = {}
        self._current: _Part | None = None
        self._total = 0
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._headers: dict[str, bytes] = {}
        self._other_bytes = 0

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda d, s, e: self._header_field.extend(d[s:e]),
            "on_header_value": lambda d, s, e: self._header_value.extend(d[s:e]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _part_begin(self) -> None:
        self._headers = {}
        self._current = None

    def _header_end(self) -> None:
        self._headers[bytes(self._header_field).decode("latin-1").lower()] = bytes(
            self._header_value
        )
        self._header_field.clear()
        self._header_value.clear()

    def _headers_finished(self) -> None:
        disposition, params = parse_options_header(self._headers.get("content-disposition", b""))
        name = params.get(b"name", b"").decode("utf-8", "replace")
        if disposition != b"form-data" or name not in self.fields or name in self.parts:
            return
        filename = safe_filename(params.get(b"filename", b"").decode("utf-8", "replace"))
        path = self.media.staging_path(self.suffixes.get(name, "." + extension_of(filename)))
        self._current = self.parts[name] = _Part(path, path.open("wb"), filename)

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        part = self._current
        if part is None:
            self._other_bytes += end - start
            if self._other_bytes > _FRAMING_BYTES:
                raise InvalidInput(f"the form fields besides {_names(self.fields)} are too large")
            return
        # The limit is on all the files together, so it holds however they are split.
        self._total += end - start
        if self._total > self.limit_bytes:
            raise UploadTooLarge(_too_large(self.limit_bytes))
        chunk = data[start:end]
        part.size += len(chunk)
        part.hasher.update(chunk)
        part.file.write(chunk)

    def _part_end(self) -> None:
        if self._current is not None:
            self._current.file.close()
            self._current.done = True
            self._current = None

    def discard(self) -> None:
        for part in self.parts.values():
            part.file.close()
            part.path.unlink(missing_ok=True)


def _names(fields: tuple[str, ...]) -> str:
    quoted = [f"`{name}`" for name in fields]
    return " and ".join(filter(None, [", ".join(quoted[:-1]), quoted[-1]]))


def _fields(fields: tuple[str, ...]) -> str:
    return ("fields " if len(fields) > 1 else "field ") + _names(fields)


def _too_large(limit_bytes: int) -> str:
    limit_mb = limit_bytes // (1024 * 1024)
    return f"the upload is larger than the limit of {limit_mb} MB (MAX_UPLOAD_MB)"


async def receive_files(
    request: Request,
    media: MediaStore,
    limit_mb: int,
    fields: tuple[str, ...] = ("file",),
    suffixes: Mapping[str, str] | None = None,
) -> dict[str, StagedUpload]:
    """Stream each of `fields` into a staging file, by field name; nothing is left on failure.

    `suffixes` fixes a field's staging-file suffix (`{"results": ".pkl"}`); otherwise it
    comes from the client's file name.
    """
    limit_bytes = limit_mb * 1024 * 1024
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise NoFileUploaded(f"send multipart/form-data with the {_fields(fields)}")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit_bytes + _FRAMING_BYTES:
        raise UploadTooLarge(_too_large(limit_bytes))

    receiver = _Receiver(media, limit_bytes, fields, suffixes or {})
    parser = MultipartParser(boundary, receiver.callbacks())  # type: ignore[arg-type]
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except ClientDisconnect as exc:
        receiver.discard()
        raise InvalidInput("the client went away before the upload was complete") from exc
    except MultipartParseError as exc:
        receiver.discard()
        raise InvalidInput(f"the multipart body is malformed ({exc})") from exc
    except BaseException:
        receiver.discard()
        raise
    missing = tuple(f for f in fields if f not in receiver.parts or not receiver.parts[f].done)
    if missing:
        receiver.discard()
        raise NoFileUploaded(f"no file in the multipart {_fields(missing)}")
    return {name: part.staged() for name, part in receiver.parts.items()}
