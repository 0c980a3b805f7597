"""Checkpoint and resume: a model and its optimizer saved with mg.save mid-training, loaded into fresh
objects, continue exactly as if training had never stopped."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.optim import SGD, Adagrad, Adam, Momentum, RMSProp
from minigrad.optim.lr_scheduler import MultiStepLR

OPTIMIZERS = [  # each with settings other than its defaults, so that load_state_dict must restore them
    (SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-3}),
    (SGD, {"lr": 0.05, "momentum": 0.5}),
    (Momentum, {"lr": 0.1, "beta": 0.8}),
    (Adagrad, {"lr": 0.1, "initial_accumulator_value": 0.1}),
    (RMSProp, {"lr": 0.01, "rho": 0.9, "eps": 1e-6}),
    (Adam, {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 1e-2}),
]
IDS = ["SGD-nesterov", "SGD-momentum", "Momentum", "Adagrad", "RMSProp", "Adam"]

RNG = np.random.default_rng(0)
X = RNG.normal(size=(16, 3)).astype(np.float32)
Y = (X @ np.array([[1.0], [-2.0], [0.5]], dtype=np.float32) + 0.1).astype(np.float32)


def model(seed, lazy=False):
    mg.manual_seed(seed)
    first = nn.Dense(8, activation="tanh") if lazy else nn.Dense(8, activation="tanh", input_dim=3)
    return nn.Sequential(first, nn.BatchNorm(), nn.Dense(1))


def train(net, opt, steps, start=0):
    """Steps ``start`` .. ``start + steps - 1`` of one fixed schedule of mini-batches."""
    for i in range(start, start + steps):
        rows = slice(4 * (i % 4), 4 * (i % 4) + 4)
        opt.zero_grad()
        nn.functional.mse_loss(net(mg.tensor(X[rows])), mg.tensor(Y[rows])).backward()
        opt.step()


def assert_same_state(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    for k in sa:
        np.testing.assert_array_equal(sa[k], sb[k], err_msg=k)


@pytest.mark.parametrize("cls, kwargs", OPTIMIZERS, ids=IDS)
def test_resuming_from_a_checkpoint_file_gives_the_parameters_of_never_stopping(cls, kwargs, tmp_path):
    straight = model(0)
    opt = cls(straight, **kwargs)
    train(straight, opt, 10)

    stopped = model(0)
    opt_stopped = cls(stopped, **kwargs)
    train(stopped, opt_stopped, 4)
    path = tmp_path / "checkpoint.npz"
    mg.save({"model": stopped.state_dict(), "optimizer": opt_stopped.state_dict()}, path)
    del stopped, opt_stopped

    checkpoint = mg.load(path)
    resumed = model(1)  # other random weights: all of them must come from the file
    resumed.load_state_dict(checkpoint["model"])
    opt_resumed = cls(resumed, lr=0.5)  # another lr: the optimizer's settings come from the file too
    opt_resumed.load_state_dict(checkpoint["optimizer"])
    train(resumed, opt_resumed, 6, start=4)

    assert_same_state(resumed, straight)
    for h in opt.hyperparameters:
        assert getattr(opt_resumed, h) == getattr(opt, h)


def test_a_lazy_model_and_its_optimizer_resume_from_two_flat_files(tmp_path):
    straight = model(0)
    opt = Adam(straight, lr=0.01)
    train(straight, opt, 6)

    stopped = model(0)
    opt_stopped = Adam(stopped, lr=0.01)
    train(stopped, opt_stopped, 3)
    mg.save(stopped.state_dict(), tmp_path / "model.npz")
    mg.save(opt_stopped.state_dict(), tmp_path / "optimizer.npz")

    resumed = model(1, lazy=True)  # built from the shapes in the file
    resumed.load_state_dict(mg.load(tmp_path / "model.npz"))
    opt_resumed = Adam(resumed)
    opt_resumed.load_state_dict(mg.load(tmp_path / "optimizer.npz"))
    train(resumed, opt_resumed, 3, start=3)
    assert_same_state(resumed, straight)


def test_an_optimizer_state_dict_holds_only_numbers_and_arrays():
    net = model(0)
    opt = Adam(net, lr=0.01)
    train(net, opt, 2)
    state = opt.state_dict()
    assert state["num_params"] == 6 and state["state.0.step"] == 2
    for key, value in state.items():
        assert np.asarray(value).dtype.kind in "biuf", key


def test_a_schedule_resumes_from_a_checkpoint_file(tmp_path):
    opt = SGD([mg.zeros(2, requires_grad=True)], lr=0.1)
    sched = MultiStepLR(opt, milestones=[2, 4], gamma=0.5)
    for _ in range(3):
        sched.step()
    mg.save({"optimizer": opt.state_dict(), "scheduler": sched.state_dict()}, tmp_path / "c.npz")
    checkpoint = mg.load(tmp_path / "c.npz")
    opt2 = SGD([mg.zeros(2, requires_grad=True)], lr=0.1)
    opt2.load_state_dict(checkpoint["optimizer"])
    sched2 = MultiStepLR(opt2, milestones=[9], gamma=0.9)
    sched2.load_state_dict(checkpoint["scheduler"])
    for _ in range(2):
        sched.step()
        sched2.step()
    assert sched2.milestones == [2, 4] and opt2.lr == opt.lr == pytest.approx(0.025)
