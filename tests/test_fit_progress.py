"""fit(verbose=...) output: a live bar on a terminal that fits 80 columns and leaves one line per
epoch, plain lines without carriage returns in a log, one bar over the epochs for many short epochs."""
import io
import re

import numpy as np
import pytest

import minigrad as mg
from minigrad.nn import progress

X = np.array([[1, 1], [1, 0], [0, 1], [0, 0]], np.float32)
Y = np.array([[0], [1], [1], [0]], np.float32)
METRICS = ("loss: ", "accuracy: ", "val_loss: ", "val_accuracy: ")


def compiled():
    mg.manual_seed(0)
    model = mg.nn.Sequential([mg.nn.Dense(2, activation="sigmoid", input_dim=2),
                              mg.nn.Dense(1, activation="sigmoid")])
    model.compile(optimizer=mg.optim.SGD(lr=0.3), loss="mse", metrics=["accuracy"])
    return model


class Terminal(io.StringIO):
    def isatty(self):
        return True


def screen(raw, columns=80):
    """What a terminal shows after ``raw``: handles \\r, \\n and the ANSI codes the bar uses (cursor up,
    erase line, erase below). Fails if any character lands beyond ``columns``."""
    rows, r, c = [[]], 0, 0
    for token in re.findall(r"\x1b\[\d*[AKJ]|.|\n", raw, flags=re.S):
        if token == "\r":
            c = 0
        elif token == "\n":
            r, c = r + 1, 0
            rows += [[] for _ in range(r + 1 - len(rows))]
        elif token.startswith("\x1b["):
            code, n = token[-1], int(token[2:-1] or 1)
            if code == "A":
                r = max(0, r - n)
            elif code == "K":
                del rows[r][c:]
            else:  # J
                del rows[r][c:]
                del rows[r + 1:]
        else:
            assert c < columns, f"wrote past column {columns}: {''.join(rows[r])!r}"
            row = rows[r]
            if c >= len(row):
                row += [" "] * (c - len(row)) + [token]
            else:
                row[c] = token
            c += 1
    lines = ["".join(row).rstrip() for row in rows]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def run_on(stream, monkeypatch, **kwargs):
    monkeypatch.setattr("sys.stdout", stream)
    monkeypatch.setenv("COLUMNS", "80")
    return compiled().fit(X, Y, verbose=1, **kwargs)


# -- a log (file or pipe) -------------------------------------------------------------------------------

def test_verbose_one_into_a_log_writes_one_plain_line_per_epoch(capsys):
    compiled().fit(X, Y, epochs=3, batch_size=1, validation_data=(X, Y), verbose=1)
    out = capsys.readouterr().out
    assert "\r" not in out and "\x1b" not in out
    lines = out.splitlines()
    assert [line.split(" - ")[0] for line in lines] == ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]
    assert all(all(m in line for m in METRICS) for line in lines)


def test_verbose_one_into_a_log_with_many_short_epochs_keeps_about_twenty_lines(capsys):
    compiled().fit(X, Y, epochs=300, batch_size=4, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    epochs = [int(re.match(r"Epoch (\d+)/300 - ", line).group(1)) for line in lines]
    assert epochs == [1] + list(range(15, 301, 15))


def test_verbose_two_prints_every_epoch_even_when_there_are_many(capsys):
    compiled().fit(X, Y, epochs=150, batch_size=4, verbose=2)
    assert len(capsys.readouterr().out.splitlines()) == 150


# -- a terminal -----------------------------------------------------------------------------------------

def test_verbose_one_on_an_80_column_terminal_draws_a_bar_and_leaves_every_metric_of_each_epoch(monkeypatch):
    term = Terminal()
    run_on(term, monkeypatch, epochs=3, batch_size=1, validation_data=(X, Y))
    raw = term.getvalue()
    assert re.search(r"Epoch 1/3 \[[=>.]+\] [1-4]/4 - loss: ", raw)  # the live bar over the batches
    shown = screen(raw)  # also checks that nothing was written past column 80
    text = "\n".join(shown)
    assert "[" not in text  # the bars are gone; the epoch lines stay
    assert [line.split(" - ")[0] for line in shown if line.startswith("Epoch")] == ["Epoch 1/3", "Epoch 2/3",
                                                                                    "Epoch 3/3"]
    assert all(len(re.findall(rf"(?<![\w]){m}", text)) == 3 for m in METRICS)


def test_many_short_epochs_on_a_terminal_draw_one_bar_over_the_epochs(monkeypatch):
    term = Terminal()
    run_on(term, monkeypatch, epochs=300, batch_size=4, validation_data=(X, Y))
    raw = term.getvalue()
    assert re.search(r"Epoch 15/300 \[[=>.]+\]", raw) and not re.search(r"\] 1/1", raw)  # epochs, not batches
    shown = screen(raw)
    starts = [line.split(" - ")[0] for line in shown if line.startswith("Epoch")]
    assert starts == ["Epoch 1/300"] + [f"Epoch {e}/300" for e in range(15, 301, 15)]
    assert len(raw) < 20_000


# -- Jupyter ----------------------------------------------------------------------------------------------

def test_in_jupyter_the_bar_is_tqdm_auto_and_each_epoch_leaves_a_line(monkeypatch, capsys):
    pytest.importorskip("tqdm")
    monkeypatch.setattr(progress, "_in_notebook", lambda: True)
    made = []
    real = progress._tqdm()

    def spy():
        def make(*args, **kwargs):
            made.append(kwargs)
            return real(*args, **kwargs)
        return make

    monkeypatch.setattr(progress, "_tqdm", spy)
    compiled().fit(X, Y, epochs=2, batch_size=1, verbose=1)
    assert [m["desc"] for m in made] == ["Epoch 1/2", "Epoch 2/2"] and made[0]["total"] == 4
    lines = [line for line in re.split(r"[\r\n]", capsys.readouterr().out) if line.startswith("Epoch")]
    assert any(re.match(r"Epoch 2/2 - \S+ - loss: \d\.\d{4} - accuracy: ", line) for line in lines)


def test_in_jupyter_without_tqdm_verbose_one_prints_lines(monkeypatch, capsys):
    monkeypatch.setattr(progress, "_in_notebook", lambda: True)
    monkeypatch.setattr(progress, "_tqdm", lambda: None)
    compiled().fit(X, Y, epochs=2, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("Epoch 1/2 - ")


def test_a_fit_that_fails_takes_its_live_bar_off_the_screen(monkeypatch):
    term = Terminal()
    monkeypatch.setattr("sys.stdout", term)
    model = compiled()
    calls = []

    def loss(out, y):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return mg.nn.functional.mse_loss(out, y)

    model.compile(optimizer="sgd", loss=loss)
    with pytest.raises(KeyboardInterrupt):
        model.fit(X, Y, epochs=2, batch_size=1, verbose=1)
    assert screen(term.getvalue()) == []
