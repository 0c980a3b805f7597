import minigrad as mg


def test_chain_rule_on_f_equals_wx_plus_b_matches_lecture_numbers():
    w, x, b = (mg.tensor(v, requires_grad=True) for v in (-2.0, 5.0, 3.0))
    f = w * x + b
    f.backward()
    assert f.item() == -7.0
    assert (w.grad, x.grad, b.grad) == (5.0, -2.0, 1.0)
