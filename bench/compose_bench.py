"""The Compose stack's figures: image sizes, build times (cold and cached), seconds from
`up` to each service healthy, and hot reload inside the containers next to the native one,
all in one run (these machines are noisy: compare within a run).

Runs on the engine `make test-compose` uses (scripts/docker-engine.sh), the CPU variant,
from a copy of the repository (tests/compose/harness.py).

    .venv/bin/python bench/compose_bench.py [--cold] [--ups 3] [--repeats 3]

--cold first removes posepipe's three images and the engine's build cache (the base images
stay: a registry would serve them) so the first build is a cold one.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the test suite's compose harness and real servers

from bench.hot_reload_bench import PROBE, measure_native  # noqa: E402
from tests.compose.harness import SERVICES, ComposeStack, DockerEngine  # noqa: E402

IMAGES = ("backend-api", "pose-service", "frontend")


def _wait(check, timeout_s: float, what: str) -> float:  # type: ignore[no-untyped-def]
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        try:
            if check():
                return time.monotonic() - t0
        except (httpx.HTTPError, ValueError, KeyError):
            pass
        time.sleep(0.02)
    raise TimeoutError(f"{what} not live after {timeout_s} s")


def _image_sizes(engine: DockerEngine, stack: ComposeStack) -> dict[str, float]:
    config = stack.compose("config", "--images").split()
    sizes = {}
    for image in config:
        if image.startswith("posepipe/"):
            size = int(engine.docker("image", "inspect", "-f", "{{.Size}}", image).strip())
            sizes[image] = size / 1e6
    return sizes


def _hot_reload_in_containers(stack: ComposeStack, repeats: int) -> tuple[list[float], list[float]]:
    """Seconds from saving a file of the copy to the change live: API probe, worker restart."""
    app_py = stack.root / "src" / "posepipe" / "api" / "app.py"
    module = stack.root / "src" / "posepipe" / "pose" / "pipeline.py"
    app_original, module_original = app_py.read_text(), module.read_text()
    probe = f"{stack.api_url}/api/_reload_probe"
    api, worker = [], []
    try:
        app_py.write_text(app_original + PROBE % 0)
        _wait(lambda: httpx.get(probe, timeout=2).json()["marker"] == 0, 120, "probe")
        stack.wait_health("pose-service", "healthy", 180)
        for marker in range(1, repeats + 1):
            time.sleep(1.0)
            app_py.write_text(app_original + PROBE % marker)
            api.append(_wait(lambda m=marker: httpx.get(probe, timeout=2).json()["marker"] == m,
                             60, "API change"))
            stack.wait_health("pose-service", "healthy", 180)
            time.sleep(1.0)
            module.write_text(module_original + f"\n# compose bench save {marker}\n")
            saved = time.monotonic()

            def fresh(saved_at: float = saved) -> bool:
                doc = httpx.get(stack.pose_health_url, timeout=2).json()
                return bool(doc["model_loaded"] and doc["uptime_s"] < time.monotonic() - saved_at)

            worker.append(_wait(fresh, 120, "worker restart"))
    finally:
        app_py.write_text(app_original)
        module.write_text(module_original)
    return api, worker


def _summary(times: list[float]) -> str:
    return f"{statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f})"


def main() -> int:
    """Measure and print Markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", action="store_true")
    parser.add_argument(
        "--force", action="store_true",
        help="allow --cold on the machine's own Docker (it prunes that engine's build cache)",
    )
    parser.add_argument("--ups", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    engine = DockerEngine.ensure()
    if args.cold and engine.kind != "private" and not args.force:
        engine.release()
        parser.error("--cold prunes the build cache of the machine's own Docker; add --force")
    print(f"engine: {engine.kind} Docker {engine.version}", flush=True)
    print(f"base images: {engine.base_images()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="posepipe-compose-bench-") as tmp:
        stack = ComposeStack(engine, Path(tmp) / "repo").prepare()
        try:
            if args.cold:
                for name in stack.compose("config", "--images").split():
                    if name.startswith("posepipe/"):
                        engine.docker("image", "rm", "-f", name, check=False)
                engine.docker("builder", "prune", "-af", timeout=600)
            first = stack.build()
            print(f"build ({'cold' if args.cold else 'as the cache was'}): {first:.1f} s",
                  flush=True)
            (stack.root / "src" / "posepipe" / "__init__.py").write_text(
                (stack.root / "src" / "posepipe" / "__init__.py").read_text() + "\n# bench\n")
            code_change = stack.build(tries=1)
            unchanged = stack.build(tries=1)
            print(f"build after a code change: {code_change:.1f} s; unchanged: {unchanged:.1f} s")
            for image, megabytes in _image_sizes(engine, stack).items():
                print(f"size {image}: {megabytes:.0f} MB")
            ups: dict[str, list[float]] = {name: [] for name in SERVICES}
            for n in range(args.ups):
                healthy = stack.up()
                for name, seconds in healthy.items():
                    ups[name].append(seconds)
                print(f"up {n + 1}: " + ", ".join(f"{k} {v:.1f} s" for k, v in healthy.items()),
                      flush=True)
                if n + 1 < args.ups:
                    stack.down()
            api, worker = _hot_reload_in_containers(stack, args.repeats)
        finally:
            stack.down(volumes=True)
            engine.release()
    api_native, worker_native = measure_native(args.repeats, modes=("inotify",))["inotify"]
    print("\n| service | up -> healthy, median (min, max) |\n|---|---|")
    for name in SERVICES:
        print(f"| {name} | {_summary(ups[name])} |")
    print("\n| hot reload | in the container | native | ratio |\n|---|---|---|---|")
    for label, inside, native in (("backend-api", api, api_native),
                                  ("pose-service worker", worker, worker_native)):
        ratio = statistics.median(inside) / statistics.median(native)
        print(f"| {label} | {_summary(inside)} | {_summary(native)} | {ratio:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
