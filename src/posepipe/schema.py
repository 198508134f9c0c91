"""The result document, `posepipe.poses/1`: what `process` writes and the API serves.

Coordinate frames:

* `kp2d`: `[x, y, visibility]`, x and y in pixels of the source video as it is displayed
  (after any rotation tag is applied), origin top-left, y down. visibility is in [0, 1].
* `kp3d`, backend `mediapipe`: MediaPipe's world landmarks, in metres, origin at the centre
  of the hips, x to the person's left as seen by the camera (image right), y down,
  z towards the camera negative (MediaPipe's convention: smaller z is nearer the camera).
* `kp3d`, backend `hmr2`: SMPL-posed joints in metres, global orientation applied, no
  translation, in OpenCV camera axes (x right, y down, z forward). Add `camera` to get the
  point in the camera frame; `camera` is the translation under PHALP's virtual focal length
  (5000 / 256 * max(width, height) pixels, principal point at the image centre).
* `smpl`: rotation matrices (`global_orient` 1x3x3, `body_pose` 23x3x3) and 10 `betas`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_ID = "posepipe.poses/1"

Point2 = tuple[float, float, float]  # x px, y px, visibility
Point3 = tuple[float, float, float]  # metres
Matrix3 = tuple[tuple[float, float, float], tuple[float, float, float], tuple[float, float, float]]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SmplParams(_Model):
    """SMPL body parameters as rotation matrices, for the hmr2 backend."""

    global_orient: list[Matrix3] = Field(min_length=1, max_length=1)
    body_pose: list[Matrix3] = Field(min_length=23, max_length=23)
    betas: list[float] = Field(min_length=10, max_length=10)


class PersonPose(_Model):
    """One tracked person in one frame."""

    track: int = Field(ge=1, description="stable id of this person across frames")
    bbox: tuple[float, float, float, float] = Field(description="x0, y0, x1, y1 in pixels")
    score: float = Field(ge=0.0, le=1.0)
    kp2d: list[Point2]
    kp3d: list[Point3] | None = None
    smpl: SmplParams | None = None
    camera: tuple[float, float, float] | None = None


class FramePoses(_Model):
    """Everyone found in one frame; `people` is empty when nobody was."""

    i: int = Field(ge=0, description="frame index, from 0")
    t: float = Field(ge=0.0, description="presentation time in seconds")
    people: list[PersonPose]


class SkeletonInfo(_Model):
    """The joint names, in the order of kp2d/kp3d, and the bones between them."""

    name: Literal["mediapipe33", "openpose25+19"]
    joints: list[str]
    edges: list[tuple[int, int]]


class VideoMeta(_Model):
    """The source video as displayed."""

    width: int = Field(gt=0)
    height: int = Field(gt=0)
    fps: float = Field(gt=0)
    frames: int = Field(ge=0, description="frames in the result")
    duration_s: float = Field(ge=0)
    rotation: int = Field(0, description="display rotation applied, degrees clockwise")
    codec: str | None = None
    frames_lost: int = Field(0, ge=0, description="frames that failed to decode and are absent")


class PoseDocument(_Model):
    """One job's result."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_: Literal["posepipe.poses/1"] = Field("posepipe.poses/1", alias="schema")
    backend: Literal["mediapipe", "hmr2"]
    backend_version: str
    skeleton: SkeletonInfo
    video: VideoMeta
    frames: list[FramePoses]


def json_schema() -> dict[str, object]:
    """The JSON Schema of `posepipe.poses/1`, generated from the models above."""
    schema = PoseDocument.model_json_schema(by_alias=True)
    schema["$id"] = SCHEMA_ID
    schema["title"] = "posepipe pose results"
    return schema


def write_json_schema(path: Path) -> None:
    """Write the JSON Schema file that is checked into the repository."""
    path.write_text(json.dumps(json_schema(), indent=2) + "\n", encoding="utf-8")
