"""The `posepipe` command line (Typer). Each command lives in a module of its own."""

from __future__ import annotations

import sys

import typer
from pydantic import ValidationError

from posepipe.cli.doctor import doctor
from posepipe.cli.import_phalp import import_phalp
from posepipe.cli.models import app as models_app
from posepipe.cli.process import process
from posepipe.cli.services import api, worker

app = typer.Typer(
    name="posepipe",
    help="Tracked 3D human poses from video.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("process")(process)
app.add_typer(models_app, name="models")
app.command("import-phalp")(import_phalp)
app.command("doctor")(doctor)
app.command("api")(api)
app.command("worker")(worker)


@app.callback()
def _root() -> None:
    """Tracked 3D human poses from video: `process` one file, or run the services."""


def main() -> None:
    """Entry point of the `posepipe` script."""
    try:
        app()
    except ValidationError as exc:
        # A bad setting in the environment is bad input: one line per variable, exit 2.
        for error in exc.errors():
            name = "_".join(str(part) for part in error["loc"]).upper()
            print(f"posepipe: {name}={error.get('input')!r}: {error['msg']}", file=sys.stderr)
        raise SystemExit(2) from None
