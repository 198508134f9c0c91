"""Log lines: JSON with service, level and the bound job/request id; levels per service."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from posepipe.config import Settings
from posepipe.logs import bind, configure_logging


@pytest.fixture(autouse=True)
def _restore_logging():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_json_lines_carry_service_level_and_bound_ids(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    configure_logging("pose-service", "INFO", "json", log_dir=tmp_path)
    log = logging.getLogger("posepipe.test")
    with bind(job_id="j1"):
        log.info("frame %d done", 3, extra={"frames_done": 3})
    log.debug("hidden")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 1
    assert lines[0]["service"] == "pose-service"
    assert lines[0]["level"] == "INFO"
    assert lines[0]["job_id"] == "j1"
    assert lines[0]["message"] == "frame 3 done"
    assert lines[0]["frames_done"] == 3
    written = (tmp_path / "pose-service.jsonl").read_text().splitlines()
    assert json.loads(written[0])["job_id"] == "j1"


def test_service_levels_override_the_global_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    monkeypatch.setenv("API_LOG_LEVEL", "DEBUG")
    settings = Settings()
    assert settings.level_for("backend-api") == "DEBUG"
    assert settings.level_for("pose-service") == "WARNING"


def test_uvicorn_colour_copies_of_the_message_stay_out(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("backend-api", "INFO", "json")
    logging.getLogger("uvicorn.error").info(
        "Started server process [%d]", 7, extra={"color_message": "Started \x1b[36m%d\x1b[0m"}
    )
    (line,) = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert line["message"] == "Started server process [7]"
    assert "color_message" not in line
