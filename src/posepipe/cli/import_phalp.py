"""`posepipe import-phalp RESULTS.pkl --video VIDEO`: bring 4D-Humans/PHALP results in.

For people who already ran 4D-Humans' track.py (in WSL, say): its `results/demo_*.pkl`
becomes `poses.json` (and `overlay.mp4`) exactly as `posepipe process` writes them, so the
viewer and exports work on it. The pickle is read with a restricted unpickler: a file that
names anything but numpy/joblib classes is refused before any of it runs.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from posepipe.cli.output import EXIT_BAD_INPUT, configure_cli_logging, fail, write_results
from posepipe.cli.progress import progress_for
from posepipe.config import get_settings
from posepipe.errors import InvalidInput
from posepipe.phalp.importer import ImportSummary, import_results_file, skeleton_info
from posepipe.results import PoseFileSink
from posepipe.video.probe import VideoInfo, probe_video


def import_phalp(
    results: Path = typer.Argument(
        ..., help="PHALP results file (results/demo_<name>.pkl).", show_default=False
    ),
    video: Path = typer.Option(
        ..., "--video", help="The video the results were computed on.", show_default=False
    ),
    out_dir: Path | None = typer.Option(
        None, "--out", "-o",
        help="Folder for poses.json and overlay.mp4 (default: out/<video name>)",
    ),
    overlay: bool = typer.Option(True, "--overlay/--no-overlay", help="Also render overlay.mp4."),
) -> None:
    """Convert a 4D-Humans/PHALP results pickle into DIR/poses.json and DIR/overlay.mp4."""
    settings = get_settings()
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    configure_cli_logging(settings)
    target = out_dir or Path("out") / video.stem

    try:
        info = probe_video(video)
        if not results.is_file():
            raise InvalidInput(f"{results}: no such file")
    except InvalidInput as exc:
        fail(console, exc.message, EXIT_BAD_INPUT)

    summary = write_results(
        target,
        console,
        lambda work_dir: _run(results, info, work_dir, overlay, console),
        subject=results,
        bad_input_prefix=f"{results.name}: ",
    )
    _print_summary(summary, target, overlay, console)


def _run(
    results: Path, info: VideoInfo, work_dir: Path, overlay: bool, console: Console
) -> ImportSummary:
    sink = PoseFileSink(work_dir)
    try:
        summary = import_results_file(results, info, sink, progress_for("import", console))
        if overlay:
            # Imported here: OpenCV is in the pose images only (see cli/process.py).
            from posepipe.video.overlay import render_overlay

            edges = [tuple(edge) for edge in skeleton_info().edges]
            render_overlay(info, sink.iter_frames(), edges, work_dir / "overlay.mp4")
    finally:
        sink.close()
    return summary


def _print_summary(summary: ImportSummary, target: Path, overlay: bool, console: Console) -> None:
    warning = summary.warning()
    if warning:
        console.print(f"[yellow]warning:[/] {warning}")
    out = Console(highlight=False)
    out.print(
        f"frames: {summary.frames}\n"
        f"frames with a person: {summary.frames_with_people} "
        f"({100 * summary.frames_with_people / max(1, summary.frames):.0f}%)\n"
        f"tracks: {summary.tracks}\n"
        f"results: {target / 'poses.json'}"
        + (f"\noverlay: {target / 'overlay.mp4'}" if overlay else "")
    )
