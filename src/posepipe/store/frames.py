"""The frames collection: one document per (job, frame), unique on (job_id, i).

`FrameRepository` reads for the API (asyncio); `FrameStore` writes and reads for the
worker, which runs synchronously in its actor thread. Beside the frames lives the job's
resume point (the next frame and the tracker's state after the last stored batch), which
the worker saves after each batch and a redelivered job goes on from.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from pymongo import ASCENDING, ReplaceOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError

from posepipe.schema import FramePoses
from posepipe.store.client import FRAMES, RESULTS, RESUME_POINTS, mongo_errors
from posepipe.store.codec import frame_from_document, frame_to_document

_DUPLICATE_KEY = 11000
_READ_BATCH = 256


class FrameRepository:
    """Frames as the API reads them."""

    def __init__(self, db: AsyncDatabase[Any]) -> None:
        self._frames = db[FRAMES]
        self._results = db[RESULTS]
        self._resume = db[RESUME_POINTS]

    async def header(self, job_id: str) -> dict[str, Any] | None:
        """The result's header (codec.header_to_document's shape), or None when there is none."""
        with mongo_errors():
            return await self._results.find_one({"_id": job_id}, {"_id": 0})

    async def iter_frames(self, job_id: str) -> AsyncIterator[dict[str, Any]]:
        """The job's frames in order, in the result schema's shape, a batch at a time."""
        with mongo_errors():
            cursor = (
                self._frames.find({"job_id": job_id}, {"_id": 0, "job_id": 0})
                .sort("i", ASCENDING)
                .batch_size(_READ_BATCH)
            )
            async for doc in cursor:
                yield frame_from_document(doc)

    async def delete_for_job(self, job_id: str) -> int:
        """Delete the job's frames and result header; returns how many frames there were."""
        with mongo_errors():
            await self._resume.delete_one({"_id": job_id})
            result = await self._frames.delete_many({"job_id": job_id})
            await self._results.delete_one({"_id": job_id})
        return result.deleted_count


class FrameStore:
    """Frames as the worker writes them: in batches, as they finish."""

    def __init__(self, db: Database[Any]) -> None:
        self._frames = db[FRAMES]
        self._results = db[RESULTS]
        self._resume = db[RESUME_POINTS]

    def clear(self, job_id: str) -> None:
        """Drop what an earlier attempt at this job left (resume point, frames and header)."""
        with mongo_errors():
            # The resume point first: a crash in between must not resume over lost frames.
            self._resume.delete_one({"_id": job_id})
            self._frames.delete_many({"job_id": job_id})
            self._results.delete_one({"_id": job_id})

    def save_resume_point(self, job_id: str, attempt: int, point: dict[str, Any]) -> bool:
        """Keep where this attempt can be gone on from; False if a later attempt saved one."""
        # The tracker's state holds nested arrays, which FerretDB does not store: JSON text.
        doc = {"_id": job_id, "attempt": attempt, **point, "tracker": json.dumps(point["tracker"])}
        with mongo_errors():
            try:
                self._resume.replace_one(
                    {"_id": job_id, "attempt": {"$lte": attempt}}, doc, upsert=True
                )
            except DuplicateKeyError:  # the filter missed because a later attempt's is there
                return False
        return True

    def resume_point(self, job_id: str) -> dict[str, Any] | None:
        """The last resume point saved for the job (its `tracker` as plain data), or None."""
        with mongo_errors():
            doc = self._resume.find_one({"_id": job_id}, {"_id": 0})
        if doc is None:
            return None
        return {**doc, "tracker": json.loads(doc["tracker"])}

    def forget_resume_point(self, job_id: str) -> None:
        """The job is finished: nothing will go on from it."""
        with mongo_errors():
            self._resume.delete_one({"_id": job_id})

    def write(self, job_id: str, frames: Sequence[FramePoses]) -> None:
        """Store a batch of frames, replacing any with the same (job_id, i)."""
        if not frames:
            return
        docs = [frame_to_document(job_id, frame) for frame in frames]
        with mongo_errors():
            try:
                # Inserting is the common case and an order of magnitude faster than
                # upserting on FerretDB; a frame already there (a redelivered job whose
                # earlier attempt is still writing) is replaced below.
                self._frames.insert_many(docs, ordered=False)
            except BulkWriteError as exc:
                errors = exc.details.get("writeErrors", [])
                if any(e.get("code") != _DUPLICATE_KEY for e in errors):
                    raise
                clashes = [docs[e["index"]] for e in errors]
                self._frames.bulk_write(
                    [ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in clashes],
                    ordered=False,
                )

    def read(self, job_id: str, *, start: int, limit: int) -> list[FramePoses]:
        """Up to `limit` frames with i >= start, in order."""
        with mongo_errors():
            docs = list(
                self._frames.find({"job_id": job_id, "i": {"$gte": start}}, {"_id": 0, "job_id": 0})
                .sort("i", ASCENDING)
                .limit(limit)
            )
        return [FramePoses.model_validate(frame_from_document(doc)) for doc in docs]

    def iter_frames(self, job_id: str) -> Iterator[FramePoses]:
        """All the job's frames in order, through one cursor (one scan on FerretDB)."""
        with mongo_errors():
            cursor = (
                self._frames.find({"job_id": job_id}, {"_id": 0, "job_id": 0})
                .sort("i", ASCENDING)
                .batch_size(_READ_BATCH)
            )
            for doc in cursor:
                yield FramePoses.model_validate(frame_from_document(doc))

    def count(self, job_id: str) -> int:
        """How many frames the job has stored."""
        with mongo_errors():
            return self._frames.count_documents({"job_id": job_id})
