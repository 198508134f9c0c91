"""Import jobs: PHALP results brought in through `POST /api/imports`, converted by a worker.

The API must not import the pose code (import-linter), so it only stores the results file
and the video and marks the job document with an `import` part; the worker, seeing it,
converts the results with `posepipe.phalp.importer` instead of running a pose backend.
This module is what both sides share; the importer is imported lazily by the worker side.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from posepipe.store.media import check_key

if TYPE_CHECKING:
    from posepipe.phalp.importer import ImportSummary
    from posepipe.pose.pipeline import ProgressReporter, ResultSink
    from posepipe.video.probe import VideoInfo

IMPORT_FIELD = "import"


def results_key(job_id: str) -> str:
    """Where an import job's results file is kept in the media store."""
    return check_key(f"imports/{job_id}.pkl")


def import_spec(job_id: str, filename: str, size_bytes: int) -> dict[str, Any]:
    """The `import` part of an import job's document."""
    return {"results_key": results_key(job_id), "filename": filename, "size_bytes": size_bytes}


def is_import(doc: dict[str, Any]) -> bool:
    """True for a job that converts PHALP results instead of running a pose backend."""
    return bool(doc.get(IMPORT_FIELD))


def run_import(
    doc: dict[str, Any],
    info: VideoInfo,
    results_path: Path,
    sink: ResultSink,
    progress: ProgressReporter,
) -> ImportSummary:
    """The worker's side of an import job: results file -> the job's sink."""
    from posepipe.phalp.importer import import_results_file

    return import_results_file(results_path, info, sink, progress,
                               source_name=doc[IMPORT_FIELD]["filename"])
