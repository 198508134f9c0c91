"""`posepipe doctor`: checks a workstation for what the Compose stack needs, with the fix.

Each check returns pass / warn / fail / skip, one line for people and the exact fix. Every
program is run through one `Runner`, so the tests replay outputs recorded from the real tools.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from posepipe.doctor import checks_docker, checks_env, checks_gpu, checks_host, checks_wsl
from posepipe.doctor.context import DoctorContext
from posepipe.doctor.result import CheckResult, Status
from posepipe.doctor.runner import CommandResult, Runner, SubprocessRunner

log = logging.getLogger(__name__)

Check = Callable[[DoctorContext], CheckResult]

# In the order a person fixes things: the environment, Docker, the GPU, then the stack.
CHECKS: tuple[Check, ...] = (
    checks_wsl.check_version,
    checks_wsl.check_linux_driver,
    checks_wsl.check_repo_location,
    checks_wsl.check_wslconfig,
    checks_docker.check_engine,
    checks_docker.check_compose,
    checks_gpu.check_driver,
    checks_gpu.check_device,
    checks_gpu.check_visible_devices,
    checks_docker.check_nvidia_runtime,
    checks_docker.check_gpu_smoke,
    checks_env.check_env_file,
    checks_env.check_compose_config,
    checks_host.check_ports,
    checks_host.check_models,
)


def run_checks(ctx: DoctorContext, checks: tuple[Check, ...] = CHECKS) -> list[CheckResult]:
    """Run every check; one that crashes is reported as failed, never stops the others."""
    results = []
    for check in checks:
        try:
            results.append(check(ctx))
        except Exception as exc:  # a doctor that dies on a strange machine helps nobody
            log.debug("check %s crashed", check.__name__, exc_info=True)
            results.append(CheckResult(check.__name__, check.__name__, Status.FAIL,
                                       f"The check itself crashed: {exc!r}",
                                       "Please report this with `posepipe doctor --json`."))
    return results


__all__ = ["CHECKS", "CheckResult", "CommandResult", "DoctorContext", "Runner", "Status",
           "SubprocessRunner", "run_checks"]
