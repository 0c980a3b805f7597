"""fit never trains silently wrong, never dies half-trained, and keeps what it finished:
the optimizer must hold this model's parameters, every target is checked before the first update,
BatchNorm never sees a batch of one, model.history survives an error, predict/evaluate refuse
inputs fit refuses."""
import numpy as np
import pytest

import minigrad as mg

X_XOR = np.array([[1, 1], [1, 0], [0, 1], [0, 0]], np.float32)
Y_XOR = np.array([[0], [1], [1], [0]], np.float32)


def xor_model(seed=0):
    mg.manual_seed(seed)
    return mg.nn.Sequential([mg.nn.Dense(2, activation="sigmoid", input_dim=2),
                             mg.nn.Dense(1, activation="sigmoid")])


def snapshot(model):
    return [p.data.copy() for p in model.weights]


def assert_unchanged(model, before):
    for a, p in zip(before, model.weights):
        np.testing.assert_array_equal(a, p.data)


# -- the optimizer holds this model's parameters ---------------------------------------------------

def test_an_optimizer_made_for_a_rebuilt_model_is_refused_at_compile():
    old = xor_model()
    opt = mg.optim.SGD(old.parameters(), lr=0.3)  # the notebook's optimizer cell, run once
    model = xor_model()                            # the model cell, run again
    with pytest.raises(ValueError, match=r"compile: the optimizer holds 4 of its 4 parameters that are not "
                                         r"this model's.*model.compile\(optimizer=mg.optim.SGD"):
        model.compile(optimizer=opt, loss="mse")


def test_one_unbound_optimizer_compiled_into_a_second_model_is_refused():
    opt = mg.optim.Adam(lr=0.1)
    first, second = xor_model(0), xor_model(1)
    first.compile(optimizer=opt, loss="mse")
    with pytest.raises(ValueError, match="not this model's"):
        second.compile(optimizer=opt, loss="mse")
    first.fit(X_XOR, Y_XOR, epochs=1, verbose=0)  # the first model keeps it


def test_a_lazy_model_whose_optimizer_went_to_another_model_is_refused_before_training():
    opt = mg.optim.SGD(lr=0.3)
    lazy = mg.nn.Sequential([mg.nn.Dense(2, activation="sigmoid"), mg.nn.Dense(1, activation="sigmoid")])
    lazy.compile(optimizer=opt, loss="mse")       # nothing to bind yet
    xor_model().compile(optimizer=opt, loss="mse")  # binds the other model's parameters
    with pytest.raises(ValueError, match="fit: the optimizer holds 4 of its 4 parameters"):
        lazy.fit(X_XOR, Y_XOR, epochs=1, verbose=0)


def test_an_optimizer_over_some_of_the_models_parameters_trains_only_those():
    model = xor_model()
    model.compile(optimizer=mg.optim.SGD(model[1].parameters(), lr=0.5), loss="mse")
    before = snapshot(model)
    model.fit(X_XOR, Y_XOR, epochs=2, verbose=0)
    after = snapshot(model)
    assert all(np.array_equal(a, b) for a, b in zip(before[:2], after[:2]))  # layer 0: frozen by choice
    assert not any(np.array_equal(a, b) for a, b in zip(before[2:], after[2:]))


# -- predict and evaluate refuse what fit refuses ----------------------------------------------------

def test_predict_refuses_a_1d_input_for_a_model_built_for_rows():
    with pytest.raises(ValueError, match=r"predict: x of shape \(2,\) does not fit the model \(it expects "
                                         r"inputs of shape \(None, 2\)\); for one sample .*reshape\(1, -1\)"):
        xor_model().predict(np.array([1.0, 0.0]))
    assert xor_model().predict(np.array([[1.0, 0.0]])).shape == (1, 1)


def test_evaluate_refuses_a_1d_input_for_a_model_built_for_rows():
    model = xor_model()
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"evaluate: x of shape \(4,\) does not fit the model"):
        model.evaluate(np.ones(4), np.ones(4))


# -- model.history keeps the finished epochs ------------------------------------------------------

@pytest.mark.parametrize("error", [FloatingPointError, KeyboardInterrupt])
def test_model_history_keeps_the_epochs_finished_before_an_error_or_ctrl_c(error):
    calls = []

    def loss(out, y):  # fails in the third epoch (two batches an epoch, checked once beforehand)
        calls.append(1)
        if len(calls) == 6:
            raise KeyboardInterrupt if error is KeyboardInterrupt else FloatingPointError("boom")
        return mg.nn.functional.mse_loss(out, y)

    model = xor_model()
    model.compile(optimizer=mg.optim.SGD(lr=0.3), loss=loss)
    with pytest.raises(error):
        model.fit(X_XOR, Y_XOR, epochs=5, batch_size=2, verbose=0)
    assert model.history.epoch == [0, 1] and len(model.history.history["loss"]) == 2


