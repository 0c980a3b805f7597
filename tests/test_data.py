"""mg.data: one_hot, the mini-batch generator and the IDX reader (on files the tests write)."""
import gzip
import os
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad.data import batches, load_idx, one_hot

IDX_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(np.int16): 0x0B,
             np.dtype(np.int32): 0x0C, np.dtype(np.float32): 0x0D, np.dtype(np.float64): 0x0E}


def idx_bytes(arr: np.ndarray) -> bytes:
    """The IDX encoding of ``arr``, written independently of the reader under test."""
    head = bytes([0, 0, IDX_CODES[arr.dtype], arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return head + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


# -- one_hot ----------------------------------------------------------------------------------------

def test_one_hot_matches_the_lecture_layout():
    out = one_hot([2, 0, 1], 3)
    np.testing.assert_array_equal(out, [[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    assert out.dtype == mg.get_default_dtype()


def test_one_hot_infers_num_classes_and_keeps_leading_shape():
    assert one_hot(np.array([[0, 3], [1, 1]])).shape == (2, 2, 4)


def test_one_hot_accepts_whole_floats_and_tensors():
    np.testing.assert_array_equal(one_hot(mg.tensor([1.0, 0.0]), 2), [[0, 1], [1, 0]])


@pytest.mark.parametrize("labels, n, error, match", [
    ([0, 3], 3, ValueError, r"label 3 is there\); Received: num_classes=3"),
    ([-1, 0], None, ValueError, "non-negative class indices; Received: label -1"),
    ([0.5], None, ValueError, r"whole numbers \(class indices\); Received: labels=\[0\.5\]"),
    (["a"], None, TypeError, "Received: an array of dtype <U1"),
    ([0, 1], 2.5, TypeError, "Received: num_classes=2.5"),
    ([0, 1], -1, ValueError, "Received: num_classes=-1"),
])
def test_one_hot_rejects_bad_labels(labels, n, error, match):
    with pytest.raises(error, match=match):
        one_hot(labels, n)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 9), min_size=1, max_size=20))
def test_one_hot_argmax_recovers_labels(labels):
    out = one_hot(labels, 10)
    np.testing.assert_array_equal(out.argmax(axis=1), labels)
    np.testing.assert_array_equal(out.sum(axis=1), 1)


# -- batches ----------------------------------------------------------------------------------------

@settings(max_examples=30, deadline=None)
@given(st.integers(0, 40), st.integers(1, 12), st.booleans())
def test_batches_cover_every_row_once_and_only_the_last_is_smaller(n, bs, shuffle):
    x = np.arange(n * 2, dtype=np.float64).reshape(n, 2)
    y = np.arange(n)
    got = list(batches(x, y, bs, shuffle=shuffle, rng=np.random.default_rng(0)))
    sizes = [len(yb) for _, yb in got]
    assert all(s == bs for s in sizes[:-1]) and (not sizes or 0 < sizes[-1] <= bs)
    seen = np.concatenate([yb for _, yb in got]) if got else np.array([], int)
    assert sorted(seen.tolist()) == list(range(n))
    for xb, yb in got:  # rows stay paired with their labels
        np.testing.assert_array_equal(xb[:, 0], 2 * yb)
    if not shuffle:
        assert seen.tolist() == list(range(n))


def test_batches_shuffle_is_reproducible_with_a_seeded_rng():
    x = np.arange(10)
    a = [b.tolist() for b in batches(x, None, 3, rng=np.random.default_rng(5))]
    b = [b.tolist() for b in batches(x, None, 3, rng=np.random.default_rng(5))]
    assert a == b and a != [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]


def test_batches_default_rng_follows_manual_seed():
    mg.manual_seed(3)
    a = [b.tolist() for b in batches(np.arange(8), None, 8)]
    mg.manual_seed(3)
    assert a == [b.tolist() for b in batches(np.arange(8), None, 8)]


def test_batches_of_tensors_are_tensors():
    xb, yb = next(batches(mg.tensor([[1.0], [2.0]]), mg.tensor([0.0, 1.0]), 2, shuffle=False))
    assert isinstance(xb, mg.Tensor) and isinstance(yb, mg.Tensor)
    np.testing.assert_array_equal(xb.data, [[1.0], [2.0]])


@pytest.mark.parametrize("x, y, bs, error, match", [
    (np.zeros((3, 2)), np.zeros(4), 2, ValueError, r"same number of rows.*\(3, 2\).*\(4,\)"),
    (np.zeros((3, 2)), None, 0, ValueError, "batch_size must be an integer >= 1; Received: batch_size=0"),
    (np.zeros((3, 2)), None, 1.5, TypeError, "Received: batch_size=1.5"),
])
def test_batches_rejects_bad_arguments(x, y, bs, error, match):
    with pytest.raises(error, match=match):
        next(batches(x, y, bs))


# -- load_idx ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", list(IDX_CODES))
@pytest.mark.parametrize("compress", [False, True])
def test_load_idx_round_trips_every_type_raw_and_gz(tmp_path, dtype, compress):
    arr = (np.arange(2 * 3 * 4) - 5).astype(dtype).reshape(2, 3, 4)
    if dtype == np.uint8:
        arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4) * 10
    blob = idx_bytes(arr)
    path = tmp_path / ("a.idx.gz" if compress else "a.idx")
    path.write_bytes(gzip.compress(blob) if compress else blob)
    out = load_idx(path)
    assert out.dtype == dtype and out.dtype.isnative and out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out, arr)


def test_load_idx_reads_mnist_like_labels_and_images(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    labels = np.array([7, 2, 1, 0, 4], dtype=np.uint8)
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(images)))
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(labels))
    np.testing.assert_array_equal(load_idx(tmp_path / "t10k-images-idx3-ubyte.gz"), images)
    np.testing.assert_array_equal(load_idx(str(tmp_path / "t10k-labels-idx1-ubyte")), labels)


GOOD = idx_bytes(np.arange(6, dtype=np.uint8).reshape(2, 3))


@pytest.mark.parametrize("blob, match", [
    (b"\x00\x00", "too short"),
    (b"\x01\x02" + GOOD[2:], "first two bytes"),
    (b"\x00\x00\x07" + GOOD[3:], "unknown IDX type code 0x07"),
    (GOOD[:6], "truncated inside its header"),
    (GOOD[:-1], r"truncated.*needs 6 data bytes, the file has 5"),
    (GOOD + b"\x00", "longer than its header says"),
    (b"\x1f\x8b" + b"garbage", "not a readable gzip file"),
    (gzip.compress(GOOD)[:-6], "not a readable gzip file"),
])
def test_load_idx_rejects_malformed_files_with_clear_errors(tmp_path, blob, match):
    path = tmp_path / "bad.idx"
    path.write_bytes(blob)
    with pytest.raises(ValueError, match=match):
        load_idx(path)


def test_load_idx_takes_paths_only_and_never_treats_an_int_as_a_file_descriptor(tmp_path):
    fd = os.open(tmp_path / "keep.bin", os.O_WRONLY | os.O_CREAT)
    try:
        with pytest.raises(TypeError, match="load_idx: path must be a file path.*Received: path="):
            load_idx(fd)
        os.fstat(fd)  # still open
    finally:
        os.close(fd)
