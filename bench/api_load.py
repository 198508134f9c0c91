"""Load generator for bench/api_bench.py, run as a process of its own.

    api_load.py get URL --rate 300 --seconds 30      # open loop: a request every 1/rate s
    api_load.py upload URL FILE                      # one streamed multipart upload

Prints one JSON object. `get` is open loop: each request is due at a fixed time whether or
not earlier ones have answered, and its latency counts from that due time, so a server
that stalls is charged for the requests it delayed (no coordinated omission).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx

_CHUNK = 1 << 20


class _Connection:
    """One keep-alive HTTP/1.1 connection, just enough client for GETs with Content-Length.

    httpx costs about a millisecond of CPU per request, a third of a core at 300/s on the
    same small machine as the server under test; this costs a few tens of microseconds.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def get(self, request: bytes) -> int:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        await self.reader.readexactly(length)
        return status


async def _get_load(
    url: str, rate: float, seconds: float, trace: list[tuple[float, float]] | None = None
) -> dict[str, object]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    request = f"GET {parts.path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
    latencies: list[float] = []
    errors: list[str] = []
    idle: list[_Connection] = []

    async def connection() -> _Connection:
        while idle:
            conn = idle.pop()
            if not conn.reader.at_eof():  # the server closes keep-alive connections idle 5 s
                return conn
            conn.writer.close()
        reader, writer = await asyncio.open_connection(host, port)
        return _Connection(reader, writer)

    async def one(due: float) -> None:
        for retry in (False, True):
            conn = None
            try:
                conn = await connection()
                status = await conn.get(request)
                if status != 200:
                    errors.append(f"HTTP {status}")
                idle.append(conn)
                break
            except asyncio.IncompleteReadError as exc:
                # A kept-alive connection the server closed as the request went out: like any
                # HTTP client, retry once on a new connection; a second failure counts.
                if conn is not None:
                    conn.writer.close()
                if retry or exc.partial:
                    errors.append(type(exc).__name__)
                    break
            except (OSError, ValueError) as exc:
                errors.append(type(exc).__name__)
                if conn is not None:
                    conn.writer.close()
                break
        latencies.append(time.perf_counter() - due)
        if trace is not None:
            trace.append((due - start, latencies[-1]))

    start = time.perf_counter()
    await one(start)  # connect before the clock starts
    latencies.clear()
    if trace is not None:
        trace.clear()
    tasks = []
    start = time.perf_counter() + 0.1
    total = int(rate * seconds)
    for n in range(total):
        due = start + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(due)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    for conn in idle:
        conn.writer.close()
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    return {
        "requests": len(latencies),
        "errors": len(errors),
        "error_kinds": sorted(set(errors)),
        "connections": len(idle),
        "achieved_rate": round(len(latencies) / elapsed, 1),
        "p50_ms": round(pct(0.50), 2),
        "p95_ms": round(pct(0.95), 2),
        "p99_ms": round(pct(0.99), 2),
        "max_ms": round(ordered[-1] * 1000, 2),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 2),
    }


def _upload(url: str, path: Path) -> dict[str, object]:
    boundary = "benchboundary7f3a"
    head = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
        f"filename=\"{path.name}\"\r\nContent-Type: video/mp4\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    size = path.stat().st_size

    def body() -> Iterator[bytes]:
        yield head
        with path.open("rb") as f:
            while chunk := f.read(_CHUNK):
                yield chunk
        yield tail

    headers = {
        "content-type": f"multipart/form-data; boundary={boundary}",
        "content-length": str(len(head) + size + len(tail)),
    }
    started = time.perf_counter()
    with httpx.Client(timeout=600.0) as client:
        response = client.post(url, content=body(), headers=headers)
    seconds = time.perf_counter() - started
    return {
        "status": response.status_code,
        "body": response.json(),
        "bytes": size,
        "seconds": round(seconds, 3),
        "mb_per_s": round(size / seconds / 1e6, 1),
    }


def main() -> None:
    """Parse the command line, run the load, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    get = sub.add_parser("get")
    get.add_argument("url")
    get.add_argument("--rate", type=float, default=300.0)
    get.add_argument("--seconds", type=float, default=30.0)
    get.add_argument("--trace", type=Path, help="write (due s, latency s) of every request")
    upload = sub.add_parser("upload")
    upload.add_argument("url")
    upload.add_argument("file", type=Path)
    args = parser.parse_args()
    if args.mode == "get":
        trace: list[tuple[float, float]] | None = [] if args.trace else None
        result = asyncio.run(_get_load(args.url, args.rate, args.seconds, trace))
        if args.trace:
            args.trace.write_text("".join(f"{d:.4f} {lat:.5f}\n" for d, lat in trace or []))
    else:
        result = _upload(args.url, args.file)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
