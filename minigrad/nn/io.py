"""``save(state, path)`` and ``load(path)``: state dicts as NumPy ``.npz`` archives, never pickles.

The file is a standard ``.npz`` (one ``<key>.npy`` entry per array, readable by ``np.load``),
written at exactly ``path`` (no ``.npz`` is appended). A nested dict such as
``{"model": model.state_dict(), "optimizer": opt.state_dict()}`` is stored with ``/`` between the
levels (entry ``model/0.weight.npy``), and ``load`` rebuilds the nesting; so ``/`` cannot appear in
a key. ``save`` writes a temporary file next to ``path``, flushes it to disk and only then renames it
over ``path``: an error or Ctrl-C mid-write leaves the previous file as it was.

Loading uses ``allow_pickle=False``, so a file can never execute code; anything that is not a
well-formed archive of plain arrays — a truncated download, a text or pickle file, an object array —
raises ``ValueError`` saying why.
"""
from __future__ import annotations

import contextlib
import os
import stat
import uuid
import zipfile
from typing import IO, Any, Callable

import numpy as np

from .. import checks
from ..tensor import Tensor

__all__ = ["save", "load"]

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a zip with entries, an empty zip
_NPY_MAGIC = b"\x93NUMPY"
_SEP = "/"  # between the levels of a nested dict (a folder inside the zip)


def save(state_dict: dict, path: str | os.PathLike | IO[bytes]) -> None:
    """Write ``state_dict`` (name -> array, Tensor, number, or a nested dict of those) to ``path``.

    ``mg.save(model.state_dict(), "model.npz")``; restore with
    ``model.load_state_dict(mg.load("model.npz"))``. Values must be numeric or boolean arrays.
    ``path`` is a file path (replaced atomically) or a binary file object (written in place).
    """
    if not isinstance(state_dict, dict):
        raise TypeError(f"save expects a dict of name -> array (e.g. model.state_dict()); "
                        f"received {type(state_dict).__name__}")
    _check_path("save", path)
    entries: list[tuple[str, np.ndarray | None]] = []
    _flatten(state_dict, "", entries)

    def write(f: IO[bytes]) -> None:
        with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            for key, arr in entries:
                if arr is None:
                    zf.writestr(key + _SEP, b"")  # a folder entry: an empty nested dict survives
                    continue
                with zf.open(key + ".npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, arr, allow_pickle=False)

    if hasattr(path, "write"):
        write(path)  # type: ignore[arg-type]
    else:
        _write_atomically(os.fsdecode(os.fspath(path)), write)  # type: ignore[arg-type]


def load(path: str | os.PathLike | IO[bytes]) -> dict:
    """Read an ``.npz`` archive written by ``save`` (or ``np.savez``) into ``{name: numpy array}``.

    ``path`` is a file path or a binary file object. Nested dicts saved by ``save`` come back
    nested. Raises ``FileNotFoundError`` for a missing file and ``ValueError`` for a file that is not
    a complete ``.npz`` archive of plain arrays. Never unpickles anything.
    """
    _check_path("load", path)
    if hasattr(path, "read"):
        return _read(path, repr(getattr(path, "name", path)))  # type: ignore[arg-type]
    name = os.fsdecode(os.fspath(path))  # type: ignore[arg-type]
    with open(name, "rb") as f:
        return _read(f, repr(name))


# ---------------------------------------------------------------------------------------------
# writing


def _check_path(owner: str, path: Any) -> None:
    if isinstance(path, (str, os.PathLike)):
        return
    wanted = "write" if owner == "save" else "read"
    if callable(getattr(path, wanted, None)) and callable(getattr(path, "seek", None)):
        return
    checks.fail(owner, "path", path, "a file path (str or os.PathLike) or a binary file object", TypeError)


def _flatten(state: dict, prefix: str, entries: list[tuple[str, np.ndarray | None]]) -> None:
    """Append ``("group/key", array)`` for every value of the (nested) dict ``state``, in order;
    an empty nested dict is ``("group", None)``."""
    if prefix and not state:
        entries.append((prefix, None))
    for key, value in state.items():
        if not isinstance(key, str) or not key or _SEP in key:
            raise TypeError(f"save: every key must be a non-empty string without {_SEP!r} ({_SEP!r} "
                            f"separates the levels of a nested dict); Received: key={key!r}")
        full = prefix + _SEP + key if prefix else key
        if isinstance(value, dict):
            _flatten(value, full, entries)
            continue
        arr = np.asarray(value.data if isinstance(value, Tensor) else value)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"save: {full!r} must be a numeric array; received dtype {arr.dtype} "
                            f"(objects and strings are not stored)")
        entries.append((full, arr))


