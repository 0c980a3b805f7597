"""Module, Parameter and Sequential: registration, naming, modes, state dicts, shape propagation."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import nn


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Dense(3, activation="relu", input_dim=2)
        self.scale = nn.Parameter(np.ones(1, dtype=np.float32))
        self.not_a_param = mg.tensor([1.0], requires_grad=True)  # plain tensors are not registered
        self.out = nn.Dense(1, input_dim=3)

    def forward(self, x):
        return self.out(self.hidden(x)) * self.scale


# ---------------------------------------------------------------------------------------------
# Parameter


def test_parameter_is_a_tensor_that_requires_grad_and_receives_gradients():
    p = nn.Parameter([1.0, 2.0])
    assert isinstance(p, mg.Tensor) and isinstance(p, nn.Parameter)
    assert repr(p).startswith("Parameter containing:")
    assert p.requires_grad and p.is_leaf and p.dtype == mg.get_default_dtype()
    (p * p).sum().backward()
    np.testing.assert_allclose(p.grad, [2.0, 4.0])


def test_parameter_keeps_float64_arrays_and_plain_tensors_are_not_parameters():
    assert nn.Parameter(np.zeros(2)).dtype == np.float64
    assert not isinstance(mg.tensor([1.0], requires_grad=True), nn.Parameter)
    assert not isinstance(nn.Parameter([1.0]).detach(), nn.Parameter)
    assert type(nn.Parameter([1.0]) * 2) is mg.Tensor


# ---------------------------------------------------------------------------------------------
# registration and names


def test_attributes_that_are_parameters_or_modules_register_in_attribute_order():
    m = TwoLayer()
    # modules are walked in pre-order, each giving its own parameters in attribute order (as PyTorch)
    assert [n for n, _ in m.named_parameters()] == ["scale", "hidden.weight", "hidden.bias", "out.weight",
                                                    "out.bias"]
    assert [n for n, _ in m.named_children()] == ["hidden", "out"]
    assert m.children() == [m.hidden, m.out]
    assert m.modules() == [m, m.hidden, m.out]
    assert all(p is not m.not_a_param for p in m.parameters())


def test_lists_of_modules_register_with_index_names():
    class Stack(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = [nn.Dense(2, input_dim=2), nn.Dense(2, input_dim=2)]

        def forward(self, x):
            for b in self.blocks:
                x = b(x)
            return x

    assert [n for n, _ in Stack().named_parameters()] == ["blocks.0.weight", "blocks.0.bias",
                                                          "blocks.1.weight", "blocks.1.bias"]


def test_a_shared_parameter_is_listed_once():
    a = nn.Dense(2, input_dim=2)
    model = nn.Sequential(a, nn.ReLU(), a)
    assert len(model.parameters()) == 2
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]


def test_sequential_names_read_index_dot_weight():
    model = nn.Sequential([nn.Dense(2, activation="sigmoid", input_dim=2), nn.Dense(1, activation="sigmoid")])
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert model.parameters()[0] is model[0].weight


# ---------------------------------------------------------------------------------------------
# modes, gradients, buffers


def test_train_and_eval_switch_every_module_and_return_self():
    model = nn.Sequential(nn.Dense(4, input_dim=3), nn.Dropout(0.5), nn.BatchNorm())
    assert model.training and all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_zero_grad_clears_every_parameter_gradient():
    model = TwoLayer()
    model(mg.randn(5, 2)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_buffers_are_registered_explicitly_and_saved_with_the_parameters():
    class Counter(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(np.ones(2, dtype=np.float32))
            self.register_buffer("seen", np.zeros(1))
            self.plain_array = np.zeros(3)  # not a buffer: not saved

    c = Counter()
    assert c.named_buffers()[0][0] == "seen"
    assert list(c.state_dict()) == ["w", "seen"]
    with pytest.raises(ValueError, match="identifier"):
        c.register_buffer("a.b", np.zeros(1))


def test_state_dict_holds_copies():
    model = nn.Sequential(nn.Dense(2, input_dim=2))
    sd = model.state_dict()
    sd["0.weight"][...] = 123.0
    assert not np.any(model[0].weight.data == 123.0)


# ---------------------------------------------------------------------------------------------
# load_state_dict


def _mlp(seed):
    mg.manual_seed(seed)
    return nn.Sequential(nn.Dense(3, activation="relu", input_dim=2), nn.BatchNorm(), nn.Dense(1))


def test_load_state_dict_round_trip_copies_parameters_and_buffers():
    a, b = _mlp(0), _mlp(1)
    a[1].running_mean = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    version = b[0].weight._version
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert ka == kb
        np.testing.assert_array_equal(va, vb)
    assert b[0].weight._version > version  # an in-place change through minigrad bumps the version


def test_load_state_dict_lists_every_missing_unexpected_and_mismatched_name_at_once():
    model = _mlp(0)
    state = model.state_dict()
    del state["0.bias"], state["1.running_var"]
    state["extra.weight"] = np.zeros(2)
    state["2.weight"] = np.zeros((5, 1))
    before = model[2].weight.data.copy()
    with pytest.raises(nn.StateDictError) as info:
        model.load_state_dict(state)
    msg = str(info.value)
    for name in ("0.bias", "1.running_var", "extra.weight", "2.weight", "(5, 1)", "(3, 1)"):
        assert name in msg
    assert isinstance(info.value, ValueError) and isinstance(info.value, RuntimeError)
    np.testing.assert_array_equal(model[2].weight.data, before)  # nothing was changed


def test_load_state_dict_non_strict_skips_missing_and_unexpected_but_not_shape_mismatch():
    model = _mlp(0)
    state = {"0.weight": np.full((2, 3), 7.0), "unknown": np.zeros(1)}
    result = model.load_state_dict(state, strict=False)
    assert "unknown" in result.unexpected_keys and "0.bias" in result.missing_keys
    assert np.all(model[0].weight.data == 7.0) and model[0].weight.dtype == np.float32
    with pytest.raises(ValueError, match="0.weight"):
        model.load_state_dict({"0.weight": np.zeros((4, 3))}, strict=False)


def test_load_state_dict_builds_lazy_layers_from_the_saved_shapes():
    trained = _mlp(0)
    fresh = nn.Sequential(nn.Dense(3, activation="relu"), nn.BatchNorm(), nn.Dense(1))
    fresh.load_state_dict(trained.state_dict())
    x = mg.randn(4, 2)
    np.testing.assert_allclose(fresh.eval()(x).data, trained.eval()(x).data, rtol=1e-6)


def _lazy_mlp():
    return nn.Sequential(nn.Dense(3, activation="relu"), nn.BatchNorm(), nn.Dense(1))


@pytest.mark.parametrize("break_state", [
    lambda s: s.pop("2.bias"),                               # a missing key
    lambda s: s.update({"2.weight": np.zeros((3, 2))}),      # builds 2 units, which the bias does not fit
    lambda s: s.update({"1.weight": np.ones(4, np.float32),  # each layer builds, the shapes do not chain
                        "1.bias": np.ones(4, np.float32)}),
])
def test_a_failed_load_into_a_lazy_model_leaves_it_unbuilt_and_the_generator_untouched(break_state):
    state = _mlp(0).state_dict()
    break_state(state)
    mg.manual_seed(5)
    fresh = _lazy_mlp()
    with pytest.raises(nn.StateDictError):
        fresh.load_state_dict(state)
    assert not any(layer.built for layer in fresh) and fresh[1].named_buffers() == []
    with pytest.raises(RuntimeError, match="not been built"):
        fresh.parameters()
    drawn = fresh(mg.ones((4, 2))).data  # builds now, from the same random numbers as without the load
    mg.manual_seed(5)
    untouched = _lazy_mlp()
    np.testing.assert_array_equal(drawn, untouched(mg.ones((4, 2))).data)


def test_loading_shapes_that_do_not_chain_names_the_layers():
    state = {"0.weight": np.ones((2, 3), np.float32), "0.bias": np.ones(3, np.float32),
             "1.weight": np.ones((5, 1), np.float32), "1.bias": np.ones(1, np.float32)}
    lazy = nn.Sequential(nn.Dense(3), nn.Dense(1))
    with pytest.raises(nn.StateDictError, match=r"do not chain.*input_dim=5.*\(None, 3\)"):
        lazy.load_state_dict(state)
    assert not lazy[0].built and not lazy[1].built


# ---------------------------------------------------------------------------------------------
# Parameter.data keeps its shape


def test_assigning_data_of_another_shape_to_a_parameter_names_it_and_both_shapes():
    p = nn.Parameter(np.zeros((2, 3)), name="kernel")
    with pytest.raises(ValueError, match=r"Parameter 'kernel'.*\(2, 3\).*Received: data of shape \(5,\)"):
        p.data = np.zeros(5)
    assert p.shape == (2, 3)
    model = nn.Sequential(nn.Dense(2, input_dim=3))
    with pytest.raises(ValueError, match=r"Parameter of shape \(3, 2\).*Received: data of shape \(2, 3\)"):
        model[0].weight.data = np.zeros((2, 3))
    opt = mg.optim.SGD(model, lr=0.1)
    model(mg.ones((4, 3))).sum().backward()
    opt.step()  # the parameter kept its shape, so the step works


def test_assigning_data_of_the_same_shape_to_a_parameter_works_and_bumps_its_version():
    p = nn.Parameter(np.zeros((2, 3)))
    version = p._version
    p.data = np.ones((2, 3))
    assert p._version > version and np.all(p.data == 1.0)
    p.data = [[2.0, 2.0, 2.0]] * 2  # lists of the same shape are fine too
    assert p.shape == (2, 3) and isinstance(p.data, np.ndarray)
    t = mg.tensor(np.zeros((2, 3)))
    t.data = np.zeros(5)  # a plain Tensor may change shape
    assert t.shape == (5,)


# ---------------------------------------------------------------------------------------------
# Sequential


def test_sequential_accepts_layers_as_arguments_or_a_list_and_supports_len_index_iter():
    layers = [nn.Dense(4, input_dim=2), nn.ReLU(), nn.Dense(1)]
    for model in (nn.Sequential(*layers), nn.Sequential(layers)):
        assert len(model) == 3 and list(model) == layers
        assert model[0] is layers[0] and model[-1] is layers[2]
        tail = model[1:]
        assert isinstance(tail, nn.Sequential) and list(tail) == layers[1:]
        with pytest.raises(IndexError, match=r"index must be in \[-3, 2\] for 3 layers; Received: index=3"):
            model[3]


def test_sequential_add_builds_the_new_layer_from_the_previous_output_shape():
    model = nn.Sequential()
    model.add(nn.Dense(10, activation="relu", input_dim=4))
    model.add(nn.Dense(5))
    assert model[1].built and model[1].weight.shape == (10, 5)
    assert model.input_shape == (None, 4) and model.output_shape == (None, 5)
    with pytest.raises(TypeError, match="Received: layer="):
        model.add("dense")


def test_shape_propagation_fills_input_and_output_shapes_of_every_layer():
    model = nn.Sequential(nn.Dense(8, input_dim=3), nn.ReLU(), nn.Dropout(0.2), nn.BatchNorm(), nn.Dense(2),
                          nn.Softmax())
    assert [layer.input_shape for layer in model] == [(None, 3)] + [(None, 8)] * 4 + [(None, 2)]
    assert [layer.output_shape for layer in model] == [(None, 8)] * 4 + [(None, 2)] * 2
    assert model[3].num_features == 8


def test_a_layer_whose_input_does_not_fit_the_previous_output_is_rejected_at_add_time():
    with pytest.raises(ValueError, match=r"layer 1 .*\(None, 5\).*\(None, 4\)"):
        nn.Sequential(nn.Dense(4, input_dim=2), nn.Dense(1, input_dim=5))


def test_lazy_sequential_builds_on_first_call_and_refuses_parameters_before():
    model = nn.Sequential(nn.Dense(4, activation="tanh"), nn.Dense(2))
    with pytest.raises(RuntimeError, match="not been built"):
        model.parameters()
    with pytest.raises(RuntimeError, match="not been built"):
        model.state_dict()
    out = model(np.ones((3, 6), dtype=np.float32))  # a numpy array is accepted, as in Keras
    assert out.shape == (3, 2) and model.count_params() == 6 * 4 + 4 + 4 * 2 + 2
    assert model.input_shape == (None, 6) and model.output_shape == (None, 2)


def test_sequential_build_with_an_input_shape_builds_every_layer():
    model = nn.Sequential(nn.Dense(4), nn.ReLU(), nn.Dense(2))
    model.build((None, 3))
    assert model.count_params() == 3 * 4 + 4 + 4 * 2 + 2
    assert model.compute_output_shape((None, 3)) == (None, 2)


def test_a_custom_module_without_shape_info_stops_propagation_instead_of_guessing():
    class Double(nn.Module):
        def forward(self, x):
            return mg.concatenate([x, x], axis=1)

    model = nn.Sequential(nn.Dense(3, input_dim=2), Double(), nn.Dense(1))
    assert not model[2].built
    assert model(mg.randn(4, 2)).shape == (4, 1) and model[2].weight.shape == (6, 1)


def test_sequential_forward_runs_the_layers_in_order():
    model = nn.Sequential(nn.Dense(3, input_dim=2), nn.Sigmoid(), nn.Dense(1))
    x = mg.randn(5, 2)
    expected = model[2](model[1](model[0](x)))
    np.testing.assert_allclose(model(x).data, expected.data)


def test_children_of_a_sequential_are_exactly_its_layers():
    model = nn.Sequential(nn.Dense(2, input_dim=2))
    model.loss_module = nn.MSELoss()  # e.g. stored by compile(): not a layer
    assert model.children() == [model[0]]


@pytest.mark.parametrize("layers, n_inputs, count", [
    ([1], 2, 3),                    # one neuron on 2 inputs
    ([2, 1], 2, 9),                 # XOR 2-2-1: 6 + 3
    ([10, 5, 2], 10, 177),          # diabetes 10-10-5-2: 110 + 55 + 12
    ([100, 10], 784, 79_510),       # Fashion-MNIST 784-100-10: 78,500 + 1,010
])
def test_parameter_counts_of_the_lecture_networks(layers, n_inputs, count):
    model = nn.Sequential([nn.Dense(layers[0], activation="sigmoid", input_dim=n_inputs)]
                          + [nn.Dense(u, activation="sigmoid") for u in layers[1:]])
    assert model.count_params() == count
    assert sum(p.size for p in model.parameters()) == count


def test_repr_shows_the_tree_of_layers():
    text = repr(nn.Sequential(nn.Dense(2, activation="relu", input_dim=3), nn.Dropout(0.5)))
    assert "(0): Dense(units=2, activation='relu', input_dim=3)" in text
    assert "(1): Dropout(rate=0.5)" in text


def test_to_casts_parameters_and_buffers():
    model = _mlp(0).to(np.float64)
    assert all(v.dtype == np.float64 for v in model.state_dict().values())
