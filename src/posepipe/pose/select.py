"""Choose and build the pose backend: `auto` picks hmr2 when CUDA and its model files exist."""

from __future__ import annotations

import functools
import importlib.util
import logging
from collections.abc import Callable
from dataclasses import dataclass

from posepipe.config import BackendChoice, Settings
from posepipe.errors import BackendUnavailable
from posepipe.pose.backend import PoseBackend

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BackendChoiceResult:
    """The backend built and, in a sentence, why it was chosen."""

    backend: PoseBackend
    reason: str


def hmr2_unavailable_reason(settings: Settings) -> str | None:
    """Why the hmr2 backend cannot run here, or None when it can."""
    if importlib.util.find_spec("torch") is None:
        return "PyTorch is not installed (the hmr2 extra lives in the CUDA image)"
    import torch

    if not torch.cuda.is_available():
        return "CUDA is not available to this process"
    if importlib.util.find_spec("posepipe.pose.hmr2_backend") is None:
        return "this build of posepipe has no hmr2 backend"
    from posepipe.models import missing_model_files

    missing = missing_model_files(settings.model_cache_dir, detector=settings.pose_hmr2_detector)
    if missing:
        return (
            f"{len(missing)} model file(s) missing under {settings.model_cache_dir} "
            f"(first: {missing[0]}); run `posepipe models check`"
        )
    return None


def build_backend(settings: Settings, choice: BackendChoice | None = None) -> BackendChoiceResult:
    """Build the backend asked for (`POSE_BACKEND` unless `choice` overrides it)."""
    choice = choice or settings.pose_backend
    if choice is BackendChoice.MEDIAPIPE:
        return BackendChoiceResult(_mediapipe(settings), "asked for mediapipe")
    if choice is BackendChoice.HMR2:
        reason = hmr2_unavailable_reason(settings)
        if reason is not None:
            raise BackendUnavailable(f"the hmr2 backend cannot run: {reason}")
        return BackendChoiceResult(_hmr2(settings), "asked for hmr2")
    reason = hmr2_unavailable_reason(settings)
    if reason is None:
        return BackendChoiceResult(
            _hmr2(settings), "auto: CUDA and the hmr2 model files are present"
        )
    return BackendChoiceResult(
        _mediapipe(settings), f"auto: mediapipe on the CPU, since {reason}"
    )


def _mediapipe(settings: Settings) -> PoseBackend:
    if settings.pose_max_people == 1:
        # One person: the legacy solution, faster and closer to the reference landmarks.
        from posepipe.pose.mediapipe_backend import MediaPipeBackend

        return MediaPipeBackend()
    from posepipe.pose.mediapipe_multi import MediaPipeMultiBackend

    return MediaPipeMultiBackend(
        max_people=settings.pose_max_people, model_cache_dir=settings.model_cache_dir
    )


def _hmr2(settings: Settings) -> PoseBackend:
    from posepipe.pose.hmr2_backend import Hmr2Backend

    backend: PoseBackend = Hmr2Backend(settings)
    return backend


def backend_factory(settings: Settings, name: str) -> Callable[[], PoseBackend]:
    """A picklable recipe that builds backend `name` in another process (a pose process)."""
    return functools.partial(_build_named, settings, BackendChoice(name))


def _build_named(settings: Settings, choice: BackendChoice) -> PoseBackend:
    return build_backend(settings, choice).backend
