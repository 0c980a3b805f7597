"""Regenerate the pictures in docs/img/ (run from anywhere: ``python docs/img/make_images.py``).

Needs the Graphviz ``dot`` program (apt install graphviz / brew install graphviz /
conda install -c conda-forge graphviz). Writes:

- ``f_wx_b.svg`` and ``f_wx_b.png``: the lecture's f = wx + b with w = -2, x = 5, b = 3 after
  ``backward()`` (f = -7; grads w: 5, x: -2, b: 1), every intermediate gradient kept.
- ``model_10_10_5_2.svg``: ``plot_model`` of lecture 04's 10-10-5-2 network (177 parameters).
"""
from pathlib import Path

import minigrad as mg
from minigrad.viz import retain_grads

HERE = Path(__file__).resolve().parent


def lecture_f_wx_b():
    w = mg.tensor(-2.0, requires_grad=True, name="w")
    x = mg.tensor(5.0, requires_grad=True, name="x")
    b = mg.tensor(3.0, requires_grad=True, name="b")
    wx = w * x
    wx.name = "wx"
    f = wx + b
    f.name = "f"
    retain_grads(f)  # keep the gradients of wx and f too, so every box shows one
    f.backward()
    assert (f.item(), w.grad, x.grad, b.grad) == (-7.0, 5.0, -2.0, 1.0)
    return f


def main() -> None:
    g = mg.draw_graph(lecture_f_wx_b())
    g.attr("graph", pad="0.15")
    (HERE / "f_wx_b.svg").write_bytes(g.pipe(format="svg"))
    g.attr("graph", dpi="144")  # a sharp PNG for places that do not show SVG
    (HERE / "f_wx_b.png").write_bytes(g.pipe(format="png"))
    print("wrote", HERE / "f_wx_b.svg", "and", HERE / "f_wx_b.png")

    nn = mg.nn
    model = nn.Sequential([nn.Dense(10, activation="relu", input_dim=10),
                           nn.Dense(5, activation="relu"),
                           nn.Dense(2, activation="softmax")])
    (HERE / "model_10_10_5_2.svg").write_bytes(mg.plot_model(model).pipe(format="svg"))
    print("wrote", HERE / "model_10_10_5_2.svg")


if __name__ == "__main__":
    main()
