"""The pipeline's ResultSink for the worker: frames into MongoDB, header onto the job."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from posepipe.pose.pipeline import ResultHeader
from posepipe.schema import FramePoses, VideoMeta
from posepipe.store.codec import header_to_document
from posepipe.store.frames import FrameStore
from posepipe.store.job_updates import JobStore


class MongoFrameSink:
    """Writes each finished batch at once, so a crash loses at most one batch of work."""

    def __init__(
        self,
        *,
        jobs: JobStore,
        frames: FrameStore,
        job_id: str,
        attempt: int,
        keep_stored: bool = False,
        on_written: Callable[[int], None] | None = None,
    ) -> None:
        self._jobs = jobs
        self._frames = frames
        self._job_id = job_id
        self._attempt = attempt
        self._keep_stored = keep_stored  # a resumed attempt goes on after the stored frames
        self._on_written = on_written
        self._header: ResultHeader | None = None
        self.written = 0

    def begin(self, header: ResultHeader) -> None:
        self._header = header
        # A redelivered job that does not resume starts clean; the unique (job_id, i) index
        # guards the rest. A first attempt has nothing to clear (and on FerretDB the delete
        # scans every frame of every job: it filters in SQL on _id only).
        if self._attempt > 1 and not self._keep_stored:
            self._frames.clear(self._job_id)
        self._jobs.set_result_header(self._job_id, self._attempt, self._header_doc(header.video))

    def write(self, frames: Sequence[FramePoses]) -> None:
        self._frames.write(self._job_id, frames)
        self.written += len(frames)
        if self._on_written is not None:
            self._on_written(self.written)

    def finish(self, video: VideoMeta) -> None:
        self._jobs.set_result_header(self._job_id, self._attempt, self._header_doc(video))

    def _header_doc(self, video: VideoMeta) -> dict[str, object]:
        assert self._header is not None, "begin() first"
        return header_to_document(
            backend=self._header.backend,
            backend_version=self._header.backend_version,
            skeleton=self._header.skeleton,
            video=video,
        )
