"""Windows Subsystem for Linux: version 2, no Linux GPU driver inside, code on the Linux side,
and a memory cap on the VM (an unbounded VM under GPU load is what takes Windows down)."""

from __future__ import annotations

import configparser
import re

from posepipe.doctor.context import DoctorContext
from posepipe.doctor.result import CheckResult, Status
from posepipe.doctor.versions import at_least, parse_version, show

GPU_KERNEL_MIN = (5, 10, 43)  # first WSL 2 kernel with GPU paravirtualisation
LINUX_DRIVER_PACKAGES = ("nvidia-driver-*", "nvidia-utils-*", "libnvidia-compute-*",
                         "cuda-drivers*", "nvidia-dkms-*")
# Files a Linux driver puts where the WSL libraries (/usr/lib/wsl/lib) should be found.
LINUX_DRIVER_FILES = ("/usr/bin/nvidia-smi", "/usr/lib/x86_64-linux-gnu/libcuda.so.1",
                      "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1")
NOT_WSL = "Not WSL."


def check_version(ctx: DoctorContext) -> CheckResult:
    """WSL 2 (WSL 1 has neither GPU nor Docker support)."""
    title = "WSL"
    if ctx.wsl_version is None:
        return CheckResult("wsl.version", title, Status.SKIP, f"{NOT_WSL} ({_release(ctx)})")
    if ctx.wsl_version == 1:
        return CheckResult("wsl.version", title, Status.FAIL,
                           "This distribution runs under WSL 1: no GPU, no Docker.",
                           "In PowerShell: `wsl -l -v` to see its name, then "
                           "`wsl --set-version <name> 2`.")
    kernel = parse_version(_release(ctx))
    if kernel and not at_least(kernel, GPU_KERNEL_MIN):
        return CheckResult("wsl.version", title, Status.FAIL,
                           f"WSL 2 kernel {show(kernel)} predates GPU support "
                           f"({show(GPU_KERNEL_MIN)}).",
                           "In PowerShell: `wsl --update`, then `wsl --shutdown`.")
    return CheckResult("wsl.version", title, Status.PASS, f"WSL 2, kernel {_release(ctx)}")


def _release(ctx: DoctorContext) -> str:
    match = re.match(r"Linux version (\S+)", ctx.kernel)
    return match.group(1) if match else (ctx.kernel or "unknown kernel")


def check_linux_driver(ctx: DoctorContext) -> CheckResult:
    """No Linux NVIDIA driver inside WSL: it shadows the Windows driver's libraries."""
    title = "No Linux NVIDIA driver inside WSL"
    if ctx.wsl_version is None:
        return CheckResult("wsl.linux_driver", title, Status.SKIP, NOT_WSL)
    query = ctx.run(["dpkg-query", "-W", "-f=${Package} ${db:Status-Abbrev}\\n",
                     *LINUX_DRIVER_PACKAGES])
    packages = [line.split()[0] for line in query.stdout.splitlines()
                if len(line.split()) > 1 and line.split()[1].startswith("i")]
    files = [path for path in LINUX_DRIVER_FILES
             if ctx.host(path).is_file() and not ctx.host(path).is_symlink()]
    if packages or files:
        remove = (f"`sudo apt-get remove --purge {' '.join(packages)}`" if packages
                  else f"remove {', '.join(files)} (installed by a .run driver installer)")
        return CheckResult("wsl.linux_driver", title, Status.FAIL,
                           "A Linux NVIDIA driver is installed inside WSL; it hides the Windows "
                           "driver's WSL libraries and breaks CUDA.",
                           f"{remove}, then `wsl --shutdown` in PowerShell. Inside WSL install "
                           "only cuda-toolkit-12-x when you need the toolkit, never `cuda` or "
                           "`cuda-drivers`.",
                           details=packages + files)
    if not ctx.host("/usr/lib/wsl/lib/libcuda.so.1").exists():
        return CheckResult("wsl.linux_driver", title, Status.WARN,
                           "No Linux driver inside WSL, but the Windows driver's libraries are "
                           "missing too (/usr/lib/wsl/lib/libcuda.so.1).",
                           "Install or update the NVIDIA driver on Windows, then `wsl --shutdown`.")
    return CheckResult("wsl.linux_driver", title, Status.PASS,
                       "Only the Windows driver's libraries (/usr/lib/wsl/lib).")


