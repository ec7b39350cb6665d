"""
A learned surrogate for a metric of your own
============================================

:func:`~sklearn_surrogate.learned.learn_surrogate` turns any function
``metric(y_true, y_pred)`` (higher is better) into a training loss: it learns
a small network that ranks batches of predictions the way the metric does
(ReLoss, Huang et al., ICLR 2022). Here the metric is a cost that no built-in
loss targets, on OpenML's ``pc4`` (NASA software modules, 12 % defective,
shipped with the package).

We

1. learn a surrogate for the metric, on a deliberately small budget,
2. check on batches of real model predictions that it ranks them as the
   metric does,
3. train a network on it and compare the metric on a test split with
   cross-entropy, at the 0.5 threshold and at the threshold the costs call for.
"""

# %%
# The metric: inspection cost saved
# ---------------------------------
# Say a defect that ships costs 5 units and inspecting a clean module costs 1.
# We score a set of predictions by the share of the cost of inspecting nothing
# (5 units per defective module) that it saves:
#
# .. math:: \mathrm{saving} = \frac{5\,TP - FP}{5\,P}
#
# 1 is perfect, 0 is inspecting nothing, and inspecting everything on pc4
# scores about -0.44. ``learn_surrogate`` calls the metric with class indices
# (0 and 1) and arg-max predictions; we encode pc4's ``'True'``/``'False'``
# labels as 1/0 so that the same function also scores the classifiers.
import matplotlib.pyplot as plt
import numpy as np
import torch

from sklearn_surrogate.datasets import load_shipped

torch.set_num_threads(1)  # the networks here are small: one thread is fastest
X, y, info = load_shipped()
X = X.to_numpy(dtype=np.float64)
y = (y == "True").to_numpy().astype(int)

C_MISSED, C_INSPECT = 5.0, 1.0


def cost_saving(y_true, y_pred):
    positives = y_true == 1
    tp = np.sum(positives & (y_pred == 1))
    fp = np.sum(~positives & (y_pred == 1))
    return (C_MISSED * tp - C_INSPECT * fp) / (C_MISSED * max(positives.sum(), 1))


print(f"inspect everything: {cost_saving(y, np.ones_like(y)):.3f}, inspect nothing: {cost_saving(y, 0 * y):.3f}")

# %%
# Learning the surrogate
# ----------------------
# The surrogate learns from labelled batches of 256 predictions (the
# classifier's batch size), each paired with the metric's value. With
# ``real_fraction=0`` they are all synthetic (random class shares, qualities
# and biases), so pc4 is never seen. The budget is tiny, 150 Adam steps on
# 512 sets, to keep this example short. The shipped surrogates get 3000 steps
# (1875 for F1) on 4096 sets, half of them predictions of real models; with that budget the
# F1 surrogate ranks real predictions with a Spearman correlation of 0.98.
# ``info_`` reports the Spearman correlation with the metric on fresh held-out
# synthetic sets.
from sklearn_surrogate.learned import learn_surrogate

surrogate = learn_surrogate(
    cost_saving, steps=150, sets_per_step=32, n_train_sets=512, n_test_sets=256, real_fraction=0.0,
    random_state=0, verbose=False,
)
print(f"held-out Spearman (synthetic sets): {surrogate.info_['held_out_spearman']:.3f}")

# %%
# Does it rank real predictions like the metric?
# ----------------------------------------------
# A harder test: 15 real classifiers of every quality (from the class prior to
# boosting) fitted on half of pc4, and 200 random batches of 256 of their
# predictions on the other half. We plot the metric against minus the
# surrogate's value (the surrogate is a loss: lower is better). The returned
# loss mixes in half a unit of cross-entropy by default (``ce_weight=0.5``);
# to look at the surrogate alone we wrap its network with ``ce_weight=0``.
from sklearn_surrogate.learned import ReLoss
from sklearn_surrogate.learned._prediction_sets import draw_model_sets, fit_model_zoo
from sklearn_surrogate.learned._spearman import spearman

zoo = fit_model_zoo(X, y, random_state=0)
Y_sets, logit_sets, _ = draw_model_sets(zoo, 200, n_samples=256, perturb=False, rng=0)
true_value = np.array([cost_saving(yy, z.argmax(1)) for yy, z in zip(Y_sets, logit_sets)])
alone = ReLoss(surrogate=surrogate.surrogate, metric=None, ce_weight=0.0)  # the same network, no cross-entropy
with torch.no_grad():  # binary problems: the loss takes one logit per sample
    surrogate_value = np.array([
        float(alone(torch.as_tensor(z[:, 1] - z[:, 0]), torch.as_tensor(yy))) for yy, z in zip(Y_sets, logit_sets)
    ])
