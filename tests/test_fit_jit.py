"""fit / evaluate / predict with compile(jit_compile=True) give what the eager loop gives; a softmax
output layer with a categorical cross-entropy trains on the logits (one fused op, as in Keras)."""
from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn


def _data(n=40, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 5)).astype(np.float32)
    labels = rng.integers(0, classes, n)
    return x, labels, np.eye(classes, dtype=np.float32)[labels]


def _model(loss, jit_compile, dropout=False, metrics=("accuracy",)):
    mg.manual_seed(0)
    layers = [nn.Dense(8, activation="relu", input_dim=5)]
    if dropout:
        layers += [nn.BatchNorm(), nn.Dropout(0.2)]
    layers.append(nn.Dense(3, activation="softmax"))
    model = nn.Sequential(layers)
    model.compile(optimizer=mg.optim.SGD(lr=0.1, momentum=0.9), loss=loss, metrics=list(metrics),
                  jit_compile=jit_compile)
    return model


@pytest.mark.parametrize("loss, dropout", [
    ("categorical_crossentropy", False), ("sparse_categorical_crossentropy", False),
    ("categorical_crossentropy", True), ("mse", True),
])
def test_fit_with_jit_compile_gives_the_eager_history_weights_and_predictions(loss, dropout):
    x, labels, onehot = _data()
    y = labels if loss.startswith("sparse") else onehot
    runs = []
    for jit_compile in (False, True):
        model = _model(loss, jit_compile, dropout)
        history = model.fit(x, y, epochs=4, batch_size=16, verbose=0, seed=1, validation_data=(x, y))
        runs.append((history.history, [p.data.copy() for p in model.parameters()], model.predict(x),
                     model.evaluate(x, y)))
    (h0, w0, p0, e0), (h1, w1, p1, e1) = runs
    assert h0 == h1 and e0 == e1
    assert all(np.array_equal(a, b) for a, b in zip(w0, w1)) and np.array_equal(p0, p1)


def test_fit_with_jit_compile_replays_after_recording_each_batch_shape_once():
    x, labels, onehot = _data(n=40)
    model = _model("categorical_crossentropy", True)
    model.fit(x, onehot, epochs=3, batch_size=16, verbose=0)
    train = model._compiled.steps["train"].compiled
    assert train.recordings == 2  # batches of 16 and the last of 8
    assert sum(t.replays for t in train.tapes) == 3 * 3 - 2
    lines = str(train.tape).splitlines()
    assert "cross_entropy(t2, y, index=False, reduction='mean') -> t3" in lines  # on the logits
    assert "softmax(t2, axis=-1) -> t4" in lines  # for the accuracy only: no gradient through it
    assert not any("softmax.backward" in line for line in lines)
    update = model._compiled.steps["update"].compiled  # the optimizer's step
    assert update.recordings == 1 and update.tape.replays == 3 * 3 - 1
    assert str(update.tape) == "sgd.step([params[0], params[1], params[2], params[3]])"


def test_fit_with_adam_and_jit_compile_updates_all_parameters_at_once_as_eager_does():
    x, labels, onehot = _data()
    weights = []
    for jit_compile in (False, True):
        mg.manual_seed(0)
        model = nn.Sequential([nn.Dense(8, activation="relu", input_dim=5),
                               nn.Dense(3, activation="softmax")])
        model.compile(optimizer=mg.optim.Adam(lr=0.01), loss="categorical_crossentropy",
                      jit_compile=jit_compile)
        model.fit(x, onehot, epochs=3, batch_size=16, verbose=0, seed=1)
        weights.append([p.data.copy() for p in model.parameters()])
    assert all(np.array_equal(a, b) for a, b in zip(*weights))
    assert "STEP0(" in model._compiled.steps["update"].compiled.tapes[0].source  # compiled_optim's Adam step


def test_a_softmax_output_with_categorical_crossentropy_trains_on_the_logits():
    x, labels, onehot = _data(n=6)
    model = _model("categorical_crossentropy", False, metrics=())
    logits = nn.Sequential(model.layers)  # the same layers; the last one's softmax undone by hand below
    with mg.no_grad():
        z = logits[0](mg.Tensor(x))
        z = mg.nn.functional.affine(z, model[1].weight, model[1].bias)
    want = mg.nn.functional.cross_entropy(z, labels).item()
    assert model.evaluate(x, onehot) == pytest.approx(want, rel=1e-6)
    # probabilities that underflow to 0 give a finite loss on the logits (no clip needed)
    model[1].weight.data *= 1e4
    assert np.isfinite(model.evaluate(x, onehot))


def test_a_step_that_cannot_be_traced_runs_eagerly_with_a_warning():
    x, labels, _ = _data(n=8)
    mg.manual_seed(0)
    model = nn.Sequential([nn.Dense(3, input_dim=5)])
    model.compile(optimizer="sgd", loss=nn.CrossEntropyLoss(), jit_compile=True)  # labels copied to int64
    with pytest.warns(RuntimeWarning, match="runs eagerly"):
        history = model.fit(x, labels.astype(np.float32), epochs=2, batch_size=4, verbose=0)
    assert len(history.history["loss"]) == 2


def test_jit_compile_must_be_a_bool():
    model = nn.Sequential([nn.Dense(1, input_dim=2)])
    with pytest.raises(TypeError, match="jit_compile"):
        model.compile(optimizer="sgd", loss="mse", jit_compile="yes")


def test_a_failed_recording_is_undone_before_the_eager_batch():
    """The labels' conversion fails the recording after batch norm updated its statistics and dropout
    drew its mask; the eager batch starts from the state before, so the run equals jit_compile=False."""
    x, labels, _ = _data(n=8)
    runs = []
    for jit_compile in (False, True):
        mg.manual_seed(0)
        model = nn.Sequential([nn.Dense(6, input_dim=5), nn.BatchNorm(), nn.Dropout(0.3), nn.Dense(3)])
        model.compile(optimizer="sgd", loss=nn.CrossEntropyLoss(), jit_compile=jit_compile)
        with pytest.warns(RuntimeWarning) if jit_compile else _no_warning():
            history = model.fit(x, labels.astype(np.float32), epochs=2, batch_size=4, verbose=0)
        runs.append((history.history, [b.copy() for b in model.buffers()]))
    assert runs[0][0] == runs[1][0]
    assert all(np.array_equal(a, b) for a, b in zip(runs[0][1], runs[1][1]))


def _no_warning():
    import contextlib

    return contextlib.nullcontext()


def test_fit_with_jit_compile_stops_on_a_non_finite_loss_before_the_update():
    x, _, onehot = _data(n=8)
    model = _model("categorical_crossentropy", True, metrics=())
    model.fit(x, onehot, epochs=1, batch_size=4, verbose=0)  # recorded and replayed
    with mg.no_grad():
        model[1].bias.data[0] = np.nan  # the replay reads the parameter as it is now
    before = [p.data.copy() for p in model.parameters()]
    with pytest.raises(mg.nn.NonFiniteLossError, match="batch 1"):
        model.fit(x, onehot, epochs=1, batch_size=4, verbose=0)
    assert model._compiled.steps["train"].compiled.recordings == 1  # it was a replay
    assert all(np.array_equal(a, p.data, equal_nan=True) for a, p in zip(before, model.parameters()))
