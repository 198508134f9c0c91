"""The hmr2 backend's upstream names: one list (posepipe.pose.hmr2_imports), and a complete one.

4D-Humans, PHALP, detectron2 and NMR are installed only in the CUDA image, so nothing here
imports them. These tests read the backend's own source (ast) instead: every upstream import
posepipe makes is made by `import_upstream()`, the check the image's build and `make
gpu-check` run, and everything the backend does with those names (the methods it calls or
overrides, the functions it replaces, the config keys it sets) is among what that check checks.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from posepipe.errors import BackendUnavailable
from posepipe.pose import hmr2_imports, hmr2_runtime
from posepipe.pose.hmr2_imports import (
    CONFIG_KEYS,
    DEEPSORT_CALLS,
    DETECTRON2_CONFIGS,
    REPLACED_FUNCTIONS,
    TRACK_CALLS,
    TRACK_MODULE,
    TRACKER_CALLS,
    TRACKER_OVERRIDES,
    UPSTREAM_PACKAGES,
    VITDET_CONFIG,
    Upstream,
)

REPO = Path(__file__).resolve().parents[2]
SOURCES = [*sorted((REPO / "src/posepipe").rglob("*.py")), *sorted((REPO / "scripts").glob("*.py"))]
IMPORTS_MODULE = REPO / "src/posepipe/pose/hmr2_imports.py"
RUNTIME = REPO / "src/posepipe/pose/hmr2_runtime.py"
BACKEND = REPO / "src/posepipe/pose/hmr2_backend.py"
RECORDER = REPO / "src/posepipe/phalp/record.py"
GPU_CHECK = REPO / "scripts/gpu_check.py"


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def _upstream_imports(tree: ast.Module) -> list[tuple[ast.AST, str]]:
    """(node, module) for each import of an upstream package, wherever it sits in the file."""
    found: list[tuple[ast.AST, str]] = []
    for node in ast.walk(tree):
        modules: list[str] = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        elif (isinstance(node, ast.Call) and ast.unparse(node.func).endswith("import_module")
              and node.args and isinstance(node.args[0], ast.Constant)):
            modules = [str(node.args[0].value)]
        found += [(node, m) for m in modules if m.split(".")[0] in UPSTREAM_PACKAGES]
    return found


def _top_level_functions(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}


def _called_names(node: ast.AST) -> set[str]:
    return {call.func.id for call in ast.walk(node)
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Name)}


def _calls_on(tree: ast.Module, receivers: set[str]) -> list[tuple[str, int, int]]:
    """(method, positional arguments, line) of each call `<receiver>.<method>(...)`."""
    calls = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and ast.unparse(node.func.value) in receivers):
            assert not node.keywords, f"line {node.lineno}: the check counts positional arguments"
            calls.append((node.func.attr, len(node.args), node.lineno))
    return calls


def test_only_hmr2_imports_imports_the_upstream_packages() -> None:
    offenders = [f"{path.relative_to(REPO)}:{getattr(node, 'lineno', '?')} imports {module}"
                 for path in SOURCES if path != IMPORTS_MODULE
                 for node, module in _upstream_imports(_tree(path))]
    assert not offenders, f"take these from posepipe.pose.hmr2_imports.Upstream: {offenders}"
    # The scan does see imports where they are: the one list is not empty.
    seen = {module for _, module in _upstream_imports(_tree(IMPORTS_MODULE))}
    assert {"hmr2.models", "hmr2.configs", "detectron2.config", "neural_renderer"} <= seen
    # 4D-Humans' track.py, imported by path, is loaded in that module only.
    loaders = [p for p in SOURCES if "spec_from_file_location" in p.read_text()]
    assert loaders == [IMPORTS_MODULE]


def test_the_check_makes_every_upstream_import_of_the_list() -> None:
    tree = _tree(IMPORTS_MODULE)
    functions = _top_level_functions(tree)
    reached, todo = set(), ["import_upstream"]
    while todo:  # the module's functions import_upstream runs, directly or not
        name = todo.pop()
        if name in functions and name not in reached:
            reached.add(name)
            todo += _called_names(functions[name])
    assert "load_track_module" in reached
    for node, module in _upstream_imports(tree):
        line = getattr(node, "lineno", 0)
        owner = next((name for name, fn in functions.items()
                      if fn.lineno <= line <= (fn.end_lineno or fn.lineno)), None)
        assert owner in reached, f"line {line}: {module} is imported outside import_upstream()"
    # And the backend and `make gpu-check` take their names from that same function.
    for path in (RUNTIME, GPU_CHECK):
        assert "import_upstream" in _called_names(_tree(path)), path.name


def test_the_backend_reads_only_what_the_check_returns() -> None:
    used = set()
    for path in (RUNTIME, BACKEND, GPU_CHECK):
        used |= {node.attr for node in ast.walk(_tree(path))
                 if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                 and node.value.id == "upstream"}
    assert used == {field.name for field in dataclasses.fields(Upstream)}


@pytest.mark.parametrize(
    ("path", "receivers", "checked"),
    [
        (BACKEND, {"tracker", "self._tracker"}, TRACKER_CALLS),
        (BACKEND, {"tracker.tracker", "self._tracker.tracker"}, DEEPSORT_CALLS),
        (RECORDER, {"track"}, TRACK_CALLS),
    ],
    ids=["PHALP", "DeepSORT Tracker", "DeepSORT Track"],
)
def test_every_upstream_method_the_backend_calls_is_checked_with_its_arguments(
    path: Path, receivers: set[str], checked: dict[str, int]
) -> None:
    calls = _calls_on(_tree(path), receivers)
    if checked is TRACKER_CALLS:  # reference_track() runs PHALP's own loop
        calls += _calls_on(_tree(RUNTIME), receivers)
    for method, arguments, line in calls:
        assert checked.get(method) == arguments, f"{path.name}:{line}: {method}({arguments})"
    assert {method for method, _, _ in calls} == set(checked)


def test_the_methods_the_runtime_overrides_are_checked() -> None:
    factory = _top_level_functions(_tree(RUNTIME))["tracker_class"]
    (subclass,) = [node for node in ast.walk(factory) if isinstance(node, ast.ClassDef)]
    overrides = {node.name: node for node in subclass.body if isinstance(node, ast.FunctionDef)}
    assert set(overrides) == set(TRACKER_OVERRIDES)
    replaced = hmr2_runtime.tracker_class(object)
    for name, arguments in TRACKER_OVERRIDES.items():  # they take what PHALP passes them
        inspect.signature(getattr(replaced, name)).bind(None, *([None] * arguments))


def test_the_functions_the_runtime_replaces_are_checked() -> None:
    patch = _top_level_functions(_tree(RUNTIME))["patch_hmr2_loading"]
    assigned = {target.attr for node in ast.walk(patch) if isinstance(node, ast.Assign)
                for target in node.targets if isinstance(target, ast.Attribute)
                and ast.unparse(target.value) == "upstream.hmr2_models"}
    assert assigned == set(REPLACED_FUNCTIONS)
    module = ModuleType("hmr2.models")
    fields = {field.name: None for field in dataclasses.fields(Upstream)}
    hmr2_runtime.patch_hmr2_loading(Upstream(**{**fields, "hmr2_models": module}))
    for name, arguments in REPLACED_FUNCTIONS.items():  # HMR2Predictor calls them bare
        inspect.signature(getattr(module, name)).bind(*([None] * arguments))


def test_every_config_key_the_backend_sets_or_reads_is_checked() -> None:
    roots = ("cfg.", "self._cfg.", "tracker.cfg.")
    chains = set()
    for path in (RUNTIME, BACKEND):
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Attribute):
                text = ast.unparse(node)
                chains |= {text[len(root):] for root in roots if text.startswith(root)}
    keys = {c for c in chains if not any(other.startswith(c + ".") for other in chains)}
    assert keys == set(CONFIG_KEYS)


def test_the_check_names_a_missing_method_a_changed_signature_and_a_missing_key() -> None:
    class Tracker:
        def get_detections(
            self, image: object, frame: str, t: int, extra: object = None, sizes: object = None
        ) -> None:
            """Takes what the backend passes."""

        def setup_deepsort(self, cfg: object) -> None:
            """Grew an argument the backend does not pass."""

    problems = hmr2_imports._missing_calls(
        Tracker, {"get_detections": 5, "setup_deepsort": 0, "track": 0}, "HMR2_4dhuman",
        method=True)
    assert problems == [
        "HMR2_4dhuman.setup_deepsort does not take 0 argument(s): missing a required argument: "
        "'cfg'",
        "HMR2_4dhuman has no track",
    ]
    config = {"video": {"source": "???", "output_dir": "o", "end_frame": 1300},
              "render": {"enable": True}, "phalp": {"detector": "vitdet", "n_init": 5},
              "overwrite": True, "device": "cuda"}
    assert hmr2_imports._missing_config_keys(config) == ["Human4DConfig has no phalp.shot"]


def test_without_a_4d_humans_checkout_the_check_fails_and_says_why(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "posepipe.pose.hmr2_imports", str(tmp_path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "FAILED" in result.stderr and "POSE_HMR2_REPO_DIR" in result.stderr


def test_a_track_py_that_does_not_import_is_reported_and_not_kept(tmp_path: Path) -> None:
    (tmp_path / "track.py").write_text("import posepipe_no_such_module\n")
    with pytest.raises(BackendUnavailable, match="do not import: ModuleNotFoundError"):
        hmr2_imports.load_track_module(tmp_path)
    assert TRACK_MODULE not in sys.modules  # the next try imports it afresh


def test_gpu_check_runs_the_check_first_whatever_the_gpu() -> None:
    main = _top_level_functions(_tree(GPU_CHECK))["main"]
    checks = [node for node in main.body if isinstance(node, ast.Expr)
              and isinstance(node.value, ast.Call) and ast.unparse(node.value.func) == "_check"]
    assert ast.unparse(checks[0].value.args[1]) == "upstream_imports"  # first, and unconditional
    recipe = re.search(r"^gpu-check:.*\n((?:\t.*\n)+)", (REPO / "Makefile").read_text(), re.M)
    assert recipe is not None
    commands = [line.strip() for line in recipe.group(1).splitlines() if "$(GPU_PY)" in line]
    assert "scripts/gpu_check.py" in commands[0]


def test_the_doc_records_every_checked_name_at_the_pinned_commits() -> None:
    doc = (REPO / "docs" / "hmr2-upstream.md").read_text()
    names = [field.name for field in dataclasses.fields(Upstream)]
    names += [*TRACKER_CALLS, *TRACKER_OVERRIDES, *DEEPSORT_CALLS, *TRACK_CALLS,
              *REPLACED_FUNCTIONS, *CONFIG_KEYS, *DETECTRON2_CONFIGS, VITDET_CONFIG]
    assert [name for name in names if f"`{name}`" not in doc] == []
    dockerfile = (REPO / "docker" / "pose-service.Dockerfile").read_text()
    for arg in ("HMR2_COMMIT", "PHALP_COMMIT", "DETECTRON2_COMMIT", "NMR_COMMIT"):
        match = re.search(rf"^ARG {arg}=([0-9a-f]{{40}})$", dockerfile, re.M)
        assert match and match.group(1) in doc, f"{arg} is not the commit the doc was read at"