rho = spearman(-surrogate_value, true_value)
print(f"Spearman on real pc4 predictions: {rho:.3f}")

fig, ax = plt.subplots(figsize=(5, 4))
ax.scatter(-surrogate_value, true_value, s=8, alpha=0.6)
ax.set(xlabel="minus surrogate value", ylabel="cost saving of the batch",
       title=f"Learned surrogate vs metric, Spearman {rho:.2f}")
fig.tight_layout()

# %%
# The ranking is far from perfect at this budget, but the trend is the
# metric's: batches the surrogate prefers mostly save more. Its main mistake is
# the batches that flag nothing (saving exactly 0, e.g. the class-prior
# model), which it places among the middling ones.
#
# Training on it
# --------------
# Same network (one hidden layer of 100 units, 100 epochs) for three models,
# fitted on 70 % of pc4 and scored on the other 30 %:
#
# * cross-entropy, predicting at probability 0.5;
# * the same cross-entropy network with the threshold the costs imply: a
#   calibrated model should flag a module when ``5 p > 1 - p``, i.e.
#   ``p > 1/6`` (:class:`~sklearn.model_selection.FixedThresholdClassifier`);
# * the learned surrogate, plus half a unit of cross-entropy (the default of
#   ``ReLoss``, which keeps the network from exploiting the frozen surrogate).
#
# ``loss=surrogate`` passes the learned loss; since it targets no metric the
# estimator knows, ``score()`` would report accuracy, so we also pass
# ``scoring=make_surrogate_scorer(cost_saving)``: ``score()`` then returns the
# cost saving.
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import recall_score
from sklearn.model_selection import FixedThresholdClassifier, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_surrogate import SurrogateClassifier, make_surrogate_scorer

X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
scoring = make_surrogate_scorer(cost_saving)


def network(loss):
    return make_pipeline(StandardScaler(), SurrogateClassifier(
        loss=loss, scoring=scoring, max_iter=100, n_threads=1, random_state=0))


cross_entropy = network("cross_entropy").fit(X_train, y_train)
models = {
    "cross-entropy, threshold 0.5": cross_entropy,
    "cross-entropy, threshold 1/6": FixedThresholdClassifier(FrozenEstimator(cross_entropy), threshold=1 / 6),
    "learned surrogate + 0.5 CE": network(surrogate).fit(X_train, y_train),
}
results = {}
for name, model in models.items():
    pred = model.predict(X_test)
    results[name] = (cost_saving(y_test, pred), recall_score(y_test, pred), pred.mean())
    print(f"{name:>30}: cost saving {results[name][0]:.3f}, recall {results[name][1]:.3f}, "
          f"flagged {results[name][2]:.1%}")
print("score() of the surrogate model:", round(models["learned surrogate + 0.5 CE"].score(X_test, y_test), 3))

fig, ax = plt.subplots(figsize=(6, 2.8))
ax.barh(list(results), [r[0] for r in results.values()])
ax.invert_yaxis()
ax.set(xlabel="test cost saving (higher is better)", title="pc4, one 70/30 split")
fig.tight_layout()

# %%
# The learned surrogate moves the decision boundary towards the costly class:
# it flags about three times as many modules as cross-entropy at 0.5, finds
# twice as many of the defects and saves more of the cost. Moving the
# threshold to 1/6 closes about half of the gap here; it is the right rule
# only for calibrated probabilities, which a network trained for 100 epochs on
# 1,000 rows need not give. On four other splits and seeds we tried (with the
# learning recipe before the set groups of ``learn_surrogate``), the ordering
# was the same (surrogate 0.60 to 0.72, threshold 1/6 0.54 to 0.64, threshold
# 0.5 0.40 to 0.46), with the threshold rule level once.
#
# For a cost that is a sum of per-sample costs, like this one, the threshold
# rule needs no surrogate and is the first thing to try; learned surrogates
# are for metrics without such a rule (set-level ones like F1, rank metrics,
# your own criteria). This is one split of a small dataset with a surrogate
# learned in seconds: the numbers move with the split and the seeds, and a
# larger budget (more steps and sets, real model predictions with
# ``real_fraction=0.5``) learns a more faithful surrogate.
