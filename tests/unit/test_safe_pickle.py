"""The restricted loader: PHALP's files load, a pickle that would run a command does not."""

from __future__ import annotations

import os
import pickle
import zlib
from pathlib import Path

import joblib
import numpy as np
import pytest

from posepipe.errors import InvalidInput, UnsafePickle
from posepipe.phalp.safe_pickle import load_results_pickle
from tests.unit.phalp_fixture import build_results, write_results


class _RunsACommand:
    """Unpickling this calls os.system: what a malicious results file would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


def _same(a: object, b: object) -> None:
    if isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b)
        for key in a:
            _same(a[key], b[key])
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _same(x, y)
    elif isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    else:
        assert type(a) is type(b) and a == b


def test_phalp_results_load_exactly_as_joblib_loads_them(tmp_path: Path) -> None:
    path = tmp_path / "demo_clip.pkl"
    write_results(path)
    assert path.read_bytes()[:1] == b"\x78"  # compress=3: a zlib stream
    _same(joblib.load(path), load_results_pickle(path))


def test_uncompressed_joblib_files_load_too(tmp_path: Path) -> None:
    path = tmp_path / "plain.pkl"
    joblib.dump(build_results(frames=8), path)
    _same(joblib.load(path), load_results_pickle(path))


@pytest.mark.parametrize("compress", [3, 0, ("gzip", 3), ("bz2", 3), ("xz", 3)])
def test_a_pickle_that_would_run_a_command_is_refused(tmp_path: Path, compress: object) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pkl"
    payload = build_results(frames=6)
    payload["outputs//_DEMO/clip/img/000001.jpg"]["extra"] = _RunsACommand(marker)
    joblib.dump(payload, path, compress=compress)
    with pytest.raises(UnsafePickle, match=r"names (posix|os)\.system"):
        load_results_pickle(path)
    assert not marker.exists()


def test_a_plain_pickle_naming_other_callables_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"x": _RunsACommand(tmp_path / "m")}))
    with pytest.raises(UnsafePickle):
        load_results_pickle(path)
    path.write_bytes(b"\x80\x04cbuiltins\neval\n(V__import__('os')\ntR.")
    with pytest.raises(UnsafePickle, match=r"builtins\.eval"):
        load_results_pickle(path)


def test_arrays_of_python_objects_are_refused(tmp_path: Path) -> None:
    # joblib reads object arrays with a nested unpickler; older joblib does not restrict it.
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pkl"
    joblib.dump({"x": np.array([_RunsACommand(marker)], dtype=object)}, path, compress=3)
    with pytest.raises(UnsafePickle, match="array of Python objects"):
        load_results_pickle(path)
    assert not marker.exists()


def test_numpy2_spelling_of_numpy_classes_is_admitted(tmp_path: Path) -> None:
    # numpy 2 writes numpy._core.*; numpy 1 wrote numpy.core.*: both must load.
    value = {"conf": np.float32(0.875), "joints": np.arange(6, dtype=np.float32)}
    stream = pickle.dumps(value, protocol=3)  # text GLOBAL opcodes, no frames: easy to edit
    assert b"cnumpy.core.multiarray\n" in stream
    renamed = stream.replace(b"cnumpy.core.multiarray\n", b"cnumpy._core.multiarray\n")
    path = tmp_path / "numpy2.pkl"
    path.write_bytes(zlib.compress(renamed, 3))
    loaded = load_results_pickle(path)
    assert loaded["conf"] == np.float32(0.875) and isinstance(loaded["conf"], np.float32)
    np.testing.assert_array_equal(loaded["joints"], value["joints"])


def test_damaged_and_foreign_files_are_invalid_input(tmp_path: Path) -> None:
    good = tmp_path / "good.pkl"
    write_results(good, frames=10)
    cut = tmp_path / "cut.pkl"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    text = tmp_path / "notes.pkl"
    text.write_text("these are not results\n")
    for path in (cut, text, tmp_path / "absent.pkl"):
        with pytest.raises(InvalidInput):
            load_results_pickle(path)


def test_a_file_that_expands_past_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.pkl"
    joblib.dump({"zeros": np.zeros(1_000_000, dtype=np.float64)}, path, compress=3)
    assert path.stat().st_size < 100_000
    with pytest.raises(InvalidInput, match="expands past"):
        load_results_pickle(path, max_bytes=1024 * 1024)
