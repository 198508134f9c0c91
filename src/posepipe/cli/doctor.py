"""`posepipe doctor [--json]`: is this workstation ready for the Compose stack?"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console


def _repo_dir(start: Path) -> Path:
    for folder in (start, *start.parents):
        if (folder / "docker-compose.yml").is_file():
            return folder
    return start


def doctor(
    json_output: bool = typer.Option(False, "--json", help="One JSON document on stdout."),
    env_file: Path | None = typer.Option(
        None, "--env-file", help="The .env to check (default: .env of the repository)"
    ),
    skip_gpu_smoke: bool = typer.Option(
        False, "--skip-gpu-smoke", help="Do not start the CUDA test container."
    ),
) -> None:
    """Check Docker, Compose, the NVIDIA runtime and driver, WSL, ports, model files and .env."""
    from posepipe.doctor import DoctorContext, Status, SubprocessRunner, run_checks
    from posepipe.doctor.report import print_text, to_json

    repo = _repo_dir(Path.cwd())
    ctx = DoctorContext(
        runner=SubprocessRunner(),
        repo_dir=repo,
        env_file=env_file or repo / ".env",
        skip_gpu_smoke=skip_gpu_smoke,
    )
    results = run_checks(ctx)
    if json_output:
        typer.echo(to_json(results))
    else:
        print_text(results, Console(highlight=False, soft_wrap=True))
    raise typer.Exit(1 if any(r.status is Status.FAIL for r in results) else 0)
