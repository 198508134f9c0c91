"""The `hmr2` backend: 4D-Humans (HMR 2.0) with PHALP tracking, on the GPU.

How it fits the one pipeline: PHALP's `track()` runs its own loop over JPEGs it extracts
itself and keeps every result until the video ends, so it cannot report progress or
stream results. This backend builds the same `HMR2_4dhuman` tracker once per process and
drives PHALP's per-frame step itself on the frames posepipe's decoder hands it:
detection, HMR 2.0 + appearance features for everyone in the frame (one batch), then
DeepSORT predict/update. After each frame, `FrameRecorder` writes PHALP's per-frame
result dict with `track()`'s rules, and `posepipe.phalp.convert` (the code import-phalp
uses) turns it into observations, PHALP's track ids as `track_hint`. The pipeline then
reports progress, tracks and writes the sink exactly as for mediapipe.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from posepipe.config import Settings
from posepipe.errors import BackendUnavailable, PosepipeError
from posepipe.gpu import apply_memory_fraction, ensure_free_memory
from posepipe.phalp.convert import people_in_frame
from posepipe.phalp.record import FrameRecorder
from posepipe.pose import hmr2_runtime as runtime
from posepipe.pose.backend import Observation
from posepipe.skeletons import OPENPOSE25_19
from posepipe.video.decode import DecodedFrame
from posepipe.video.probe import VideoInfo

log = logging.getLogger(__name__)

# GPU memory a video needs on top of the loaded models (activations for a crowded frame),
# checked before each video; an estimate until a GPU run measures it (bench/RESULTS.md).
JOB_HEADROOM_MB = 1024


class Hmr2Backend:
    """HMR 2.0 poses and PHALP tracks for everyone in each frame."""

    name = "hmr2"
    skeleton = OPENPOSE25_19

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._tracker: Any = None
        self._cfg: Any = None
        self._scratch: Path | None = None
        self._recorder = FrameRecorder()
        self._size: tuple[int, int] = (0, 0)
        self._torch: Any = None
        self.load_s: float | None = None
        self.peak_gpu_memory_mb: float | None = None

    @property
    def version(self) -> str:
        return f"4D-Humans HMR 2.0b + PHALP ({self._settings.pose_hmr2_detector} detector)"

    @property
    def device(self) -> str:
        return "cuda:0"

    def load(self) -> None:
        with self._lock:
            if self._tracker is not None:
                return
            started = time.perf_counter()
            settings = self._settings
            runtime.check_model_files(settings)
            runtime.prepare_environment(settings.model_cache_dir)
            try:
                import torch
            except ImportError as exc:
                raise BackendUnavailable(
                    "the hmr2 backend needs the CUDA image (torch, 4D-Humans, PHALP)"
                ) from exc
            self._torch = torch
            # Before any model loads: the cap applies to every allocation that follows.
            apply_memory_fraction(settings.pose_gpu_memory_fraction)
            self._tracker, self._cfg, self._scratch = runtime.build_tracker(settings)
            self._recorder = FrameRecorder(n_init=int(self._cfg.phalp.n_init))
            self.load_s = time.perf_counter() - started
            log.info("hmr2 models loaded in %.1f s (%s, %.0f MiB on the GPU)", self.load_s,
                     settings.pose_hmr2_detector, torch.cuda.memory_allocated(0) / 2**20)

    def start_video(self, info: VideoInfo) -> None:
        self.load()
        ensure_free_memory(JOB_HEADROOM_MB, self._settings.pose_gpu_memory_fraction)
        self._size = (info.width, info.height)
        try:
            self._tracker.setup_deepsort()  # a fresh DeepSORT: track ids restart at 1
        except Exception as exc:
            raise runtime.as_posepipe_error(exc, "resetting the tracker") from exc
        self._recorder = FrameRecorder(n_init=int(self._cfg.phalp.n_init))
        self._torch.cuda.reset_peak_memory_stats(0)

    def infer(self, frames: Sequence[DecodedFrame]) -> list[list[Observation]]:
        if self._tracker is None:
            self.load()
        width, height = self._size
        for frame in frames:
            self._step(frame)
        recorded = self._recorder.take(self._tracker.tracker.tracks)
        by_time = {int(f["time"]): f for f in recorded}
        results = [people_in_frame(by_time[frame.index], width, height) for frame in frames]
        self.peak_gpu_memory_mb = self._torch.cuda.max_memory_allocated(0) / 2**20
        return results

    def _step(self, frame: DecodedFrame) -> None:
        """PHALP's per-frame step, as `PHALP.track()` runs it, on one decoded frame."""
        tracker = self._tracker
        image = np.ascontiguousarray(frame.image[:, :, ::-1])  # PHALP reads BGR (cv2)
        height, width = image.shape[:2]
        side = max(height, width)
        measurements = [height, width, side, (side - width) // 2, (side - height) // 2]
        name = f"frame/{frame.index:06d}.jpg"  # a key only; PHALP never opens it here
        t = frame.index
        tracker.cfg.phalp.shot = 0
        try:
            with self._torch.no_grad():
                boxes, boxes_padded, masks, scores, classes, gt_ids, gt_annotations = (
                    tracker.get_detections(image, name, t, {}, measurements))
                extra = tracker.run_additional_models(
                    image, boxes, masks, scores, classes, name, t, measurements, gt_ids,
                    gt_annotations)
                detections = tracker.get_human_features(
                    image, masks, boxes, boxes_padded, scores, name, classes, t, measurements,
                    gt_ids, gt_annotations, extra)
                tracker.tracker.predict()
                tracker.tracker.update(detections, t, name, 0)
        except PosepipeError:
            raise
        except Exception as exc:
            raise runtime.as_posepipe_error(exc, f"processing frame {t}") from exc
        self._recorder.record(t, name, list(tracker.tracker.tracks))

    def close(self) -> None:
        with self._lock:
            if self._tracker is None:
                return
            self._tracker = None
            self._cfg = None
            if self._scratch is not None:
                shutil.rmtree(self._scratch, ignore_errors=True)
                self._scratch = None
            if self._torch is not None and self._torch.cuda.is_available():
                self._torch.cuda.empty_cache()
