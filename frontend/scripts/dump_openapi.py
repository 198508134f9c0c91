"""Write backend-api's OpenAPI document to frontend/openapi.json (`make openapi`).

The frontend's TypeScript types are generated from that file (`npm run gen:api`);
tests/unit/test_openapi_frontend.py fails when it no longer matches what the app serves.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from posepipe.api.app import create_app

TARGET = Path(__file__).resolve().parents[1] / "openapi.json"


def main() -> None:
    """Dump the document, sorted as FastAPI builds it, with a trailing newline."""
    document = create_app().openapi()
    TARGET.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {TARGET}", file=sys.stderr)


if __name__ == "__main__":
    main()
