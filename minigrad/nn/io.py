"""``save(state_dict, path)`` and ``load(path)``: state dicts as NumPy ``.npz`` archives, never pickles.

The file is a standard ``.npz`` (one ``<name>.npy`` entry per array, readable by ``np.load``),
written at exactly ``path`` (no ``.npz`` is appended). Loading uses ``allow_pickle=False``, so a
file can never execute code; anything that is not a well-formed archive of plain numeric arrays —
a truncated download, a text or pickle file, an object array — raises ``ValueError`` saying why.
"""
from __future__ import annotations

import os
import zipfile
from typing import Any

import numpy as np

from ..tensor import Tensor

__all__ = ["save", "load"]

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a zip with entries, an empty zip


def save(state_dict: dict, path: str | os.PathLike) -> None:
    """Write ``state_dict`` (name -> array, Tensor or number) to ``path`` as an ``.npz`` archive.

    ``mg.save(model.state_dict(), "model.npz")``; restore with
    ``model.load_state_dict(mg.load("model.npz"))``. Values must be numeric or boolean arrays.
    """
    if not isinstance(state_dict, dict):
        raise TypeError(f"save expects a dict of name -> array (e.g. model.state_dict()); "
                        f"received {type(state_dict).__name__}")
    arrays = {}
    for key, value in state_dict.items():
        if not isinstance(key, str) or not key:
            raise TypeError(f"save: every key must be a non-empty string; received key={key!r}")
        arr = np.asarray(value._data if isinstance(value, Tensor) else value)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"save: {key!r} must be a numeric array; received dtype {arr.dtype} "
                            f"(objects, strings and nested dicts are not stored)")
        arrays[key] = arr
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for key, arr in arrays.items():
            with zf.open(key + ".npy", "w", force_zip64=True) as f:
                np.lib.format.write_array(f, np.ascontiguousarray(arr) if arr.ndim else arr, allow_pickle=False)


def load(path: str | os.PathLike) -> dict:
    """Read an ``.npz`` archive written by ``save`` (or ``np.savez``) into ``{name: numpy array}``.

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` for a file that is not a
    complete ``.npz`` archive of plain arrays. Never unpickles anything.
    """
    with open(path, "rb") as f:
        head = f.read(4)
    if head not in _ZIP_MAGIC:
        raise ValueError(f"load: {os.fspath(path)!r} is not an .npz archive (it starts with {head!r}, not "
                         f"the zip signature b'PK\\x03\\x04'); minigrad saves with mg.save(state_dict, path)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            state = {name: archive[name] for name in archive.files}
    except (zipfile.BadZipFile, EOFError, OSError, KeyError, ValueError) as exc:
        if isinstance(exc, ValueError) and "pickle" in str(exc).lower():
            why = "it holds an object array, which would need unpickling (refused: allow_pickle=False)"
        else:
            why = f"it is truncated or corrupt ({type(exc).__name__}: {exc})"
        raise ValueError(f"load: cannot read {os.fspath(path)!r}: {why}") from None
    for name, value in state.items():
        if not isinstance(value, np.ndarray):  # np.load hands back raw bytes for entries that are not .npy
            raise ValueError(f"load: cannot read {os.fspath(path)!r}: its entry {name!r} is not a .npy array "
                             f"(a zip archive, but not one written by mg.save or np.savez)")
    return state
