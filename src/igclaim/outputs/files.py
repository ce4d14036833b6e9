"""Writing an output file so that no write loses earlier data: the new content goes to a temporary file beside the
target and replaces it in one step, so a failed write (a full disk, Ctrl-C) leaves the earlier file whole; and an
output that names one of the command's own inputs is refused before anything is written."""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO


def write_atomic(path: Path, data: str | bytes | Callable[[BinaryIO], object]) -> None:
    """Replace `path` with `data` (text as UTF-8; a callable writes into the open file, so a large document is
    written as it is made, never held whole) in one step; raises OSError. The permissions are those a plain
    write would give. A link is followed (its target is replaced, the link kept); a target that is not a regular
    file (`/dev/stdout`, a named pipe, a device) is written in place, since replacing it would put a regular file
    where the device or the link was (`--out /dev/stdout` run as root replaced the system's /dev/stdout)."""
    if callable(data):
        write = data
    else:
        payload = data.encode("utf-8") if isinstance(data, str) else data

        def write(fh: BinaryIO) -> object:
            return fh.write(payload)
    if path.exists() and not path.is_file():  # links followed: /dev/stdout is a pipe or a terminal here
        with path.open("wb") as fh:
            write(fh)
        return
    path = path.resolve() if path.is_symlink() else path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def json_writer(doc: Any) -> Callable[[BinaryIO], None]:
    """`write_atomic`'s writer of a JSON document, indented: json.dumps with an indent builds a list of every
    piece before joining them (an 8,000-claim denials.json took 130 MB more than its 24 MB of text); json.dump
    writes the pieces as they come."""

    def write(fh: BinaryIO) -> None:
        text = io.TextIOWrapper(fh, encoding="utf-8", newline="\n", write_through=False)
        json.dump(doc, text, indent=2, default=str)
        text.write("\n")
        text.flush()
        text.detach()

    return write


def is_an_input(out: Path, inputs: list[str | Path]) -> bool:
    """Whether `out` is one of these input files (the same file by another path, a link, too)."""
    for given in inputs:
        p = Path(given)
        try:
            if out.exists() and p.exists() and out.samefile(p):
                return True
        except OSError:
            pass
        if out.resolve() == p.resolve():
            return True
    return False
