"""The bundled catalog kept between processes, as CPython keeps a module's bytecode in __pycache__.

Reading the bundled TOML and CSV files and building the catalog from them (`resolver.reference`, `mac.mac`,
`store.bundled_snapshot`, the coverage policies, each ICD-10-CM release's index) costs a new process about 17 ms,
a tenth of a one-pass run over 1,000 charts (benchmarks/RESULTS.md). `make setup` keeps each one pickled in
refdata/__pycache__ (`main`), and so does any process that builds one where Python writes bytecode; later
processes load each in about a millisecond or less.

A kept catalog is used only while nothing it could have been built from has changed. Its stamp is the Python version
and the size and modification time (in nanoseconds) of every file of the igclaim package's top level and of refdata/
and its folders: the data files, and all the code that builds the catalog or defines its classes (the builders
import nothing else of igclaim: tests/test_catalog_cache.py). It is the stamp CPython trusts a .pyc with. Anything
else (another stamp, an unreadable or truncated file) builds the catalog again. A write replaces the file whole, so a
reader never sees half of one. The file holds what the package's own files hold and sits beside them: loading it
trusts no more than importing the package does.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

T = TypeVar("T")
PACKAGE = Path(__file__).resolve().parent.parent  # igclaim/
FOLDER = PACKAGE / "refdata" / "__pycache__"
ENV_OFF = "IGCLAIM_NO_CATALOG_CACHE"  # set (not empty): always build, never read or write a kept catalog
_force_write = False  # main(): keep the catalogs whatever sys.dont_write_bytecode says


def files_of(package: Path) -> tuple[tuple[str, int, int], ...]:
    """Each file (path in the package, size, mtime in ns) of the package's top level and of its refdata/ folder
    and the folders in it, __pycache__ folders left out, sorted."""
    files: list[tuple[str, int, int]] = []
    for folder, deep in ((package, False), (package / "refdata", True)):
        stack = [folder]
        while stack:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        if deep and entry.name != "__pycache__":
                            stack.append(Path(entry.path))
                    else:
                        st = entry.stat()
                        files.append((Path(entry.path).relative_to(package).as_posix(), st.st_size, st.st_mtime_ns))
    return tuple(sorted(files))


@cache
def stamp() -> tuple[Any, ...] | None:
    """What a kept catalog must have been built from (read once per process); None where the package's files cannot
    be listed (a zip import): nothing is kept there."""
    try:
        return sys.version, files_of(PACKAGE)
    except OSError:
        return None


def path(name: str) -> Path:
    return FOLDER / f"{name}.{sys.implementation.cache_tag}.pickle"


def _stamped(f: BinaryIO, want: tuple[Any, ...] | None) -> bool:
    """Whether an open kept file was built from `want` (never from None: a file is written only under a stamp): its
    stamp comes first, its value after."""
    return bool(pickle.load(f) == want)


def current(name: str) -> bool:
    """Whether the kept file of this name was built from this package as it is now (what `kept` loads): a benchmark
    says so, since a stale one makes every process build the catalog again."""
    with contextlib.suppress(Exception), path(name).open("rb") as f:  # missing, unreadable, cut short: not current
        return _stamped(f, stamp())
    return False


def kept(name: str, build: Callable[[], T]) -> T:
    """The value `build()` returns: from the kept file of this name when its stamp is this package's, else built now
    (and kept for the next process where bytecode may be written, or by `main`)."""
    want = None if os.environ.get(ENV_OFF) else stamp()
    if want is None:
        return build()
    file = path(name)
    # Missing, unreadable, truncated, or holding a class this code no longer has: built again.
    with contextlib.suppress(Exception), file.open("rb") as f:
        if _stamped(f, want):
            value: T = pickle.load(f)
            return value
    value = build()
    if _force_write or not sys.dont_write_bytecode:
        _write(file, want, value)
    return value


def _write(file: Path, want: tuple[Any, ...], value: object) -> None:
    import tempfile  # only a process that writes pays for its import

    tmp = None
    try:
        file.parent.mkdir(exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=file.parent, prefix=f".{file.name}.", delete=False) as f:
            tmp = f.name
            pickle.dump(want, f, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.chmod(tmp, (PACKAGE / "__init__.py").stat().st_mode & 0o666)  # readable as the package's own files are
        os.replace(tmp, file)  # whole or not at all: a concurrent reader sees the old file or the new one
        tmp = None
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        # Not kept (a read-only install, a full disk; a value pickle cannot write, which the tests catch): the next
        # process builds it again, as it would compile a module whose .pyc it cannot write.
        pass
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def main() -> None:
    """Keep every catalog now, even where Python writes no bytecode (PYTHONDONTWRITEBYTECODE), as `python -m
    compileall` does: `make setup` runs it after building the compiled core, whose files are part of the stamp."""
    global _force_write
    from igclaim.refdata import coverage, icd10, mac, resolver, store

    _force_write = True
    try:
        resolver.reference()
        mac.mac()
        store.bundled_snapshot()
        for name in coverage.bundled_policies():
            coverage.policy(name)
        for release in icd10._bundled():
            if not isinstance(release.listed, frozenset):
                icd10._indexed(release.listed)
    finally:
        _force_write = False
