"""Keras-style training: compile / fit / evaluate / predict / summary / History."""
import re
import sys
import threading

import numpy as np
import pytest

import minigrad as mg
from minigrad.nn import functional as F
from minigrad.nn.training import History, NonFiniteLossError

X_XOR = np.array([[1, 1], [1, 0], [0, 1], [0, 0]])
Y_XOR = np.array([[0], [1], [1], [0]])


def xor_model(seed=0, hidden=2):
    mg.manual_seed(seed)
    return mg.nn.Sequential([mg.nn.Dense(hidden, activation="sigmoid", input_dim=2),
                             mg.nn.Dense(1, activation="sigmoid")])


def identity_model(n):
    """A bias-free linear layer with identity weights: its outputs are its inputs."""
    model = mg.nn.Sequential([mg.nn.Dense(n, input_dim=n, use_bias=False)])
    model.load_state_dict({"0.weight": np.eye(n)})
    return model


def dense_data(n=64, d=4, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    labels = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0.5).astype(int)
    return x, labels % classes


# -- compile ------------------------------------------------------------------------------------

def test_compile_binds_an_unbound_optimizer_to_the_model_parameters():
    model = xor_model()
    opt = mg.optim.SGD(lr=0.3)
    model.compile(optimizer=opt, loss="mse")
    assert model.optimizer is opt and opt.lr == 0.3
    assert [id(p) for p in opt.params] == [id(p) for p in model.parameters()]


def test_compile_keeps_an_optimizer_that_already_has_parameters():
    model = xor_model()
    opt = mg.optim.SGD(model.parameters(), lr=0.3)
    model.compile(optimizer=opt, loss="mse")
    model.fit(X_XOR, Y_XOR, epochs=1, verbose=0)
    assert [id(p) for p in opt.params] == [id(p) for p in model.parameters()]


@pytest.mark.parametrize("name, cls, lr", [("sgd", "SGD", 0.01), ("adam", "Adam", 0.001),
                                           ("rmsprop", "RMSProp", 0.001), ("adagrad", "Adagrad", 0.001)])
def test_compile_builds_a_named_optimizer_with_keras_default_lr(name, cls, lr):
    model = xor_model()
    model.compile(optimizer=name, loss="mse")
    assert type(model.optimizer).__name__ == cls and model.optimizer.lr == pytest.approx(lr)
    assert len(model.optimizer.params) == 4


@pytest.mark.parametrize("name, cls", [("Adam", "Adam"), ("SGD", "SGD"), ("RMSprop", "RMSProp"),
                                       ("ADAGRAD", "Adagrad")])
def test_compile_takes_keras_optimizer_class_names_in_any_case(name, cls):
    model = xor_model()
    model.compile(optimizer=name, loss="mse")
    assert type(model.optimizer).__name__ == cls and len(model.optimizer.params) == 4


def test_compile_refuses_an_optimizer_class_naming_the_argument():
    with pytest.raises(TypeError, match=r"optimizer must be an optimizer object, not its class.*Adam\(\)"):
        xor_model().compile(optimizer=mg.optim.Adam, loss="mse")


