"""
F1 surrogate vs cross-entropy vs threshold tuning
=================================================

A network trained with cross-entropy and thresholded at probability 0.5
predicts too few members of a rare class for a good F1. There are two ways
to fix that:

* keep cross-entropy and move the threshold, choosing it for F1 on held-out
  data with :class:`~sklearn.model_selection.TunedThresholdClassifierCV`;
* train the network on a differentiable F1 surrogate (``loss="f1"``, AnyLoss,
  Han et al. 2024), so that the 0.5 threshold is already aimed at F1.

We compare the three on OpenML dataset 1049 (``pc4``, NASA software modules,
12 % defective, shipped with the package), same network and training budget,
over five stratified train/test splits.
"""

# %%
# Data and methods
# ----------------
# 1458 modules described by 37 code metrics; the labels are the strings
# ``'False'`` and ``'True'`` (had a defect). ``'True'``, the greater label, is
# the positive class of the surrogate losses; for scikit-learn's F1 we name it.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import f1_score, roc_auc_score
from sklearn.model_selection import StratifiedShuffleSplit, TunedThresholdClassifierCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_surrogate import SurrogateClassifier, make_surrogate_scorer
from sklearn_surrogate.datasets import load_shipped

X, y, info = load_shipped()
y = np.asarray(y)
print(f"{info['name']}: {X.shape[0]} rows, {X.shape[1]} features, positive share {np.mean(y == 'True'):.3f}")


def network(loss):
    # One hidden layer of 100 units, Adam, batches of 256, 100 epochs. A network
    # this small trains fastest on one CPU thread.
    return make_pipeline(
        StandardScaler(), SurrogateClassifier(loss=loss, max_iter=100, n_threads=1, random_state=0)
    )


# F1 of the positive class, classes_[-1] = 'True' (scoring="f1" would look for a label 1)
f1_scorer = make_surrogate_scorer("f1")
methods = {
    "cross-entropy, threshold 0.5": lambda: network("cross_entropy"),
    # The threshold is chosen for F1 on a stratified 25 % of the training rows,
    # then the network is refitted on all of them (as in the package's benchmark).
    "cross-entropy, tuned threshold": lambda: TunedThresholdClassifierCV(
        network("cross_entropy"), scoring=f1_scorer, cv=0.25, random_state=0
    ),
    "F1 surrogate (AnyLoss)": lambda: network("f1"),
}

# %%
# Five stratified 70 % / 30 % splits
# ----------------------------------
# Every method is fitted on the same training rows and scored on the same test
# rows: test F1, ROC AUC (of the predicted probabilities, which threshold tuning
# leaves unchanged) and the share of test rows predicted positive.
splits = StratifiedShuffleSplit(n_splits=5, test_size=0.3, random_state=0)
rows = []
for split, (train, test) in enumerate(splits.split(X, y)):
    for name, make in methods.items():
        model = make().fit(X.iloc[train], y[train])
        pred = model.predict(X.iloc[test])
        proba = model.predict_proba(X.iloc[test])[:, list(model.classes_).index("True")]
        rows.append({
            "method": name,
            "split": split,
            "F1": f1_score(y[test], pred, pos_label="True"),
            "ROC AUC": roc_auc_score(y[test] == "True", proba),
            "predicted positive": np.mean(pred == "True"),
            "threshold": getattr(model, "best_threshold_", 0.5),
        })
results = pd.DataFrame(rows)
print("test F1 per split")
print(results.pivot(index="split", columns="method", values="F1")[list(methods)].round(3).to_string())

summary = results.groupby("method", sort=False)[["F1", "ROC AUC", "predicted positive", "threshold"]]
table = summary.mean().map("{:.3f}".format) + " ± " + summary.std().map("{:.3f}".format)
print(table.to_string())

# %%
# The test sets hold 12 % positives. Cross-entropy at 0.5 predicts fewer than
# that (about 7 %); the tuned threshold and the F1 surrogate both predict about
# the right share. Threshold tuning leaves the ranking, hence ROC AUC, as it
# is; the F1 surrogate fits a decision boundary rather than probabilities and
# pays about 0.01 ROC AUC for it.
#
# Did it buy F1? In our run the F1 surrogate came out ahead on average, while
# the tuned threshold did not beat 0.5: the threshold picked on a held-out
# quarter of the training rows (about 30 positives) swings from split to split
# (see the ``threshold`` column). A cross-validated threshold (``cv=5``, six
# fits instead of two) is steadier but was no better on these splits. And
# with about 53 positive test rows per split, the standard deviations over
# the five splits are as large as the gaps between the methods: this small
# dataset cannot rank the three.
#
# More evidence comes from the package's benchmark on 22 OpenML binary
# datasets (:doc:`/user_guide/benchmarks`: 5 x 2-fold CV, 200 epochs, the
# threshold tuned as here). Mean test F1 was 0.612 for cross-entropy with a
# tuned threshold, 0.605 for the AnyLoss F1 surrogate and 0.559 for
# cross-entropy at 0.5: both fixes help over a 0.5 threshold, and they are
# level with each other (no significant difference on 19 of the 22 datasets).
# Results on other seeds, splits and budgets will differ from the ones above.

# %%
# Split by split
# --------------
# Lines join the three methods on the same split: the split changes F1 about
# as much as the method does.
fig, axes = plt.subplots(1, 2, figsize=(9, 3.8))
names = list(methods)
labels = {"F1": "test F1", "predicted positive": "share of test rows predicted positive"}
for ax, (metric, ylabel) in zip(axes, labels.items()):
    wide = results.pivot(index="split", columns="method", values=metric)[names]
    for split, values in wide.iterrows():
        ax.plot(range(len(names)), values, marker="o", color="0.6", lw=1, label="one split" if split == 0 else None)
    ax.plot(range(len(names)), wide.mean(), marker="s", color="C3", lw=2, label="mean of 5 splits")
    ax.set_xticks(range(len(names)), [n.replace(", ", "\n") for n in names], fontsize=8)
    ax.set_ylabel(ylabel)
axes[1].axhline(np.mean(y == "True"), color="k", ls=":", lw=1, label="true positive share")
axes[0].legend(fontsize=8)
axes[1].legend(fontsize=8)
fig.suptitle(f"{info['name']} (OpenML {info['openml_id']}): five stratified splits")
fig.tight_layout()
plt.show()
