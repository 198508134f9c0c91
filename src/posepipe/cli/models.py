"""`posepipe models check|fetch`: the hmr2 backend's model files under MODEL_CACHE_DIR."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from posepipe.config import get_settings
from posepipe.models import DETECTORS, Source, files_for, is_present, smpl_instructions

app = typer.Typer(
    name="models",
    help="Check or fetch the hmr2 backend's model files (MODEL_CACHE_DIR).",
    no_args_is_help=True,
    add_completion=False,
)

EXIT_MISSING = 1


def _cache_dir(option: Path | None) -> Path:
    return option if option is not None else get_settings().model_cache_dir


def _detector(option: str | None) -> str:
    detector = option or get_settings().pose_hmr2_detector
    if detector not in DETECTORS:
        raise typer.BadParameter(f"expected one of {', '.join(DETECTORS)}", param_hint="--detector")
    return detector


def _human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


CacheDirOption = Annotated[
    Path | None,
    typer.Option("--cache-dir", help="Model cache folder (default: MODEL_CACHE_DIR)"),
]
DetectorOption = Annotated[
    str | None,
    typer.Option("--detector", help="vitdet or regnety (default: POSE_HMR2_DETECTOR)"),
]


@app.command("check")
def check(
    cache_dir: CacheDirOption = None,
    detector: DetectorOption = None,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """List every file of the hmr2 backend, present or missing; exit 1 if a required one is missing.

    Optional files (read only by parts of PHALP the backend never runs) are listed as such
    and never make the check fail.
    """
    root = _cache_dir(cache_dir)
    chosen = _detector(detector)
    rows = []
    for model in files_for(chosen):
        path = root / model.path
        present = is_present(root, model)
        rows.append({
            "path": model.path,
            "absolute_path": str(path),
            "group": model.group,
            "present": present,
            "optional": model.optional,
            "optional_because": model.optional_because,
            "size": path.stat().st_size if present else None,
            "source": model.source.value,
            "url": model.url,
        })
    missing = [r for r in rows if not r["present"] and not r["optional"]]
    if as_json:
        print(json.dumps({
            "cache_dir": str(root), "detector": chosen, "files": rows, "missing": len(missing),
            "optional_missing": sum(1 for r in rows if not r["present"] and r["optional"]),
        }, indent=2))
    else:
        _print_table(root, chosen, rows)
    if missing:
        raise typer.Exit(EXIT_MISSING)


def _print_table(root: Path, detector: str, rows: list[dict[str, object]]) -> None:
    out = Console(highlight=False, soft_wrap=True)
    out.print(f"model cache: {root} (MODEL_CACHE_DIR; mounted at /models in pose-service)")
    out.print(f"detector: {detector} (POSE_HMR2_DETECTOR)")
    for row in rows:
        status = "[green]present[/]" if row["present"] else "[red]missing[/]"
        if row["optional"] and not row["present"]:
            status = "[yellow]missing[/]"
        size = _human_size(row["size"]) if isinstance(row["size"], int) else ""
        note = f" (optional: {row['optional_because']})" if row["optional"] else ""
        out.print(f"  {status}  {row['path']}  [dim]{row['group']}{note}[/] {size}")
    required = [r for r in rows if not r["optional"]]
    missing = [r for r in required if not r["present"]]
    optional_missing = [r for r in rows if r["optional"] and not r["present"]]
    out.print(f"{len(required) - len(missing)} of {len(required)} required files present, "
              f"{len(missing)} missing.")
    if optional_missing:
        out.print(f"{len(optional_missing)} optional file(s) missing: the backend starts "
                  "without them; `posepipe models fetch` fetches them too.")
    if any(r["source"] == Source.SMPL.value for r in missing):
        out.print(smpl_instructions(root))
    if any(r["source"] != Source.SMPL.value for r in missing):
        out.print("Run `posepipe models fetch` to download the others.")


@app.command("fetch")
def fetch(
    cache_dir: CacheDirOption = None,
    detector: DetectorOption = None,
    all_detectors: bool = typer.Option(
        False, "--all-detectors", help="Fetch both detectors' weights."
    ),
    keep_archive: bool = typer.Option(
        False, "--keep-archive", help="Keep hmr2_data.tar.gz (2.7 GB) after unpacking it."
    ),
    mirror: str | None = typer.Option(
        None, "--mirror",
        help="URL of another model cache folder served over HTTP; files are fetched from "
        "<mirror>/<path> instead of upstream (SMPL excepted).",
    ),
) -> None:
    """Download what may be downloaded (resumable, size-checked); explain the SMPL file."""
    from posepipe.model_fetch import fetch_models

    root = _cache_dir(cache_dir)
    detectors = DETECTORS if all_detectors else (_detector(detector),)
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    out = Console(highlight=False, soft_wrap=True)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        console.print(f"[red]posepipe:[/] {root}: cannot create the model cache ({exc.strerror})")
        raise typer.Exit(1) from exc
    report = fetch_models(root, detectors, keep_archive=keep_archive, mirror=mirror,
                          progress=_Ticker(console))
    for path in report.fetched:
        out.print(f"  [green]fetched[/]  {path}")
    for path, why in report.failed:
        out.print(f"  [red]failed[/]   {path}: {why}")
    for path, why in report.failed_optional:
        out.print(f"  [yellow]skipped[/]  {path}: {why} (optional: the backend starts without it)")
    for path in report.manual:
        out.print(f"  [yellow]manual[/]   {path}")
    optional = f", {len(report.failed_optional)} optional failed" if report.failed_optional else ""
    out.print(f"{len(report.fetched)} fetched, {len(report.already_present)} already present, "
              f"{len(report.failed)} failed{optional}, {len(report.manual)} need you.")
    if report.manual:
        out.print(smpl_instructions(root))
    if report.failed or report.manual:
        raise typer.Exit(EXIT_MISSING)


class _Ticker:
    """A download progress line every few seconds (large files take minutes)."""

    def __init__(self, console: Console, every_s: float = 5.0) -> None:
        self._console = console
        self._every_s = every_s
        self._last = 0.0

    def __call__(self, name: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - self._last < self._every_s and done != total:
            return
        self._last = now
        of = f" of {_human_size(total)}" if total else ""
        self._console.print(f"  {name}: {_human_size(done)}{of}")
