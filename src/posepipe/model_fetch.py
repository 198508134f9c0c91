"""`posepipe models fetch`: download the hmr2 backend's files into MODEL_CACHE_DIR, once.

Downloads resume (HTTP Range on a `.part` file) and are checked against the size the
server announced and, where known, the size and checksum we expect; only a complete file
is renamed into place. The SMPL body model is never downloaded (its licence needs a
registration): it is converted or copied from where the person put it.
"""

from __future__ import annotations

import hashlib
import http.client
import importlib.util
import logging
import os
import pickle
import re
import shutil
import tarfile
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from posepipe.errors import DownloadFailed
from posepipe.models import (
    FOURD,
    HMR2_ARCHIVE_BYTES,
    HMR2_ARCHIVE_URL,
    SMPL_DROP_PATH,
    SMPL_PATHS,
    ModelFile,
    Source,
    by_source,
    files_for,
    is_present,
    smpl_instructions,
)

log = logging.getLogger(__name__)

_CHUNK = 1 << 20
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")
Progress = Callable[[str, int, int | None], None]  # name, bytes so far, total


@dataclass
class FetchReport:
    """What a fetch did, file by file (relative paths)."""

    fetched: list[str] = field(default_factory=list)
    already_present: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    failed_optional: list[tuple[str, str]] = field(default_factory=list)  # never block the backend
    manual: list[str] = field(default_factory=list)  # needs a person (SMPL)