def check_repo_location(ctx: DoctorContext) -> CheckResult:
    """The repository on the Linux filesystem, not a Windows drive under /mnt."""
    title = "Repository location"
    if ctx.wsl_version is None:
        return CheckResult("wsl.repo_location", title, Status.SKIP, NOT_WSL)
    repo = str(ctx.repo_dir)
    if not re.match(r"^/mnt/[a-z]/", repo):
        return CheckResult("wsl.repo_location", title, Status.PASS,
                           f"{repo} is on the Linux filesystem (fast, with file events).")
    polling = ctx.env("WATCH_POLLING") == "1"
    summary = (f"{repo} is on a Windows drive: file access is slow and no file events reach "
               "WSL or containers, so hot reload needs polling.")
    move = "Clone it inside WSL instead (e.g. `git clone ... ~/posepipe`) and work from there"
    if polling:
        return CheckResult("wsl.repo_location", title, Status.WARN,
                           summary + " WATCH_POLLING=1 is set, so reload works (slowly).",
                           f"{move}.")
    return CheckResult("wsl.repo_location", title, Status.WARN, summary,
                       f"{move}, or set WATCH_POLLING=1 in .env.")


def _gib(value: str) -> float | None:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)B?\s*", value, re.IGNORECASE)
    if not match:
        return None
    scale = {"": 1 / 1024**3, "K": 1 / 1024**2, "M": 1 / 1024, "G": 1.0, "T": 1024.0}
    return float(match.group(1)) * scale[match.group(2).upper()]


def _compose_memory_gib(ctx: DoctorContext) -> float:
    limits = {"POSE_MEM_LIMIT": "16g", "API_MEM_LIMIT": "2g", "FRONTEND_MEM_LIMIT": "2g",
              "REDIS_MEM_LIMIT": "1g", "MONGODB_MEM_LIMIT": "2g"}
    return sum(_gib(ctx.env(name, default)) or 0.0 for name, default in limits.items())


def windows_profile(ctx: DoctorContext) -> str | None:
    """The Windows user's profile folder as a WSL path (/mnt/c/Users/me), via interop."""
    result = ctx.run(["cmd.exe", "/c", "echo %USERPROFILE%"], timeout_s=10.0)
    text = result.stdout.strip() if result.ok else ""
    match = re.fullmatch(r"([A-Za-z]):\\(.*)", text)
    if not match:
        return None
    return f"/mnt/{match.group(1).lower()}/" + match.group(2).replace("\\", "/")


def check_wslconfig(ctx: DoctorContext) -> CheckResult:
    """.wslconfig caps the VM's memory and keeps some swap."""
    title = ".wslconfig memory and swap"
    if ctx.wsl_version is None:
        return CheckResult("wsl.wslconfig", title, Status.SKIP, NOT_WSL)
    needed = _compose_memory_gib(ctx)
    suggestion = (f"[wsl2]\nmemory={int(needed) + 4}GB\nswap=8GB  (then `wsl --shutdown`); "
                  "keep memory below about 3/4 of Windows' RAM")
    profile = windows_profile(ctx)
    if profile is None:
        return CheckResult("wsl.wslconfig", title, Status.WARN,
                           "Could not find the Windows profile folder (Windows interop off?).",
                           f"Check %USERPROFILE%\\.wslconfig by hand; it should say:\n{suggestion}")
    path = f"{profile}/.wslconfig"
    text = ctx.read_host(path)
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    if text:
        try:
            parser.read_string(text)
        except configparser.Error:
            return CheckResult("wsl.wslconfig", title, Status.WARN,
                               f"{path} cannot be read as an ini file.",
                               f"Rewrite it as:\n{suggestion}")
    section = parser["wsl2"] if parser.has_section("wsl2") else {}
    memory = _gib(section.get("memory", "")) if section.get("memory") else None
    swap = _gib(section.get("swap", "")) if section.get("swap") else None
    if memory is None:
        where = "has no [wsl2] memory=" if text else "does not exist"
        return CheckResult("wsl.wslconfig", title, Status.WARN,
                           f"{path} {where}: the WSL VM may grow to most of Windows' RAM, and "
                           "under GPU load Windows itself runs out.",
                           f"Write to {path}:\n{suggestion}")
    if memory < needed:
        return CheckResult("wsl.wslconfig", title, Status.WARN,
                           f"memory={memory:g}GB is less than the containers' limits "
                           f"({needed:g} GB): the VM can run out before Docker stops anything.",
                           f"Raise memory= in {path}, or lower POSE_MEM_LIMIT in .env.")
    if swap == 0:
        return CheckResult("wsl.wslconfig", title, Status.WARN,
                           f"swap=0 in {path}: a memory spike kills processes at once.",
                           f"Set swap=8GB in {path}, then `wsl --shutdown`.")
    return CheckResult("wsl.wslconfig", title, Status.PASS,
                       f"memory={memory:g}GB (containers' limits: {needed:g} GB), "
                       f"swap={'default' if swap is None else f'{swap:g}GB'}")
