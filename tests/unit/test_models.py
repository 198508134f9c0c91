"""`posepipe models check|fetch` against real folder trees and a real local HTTP server."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from posepipe.errors import DownloadFailed
from posepipe.model_fetch import download, extract_archive, fetch_models, place_smpl
from posepipe.models import (
    FOURD,
    MODEL_FILES,
    SMPL_PATHS,
    ModelFile,
    Source,
    files_for,
    is_present,
    missing_model_files,
    required_files,
)


def _content(path: str) -> bytes:
    return (path.encode() * 50)[: 3000 + len(path) * 7]


def _fill(root: Path, files: list[ModelFile]) -> None:
    for model in files:
        target = root / model.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(_content(model.path))


def models(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "posepipe", "models", *map(str, args)],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "250"})


class _Server(ThreadingHTTPServer):
    root: Path
    honour_range = True
    cut_after: int | None = None  # bytes of the body sent before the connection drops
    ranges: list[str | None]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        path = self.server.root / unquote(urlparse(self.path).path).lstrip("/")
        self.server.ranges.append(self.headers.get("Range"))
        if not path.is_file():
            self.send_error(404)
            return
        data = path.read_bytes()
        start = 0
        asked = self.headers.get("Range")
        if asked and self.server.honour_range:
            start = int(asked.split("=")[1].split("-")[0])
            if start >= len(data):
                self.send_error(416)
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.server.cut_after is not None:
            self.wfile.write(body[: self.server.cut_after])
            self.close_connection = True
            return
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[_Server]:
    """A real HTTP server on a loopback port, serving `tmp_path / 'served'`."""
    srv = _Server(("127.0.0.1", 0), _Handler)
    srv.root = tmp_path / "served"
    srv.root.mkdir()
    srv.ranges = []
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join()


def _url(srv: _Server, name: str) -> str:
    return f"http://127.0.0.1:{srv.server_address[1]}/{name}"


def test_check_lists_every_file_and_fails_while_one_is_missing(tmp_path: Path) -> None:
    needed = required_files("vitdet")
    _fill(tmp_path, [f for f in files_for("vitdet") if f.source is not Source.SMPL])
    result = models("check", "--cache-dir", tmp_path, "--detector", "vitdet")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    for model in files_for("vitdet"):
        status = "missing" if model.source is Source.SMPL else "present"
        assert any(status in line and model.path in line for line in lines), model.path
    assert f"{len(needed) - 2} of {len(needed)} required files present, 2 missing." in (
        result.stdout)
    assert "smplify.is.tue.mpg.de" in result.stdout
    assert "regnety" not in result.stdout  # the other detector's weights are not listed


def test_check_passes_with_every_file_and_speaks_json(tmp_path: Path) -> None:
    _fill(tmp_path, files_for("regnety"))
    result = models("check", "--cache-dir", tmp_path, "--detector", "regnety", "--json")
    assert result.returncode == 0, result.stdout
    doc = json.loads(result.stdout)
    assert doc["missing"] == 0 and doc["optional_missing"] == 0 and doc["detector"] == "regnety"
    assert {f["path"] for f in doc["files"]} == {f.path for f in files_for("regnety")}
    assert missing_model_files(tmp_path, detector="vitdet") == [
        f.path for f in MODEL_FILES if f.detector == "vitdet"
    ]


def test_optional_files_are_listed_but_never_fail_the_check(tmp_path: Path) -> None:
    # head_faces.npy and the AVA label files: only PHALP's Visualizer and LART read them.
    optional = [f for f in files_for("vitdet") if f.optional]
    assert {f.name for f in optional} == {"head_faces.npy", "ava_labels.pkl",
                                          "ava_class_mapping.pkl"}
    _fill(tmp_path, required_files("vitdet"))
    result = models("check", "--cache-dir", tmp_path, "--detector", "vitdet")
    assert result.returncode == 0, result.stdout
    for model in optional:
        line = next(line for line in result.stdout.splitlines() if model.path in line)
        assert "missing" in line and "optional: only PHALP's" in line, line
    assert "3 optional file(s) missing: the backend starts without them" in result.stdout
    doc = json.loads(models("check", "--cache-dir", tmp_path, "--json").stdout)
    assert doc["missing"] == 0 and doc["optional_missing"] == 3
    assert sorted(f["path"] for f in doc["files"] if f["optional"]) == sorted(
        f.path for f in optional)
    assert missing_model_files(tmp_path, detector="vitdet") == []


def test_a_file_of_the_wrong_size_counts_as_missing(tmp_path: Path) -> None:
    model = ModelFile("w.pth", "weights", Source.DOWNLOAD, "http://x/w.pth", size=10)
    (tmp_path / "w.pth").write_bytes(b"12345")
    assert not is_present(tmp_path, model)
    (tmp_path / "w.pth").write_bytes(b"1234567890")
    assert is_present(tmp_path, model)


def test_download_resumes_a_partial_file(tmp_path: Path, server: _Server) -> None:
    data = os.urandom(300_000)
    (server.root / "w.bin").write_bytes(data)
    dest = tmp_path / "cache" / "w.bin"
    dest.parent.mkdir()
    dest.with_name("w.bin.part").write_bytes(data[:120_000])
    download(_url(server, "w.bin"), dest, expected_size=len(data))
    assert dest.read_bytes() == data and not dest.with_name("w.bin.part").exists()
    assert server.ranges == ["bytes=120000-"]


def test_a_server_ignoring_range_restarts_the_file(tmp_path: Path, server: _Server) -> None:
    server.honour_range = False
    data = os.urandom(50_000)
    (server.root / "w.bin").write_bytes(data)
    dest = tmp_path / "w.bin"
    dest.with_name("w.bin.part").write_bytes(b"stale bytes from another file")
    download(_url(server, "w.bin"), dest)
    assert dest.read_bytes() == data


def test_a_dropped_connection_keeps_the_part_and_the_next_run_finishes(
    tmp_path: Path, server: _Server
) -> None:
    data = os.urandom(200_000)
    (server.root / "w.bin").write_bytes(data)
    dest = tmp_path / "w.bin"
    server.cut_after = 80_000
    with pytest.raises(DownloadFailed, match="run fetch again"):
        download(_url(server, "w.bin"), dest)
    assert not dest.exists()
    assert dest.with_name("w.bin.part").stat().st_size == 80_000
    server.cut_after = None
    download(_url(server, "w.bin"), dest)
    assert dest.read_bytes() == data and server.ranges[-1] == "bytes=80000-"


def test_size_and_checksum_are_checked(tmp_path: Path, server: _Server) -> None:
    (server.root / "w.bin").write_bytes(b"a" * 1000)
    with pytest.raises(DownloadFailed, match="expected 999"):
        download(_url(server, "w.bin"), tmp_path / "a.bin", expected_size=999)
    with pytest.raises(DownloadFailed, match="checksum"):
        download(_url(server, "w.bin"), tmp_path / "b.bin", sha256_prefix="19c8e357")
    with pytest.raises(DownloadFailed, match="HTTP 404"):
        download(_url(server, "absent.bin"), tmp_path / "c.bin")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["served"]  # nothing half-written


def test_an_archive_member_escaping_the_folder_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("../outside.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    (tmp_path / "dest").mkdir()
    with pytest.raises(DownloadFailed, match="unsafe member"):
        extract_archive(archive, tmp_path / "dest")
    assert not (tmp_path / "outside.txt").exists()


def test_the_hmr2_archive_is_unpacked_in_place(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _fill(cache, [f for f in files_for() if f.source is Source.DOWNLOAD])
    members = [f for f in required_files() if f.source is Source.HMR2_ARCHIVE]
    archive = cache / FOURD / "hmr2_data.tar.gz"
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "w:gz") as tar:
        for model in members:
            inner = Path(model.path).relative_to(FOURD).as_posix()
            info = tarfile.TarInfo(inner)
            info.size = len(_content(model.path))
            tar.addfile(info, io.BytesIO(_content(model.path)))
    report = fetch_models(cache)
    assert sorted(report.fetched) == sorted(m.path for m in members)
    assert not archive.exists()  # the backend never needs the 2.7 GB tarball again
    assert sorted(report.manual) == sorted(SMPL_PATHS) and report.failed == []


def test_fetch_from_a_mirror_then_smpl_by_hand(tmp_path: Path, server: _Server) -> None:
    _fill(server.root, [f for f in MODEL_FILES if f.source is not Source.SMPL])
    cache = tmp_path / "cache"
    mirror = _url(server, "").rstrip("/")
    result = models("fetch", "--cache-dir", cache, "--mirror", mirror, "--all-detectors")
    assert result.returncode == 1  # SMPL still needs a person
    assert "2 need you" in result.stdout and "smplify.is.tue.mpg.de" in result.stdout
    # The mirror's stand-in ResNet-50 fails torch-hub's checksum (its name carries the
    # sha256 prefix 19c8e357), so it is refused and removed, like a corrupt download.
    resnet = next(f for f in MODEL_FILES if f.sha256_prefix is not None)
    assert "1 failed" in result.stdout and "checksum" in result.stdout
    assert missing_model_files(cache, detector="regnety") == [*SMPL_PATHS, resnet.path]
    _fill(cache, [resnet])
    smpl = cache / SMPL_PATHS[0]
    smpl.parent.mkdir(parents=True)
    smpl.write_bytes(b"converted SMPL model")
    assert place_smpl(cache) is None
    assert (cache / SMPL_PATHS[1]).read_bytes() == b"converted SMPL model"
    assert models("check", "--cache-dir", cache).returncode == 0
    again = models("fetch", "--cache-dir", cache, "--mirror", mirror)
    assert again.returncode == 0 and "0 fetched" in again.stdout


def test_an_optional_file_that_cannot_be_fetched_blocks_nothing(
    tmp_path: Path, server: _Server
) -> None:
    optional = [f for f in files_for("vitdet") if f.optional]
    # The mirror lacks the optional files, as if their upstream link had died.
    _fill(server.root, [f for f in MODEL_FILES if f.source is not Source.SMPL and not f.optional])
    cache = tmp_path / "cache"
    resnet = next(f for f in MODEL_FILES if f.sha256_prefix is not None)  # its checksum is real
    _fill(cache, [resnet, *(f for f in MODEL_FILES if f.source is Source.SMPL)])
    result = models("fetch", "--cache-dir", cache, "--mirror", _url(server, "").rstrip("/"),
                    "--detector", "vitdet")
    assert result.returncode == 0, result.stdout
    assert f"0 failed, {len(optional)} optional failed, 0 need you." in result.stdout
    for model in optional:
        line = next(line for line in result.stdout.splitlines() if model.path in line)
        assert "skipped" in line and "HTTP 404" in line and "starts without it" in line, line
    check = models("check", "--cache-dir", cache, "--detector", "vitdet", "--json")
    assert check.returncode == 0, check.stdout
    assert json.loads(check.stdout)["optional_missing"] == len(optional)
