"""
Fraud at a fixed false-positive rate: partial-AUC training vs cross-entropy
===========================================================================

A fraud team cannot look at every transaction. It works at a fixed false
positive rate (say, at most 5 % of the legitimate transactions may be flagged)
or at a fixed alert budget (the analysts check the 2 % highest-scored rows).
Only the top of the ranking matters: the left edge of the ROC curve, FPR at
most 5 %. The full ROC AUC, and the cross-entropy a network is usually trained
on, weigh every part of the curve alike.

This example trains the same small network with cross-entropy and with three
losses aimed at the top of the ranking (:doc:`/user_guide/losses/ranking`):

* ``pauc_cvar``: the one-way partial AUC for FPR at most ``max_fpr`` (Zhu et
  al., ICML 2022);
* ``np_tpr_at_fpr``: the true positive rate at a false positive rate
  ``max_fpr`` (Neyman-Pearson, quantile threshold; Mackey et al. 2018);
* ``precision_at_k``: precision among the top ``k`` share of the rows (Boyd et
  al., NeurIPS 2012).

It scores them on held-out rows with the matching scorers
(:doc:`/user_guide/model_selection`, "Operating-region and cost metrics"),
draws the ROC region that matters, and follows each metric through training:
which loss is ahead depends on how long the networks train, so the example
reads its conclusion off the numbers of the run instead of asserting one.
"""

# %%
# A fraud-like problem
# --------------------
# A synthetic problem with 3 % positives, 20 features of which 10 carry
# signal, and 1 % of the labels drawn at random (label noise: some "frauds" are
# indistinguishable from normal traffic). Three stratified half/half splits of
# 6000 rows give about 100 positives to train on and 100 to test on per split.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import make_classification
from sklearn.metrics import roc_curve
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.preprocessing import StandardScaler

from sklearn_surrogate import SurrogateClassifier, make_surrogate_scorer

X, y = make_classification(
    n_samples=6000,
    n_features=20,
    n_informative=6,
    n_redundant=4,
    weights=[0.97, 0.03],
    flip_y=0.01,
    class_sep=0.8,
    random_state=0,
)
print(f"{len(y)} rows, positive share {y.mean():.3f}")

MAX_FPR = 0.05  # the false positive rate the team tolerates
BUDGET = 0.02  # the alert budget: the top 2 % of the rows are checked

# %%
# Losses and scorers
# ------------------
# The operating point is given to the losses as ``loss__max_fpr`` and
# ``loss__k``, and to the scorers as ``max_fpr`` and ``k``. The scorers read
# the positive class's scores; ``partial_auc`` is McClish's standardised
# partial AUC, exactly scikit-learn's ``roc_auc_score(max_fpr=...)`` (0.5 for a
# random ranking, 1 for a perfect one).
losses = {
    "cross_entropy": {"loss": "cross_entropy"},
    "pauc_cvar": {"loss": "pauc_cvar", "loss__max_fpr": MAX_FPR},
    "np_tpr_at_fpr": {"loss": "np_tpr_at_fpr", "loss__max_fpr": MAX_FPR},
    "precision_at_k": {"loss": "precision_at_k", "loss__k": BUDGET},
}
scorers = {
    f"pAUC (FPR<={MAX_FPR:g})": make_surrogate_scorer("partial_auc", max_fpr=MAX_FPR),
    f"TPR at FPR {MAX_FPR:g}": make_surrogate_scorer("tpr_at_fpr", max_fpr=MAX_FPR),
    f"precision, top {BUDGET:.0%}": make_surrogate_scorer("precision_at_k", k=BUDGET),
    "ROC AUC": make_surrogate_scorer("roc_auc"),
}
PAUC = next(iter(scorers))