def test_compile_on_a_lazy_model_binds_when_fit_builds_it():
    mg.manual_seed(0)
    model = mg.nn.Sequential([mg.nn.Dense(3, activation="relu"), mg.nn.Dense(1)])
    model.compile(optimizer=mg.optim.SGD(lr=0.1), loss="mse")
    x = np.random.default_rng(0).normal(size=(8, 5))
    history = model.fit(x, x[:, :1], epochs=2, batch_size=4, verbose=0)
    assert len(history.history["loss"]) == 2
    assert model.weights[0].shape == (5, 3) and len(model.optimizer.params) == 4
    assert model.weights[0].grad is not None  # trained, through the bound optimizer


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"optimizer": "sgd", "loss": "hinge"}, ValueError, "Keras loss name.*Received: loss='hinge'"),
    ({"optimizer": "sgd", "loss": "mse", "metrics": ["auc"]}, ValueError, "Received: metrics='auc'"),
    ({"optimizer": "nadam", "loss": "mse"}, ValueError, "nadam"),
    ({"optimizer": 0.3, "loss": "mse"}, TypeError, "optimizer"),
    ({"optimizer": "sgd", "loss": 3}, TypeError, "loss"),
])
def test_compile_rejects_unknown_names(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        xor_model().compile(**kwargs)


def test_fit_and_evaluate_before_compile_raise():
    model = xor_model()
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(X_XOR, Y_XOR)
    with pytest.raises(RuntimeError, match="compile"):
        model.evaluate(X_XOR, Y_XOR)


def test_a_loss_module_given_to_compile_is_not_registered_as_a_layer():
    x, labels = dense_data()
    mg.manual_seed(0)
    model = mg.nn.Sequential([mg.nn.Dense(3, input_dim=4)])
    keys = list(model.state_dict())
    model.compile(optimizer=mg.optim.Adam(lr=0.05), loss=mg.nn.CrossEntropyLoss(), metrics=["accuracy"])
    history = model.fit(x, labels, epochs=30, batch_size=16, verbose=0, seed=0)
    assert list(model.state_dict()) == keys and len(model.children()) == 1
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.8


# -- the Keras loss names ------------------------------------------------------------------------

def test_categorical_crossentropy_is_minus_mean_sum_y_log_clipped_p():
    model = identity_model(3)
    p = np.array([[0.7, 0.2, 0.1], [0.0, 0.5, 0.5]], np.float32)
    y = np.array([[0, 0, 1], [1, 0, 0]], np.float32)
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    want = -(np.log(0.1) + np.log(1e-7)) / 2  # p = 0 is clipped to 1e-7
    assert model.evaluate(p, y) == pytest.approx(want, rel=1e-5)


def test_sparse_categorical_crossentropy_matches_the_one_hot_form():
    p = np.array([[0.7, 0.2, 0.1], [0.3, 0.5, 0.2], [0.2, 0.2, 0.6]], np.float32)
    labels = np.array([2, 1, 0])
    model = identity_model(3)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    sparse = model.evaluate(p, labels)
    assert sparse == pytest.approx(-np.mean(np.log([0.1, 0.5, 0.2])), rel=1e-5)
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    assert model.evaluate(p, mg.data.one_hot(labels, 3)) == pytest.approx(sparse, rel=1e-6)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    assert model.evaluate(p, labels[:, None]) == pytest.approx(sparse)  # (N, 1) labels, as Keras allows


@pytest.mark.parametrize("keras_name, name", [
    ("MeanSquaredError", "mse"), ("MSE", "mse"), ("Mse", "mean_squared_error"), ("MeanAbsoluteError", "mae"),
    ("MAE", "mae"), ("BinaryCrossentropy", "binary_crossentropy"),
    ("BINARY_CROSSENTROPY", "binary_crossentropy"),
])
def test_keras_loss_class_names_and_any_case_give_the_same_loss(keras_name, name):
    p = np.array([[0.9], [0.2], [0.6]], np.float32)
    y = np.array([1.0, 0.0, 0.0], np.float32)
    values = []
    for loss in (keras_name, name):
        model = identity_model(1)
        model.compile(optimizer="sgd", loss=loss)
        values.append(model.evaluate(p, y))
    assert values[0] == values[1]


def test_keras_categorical_class_names_take_their_targets():
    p = np.array([[0.7, 0.2, 0.1], [0.3, 0.5, 0.2]], np.float32)
    labels = np.array([2, 1])
    model = identity_model(3)
    model.compile(optimizer="sgd", loss="SparseCategoricalCrossentropy")
    sparse = model.evaluate(p, labels)
    model.compile(optimizer="sgd", loss="CategoricalCrossentropy")
    assert model.evaluate(p, mg.data.one_hot(labels, 3)) == pytest.approx(sparse, rel=1e-6)
    assert sparse == pytest.approx(-np.mean(np.log([0.1, 0.5])), rel=1e-5)


def test_keras_metric_class_names_are_recorded_under_keras_snake_case():
    model = xor_model()
    model.compile(optimizer="sgd", loss="MSE",
                  metrics=["Accuracy", "BinaryAccuracy", "MeanAbsoluteError", "acc"])
    h = model.fit(X_XOR, Y_XOR, epochs=1, verbose=0)
    assert list(h.history) == ["loss", "accuracy", "binary_accuracy", "mean_absolute_error", "acc"]
    assert h.history["accuracy"] == h.history["binary_accuracy"] == h.history["acc"]


def test_a_pytorch_loss_name_gets_a_hint():
    with pytest.raises(ValueError, match=r"did you mean mg.nn.CrossEntropyLoss\(\)"):
        xor_model().compile(optimizer="sgd", loss="cross_entropy")


def test_pytorch_and_keras_layer_names_mg_nn_lacks_get_a_one_line_hint():
    with pytest.raises(AttributeError, match=r"did you mean Dense\(units, input_dim=\.\.\.\)\?"):
        mg.nn.Linear(2, 3)
    with pytest.raises(AttributeError, match=r"did you mean BatchNorm"):
        mg.nn.BatchNormalization()
    with pytest.raises(AttributeError, match=r"has no attribute 'Conv7d'$"):
        mg.nn.Conv7d
    assert not hasattr(mg.nn, "Linear")


@pytest.mark.parametrize("name", ["mse", "mean_squared_error", "binary_crossentropy", "mae"])
def test_named_elementwise_losses_match_the_functional_forms(name):
    p = np.array([[0.9], [0.2], [0.6]], np.float32)
    y = np.array([1.0, 0.0, 0.0], np.float32)  # 1-D targets for a one-column output become a column
    model = identity_model(1)
    model.compile(optimizer="sgd", loss=name)
    fn = {"mse": F.mse_loss, "mean_squared_error": F.mse_loss, "binary_crossentropy": F.binary_cross_entropy,
          "mae": F.l1_loss}[name]
    assert model.evaluate(p, y) == pytest.approx(fn(mg.tensor(p), mg.tensor(y[:, None])).item(), rel=1e-6)


# -- fit, History ---------------------------------------------------------------------------------

def test_fit_returns_history_with_one_float_per_epoch_for_each_key():
    model = xor_model()
    model.compile(optimizer=mg.optim.SGD(lr=0.3), loss="mse", metrics=["accuracy"])
    h = model.fit(X_XOR, Y_XOR, epochs=5, batch_size=2, validation_data=(X_XOR, Y_XOR), verbose=0)
    assert isinstance(h, History) and h.epoch == [0, 1, 2, 3, 4]
    assert list(h.history) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    for values in h.history.values():
        assert len(values) == 5 and all(type(v) is float for v in values)
    assert h.params["epochs"] == 5 and h.params["steps"] == 2


def test_fit_without_metrics_or_validation_records_only_loss():
    model = xor_model()
    model.compile(optimizer="sgd", loss="mse")
    assert list(model.fit(X_XOR, Y_XOR, epochs=2, verbose=0).history) == ["loss"]


def test_fit_epoch_loss_is_the_sample_weighted_mean_of_batch_losses():
    # one epoch, no shuffling, lr = 0: the weights never move, so each batch loss is known beforehand
    x = np.arange(10, dtype=np.float32).reshape(5, 2) / 10
    y = np.array([[0.0], [1.0], [0.0], [1.0], [1.0]], np.float32)
    model = xor_model()
    model.compile(optimizer=mg.optim.SGD(lr=0.0), loss="mse")
    pred = model.predict(x)
    h = model.fit(x, y, epochs=1, batch_size=2, shuffle=False, verbose=0)
    assert h.history["loss"][0] == pytest.approx(float(np.mean((pred - y) ** 2)), rel=1e-6)


def test_fit_solves_xor_with_the_lecture_recipe():
    model = xor_model(seed=0)
    model.compile(optimizer=mg.optim.SGD(lr=0.3), loss="mse", metrics=["accuracy"])
    h = model.fit(X_XOR, Y_XOR, epochs=2000, batch_size=1, verbose=0, seed=0)
    pred = model.predict(X_XOR)
    assert h.history["loss"][-1] < 0.01 < h.history["loss"][0]
    np.testing.assert_array_equal(pred > 0.5, Y_XOR == 1)
    assert h.history["accuracy"][-1] == 1.0


def test_fit_follows_the_hand_written_loop_step_for_step():
    x, y = X_XOR.astype(np.float32), Y_XOR.astype(np.float32)
    manual = xor_model(seed=3)
    opt = mg.optim.SGD(manual.parameters(), lr=0.5, momentum=0.9)
    rng, losses = np.random.default_rng(11), []
    for _ in range(20):
        total = 0.0
        for xb, yb in mg.data.batches(x, y, 3, rng=rng):
            loss = F.binary_cross_entropy(manual(mg.tensor(xb)), mg.tensor(yb))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(xb)
        losses.append(total / len(x))
    model = xor_model(seed=3)
    model.compile(optimizer=mg.optim.SGD(lr=0.5, momentum=0.9), loss="binary_crossentropy")
    h = model.fit(x, y, epochs=20, batch_size=3, verbose=0, seed=11)
    assert h.history["loss"] == losses
    for a, b in zip(manual.weights, model.weights):
        np.testing.assert_array_equal(a.data, b.data)


def test_fit_accepts_tensors_and_lists_like_numpy_arrays():
    runs = []
    for x, y in [(X_XOR, Y_XOR), (mg.tensor(X_XOR), mg.tensor(Y_XOR)), (X_XOR.tolist(), Y_XOR.tolist())]:
        model = xor_model()
        model.compile(optimizer=mg.optim.SGD(lr=0.3), loss="mse")
        runs.append(model.fit(x, y, epochs=3, batch_size=1, verbose=0, seed=1).history["loss"])
    assert runs[0] == runs[1] == runs[2]


def test_fit_trains_in_training_mode_and_restores_the_previous_mode():
    seen = []

    class Spy(mg.nn.Identity):
        def forward(self, x):
            seen.append(self.training)
            return x

    model = mg.nn.Sequential([mg.nn.Dense(1, activation="sigmoid", input_dim=2), Spy()])
    model.compile(optimizer="sgd", loss="mse")
    model.eval()
    seen.clear()
    model.fit(X_XOR, Y_XOR, epochs=1, batch_size=2, validation_data=(X_XOR, Y_XOR), verbose=0)
    # two shape probes (x and validation x, eval mode), 2 training batches, 2 validation batches (eval mode)
    assert seen == [False, False, True, True, False, False]
    assert model.training is False


# -- determinism ----------------------------------------------------------------------------------

def dropout_model():
    return mg.nn.Sequential([mg.nn.Dense(16, activation="relu", input_dim=4), mg.nn.Dropout(0.3),
                             mg.nn.Dense(3, activation="softmax")])


def run_seeded(seed, init=5):
    x, labels = dense_data()
    mg.manual_seed(init)
    model = dropout_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    h = model.fit(x, labels, epochs=4, batch_size=8, validation_data=(x[:16], labels[:16]), verbose=0,
                  seed=seed)
    return h.history, [p.data.copy() for p in model.weights]


def test_same_seed_gives_bit_identical_histories_and_weights():
    (h1, w1), (h2, w2) = run_seeded(7), run_seeded(7)
    assert h1 == h2
    for a, b in zip(w1, w2):
        np.testing.assert_array_equal(a, b)


def test_different_seeds_give_different_runs():
    assert run_seeded(7)[0]["loss"] != run_seeded(8)[0]["loss"]


def test_seed_none_follows_manual_seed():
    x, labels = dense_data()

    def run():
        mg.manual_seed(9)
        model = dropout_model()
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        return model.fit(x, labels, epochs=3, batch_size=8, verbose=0).history

    assert run() == run()


def test_fit_with_a_seed_leaves_the_global_generator_alone():
    x, labels = dense_data()
    model = dropout_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    mg.manual_seed(1)
    model.fit(x, labels, epochs=2, batch_size=8, verbose=0, seed=3)
    after_fit = mg.rand(4).data
    mg.manual_seed(1)
    np.testing.assert_array_equal(after_fit, mg.rand(4).data)


def test_seeded_fits_in_two_threads_do_not_share_random_streams():
    expected = run_seeded(7)[0]["loss"], run_seeded(8)[0]["loss"]
    x, labels = dense_data()
    results, models = {}, {}
    for seed in (7, 8):
        mg.manual_seed(5)
        models[seed] = dropout_model()
        models[seed].compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    def train(seed):
        results[seed] = models[seed].fit(x, labels, epochs=4, batch_size=8,
                                         validation_data=(x[:16], labels[:16]),
                                         verbose=0, seed=seed).history["loss"]

    threads = [threading.Thread(target=train, args=(s,)) for s in (7, 8)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often, so the two fits really interleave
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert (results[7], results[8]) == expected


# -- accuracy ------------------------------------------------------------------------------------

SCORES = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]], np.float32)
LABELS = np.array([0, 1, 1, 1])  # argmax is right for rows 0, 1, 3: accuracy 0.75


