"""norfair's tracker as posepipe uses it, and its whole state as plain JSON-able data.

norfair keeps its state in objects (tracked objects, their Kalman filters, their last
detection); `dump` turns every attribute of those into lists and numbers, `load` puts them
back, so a tracker rebuilt in another process continues exactly where the first one was
(tests/unit/test_tracking.py checks it through JSON on real observations). Attributes are
copied as norfair holds them, so this follows norfair's own fields: it is pinned
(norfair==2.3.0) and the round-trip test fails if a new release changes them.

norfair is imported inside the functions: the `api` image has no pose extra, and the CLI
module that imports the pipeline is loaded there too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

FORMAT = 1  # bump when the layout below changes: an older snapshot is then refused


def new_tracker(max_lost_frames: int, max_distance: float, distance: Any) -> Any:
    """A norfair tracker that gives an id to every detection at once (no initialisation delay)."""
    import norfair

    tracker = norfair.Tracker(
        # A stand-in, replaced below: a callable or a per-pair name here would make norfair
        # log a warning on the root logger.
        distance_function="euclidean",
        distance_threshold=max_distance,
        hit_counter_max=max_lost_frames,
        initialization_delay=0,
        detection_threshold=0.5,  # joints less visible do not move the filter
        past_detections_length=0,  # only for norfair's drawing and re-identification
    )
    # `distance` has norfair's vectorised interface (get_distances); norfair's constructor
    # takes only names or per-pair callables, so it is set after.
    tracker.distance_function = distance
    return tracker


def dump(tracker: Any) -> dict[str, Any]:
    """Everything the tracker knows, as plain data."""
    factory = tracker._obj_factory
    return {
        "format": FORMAT,
        "count": factory.count,
        "initializing_count": factory.initializing_count,
        "objects": [_dump_object(obj) for obj in tracker.tracked_objects],
    }


def load(tracker: Any, state: dict[str, Any]) -> None:
    """Make `tracker` (built by `new_tracker`) continue from a `dump`."""
    from norfair.tracker import TrackedObject

    if state.get("format") != FORMAT:
        raise ValueError(f"tracker state format {state.get('format')!r}, expected {FORMAT}")
    factory = tracker._obj_factory
    factory.count = int(state["count"])
    factory.initializing_count = int(state["initializing_count"])
    objects = []
    for saved in state["objects"]:
        obj = TrackedObject.__new__(TrackedObject)
        obj.__dict__.update({name: _decode(value) for name, value in saved["attrs"].items()})
        obj._obj_factory = factory
        obj.filter = _new_instance(saved["filter"])
        obj.last_detection = _new_instance(saved["last_detection"])
        obj.past_detections = []
        obj.abs_to_rel = None
        obj.global_id = None
        objects.append(obj)
    tracker.tracked_objects = objects


# Attributes rebuilt by `load` itself rather than copied. `global_id` counts objects across
# every tracker of the process (norfair's display aid); posepipe never reads it.
_REBUILT = {
    "_obj_factory", "filter", "last_detection", "past_detections", "abs_to_rel", "global_id"
}


def _dump_object(obj: Any) -> dict[str, Any]:
    if obj.abs_to_rel is not None or obj.past_detections:
        raise ValueError("camera motion and past detections are not used by posepipe")
    return {
        "attrs": {
            name: _encode(value) for name, value in vars(obj).items() if name not in _REBUILT
        },
        "filter": _dump_instance(obj.filter),
        "last_detection": _dump_instance(obj.last_detection),
    }


def _dump_instance(instance: Any) -> dict[str, Any]:
    cls = type(instance)
    return {
        "class": f"{cls.__module__}:{cls.__qualname__}",
        "attrs": {name: _encode(value) for name, value in vars(instance).items()},
    }


def _new_instance(saved: dict[str, Any]) -> Any:
    import importlib

    module, _, name = saved["class"].partition(":")
    if not module.startswith("norfair."):
        raise ValueError(f"not a norfair class: {saved['class']}")
    cls = getattr(importlib.import_module(module), name)
    instance = cls.__new__(cls)
    instance.__dict__.update({key: _decode(value) for key, value in saved["attrs"].items()})
    return instance


def _encode(value: Any) -> Any:
    """numpy arrays and scalars as tagged lists and numbers; plain values as they are."""
    if isinstance(value, np.ndarray):
        return {"ndarray": value.tolist(), "dtype": value.dtype.str, "shape": list(value.shape)}
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot keep a {type(value).__name__} in the tracker's state")


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and "ndarray" in value:
        array = np.array(value["ndarray"], dtype=np.dtype(value["dtype"]))
        return array.reshape(value["shape"])
    return value
