"""`posepipe api` and `posepipe worker`: the two services, configured from the environment."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from posepipe.config import get_settings

if TYPE_CHECKING:
    from fastapi import FastAPI


def api(
    host: str | None = typer.Option(
        None, "--host", help="Address to listen on [default: BIND_ADDRESS]"
    ),
    port: int | None = typer.Option(None, "--port", help="Port [default: API_PORT]"),
    reload: bool = typer.Option(
        False, "--reload", help="Development: restart when a .py file of posepipe changes."
    ),
) -> None:
    """Run backend-api (uvicorn): uploads, jobs, results, health and metrics."""
    import uvicorn

    from posepipe.api.app import create_app
    from posepipe.logs import configure_logging

    settings = get_settings()
    configure_logging(
        "backend-api", settings.level_for("backend-api"), settings.log_format, settings.log_dir
    )
    if reload:
        _run_reloading(host or settings.bind_address, port or settings.api_port)
        return
    config = uvicorn.Config(
        create_app(settings),
        host=host or settings.bind_address,
        port=port or settings.api_port,
        log_config=None,  # the root logger, set up above, formats uvicorn's lines too
        access_log=False,  # the request middleware logs each request with its id
        timeout_graceful_shutdown=5,  # SSE streams would otherwise hold shutdown open
        server_header=False,
    )
    uvicorn.Server(config).run()


def worker(
    health_port: int | None = typer.Option(
        None, "--health-port", help="Port of /health and /metrics [default: POSE_HEALTH_PORT]"
    ),
) -> None:
    """Run pose-service: warm the model, consume jobs, serve health and metrics."""
    from posepipe.worker.main import run_worker

    settings = get_settings()
    raise typer.Exit(run_worker(settings, health_port or settings.pose_health_port))


def reloading_app() -> FastAPI:
    """The app as uvicorn's reload worker builds it: a fresh process, so logging again."""
    from posepipe.api.app import create_app
    from posepipe.logs import configure_logging

    settings = get_settings()
    configure_logging(
        "backend-api", settings.level_for("backend-api"), settings.log_format, settings.log_dir
    )
    return create_app(settings)


def _run_reloading(host: str, port: int) -> None:
    # uvicorn --reload: a supervisor process watches posepipe's source (watchfiles, which
    # polls when WATCHFILES_FORCE_POLLING is set) and starts a new server process per change.
    import uvicorn

    import posepipe

    uvicorn.run(
        "posepipe.cli.services:reloading_app",
        factory=True,
        host=host,
        port=port,
        reload=True,
        reload_dirs=[str(Path(posepipe.__file__).parent)],
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,
        server_header=False,
    )
