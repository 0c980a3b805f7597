"""mg.save / mg.load: .npz state dicts, exact round trips, and bad files refused without running code."""
import io
import os
import pickle
import zipfile

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn


def _model(seed):
    mg.manual_seed(seed)
    return nn.Sequential(nn.Dense(4, activation="relu", input_dim=3), nn.BatchNorm(), nn.Dense(2))


def test_mg_save_and_load_are_the_nn_io_functions():
    assert mg.save is nn.save and mg.load is nn.load


def test_state_dict_round_trip_through_a_file_restores_the_model(tmp_path):
    trained = _model(0)
    trained(mg.randn(8, 3))  # moves the running statistics away from their initial values
    path = tmp_path / "model.npz"
    mg.save(trained.state_dict(), path)
    state = mg.load(path)
    assert list(state) == list(trained.state_dict())
    for k, v in trained.state_dict().items():
        assert state[k].dtype == v.dtype
        np.testing.assert_array_equal(state[k], v)
    fresh = _model(1)
    fresh.load_state_dict(state)
    x = mg.randn(5, 3)
    np.testing.assert_array_equal(fresh.eval()(x).data, trained.eval()(x).data)


def test_the_file_is_written_at_exactly_the_given_path_and_numpy_can_read_it(tmp_path):
    path = tmp_path / "weights.bin"
    mg.save({"w": np.arange(6.0).reshape(2, 3), "step": 3, "t": mg.tensor([1.0])}, str(path))
    assert path.exists() and not (tmp_path / "weights.bin.npz").exists()
    with np.load(path, allow_pickle=False) as f:
        np.testing.assert_array_equal(f["w"], np.arange(6.0).reshape(2, 3))
        assert f["step"] == 3
    # keys that clash with np.savez's own argument names are fine
    mg.save({"file": np.ones(1), "allow_pickle": np.zeros(1)}, path)
    assert set(mg.load(path)) == {"file", "allow_pickle"}