# %%
# Training, scored as it goes
# ---------------------------
# One hidden layer of 32 units, Adam, batches of 512 (stratified, so each holds
# about 18 positives: the ranking losses need both classes in every batch), on
# one CPU thread. Each network is
# trained one epoch at a time with ``partial_fit``, which keeps the optimizer's
# state between calls: the same training as one 100-epoch ``fit`` without
# early stopping, up to the order in which the batches are drawn. Every 10
# epochs the test rows are scored. They only measure; nothing is selected on
# them.
EPOCHS, EVERY = 100, 10
splits = StratifiedShuffleSplit(n_splits=3, test_size=0.5, random_state=0)
rows, first_split = [], {}
for split, (train, test) in enumerate(splits.split(X, y)):
    scaler = StandardScaler().fit(X[train])
    X_train, X_test = scaler.transform(X[train]), scaler.transform(X[test])
    for name, params in losses.items():
        model = SurrogateClassifier(**params, hidden_layer_sizes=(32,), batch_size=512, n_threads=1, random_state=split)
        for epoch in range(1, EPOCHS + 1):
            model.partial_fit(X_train, y[train], classes=[0, 1])
            if epoch % EVERY == 0:
                scores = {metric: scorer(model, X_test, y[test]) for metric, scorer in scorers.items()}
                rows.append({"loss": name, "split": split, "epoch": epoch, **scores})
        if split == 0:
            first_split[name] = model.predict_proba(X_test)[:, 1]
    if split == 0:
        y_test0 = y[test]
results = pd.DataFrame(rows)

# %%
# The scores after a short and after a long training
# --------------------------------------------------
# Mean over the three splits, after 20 and after 100 epochs; the last column
# counts the splits on which a loss beats cross-entropy on the partial AUC.
metrics = list(scorers)
SHORT = 20
for epoch in (SHORT, EPOCHS):
    at = results[results["epoch"] == epoch]
    table = at.groupby("loss", sort=False)[metrics].mean()
    pauc = at.pivot(index="split", columns="loss", values=PAUC)
    table["pAUC above cross_entropy"] = [
        "" if name == "cross_entropy" else f"{int((pauc[name] > pauc['cross_entropy']).sum())} / {len(pauc)}"
        for name in table.index
    ]
    print(f"\nafter {epoch} epochs")
    print(table.to_string(float_format="{:.3f}".format))

# %%
# What this run says
# ------------------
# The sentences below are computed from the tables, so they describe this run,
# whatever its numbers turn out to be: for each metric, the best loss and where
# ``pauc_cvar`` stands against cross-entropy; whether the other two losses beat
# cross-entropy on the metric it was written for; and how far apart the splits
# are, the yardstick for every difference above.
TARGETS = {"np_tpr_at_fpr": metrics[1], "precision_at_k": metrics[2]}


def side(gap):
    return "above" if gap > 0 else "below" if gap < 0 else "level with"


def compare(epoch):
    at = results[results["epoch"] == epoch]
    mean = at.groupby("loss", sort=False)[metrics].mean()
    print(f"after {epoch} epochs:")
    for metric in metrics:
        gap = mean.loc["pauc_cvar", metric] - mean.loc["cross_entropy", metric]
        print(
            f"  {metric:20s} best: {mean[metric].idxmax():15s} ({mean[metric].max():.3f}); "
            f"pauc_cvar {abs(gap):.3f} {side(gap)} cross_entropy"
        )
    for name, metric in TARGETS.items():
        gap = mean.loc[name, metric] - mean.loc["cross_entropy", metric]
        print(f"  {name} on its own metric ({metric}): {abs(gap):.3f} {side(gap)} cross_entropy")
    same = list(mean[PAUC].sort_values().index) == list(mean["ROC AUC"].sort_values().index)
    print(f"  the full ROC AUC orders the losses {'as' if same else 'differently from'} the partial AUC")
    spread = at.groupby("loss", sort=False)[PAUC].std().mean()
    print(f"  partial AUC, standard deviation over the splits (mean over the losses): {spread:.3f}")


for epoch in (SHORT, EPOCHS):
    compare(epoch)

lead = results.pivot_table(index="epoch", columns="loss", values=PAUC)
lead = lead["pauc_cvar"] - lead["cross_entropy"]
trend = "shrank" if abs(lead[EPOCHS]) < abs(lead[SHORT]) else "did not shrink"
print(
    f"pauc_cvar's partial-AUC lead over cross_entropy: {lead[SHORT]:+.3f} after {SHORT} epochs, "
    f"{lead[EPOCHS]:+.3f} after {EPOCHS} ({trend} with training)"
)

