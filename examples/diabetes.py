"""sklearn's diabetes data with the 10-10-5-2 Keras network of lecture 04 (177 parameters).

The target of ``load_diabetes`` is a disease-progression score one year after baseline; the
lecture binarises it: class 0 when the score is below 140, class 1 otherwise. The network's two
outputs are therefore the softmax probabilities P(score < 140) and P(score >= 140), trained with
Adam and sparse categorical cross-entropy on the integer class, as in the lecture::

    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

The lecture reports about 0.72 training accuracy after 1,010 epochs (sklearn's MLP: 0.71 on test).

    python examples/diabetes.py [--quick]      (needs scikit-learn)
"""
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split

import minigrad as mg

from _common import epochs, save_curve

X, y_numeric = load_diabetes(return_X_y=True)
y = (y_numeric >= 140).astype(np.int64)  # 0: score < 140, 1: score >= 140
xtrain, xtest, ytrain, ytest = train_test_split(X, y, test_size=0.4, random_state=42)

mg.manual_seed(0)
model = mg.nn.Sequential()
model.add(mg.nn.Dense(10, activation="sigmoid", input_dim=10))  # 10 input variables
model.add(mg.nn.Dense(5, activation="sigmoid"))
model.add(mg.nn.Dense(2, activation="softmax"))
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.summary()  # 110 + 55 + 12 = 177 parameters

first = model.fit(xtrain, ytrain, epochs=epochs(5, 2), verbose=2, seed=0)  # the lecture: first 5 epochs
more = model.fit(xtrain, ytrain, epochs=epochs(1000, 3), verbose=0, seed=1)  # then 1,000 more
print(f"... {len(more.epoch):,} more epochs: loss {more.history['loss'][-1]:.4f}, "
      f"accuracy {more.history['accuracy'][-1]:.4f}")
model.fit(xtrain, ytrain, epochs=epochs(5, 2), verbose=2, seed=2)  # and 5 more

print("\nxtrain[0] =", np.array2string(xtrain[0], precision=4))
print("model.predict(xtrain[[0]]) =", model.predict(xtrain[[0]]), "  # [P(score < 140), P(score >= 140)]")
print("model.evaluate(xtrain, ytrain) =", np.round(model.evaluate(xtrain, ytrain), 4).tolist())
print("model.evaluate(xtest, ytest)   =", np.round(model.evaluate(xtest, ytest), 4).tolist())
save_curve(more, "diabetes_loss.png", "diabetes 10-10-5-2, Adam, sparse categorical cross-entropy")