def test_loading_a_truncated_file_raises_value_error(tmp_path):
    path = tmp_path / "model.npz"
    mg.save(_model(0).state_dict(), path)
    data = path.read_bytes()
    for cut in (len(data) // 2, len(data) - 10, 10):
        bad = tmp_path / f"cut{cut}.npz"
        bad.write_bytes(data[:cut])
        with pytest.raises(ValueError, match="truncated or corrupt"):
            mg.load(bad)


def test_loading_a_file_that_is_not_npz_raises_value_error(tmp_path):
    text = tmp_path / "notes.npz"
    text.write_text("these are not weights")
    with pytest.raises(ValueError, match="not an .npz archive"):
        mg.load(text)
    npy = tmp_path / "array.npy"
    np.save(npy, np.ones(3))
    with pytest.raises(ValueError, match="not an .npz archive"):
        mg.load(npy)


class _Exploit:
    def __reduce__(self):
        return (os.mkdir, (self.target,))


def test_a_pickle_file_is_refused_and_never_executed(tmp_path):
    marker = tmp_path / "pwned"
    payload = _Exploit()
    payload.target = str(marker)
    evil = tmp_path / "evil.npz"
    evil.write_bytes(pickle.dumps({"w": payload}))
    with pytest.raises(ValueError):
        mg.load(evil)
    assert not marker.exists()


def test_an_npz_holding_an_object_array_is_refused_without_unpickling(tmp_path):
    marker = tmp_path / "pwned"
    payload = _Exploit()
    payload.target = str(marker)
    path = tmp_path / "objects.npz"
    np.savez(path, w=np.ones(2), evil=np.array([payload], dtype=object))
    assert not marker.exists()
    with pytest.raises(ValueError, match="object array"):
        mg.load(path)
    assert not marker.exists()


def test_a_zip_without_npy_entries_is_refused(tmp_path):
    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("w.npy", b"garbage that is no npy header")
    with pytest.raises(ValueError, match="not a .npy array"):
        mg.load(path)


def test_a_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        mg.load(tmp_path / "nope.npz")


def test_save_refuses_values_that_are_not_numeric_arrays(tmp_path):
    with pytest.raises(TypeError, match="'names'"):
        mg.save({"names": np.array(["a", "b"])}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="'nested/a'"):
        mg.save({"nested": {"a": "text"}}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="dict"):
        mg.save([np.ones(2)], tmp_path / "x.npz")


# ---- atomic writes ----------------------------------------------------------------------------

def _fail_on_second_array(monkeypatch, error):
    """Make mg.save's writer raise ``error`` after one array of the archive has been written."""
    real = np.lib.format.write_array
    calls = []

    def write_array(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", write_array)


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_a_save_failing_midway_keeps_the_previous_file_and_leaves_no_temporary(tmp_path, monkeypatch, error):
    path = tmp_path / "model.npz"
    good = _model(0).state_dict()
    mg.save(good, path)
    _fail_on_second_array(monkeypatch, error)
    with pytest.raises(type(error)):
        mg.save(_model(1).state_dict(), path)
    assert os.listdir(tmp_path) == ["model.npz"]
    monkeypatch.undo()
    state = mg.load(path)
    assert list(state) == list(good)
    for k, v in good.items():
        np.testing.assert_array_equal(state[k], v)


def test_a_save_that_fails_on_a_new_path_leaves_nothing_behind(tmp_path, monkeypatch):
    _fail_on_second_array(monkeypatch, OSError(5, "Input/output error"))
    with pytest.raises(OSError):
        mg.save(_model(0).state_dict(), tmp_path / "model.npz")
    assert os.listdir(tmp_path) == []


def test_saving_over_a_file_keeps_its_permissions(tmp_path):
    path = tmp_path / "model.npz"
    mg.save({"w": np.ones(2)}, path)
    os.chmod(path, 0o640)
    mg.save({"w": np.zeros(2)}, path)
    assert os.stat(path).st_mode & 0o777 == 0o640
    np.testing.assert_array_equal(mg.load(path)["w"], np.zeros(2))


# ---- keys, nesting and file objects -----------------------------------------------------------

def test_keys_that_differ_by_a_npy_suffix_both_round_trip(tmp_path):
    path = tmp_path / "x.npz"
    mg.save({"a": np.ones(2), "a.npy": np.zeros(3)}, path)
    state = mg.load(path)
    np.testing.assert_array_equal(state["a"], np.ones(2))
    np.testing.assert_array_equal(state["a.npy"], np.zeros(3))


def test_nested_dicts_are_stored_with_slashes_and_rebuilt_by_load(tmp_path):
    path = tmp_path / "checkpoint.npz"
    mg.save({"model": {"0.weight": np.eye(2)}, "optimizer": {"lr": 0.1, "state.0.m": np.ones(2)},
             "empty": {}, "epoch": 3}, path)
    with np.load(path, allow_pickle=False) as f:  # plain NumPy sees one level with slashed names
        assert {"model/0.weight", "optimizer/lr", "optimizer/state.0.m", "epoch"} <= set(f.files)
    state = mg.load(path)
    assert list(state) == ["model", "optimizer", "empty", "epoch"]
    np.testing.assert_array_equal(state["model"]["0.weight"], np.eye(2))
    assert state["optimizer"]["lr"] == 0.1 and state["empty"] == {} and state["epoch"] == 3


def test_a_key_holding_the_nesting_separator_is_refused(tmp_path):
    with pytest.raises(TypeError, match=r"key='a/b'"):
        mg.save({"a/b": np.ones(1)}, tmp_path / "x.npz")


def test_save_and_load_accept_binary_file_objects(tmp_path):
    buf = io.BytesIO()
    mg.save({"w": np.arange(3.0)}, buf)
    buf.seek(0)
    np.testing.assert_array_equal(mg.load(buf)["w"], np.arange(3.0))


@pytest.mark.parametrize("bad", [3, None, 2.5, ["model.npz"]])
def test_load_and_save_accept_only_paths_and_file_objects(bad, tmp_path):
    (tmp_path / "keep.npz").write_bytes(b"")
    fd = os.open(tmp_path / "keep.npz", os.O_RDONLY)
    try:
        with pytest.raises(TypeError, match=r"load: path must be a file path .*Received: path="):
            mg.load(fd if bad == 3 else bad)
        os.fstat(fd)  # still open: load never treated the integer as a file descriptor
    finally:
        os.close(fd)
    with pytest.raises(TypeError, match=r"save: path must be a file path"):
        mg.save({"w": np.ones(1)}, bad)
