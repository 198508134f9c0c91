"""Load a PHALP results file (a joblib pickle) without letting it run code.

Unpickling calls whatever callables the file names, so a crafted `.pkl` can run any
command. This loader admits only what PHALP's `joblib.dump(..., compress=3)` writes:
joblib's array wrapper, numpy arrays, dtypes and scalars, and plain containers (which
pickle builds without naming a class). Anything else raises `UnsafePickle` before it is
called. Arrays of Python objects are refused too: joblib loads those with a second,
nested unpickler that older joblib releases do not restrict.

numpy 2 pickles name `numpy._core.*` where numpy 1 wrote `numpy.core.*`; both spellings
are admitted and mapped to the running numpy, so files load across the two.
"""

from __future__ import annotations

import bz2
import importlib
import inspect
import lzma
import pickle
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np

from posepipe.errors import InvalidInput, UnsafePickle

# (module, name) pairs a PHALP results file may name, numpy core modules spelled the
# numpy-1 way (`numpy.core.`); `_canonical` maps numpy-2 spellings onto these.
ALLOWED_GLOBALS: frozenset[tuple[str, str]] = frozenset(
    {
        ("joblib.numpy_pickle", "NumpyArrayWrapper"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy.core.numeric", "_frombuffer"),
    }
)

# A zlib stream expands this much at most; a file that claims more is refused.
DEFAULT_MAX_BYTES = 8 * 1024**3
_CHUNK = 1 << 20
_SPOOL_BYTES = 64 * 1024**2
_NUMPY_CORE = "numpy._core" if int(np.__version__.split(".")[0]) >= 2 else "numpy.core"


def _canonical(module: str) -> str:
    for prefix in ("numpy._core.", "numpy.core."):
        if module.startswith(prefix):
            return "numpy.core." + module[len(prefix) :]
    return module


def _resolve(module: str, name: str) -> Any:
    canonical = _canonical(module)
    if canonical.startswith("numpy.core."):
        canonical = _NUMPY_CORE + canonical[len("numpy.core") :]
    return getattr(importlib.import_module(canonical), name)


def _unpickler_class() -> type:
    """joblib's NumpyUnpickler with a class allowlist; built lazily so joblib stays optional."""
    try:
        from joblib.numpy_pickle import NumpyArrayWrapper, NumpyUnpickler
    except ImportError as exc:  # pragma: no cover - joblib is a dependency of both extras
        raise InvalidInput("reading PHALP results needs joblib: pip install joblib") from exc

    class RestrictedNumpyUnpickler(NumpyUnpickler):
        dispatch = NumpyUnpickler.dispatch.copy()

        def find_class(self, module: str, name: str) -> Any:
            if (_canonical(module), name) not in ALLOWED_GLOBALS:
                raise UnsafePickle(
                    f"the results file names {module}.{name}, which a PHALP results file "
                    "never holds; refusing to load it (a pickle can run code when loaded)"
                )
            return _resolve(module, name)

        def load_build(self) -> None:
            instance, state = self.stack[-2], self.stack[-1]
            if isinstance(instance, NumpyArrayWrapper) and isinstance(state, dict):
                dtype = state.get("dtype")
                if not isinstance(dtype, np.dtype) or dtype.hasobject:
                    raise UnsafePickle(
                        "the results file holds an array of Python objects, which PHALP "
                        "never writes; refusing to load it"
                    )
            super().load_build()

        dispatch[pickle.BUILD[0]] = load_build

    return RestrictedNumpyUnpickler


def _new_unpickler(cls: Any, path: Path, handle: IO[bytes]) -> Any:
    # joblib 1.5 added ensure_native_byte_order to the constructor.
    if "ensure_native_byte_order" in inspect.signature(cls.__init__).parameters:
        return cls(str(path), handle, ensure_native_byte_order=True)
    return cls(str(path), handle)


def _decompressor(magic: bytes) -> Callable[[], Any] | None:
    """A streaming decompressor factory for the file's compression, None when uncompressed."""
    if magic[:1] == b"\x78":  # joblib's default compress=N is a raw zlib stream
        return zlib.decompressobj
    if magic[:2] == b"\x1f\x8b":
        return lambda: zlib.decompressobj(wbits=31)
    if magic[:3] == b"BZh":
        return bz2.BZ2Decompressor
    if magic[:6] == b"\xfd7zXZ\x00" or magic[:1] == b"\x5d":
        return lzma.LZMADecompressor
    if magic[:1] == b"\x80":  # a pickle protocol opcode: not compressed
        return None
    if magic[:2] == b"ZF":
        raise InvalidInput("this joblib file predates joblib 0.9.3 and cannot be read")
    if magic[:4] == b"\x04\x22\x4d\x18":
        raise InvalidInput("lz4-compressed results are not supported; re-save with compress=3")
    raise InvalidInput("not a joblib/pickle results file (unknown file header)")


@contextmanager
def _decompressed(path: Path, max_bytes: int) -> Iterator[IO[bytes]]:
    """The file's pickle stream, decompressed into a spooled temporary file."""
    with path.open("rb") as raw, tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as out:
        factory = _decompressor(raw.read(6))
        raw.seek(0)
        if factory is None:
            yield raw
            return
        decompressor = factory()
        total = 0
        try:
            while chunk := raw.read(_CHUNK):
                data = decompressor.decompress(chunk)
                total += len(data)
                if total > max_bytes:
                    raise InvalidInput(
                        f"{path.name}: expands past {max_bytes // 1024**2} MiB; refusing it"
                    )
                out.write(data)
        except (zlib.error, OSError, EOFError, lzma.LZMAError) as exc:
            raise InvalidInput(f"{path.name}: the compressed data is damaged ({exc})") from exc
        out.seek(0)
        yield out


def sniff_results_file(path: Path) -> None:
    """Refuse a file that is not a (compressed) pickle, without unpickling any of it.

    For the API, which stores results for the worker and never loads them itself.
    """
    with path.open("rb") as raw:
        head = raw.read(_CHUNK)
    if not head:
        raise InvalidInput(f"{path.name}: the results file is empty")
    factory = _decompressor(head[:6])
    start = head
    if factory is not None:
        try:
            start = factory().decompress(head)
        except (zlib.error, OSError, EOFError, lzma.LZMAError) as exc:
            raise InvalidInput(f"{path.name}: the compressed data is damaged ({exc})") from exc
    if start and start[:1] != b"\x80":  # empty: a bz2 block longer than the head read
        raise InvalidInput(f"{path.name}: not a joblib/pickle results file")


def load_results_pickle(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Any:
    """Load a joblib/pickle file admitting only numpy and joblib's array classes."""
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    with _decompressed(path, max_bytes) as stream:
        unpickler = _new_unpickler(_unpickler_class(), path, stream)
        try:
            return unpickler.load()
        except UnsafePickle:
            raise
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError,
                IndexError, KeyError) as exc:
            raise InvalidInput(f"{path.name}: not a readable results pickle ({exc})") from exc