# %%
# Reading it: a loss aimed at the top of the ranking can get there much sooner
# than cross-entropy. With 3 % positives, most of a cross-entropy batch's
# gradient goes into pushing the many easy negatives further down, while
# ``pauc_cvar`` spends all of its gradient on the positives and the
# highest-scored negatives. Whether the head start lasts is what the last line
# above and the learning curves below show. Expect it to narrow: cross-entropy
# is a proper scoring rule, and a network that learned the class probabilities
# well would rank the rows in the same order whatever it was trained on, so
# the surrogate pays most where the training budget is short or the network
# too small to fit everything, and a longer run may leave little of the
# difference. Compare every gap with the split-to-split spread printed above:
# three splits of one synthetic problem are an illustration, not a benchmark.

# %%
# The region that matters
# -----------------------
# Left: the test ROC curves of the first split after 100 epochs, with the
# region FPR at most 5 % shaded. Middle: that region, enlarged; the area under
# each curve there, standardised, is its partial AUC, and the height of its
# last step inside the region its TPR at FPR 5 %. The dots mark each model's
# alert budget: the point of its ROC curve where the top 2 % of the test rows
# are flagged (with about 3.5 % positives, well inside the region). Right: the
# test partial AUC through training, mean of the three splits (band: lowest
# and highest split).
colors = dict(zip(losses, ["C3", "C0", "C2", "C1"]))
fig, (ax_full, ax_zoom, ax_curve) = plt.subplots(1, 3, figsize=(13, 4.2))
positives = y_test0 == 1
n_alerts = int(round(BUDGET * len(y_test0)))
for name, proba in first_split.items():
    fpr, tpr, _ = roc_curve(y_test0, proba)
    for ax in (ax_full, ax_zoom):
        ax.plot(fpr, tpr, color=colors[name], label=name, lw=1.5)
    flagged = np.zeros(len(proba), dtype=bool)
    flagged[np.argsort(-proba, kind="stable")[:n_alerts]] = True
    ax_zoom.plot(flagged[~positives].mean(), flagged[positives].mean(), "o", color=colors[name], ms=7)
ax_full.axvspan(0, MAX_FPR, color="0.9", zorder=0, label=f"FPR <= {MAX_FPR:g}")
ax_zoom.set_facecolor("0.9")  # all of the enlarged panel is the shaded region
for ax in (ax_full, ax_zoom):
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
ax_full.plot([0, 1], [0, 1], ls=":", color="0.5")
ax_full.set_title("first split: test ROC curves", fontsize=10)
ax_full.legend(fontsize=8, loc="lower right")
ax_zoom.set_xlim(0, MAX_FPR)
ax_zoom.set_ylim(0, 1)
ax_zoom.set_title(f"FPR <= {MAX_FPR:g} (dots: top {BUDGET:.0%} flagged)", fontsize=10)

curves = results.groupby(["loss", "epoch"], sort=False)[PAUC].agg(["mean", "min", "max"])
for name in losses:
    curve = curves.loc[name]
    ax_curve.plot(curve.index, curve["mean"], color=colors[name], marker="o", ms=3, label=name)
    ax_curve.fill_between(curve.index, curve["min"], curve["max"], color=colors[name], alpha=0.15)
ax_curve.set_xlabel("epochs")
ax_curve.set_ylabel(f"test partial AUC (FPR <= {MAX_FPR:g})")
ax_curve.set_title("through training (3 splits)", fontsize=10)
ax_curve.legend(fontsize=8, loc="lower right")
fig.tight_layout()
plt.show()

# %%
# Choosing in practice
# --------------------
# Score candidates with the metric of the operating point, not with the full
# ROC AUC: ``make_surrogate_scorer("partial_auc", max_fpr=0.05)`` (or
# ``"tpr_at_fpr"``, ``"precision_at_k"``) as the ``scoring`` of
# :class:`~sklearn.model_selection.GridSearchCV` compares cross-entropy and the
# ranking losses, and their training budgets, on held-out folds. Passing such a
# scorer as the ``loss`` (``SurrogateClassifier(loss=scorer)``) trains the
# matching surrogate and early-stops on the same metric. None of these losses
# gives a meaningful 0.5 threshold: pick the operating threshold afterwards,
# on held-out data.