def test_model_history_is_the_history_fit_returns():
    model = xor_model()
    model.compile(optimizer="sgd", loss="mse")
    assert model.fit(X_XOR, Y_XOR, epochs=2, verbose=0) is model.history


# -- BatchNorm and a last batch of one sample --------------------------------------------------------

def batchnorm_model():
    mg.manual_seed(0)
    model = mg.nn.Sequential([mg.nn.Dense(4, input_dim=3), mg.nn.BatchNorm(), mg.nn.Dense(1)])
    model.compile(optimizer=mg.optim.SGD(lr=0.1), loss="mse")
    return model


def test_batchnorm_with_a_last_batch_of_one_sample_trains_every_epoch():
    x = np.random.default_rng(0).normal(size=(9, 3)).astype(np.float32)  # 9 = 4 + 4 + 1
    model = batchnorm_model()
    before = snapshot(model)
    h = model.fit(x, x[:, :1], epochs=3, batch_size=4, verbose=0)
    assert h.params["steps"] == 2 and len(h.history["loss"]) == 3  # the lone sample joins the batch before it
    assert all(np.isfinite(v) for v in h.history["loss"])
    assert not any(np.array_equal(a, p.data) for a, p in zip(before, model.weights))


def test_batchnorm_with_the_last_batch_of_one_sees_every_sample_once_an_epoch():
    seen = []

    class Count(mg.nn.Identity):
        def forward(self, x):
            if self.training:
                seen.append(len(x))
            return x

    mg.manual_seed(0)
    model = mg.nn.Sequential([mg.nn.Dense(2, input_dim=3), mg.nn.BatchNorm(), Count(), mg.nn.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((7, 3), np.float32)
    model.fit(x, x[:, :1], epochs=1, batch_size=3, shuffle=False, verbose=0)
    assert seen == [3, 4]


@pytest.mark.parametrize("n, batch_size, match", [(8, 1, "Received: batch_size=1"),
                                                  (1, 4, "at least 2 training")])
def test_batchnorm_that_would_see_only_single_samples_is_refused_before_training(n, batch_size, match):
    model = batchnorm_model()
    before = snapshot(model)
    x = np.ones((n, 3), np.float32)
    with pytest.raises(ValueError, match=match):
        model.fit(x, x[:, :1], epochs=1, batch_size=batch_size, verbose=0)
    assert_unchanged(model, before)


# -- every target and the loss's result are checked before the first update -------------------------

def softmax_model():
    mg.manual_seed(0)
    return mg.nn.Sequential([mg.nn.Dense(3, input_dim=2)])


def test_a_custom_loss_sees_every_target_before_the_first_update():
    model = softmax_model()
    model.compile(optimizer=mg.optim.SGD(lr=0.5), loss=mg.nn.CrossEntropyLoss())
    before = snapshot(model)
    with pytest.raises(ValueError, match=r"fit: y of shape \(4,\) does not fit the loss CrossEntropyLoss"):
        model.fit(X_XOR, np.array([0, 1, 5, 1]), epochs=1, batch_size=1, shuffle=False, verbose=0)
    assert_unchanged(model, before)


def test_a_custom_loss_returning_a_non_scalar_is_named_before_training():
    model = softmax_model()
    model.compile(optimizer="sgd", loss=mg.nn.CrossEntropyLoss(reduction="none"))
    before = snapshot(model)
    with pytest.raises(ValueError, match=r"fit: loss must be a callable that returns a scalar Tensor; it "
                                         r"returned a Tensor of shape \(4,\).*reduction='none'"):
        model.fit(X_XOR, np.array([0, 1, 2, 1]), epochs=1, batch_size=2, verbose=0)
    assert_unchanged(model, before)


def test_a_custom_loss_returning_a_python_float_is_a_type_error_naming_loss():
    model = softmax_model()
    model.compile(optimizer="sgd", loss=lambda out, y: 0.25)
    with pytest.raises(TypeError, match=r"fit: loss must be a callable that returns a scalar Tensor.*it "
                                        r"returned float 0.25"):
        model.fit(X_XOR, np.array([0, 1, 2, 1]), epochs=1, verbose=0)
