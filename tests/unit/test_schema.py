"""The result schema: the checked-in JSON Schema matches the models, and documents validate."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from pydantic import ValidationError

from posepipe.schema import PoseDocument, json_schema
from posepipe.skeletons import MEDIAPIPE33, OPENPOSE25_19, SKELETONS

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema" / "poses.schema.json"


def _document() -> dict:
    return {
        "schema": "posepipe.poses/1",
        "backend": "mediapipe",
        "backend_version": "test",
        "skeleton": {
            "name": "mediapipe33",
            "joints": list(MEDIAPIPE33.joints),
            "edges": [list(e) for e in MEDIAPIPE33.edges],
        },
        "video": {"width": 640, "height": 480, "fps": 30.0, "frames": 2, "duration_s": 0.07},
        "frames": [
            {"i": 0, "t": 0.0, "people": []},
            {
                "i": 1,
                "t": 0.033,
                "people": [
                    {
                        "track": 1,
                        "bbox": [1, 2, 3, 4],
                        "score": 0.9,
                        "kp2d": [[1.0, 2.0, 0.5]] * 33,
                        "kp3d": [[0.1, 0.2, 0.3]] * 33,
                        "smpl": None,
                        "camera": None,
                    }
                ],
            },
        ],
    }


def test_checked_in_schema_is_current() -> None:
    assert json.loads(SCHEMA_FILE.read_text()) == json_schema(), "run `make schema`"


def test_a_document_validates_against_both() -> None:
    doc = _document()
    jsonschema.validate(doc, json.loads(SCHEMA_FILE.read_text()))
    assert (
        PoseDocument.model_validate(doc).model_dump(by_alias=True, mode="json")["schema"]
        == "posepipe.poses/1"
    )


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("schema",), "posepipe.poses/2"),
        (("backend",), "openpose"),
        (("frames", 1, "people", 0, "track"), 0),
    ],
)
def test_wrong_documents_are_refused(path: tuple, value: object) -> None:
    doc = _document()
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ValidationError):
        PoseDocument.model_validate(doc)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, json.loads(SCHEMA_FILE.read_text()))


def test_skeleton_edges_stay_inside_their_joint_lists() -> None:
    for skeleton in SKELETONS.values():
        assert len(set(skeleton.joints)) == len(skeleton.joints)
        assert all(
            0 <= a < len(skeleton.joints) and 0 <= b < len(skeleton.joints)
            for a, b in skeleton.edges
        )
    assert len(MEDIAPIPE33.joints) == 33
    assert len(OPENPOSE25_19.joints) == 44
