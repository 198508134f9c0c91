"""The frontend's API types are generated from frontend/openapi.json: it must be what the
app serves, or the TypeScript client drifts from the API without a compile error."""

from __future__ import annotations

import json
from pathlib import Path

from posepipe.api.app import create_app

CHECKED_IN = Path(__file__).resolve().parents[2] / "frontend" / "openapi.json"


def test_checked_in_openapi_matches_the_app() -> None:
    served = create_app().openapi()
    checked_in = json.loads(CHECKED_IN.read_text(encoding="utf-8"))
    assert checked_in == served, (
        "frontend/openapi.json is out of date: run `make openapi` "
        "(dumps the app's document and regenerates frontend/src/api/schema.d.ts)"
    )


def test_the_frontend_routes_exist_in_the_document() -> None:
    # What the frontend calls by hand (outside the generated client) must still be served.
    paths = create_app().openapi()["paths"]
    for path in ("/api/videos", "/api/jobs/{job_id}/events", "/api/jobs/{job_id}/overlay.mp4",
                 "/api/jobs/{job_id}/poses", "/metrics"):
        assert path in paths, path