def test_accuracy_is_argmax_match_for_multi_column_outputs_with_int_labels():
    model = identity_model(2)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    assert model.evaluate(SCORES, LABELS)[1] == pytest.approx(0.75)


def test_accuracy_is_argmax_match_for_multi_column_outputs_with_one_hot_targets():
    model = identity_model(2)
    model.compile(optimizer="sgd", loss="mse", metrics=["accuracy"])
    assert model.evaluate(SCORES, mg.data.one_hot(LABELS, 2))[1] == pytest.approx(0.75)


@pytest.mark.parametrize("column", [True, False])
def test_accuracy_thresholds_one_column_outputs_at_one_half(column):
    p = np.array([[0.2], [0.7], [0.51], [0.49]], np.float32)
    y = np.array([0, 1, 0, 1])  # right, right, wrong (0.51 > 0.5), wrong (0.49 < 0.5)
    model = identity_model(1)
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    loss, acc = model.evaluate(p, y[:, None] if column else y)
    assert acc == pytest.approx(0.5)


def test_fit_accuracy_counts_samples_across_uneven_batches():
    model = identity_model(2)
    model.compile(optimizer=mg.optim.SGD(lr=0.0), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    h = model.fit(SCORES, LABELS, epochs=1, batch_size=3, shuffle=False, verbose=0)  # batches of 3 and 1
    assert h.history["accuracy"] == [0.75]


# -- evaluate / predict ---------------------------------------------------------------------------

def test_evaluate_returns_loss_alone_or_loss_and_metrics_in_order():
    model = xor_model()
    model.compile(optimizer="sgd", loss="mse")
    pred = model.predict(X_XOR)
    loss = model.evaluate(X_XOR, Y_XOR, batch_size=3)
    assert type(loss) is float and loss == pytest.approx(float(np.mean((pred - Y_XOR) ** 2)), rel=1e-6)
    model.compile(optimizer="sgd", loss="mse", metrics=["accuracy", "mae"])
    out = model.evaluate(X_XOR, Y_XOR)
    assert len(out) == 3 and out[0] == pytest.approx(loss, rel=1e-6)
    assert out[2] == pytest.approx(float(np.mean(np.abs(pred - Y_XOR))), rel=1e-6)


def test_predict_returns_numpy_in_eval_mode_without_a_graph_and_in_any_batch_size():
    mg.manual_seed(0)
    model = mg.nn.Sequential([mg.nn.Dense(8, activation="relu", input_dim=4), mg.nn.Dropout(0.5),
                              mg.nn.BatchNorm(), mg.nn.Dense(2)])
    x = np.random.default_rng(0).normal(size=(70, 4))
    a = model.predict(x)
    assert type(a) is np.ndarray and a.shape == (70, 2) and a.dtype == np.float32
    np.testing.assert_allclose(model.predict(x, batch_size=1), a, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(model.predict(mg.tensor(x)), a)  # dropout is off: same every time
    assert model.training is True  # the mode is restored
    assert all(p.grad is None for p in model.weights)
    model.eval()
    with mg.no_grad():
        np.testing.assert_allclose(model(mg.tensor(x.astype(np.float32))).data, a, rtol=1e-6)


def test_predict_and_fit_give_each_module_its_own_mode_back():
    mg.manual_seed(0)
    model = mg.nn.Sequential([mg.nn.Dense(3, input_dim=2), mg.nn.BatchNorm(), mg.nn.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model[1].eval()  # a frozen batch norm inside a model in training mode
    x = np.random.default_rng(1).normal(size=(8, 2))
    model.predict(x)
    model.fit(x, x[:, :1], epochs=1, verbose=0)
    assert [m.training for m in model.layers] == [True, False, True]


def test_evaluate_and_predict_leave_batchnorm_running_statistics_alone():
    mg.manual_seed(0)
    model = mg.nn.Sequential([mg.nn.Dense(3, input_dim=2), mg.nn.BatchNorm(), mg.nn.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    before = {k: v.copy() for k, v in model.state_dict().items()}
    x = np.random.default_rng(1).normal(size=(16, 2))
    model.predict(x)
    model.evaluate(x, x[:, :1])
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def test_weights_lists_the_parameters_in_order():
    model = xor_model()
    assert [w.shape for w in model.weights] == [(2, 2), (2,), (2, 1), (1,)]
    assert all(a is b for a, b in zip(model.weights, model.parameters()))


# -- summary ----------------------------------------------------------------------------------------

def summary_text(model):
    lines = []
    assert model.summary(print_fn=lines.append) is None
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("layers, total", [
    (lambda: [mg.nn.Dense(1, activation="sigmoid", input_dim=2)], "3"),
    (lambda: [mg.nn.Dense(2, activation="sigmoid", input_dim=2), mg.nn.Dense(1, activation="sigmoid")], "9"),
    (lambda: [mg.nn.Dense(10, activation="sigmoid", input_dim=10), mg.nn.Dense(5, activation="sigmoid"),
              mg.nn.Dense(2, activation="softmax")], "177"),
    (lambda: [mg.nn.Dense(100, activation="sigmoid", input_dim=784), mg.nn.Dense(10, activation="softmax")],
     "79,510"),
])
def test_summary_prints_the_lecture_parameter_counts(capsys, layers, total):
    model = mg.nn.Sequential(layers())
    assert model.summary() is None  # printed, not returned: a notebook cell shows it once (Keras)
    text = capsys.readouterr().out
    assert text == summary_text(model)
    assert "Layer (type)" in text and "Output Shape" in text and "Param #" in text
    assert f"Total params: {total}\n" in text and f"Trainable params: {total}\n" in text
    assert "Non-trainable params: 0" in text


def test_summary_rows_name_type_output_shape_and_count():
    model = mg.nn.Sequential([mg.nn.Dense(10, activation="sigmoid", input_dim=10),
                              mg.nn.Dense(5, activation="sigmoid"),
                              mg.nn.Dense(2, activation="softmax")])
    rows = [line.split() for line in summary_text(model).splitlines() if "(Dense)" in line]
    assert rows == [["dense", "(Dense)", "(None,", "10)", "110"],
                    ["dense_1", "(Dense)", "(None,", "5)", "55"],
                    ["dense_2", "(Dense)", "(None,", "2)", "12"]]


def test_summary_counts_batchnorm_running_statistics_as_non_trainable():
    model = mg.nn.Sequential([mg.nn.Dense(100, input_dim=784), mg.nn.BatchNorm(), mg.nn.Dense(10)])
    text = summary_text(model)
    assert "Total params: 79,910" in text and "Trainable params: 79,710" in text
    assert "Non-trainable params: 200" in text and " 400" in text  # BatchNorm row: γ, β, mean, var


def test_summary_of_an_unbuilt_model_says_how_to_build_it():
    with pytest.raises(ValueError, match="input_dim"):
        mg.nn.Sequential([mg.nn.Dense(3)]).summary(print_fn=lambda line: None)


def test_summary_print_fn_gets_each_line_and_nothing_reaches_stdout(capsys):
    lines = []
    xor_model().summary(print_fn=lines.append)
    assert capsys.readouterr().out == ""
    assert lines[0] == 'Model: "sequential"' and lines[-2] == "Non-trainable params: 0"
    assert all("\n" not in line for line in lines)


def test_summary_and_plot_model_name_every_layer_alike():
    model = mg.nn.Sequential([mg.nn.Dense(4, input_dim=3), mg.nn.ReLU(), mg.nn.BatchNorm(), mg.nn.Dense(2),
                              mg.nn.ReLU(), mg.nn.LeakyReLU()])
    names = ["dense (Dense)", "re_lu (ReLU)", "batch_norm (BatchNorm)", "dense_1 (Dense)", "re_lu_1 (ReLU)",
             "leaky_re_lu (LeakyReLU)"]  # Keras's snake case of the class names
    rows = summary_text(model).splitlines()[4:10]
    assert [row[:29].strip() for row in rows] == names
    source = mg.plot_model(model).source
    drawn = re.findall(r"<b>(\w+)</b> <font[^>]*>\((\w+)\)", source)
    assert [f"{n} ({t})" for n, t in drawn] == names


# -- input validation --------------------------------------------------------------------------------

def compiled(loss="mse", model=None):
    model = model or xor_model()
    model.compile(optimizer=mg.optim.SGD(lr=0.1), loss=loss)
    return model


def softmax_model(classes=3):
    mg.manual_seed(0)
    return mg.nn.Sequential([mg.nn.Dense(classes, activation="softmax", input_dim=2)])


@pytest.mark.parametrize("make, x, y, match", [
    (lambda: compiled(), X_XOR, Y_XOR[:3],
     r"same number of samples.*4 \(shape \(4, 2\)\).*3 \(shape \(3, 1\)\)"),
    (lambda: compiled(), np.ones((4, 3)), Y_XOR, r"x of shape \(4, 3\) does not fit the model.*\(None, 2\)"),
    (lambda: compiled(), np.ones((4, 2, 1)), Y_XOR, r"x of shape \(4, 2, 1\) does not fit"),
    (lambda: compiled(), X_XOR, np.ones((4, 3)), r"y of shape \(4, 3\) does not fit.*\(None, 1\).*'mse'"),
    (lambda: compiled("categorical_crossentropy", softmax_model()), X_XOR, np.array([0, 1, 2, 0]),
     "sparse_categorical_crossentropy.*one_hot"),
    (lambda: compiled("sparse_categorical_crossentropy", softmax_model()), X_XOR, np.array([0, 1, 3, 0]),
     r"labels must lie in \[0, 3\)"),
    (lambda: compiled("sparse_categorical_crossentropy", softmax_model()), X_XOR, np.array([0, 1, 1.5, 0]),
     "integer class labels"),
    (lambda: compiled("sparse_categorical_crossentropy", softmax_model()), X_XOR, np.eye(4)[:, :3],
     "integer class labels"),
    (lambda: compiled(), np.array([[1, 1], [np.nan, 0], [0, 1], [0, 0]]), Y_XOR,
     r"x holds 1 non-finite.*NaN.*\(1, 0\)"),
    (lambda: compiled(), X_XOR, np.array([[0], [1], [np.inf], [0]]), r"y holds 1 non-finite.*inf.*\(2, 0\)"),
    (lambda: compiled(), X_XOR[:0], Y_XOR[:0], "empty"),
    (lambda: compiled(F.mse_loss), X_XOR, np.ones((4, 3)), r"y of shape \(4, 3\) does not fit the loss"),
])
def test_fit_rejects_bad_data_before_training(make, x, y, match):
    model = make()
    before = [p.data.copy() for p in model.weights]
    with pytest.raises(ValueError, match=match):
        model.fit(x, y, verbose=0)
    for a, b in zip(before, model.weights):
        np.testing.assert_array_equal(a, b.data)


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"epochs": -1}, ValueError, "fit: epochs must be an integer >= 0; Received: epochs=-1"),
    ({"batch_size": 0}, ValueError, "Received: batch_size=0"),
    ({"batch_size": 2.5}, TypeError, "Received: batch_size=2.5"),
    ({"verbose": 3}, ValueError, "Received: verbose=3"), ({"seed": -1}, ValueError, "Received: seed=-1"),
    ({"validation_data": (X_XOR,)}, ValueError, "pair"),
    ({"validation_data": (X_XOR, Y_XOR[:2])}, ValueError, "validation_data.*same number of samples"),
])
def test_fit_rejects_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        compiled().fit(X_XOR, Y_XOR, **{"verbose": 0, **kwargs})


def test_evaluate_validates_like_fit():
    with pytest.raises(ValueError, match="evaluate: x and y must have the same number of samples"):
        compiled().evaluate(X_XOR, Y_XOR[:2])


def test_fit_stops_with_a_clear_error_naming_epoch_and_batch_when_the_loss_is_nan():
    def loss(out, y):  # NaN on the batch whose target holds the marker 7
        value = F.mse_loss(out, y)
        return value * float("nan") if (y.data == 7).any() else value

    x = np.zeros((6, 2))
    y = np.array([[0.0], [0.0], [0.0], [0.0], [7.0], [0.0]])
    model = compiled(loss)
    with pytest.raises(FloatingPointError, match=r"loss became nan at epoch 1, batch 3") as info:
        model.fit(x, y, epochs=2, batch_size=2, shuffle=False, verbose=0)
    assert isinstance(info.value, ValueError) and isinstance(info.value, NonFiniteLossError)
    assert all(np.isfinite(p.data).all() for p in model.weights)  # the NaN step was not taken


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_fit_stops_when_a_too_large_learning_rate_makes_the_loss_overflow():
    mg.manual_seed(0)
    model = mg.nn.Sequential([mg.nn.Dense(1, input_dim=1)])
    model.compile(optimizer=mg.optim.SGD(lr=1e6), loss="mse")
    x = np.linspace(-100, 100, 32)[:, None]
    with pytest.raises(FloatingPointError, match=r"at epoch \d+, batch \d+"):
        model.fit(x, 3 * x, epochs=50, batch_size=4, verbose=0)


# -- verbose output -------------------------------------------------------------------------------------

def test_verbose_two_prints_one_line_per_epoch_and_zero_prints_nothing(capsys):
    model = compiled()
    model.fit(X_XOR, Y_XOR, epochs=3, verbose=0)
    assert capsys.readouterr().out == ""
    model.compile(optimizer="sgd", loss="mse", metrics=["accuracy"])
    model.fit(X_XOR, Y_XOR, epochs=3, verbose=2, validation_data=(X_XOR, Y_XOR))
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and lines[2].startswith("Epoch 3/3")
    assert all(k in lines[0] for k in ("loss: ", "accuracy: ", "val_loss: ", "val_accuracy: "))




def test_verbose_one_without_tqdm_falls_back_to_lines(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    compiled().fit(X_XOR, Y_XOR, epochs=2, verbose=1)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("Epoch 1/2") and "loss: " in lines[0]


# -- History.plot ---------------------------------------------------------------------------------------

def test_history_plot_draws_loss_and_accuracy_with_validation_curves():
    pytest.importorskip("matplotlib")
    h = History()
    for e, (loss, a) in enumerate([(0.9, 0.5), (0.5, 0.75), (0.2, 1.0)]):
        h._append(e, {"loss": loss, "accuracy": a, "val_loss": loss + 0.1, "val_accuracy": a - 0.1})
    fig = h.plot()
    loss_ax, acc_ax = fig.axes
    assert [line.get_label() for line in loss_ax.lines] == ["loss", "val_loss"]
    assert [line.get_label() for line in acc_ax.lines] == ["accuracy", "val_accuracy"]
    np.testing.assert_allclose(loss_ax.lines[0].get_ydata(), [0.9, 0.5, 0.2])
    np.testing.assert_array_equal(loss_ax.lines[0].get_xdata(), [1, 2, 3])


def test_history_plot_without_matplotlib_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        History().plot()