def _write_atomically(path: str, write: Callable[[IO[bytes]], None]) -> None:
    """Run ``write`` on a new file next to ``path``, fsync it, then rename it over ``path``.

    The rename is atomic, so ``path`` holds either the old file or the complete new one; on any
    failure (KeyboardInterrupt included) the temporary file is removed. A symlink is written through.
    """
    target = os.path.realpath(path)
    directory, base = os.path.split(target)
    tmp = os.path.join(directory, f".{base}.{uuid.uuid4().hex[:12]}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(FileNotFoundError):  # keep the permissions of the file replaced
            os.chmod(tmp, stat.S_IMODE(os.stat(target).st_mode))
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError, AttributeError):  # make the rename itself durable (POSIX only)
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


# ---------------------------------------------------------------------------------------------
# reading


def _read(f: IO[bytes], name: str) -> dict:
    start = f.tell()
    head = f.read(4)
    f.seek(start)
    if head not in _ZIP_MAGIC:
        raise ValueError(f"load: {name} is not an .npz archive (it starts with {head!r}, not the zip "
                         f"signature b'PK\\x03\\x04'); minigrad saves with mg.save(state_dict, path)")
    state: dict = {}
    try:
        with zipfile.ZipFile(f) as zf:
            for info in zf.infolist():
                if info.is_dir():
                    _place(state, info.filename.rstrip(_SEP), None, name)
                    continue
                with zf.open(info) as member:
                    if not info.filename.endswith(".npy") or member.read(len(_NPY_MAGIC)) != _NPY_MAGIC:
                        raise ValueError(f"load: cannot read {name}: its entry {info.filename!r} is not a "
                                         f".npy array (a zip archive, but not one written by mg.save or "
                                         f"np.savez)")
                    member.seek(0)
                    arr = np.lib.format.read_array(member, allow_pickle=False)
                _place(state, info.filename[:-len(".npy")], arr, name)
    except ValueError as exc:
        if str(exc).startswith("load: "):
            raise
        if "pickle" in str(exc).lower():
            why = "it holds an object array, which would need unpickling (refused: allow_pickle=False)"
        else:
            why = f"it is truncated or corrupt (ValueError: {exc})"
        raise ValueError(f"load: cannot read {name}: {why}") from None
    except (zipfile.BadZipFile, EOFError, OSError, KeyError) as exc:
        raise ValueError(f"load: cannot read {name}: it is truncated or corrupt "
                         f"({type(exc).__name__}: {exc})") from None
    return state


def _place(state: dict, key: str, arr: np.ndarray | None, name: str) -> None:
    """Put ``arr`` at ``key`` (``"group/name"``) in the nested dict ``state``; ``None``: an empty group."""
    *groups, last = key.split(_SEP)
    node = state
    for g in groups + ([last] if arr is None else []):
        node = node.setdefault(g, {})
        if not isinstance(node, dict):
            raise ValueError(f"load: cannot read {name}: {g!r} is both an array and a group of arrays")
    if arr is None:
        return
    if last in node:
        raise ValueError(f"load: cannot read {name}: it holds two entries for {key!r}")
    node[last] = arr
