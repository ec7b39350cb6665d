"""
Learning curves: the loss and the target metric per epoch
=========================================================

A surrogate loss is a means to an end: what matters is the metric it stands
for. This example records, per epoch, the loss *and* the target metric (F1) on
the training rows and on the validation split of a
:class:`~sklearn_surrogate.SurrogateClassifier` trained on the F1 surrogate,
using skorch's ``EpochScoring`` callback, and plots the learning curves. The
data is OpenML dataset 1049 (``pc4``, NASA software modules, 12 % defective),
shipped with the package.
"""

# %%
# Recording the metric per epoch
# ------------------------------
# ``early_stopping=True`` holds out 10 % of the training rows (stratified) and
# records ``valid_loss`` and ``valid_score`` (here F1, the metric the loss
# targets) after each epoch; ``n_iter_no_change`` is large so that the curves
# run for all ``max_iter`` epochs. The training loss is recorded anyway. An
# ``EpochScoring`` callback with ``scoring=None`` scores the estimator's own
# metric; ``on_train=True`` points it at the training rows and
# ``use_caching=False`` predicts them with each epoch's final weights (with the
# cache it would reuse the predictions made while the weights were moving).
import matplotlib.pyplot as plt
import pandas as pd
import torch
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import EpochScoring

from sklearn_surrogate import SurrogateClassifier
from sklearn_surrogate.datasets import load_shipped

torch.set_num_threads(1)  # a network this small trains fastest on one CPU thread

X, y, info = load_shipped()
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)

train_f1 = EpochScoring(None, name="train_f1", on_train=True, use_caching=False, lower_is_better=False)
clf = SurrogateClassifier(
    loss="f1",
    hidden_layer_sizes=(64,),
    max_iter=60,
    early_stopping=True,
    n_iter_no_change=60,
    callbacks=[train_f1],
    random_state=0,
)
model = make_pipeline(StandardScaler(), clf).fit(X_train, y_train)
history = pd.DataFrame(clf.history_).set_index("epoch")
history[["train_loss", "valid_loss", "train_f1", "valid_score"]].round(3).iloc[::10]

# %%
# The curves
# ----------
# The surrogate loss keeps falling on the training rows while F1 on the
# validation split levels off: the epoch whose weights the estimator keeps
# (``best_epoch_``, dotted) is the one with the best validation F1, not the
# lowest loss.
fig, (ax_loss, ax_f1) = plt.subplots(1, 2, figsize=(10, 4), sharex=True)
ax_loss.plot(history.index, history["train_loss"], label="training rows")
ax_loss.plot(history.index, history["valid_loss"], label="validation split")
ax_loss.set(xlabel="epoch", ylabel="F1 surrogate loss", title="Loss")
ax_f1.plot(history.index, history["train_f1"], label="training rows")
ax_f1.plot(history.index, history["valid_score"], label="validation split")
ax_f1.set(xlabel="epoch", ylabel="F1", title="Target metric")
for ax in (ax_loss, ax_f1):
    ax.axvline(clf.best_epoch_, color="grey", linestyle=":")
    ax.legend()
fig.tight_layout()

# %%
# On the held-out test rows, the kept weights score:
print(f"best epoch {clf.best_epoch_}, test F1 {model.score(X_test, y_test):.3f}")
