"""`posepipe api` and `posepipe worker`: the two services, configured from the environment."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from posepipe.config import Settings, get_settings

if TYPE_CHECKING:
    from fastapi import FastAPI


def api(
    host: str | None = typer.Option(
        None, "--host", help="Address to listen on (default: BIND_ADDRESS)"
    ),
    port: int | None = typer.Option(None, "--port", help="Port (default: API_PORT)"),
    reload: bool = typer.Option(
        False, "--reload", help="Restart when a .py file of posepipe changes (development)."
    ),
) -> None:
    """Run backend-api (uvicorn): uploads, jobs, results, health and metrics."""
    import uvicorn

    import posepipe
    from posepipe.api.protocol import JsonErrorsHttpToolsProtocol

    settings = get_settings()
    _configure_api_logging()
    options = {
        # Requests the HTTP parser refuses (a URL over 64 KiB) get the JSON error body too.
        "http": JsonErrorsHttpToolsProtocol,
        "host": host or settings.bind_address,
        "port": settings.api_port if port is None else port,
        "log_config": None,  # the root logger, set up above, formats uvicorn's lines too
        "access_log": False,  # the request middleware logs each request with its id
        "timeout_graceful_shutdown": 5,  # SSE streams would otherwise hold shutdown open
        "server_header": False,
    }
    if reload:
        # uvicorn's reloader runs the app in a child process it restarts on each change;
        # the child builds the app (and its logging) through `reloaded_app`. Its watcher
        # reads WATCHFILES_FORCE_POLLING only, where any value but "false" means on.
        _set_watch_polling(settings.watch_polling)
        package = Path(posepipe.__file__).resolve().parent
        uvicorn.run(
            "posepipe.cli.services:reloaded_app", factory=True, reload=True,
            reload_dirs=[str(package)], reload_includes=["*.py"], **options,  # type: ignore[arg-type]
        )
        return
    from posepipe.api.app import create_app

    uvicorn.Server(uvicorn.Config(create_app(settings), **options)).run()  # type: ignore[arg-type]


def reloaded_app() -> FastAPI:
    """The app factory uvicorn's reloader calls in each fresh child process."""
    from posepipe.api import app as app_module

    _configure_api_logging()
    return app_module.create_app()


def _configure_api_logging() -> None:
    from posepipe.logs import configure_logging

    settings = get_settings()
    configure_logging(
        "backend-api", settings.level_for("backend-api"), settings.log_format, settings.log_dir
    )


def worker(
    health_port: int | None = typer.Option(
        None, "--health-port", help="Port of /health and /metrics (default: POSE_HEALTH_PORT)"
    ),
    host: str | None = typer.Option(
        None, "--host", help="Address /health listens on (default: BIND_ADDRESS); 0.0.0.0 in a "
        "container whose port is published",
    ),
    reload: bool = typer.Option(
        False, "--reload", help="Restart the worker (and reload the model) when a .py file of "
        "posepipe changes (development).",
    ),
) -> None:
    """Run pose-service: warm the model, consume jobs, serve health and metrics."""
    from posepipe.worker.main import run_worker

    settings = get_settings()
    if reload:
        raise typer.Exit(_run_worker_reloading(settings, health_port, host))
    code = run_worker(
        settings,
        settings.pose_health_port if health_port is None else health_port,
        host or settings.bind_address,
    )
    raise typer.Exit(code)


def _set_watch_polling(polling: bool) -> None:
    """Tell watchfiles what WATCH_POLLING says; it reads any value but "false" as on."""
    os.environ["WATCHFILES_FORCE_POLLING"] = "true" if polling else "false"


def _run_worker_reloading(settings: Settings, health_port: int | None, host: str | None) -> int:
    """Run `posepipe worker` in a child process that restarts when a .py file changes."""
    import shlex

    import watchfiles

    import posepipe

    command = [sys.executable, "-m", "posepipe", "worker"]
    if health_port is not None:
        command += ["--health-port", str(health_port)]
    if host is not None:
        command += ["--host", host]
    package = Path(posepipe.__file__).resolve().parent
    _set_watch_polling(settings.watch_polling)
    # SIGINT first: the worker hands a running job back to the queue, then exits.
    watchfiles.run_process(
        package,
        target=shlex.join(command),
        target_type="command",
        watch_filter=watchfiles.PythonFilter(),
        sigint_timeout=int(settings.pose_shutdown_timeout_s) + 22,
    )
    return 0
