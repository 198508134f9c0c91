"""Schemathesis against the running API: generated requests, valid and not, for every
operation in /api/openapi.json, each answer checked against the document.

A 5xx, an answer the document does not describe (status, content type, headers, body
schema), a bad request accepted or a valid one refused fails the test. The seed and the
number of examples per operation are fixed, so a run is repeatable and about half a
minute long; the full output is kept in `test-artifacts/api-fuzz.txt`.

Two real jobs are seeded first, and the fuzzer is handed their ids half of the time, so the
routes behind `/api/jobs/{job_id}` answer more than 404 (poses, overlay, video, events,
DELETE's 204): one job for the reading routes, one for DELETE. `make fuzz` runs it alone.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.integration.conftest import StackFactory

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CLIP = REPO / "examples" / "squats.mp4"  # 65 frames: a job in a few seconds
SEED = 20261201
MAX_EXAMPLES = 25  # per operation and phase
OUTPUT = REPO / "test-artifacts" / "api-fuzz.txt"

CONFIG = """\
seed = {seed}
workers = 1
request-timeout = 60
max-stream-events = 10

[generation]
max-examples = {max_examples}
database = "none"

[dictionaries.seeded-job]
values = ["{seeded}"]

[dictionaries.doomed-job]
values = ["{doomed}"]

# Regex filters of one entry must all match (plain ones are alternatives).
[[operations]]
include-method-regex = "^GET$"
include-path-regex = "^/api/jobs/"
parameters = {{ job_id = {{ dictionary = "seeded-job", probability = 0.5 }} }}

[[operations]]
include-method-regex = "^DELETE$"
parameters = {{ job_id = {{ dictionary = "doomed-job", probability = 0.5 }} }}

# Bytes that fit the document's `format: binary` are rarely a video or a PHALP pickle:
# refusing them (400 not a pickle, 415 not a video, 422 does not decode) is right.
[[operations]]
include-path-regex = "^/api/(videos|imports)$"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "413", "415", "422"]
"""


def test_generated_requests_get_answers_the_openapi_document_describes(
    stack_factory: StackFactory, tmp_path: Path
) -> None:
    stack = stack_factory()
    seeded, doomed = stack.upload(CLIP), stack.upload(CLIP)
    for job_id in (seeded, doomed):
        stack.wait_for_job(job_id, "succeeded")
    with stack.client(timeout=90) as client:  # the overlay is rendered just after success
        assert client.get(f"/api/jobs/{seeded}/overlay.mp4").status_code == 200

    config = tmp_path / "schemathesis.toml"
    config.write_text(
        CONFIG.format(seed=SEED, max_examples=MAX_EXAMPLES, seeded=seeded, doomed=doomed)
    )
    schemathesis = Path(sys.executable).parent / "st"
    run = subprocess.run(
        [str(schemathesis), "--config-file", str(config), "--no-color", "run",
         f"{stack.api_url}/api/openapi.json", "--checks", "all"],
        capture_output=True, text=True, cwd=tmp_path, timeout=540,
    )
    OUTPUT.parent.mkdir(exist_ok=True)
    OUTPUT.write_text(run.stdout + run.stderr)
    assert run.returncode == 0, f"schemathesis found problems:\n{run.stdout[-8000:]}{run.stderr}"
    assert f"Seed: {SEED}" in run.stdout
    with stack.client() as client:
        paths = client.get("/api/openapi.json").json()["paths"]
    operations = sum(len(methods) for methods in paths.values())
    assert f"{operations} selected / {operations} total" in run.stdout, run.stdout[:2000]
    # The API stayed up and ready through it all (its stateful phase may delete both jobs).
    with stack.client() as client:
        assert client.get("/api/ready").status_code == 200
        assert client.get("/api/jobs").status_code == 200