def download(
    url: str,
    dest: Path,
    *,
    expected_size: int | None = None,
    sha256_prefix: str | None = None,
    timeout_s: float = 60.0,
    progress: Progress | None = None,
) -> None:
    """Fetch `url` into `dest`, resuming a `.part` left by an earlier try."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    offset = part.stat().st_size if part.exists() else 0
    if expected_size is not None and offset > expected_size:
        part.unlink()
        offset = 0
    if expected_size is not None and offset == expected_size:
        _finish(part, dest, expected_size, sha256_prefix)
        return
    headers = {"User-Agent": "posepipe-models-fetch"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                    timeout=timeout_s) as response:
            total, offset = _plan(response, offset, url)
            with part.open("ab" if offset else "wb") as out:
                done = offset
                while True:
                    try:
                        chunk = response.read(_CHUNK)
                    except http.client.IncompleteRead as exc:
                        out.write(exc.partial)  # keep what came, for the next resume
                        raise
                    if not chunk:
                        break
                    out.write(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(dest.name, done, total)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:  # nothing left past our offset: the part is whole
            _finish(part, dest, expected_size, sha256_prefix)
            return
        raise DownloadFailed(f"{url}: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        raise DownloadFailed(
            f"{url}: {getattr(exc, 'reason', exc)}; run fetch again to resume "
            f"({part.stat().st_size if part.exists() else 0} bytes kept)"
        ) from exc
    if total is not None and part.stat().st_size != total:
        raise DownloadFailed(
            f"{url}: the connection closed after {part.stat().st_size} of {total} bytes; "
            "run fetch again to resume"
        )
    _finish(part, dest, expected_size, sha256_prefix)


def _plan(response: object, offset: int, url: str) -> tuple[int | None, int]:
    """(total size, offset we continue from) for a response to a plain or Range request."""
    status = getattr(response, "status", 200)
    headers = getattr(response, "headers", {})
    if offset and status == 206:
        match = _CONTENT_RANGE.match(headers.get("Content-Range", ""))
        if match is None or int(match.group(1)) != offset:
            raise DownloadFailed(f"{url}: the server answered a different range than asked")
        return (None if match.group(3) == "*" else int(match.group(3))), offset
    if status != 200:
        raise DownloadFailed(f"{url}: unexpected HTTP status {status}")
    length = headers.get("Content-Length")
    return (int(length) if length else None), 0  # no Range support: start over


def _finish(part: Path, dest: Path, expected_size: int | None, sha256_prefix: str | None) -> None:
    size = part.stat().st_size
    if expected_size is not None and size != expected_size:
        part.unlink()
        raise DownloadFailed(
            f"{dest.name}: got {size} bytes, expected {expected_size}; the partial file was "
            "removed, run fetch again"
        )
    if sha256_prefix is not None:
        digest = _sha256(part)
        if not digest.startswith(sha256_prefix):
            part.unlink()
            raise DownloadFailed(
                f"{dest.name}: checksum {digest[:12]}... does not start with {sha256_prefix}; "
                "the file was removed"
            )
    os.replace(part, dest)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def extract_archive(archive: Path, dest: Path) -> None:
    """Unpack a tar archive into `dest`, refusing members that would land outside it."""
    root = dest.resolve()
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            target = (root / member.name).resolve()
            if not target.is_relative_to(root) or member.islnk() or member.issym():
                raise DownloadFailed(f"{archive.name}: refusing unsafe member {member.name!r}")
            if not (member.isfile() or member.isdir()):
                raise DownloadFailed(f"{archive.name}: refusing special member {member.name!r}")
        # Members were checked above; the "data" filter (Python >= 3.11.4) checks again.
        if hasattr(tarfile, "data_filter"):
            tar.extractall(root, filter="data")
        else:  # pragma: no cover - older Python 3.10/3.11 patch releases
            tar.extractall(root)


def fetch_models(
    cache_dir: Path,
    detectors: tuple[str, ...] = ("vitdet",),
    *,
    keep_archive: bool = False,
    mirror: str | None = None,
    progress: Progress | None = None,
) -> FetchReport:
    """Download whatever may be downloaded, unpack the HMR2 archive, place the SMPL file.

    With `mirror` (the URL of another machine's model cache folder, served over HTTP),
    every file but SMPL is fetched from `<mirror>/<its path in the cache>` instead: the
    upstream links have moved before, and a team can share one fetched copy.
    """
    report = FetchReport()
    wanted: dict[str, ModelFile] = {}
    for detector in detectors:
        wanted.update({f.path: f for f in files_for(detector)})
    files = list(wanted.values())
    for model in files:
        if is_present(cache_dir, model):
            report.already_present.append(model.path)
    archive_files = [f for f in by_source(files, Source.HMR2_ARCHIVE)
                     if not is_present(cache_dir, f)]
    if archive_files and mirror is None:
        _fetch_archive(cache_dir, archive_files, keep_archive, progress, report)
    singles = by_source(files, Source.DOWNLOAD)
    if mirror is not None:
        singles += archive_files
    for model in singles:
        if is_present(cache_dir, model):
            continue
        url = f"{mirror.rstrip('/')}/{model.path}" if mirror is not None else model.url
        assert url is not None
        try:
            download(url, cache_dir / model.path, expected_size=model.size,
                     sha256_prefix=model.sha256_prefix, progress=progress)
            report.fetched.append(model.path)
        except DownloadFailed as exc:
            failed = report.failed_optional if model.optional else report.failed
            failed.append((model.path, exc.message))
    problem = place_smpl(cache_dir)
    if problem is not None:
        report.manual.extend(p for p in SMPL_PATHS if not (cache_dir / p).is_file())
        log.info("SMPL not placed: %s", problem)
    else:
        report.fetched.extend(p for p in SMPL_PATHS if p not in report.already_present)
    return report


def _fetch_archive(
    cache_dir: Path,
    members: list[ModelFile],
    keep_archive: bool,
    progress: Progress | None,
    report: FetchReport,
) -> None:
    archive = cache_dir / FOURD / "hmr2_data.tar.gz"
    try:
        if not archive.is_file():
            download(HMR2_ARCHIVE_URL, archive, progress=progress)
        if archive.stat().st_size != HMR2_ARCHIVE_BYTES:
            log.warning("hmr2_data.tar.gz is %d bytes; a third-party note says %d (the upstream "
                        "archive may have changed)", archive.stat().st_size, HMR2_ARCHIVE_BYTES)
        extract_archive(archive, cache_dir / FOURD)
    except (DownloadFailed, tarfile.TarError, EOFError, OSError) as exc:
        message = exc.message if isinstance(exc, DownloadFailed) else f"{archive.name}: {exc}"
        report.failed.extend((m.path, message) for m in members)
        return
    for model in members:
        if is_present(cache_dir, model):
            report.fetched.append(model.path)
        else:
            report.failed.append((model.path, "not in hmr2_data.tar.gz"))
    if not keep_archive:
        # The backend never re-downloads (it replaces 4D-Humans' download_models), so the
        # 2.7 GB archive is dead weight once unpacked.
        archive.unlink()


def place_smpl(cache_dir: Path) -> str | None:
    """Put SMPL_NEUTRAL.pkl where 4D-Humans and PHALP read it; None when done, else why not."""
    targets = [cache_dir / p for p in SMPL_PATHS]
    present = [t for t in targets if t.is_file() and t.stat().st_size > 0]
    if present:
        for target in targets:
            if target not in present:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(present[0], target)
        return None
    original = cache_dir / SMPL_DROP_PATH
    if not original.is_file():
        return smpl_instructions(cache_dir)
    if importlib.util.find_spec("chumpy") is None:
        return (
            f"{original} is there, but converting it needs chumpy (part of the hmr2 extra); "
            "run `posepipe models fetch` inside the pose-service image"
        )
    _convert_smpl(original, targets)
    return None


def _convert_smpl(original: Path, targets: list[Path]) -> None:
    """Re-save the Python 2 SMPL pickle for Python 3, as 4D-Humans' convert_pkl does."""
    # This loads the file the person downloaded from the SMPL site themselves, with the
    # unrestricted unpickler the SMPL model needs (it holds chumpy and scipy objects).
    with original.open("rb") as handle:
        model = pickle.load(handle, encoding="latin1")
    for target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        with tmp.open("wb") as out:
            pickle.dump(model, out)
        os.replace(tmp, target)
