"""Learning a relational surrogate for a metric (ReLoss, Huang et al., ICLR 2022).

**Training sets.** A surrogate is trained on many *prediction sets*: a batch of
``n`` samples with labels and a model's class probabilities, whose metric value
we can compute. The sets must span the metric's whole range and look like what
a network produces during training. We mix two sources:

* *synthetic* sets: a class prior drawn at random (binary: positive share in
  [0.02, 0.6]; multiclass: Dirichlet(1) shares), labels drawn from it, and
  logits ``quality * onehot(y) + bias + noise`` with quality, per-class bias
  and noise scale drawn at random, from worse-than-random to near-perfect,
  over- and under-confident, shifted towards any class;
* *real* sets (binary only): predictions of logistic regressions fitted on
  random feature subsets of the shipped OpenML dataset (``pc4``), evaluated on
  random held-out batches of it, then perturbed (temperature and bias). They
  carry the dependence structure of real classifiers.

**Objective.** At every step ``m`` sets are drawn; the surrogate's values are
soft-ranked (:func:`~sklearn_surrogate.learned.soft_spearman`) against the
metric's hard ranks, and the negated Spearman correlation is minimised (a
higher metric must get a lower loss), plus the paper's gradient penalty
``10 * (sqrt(n) ||dL/dlogits|| - 1)^2`` that keeps the surrogate's gradients usable
(the ``sqrt(n)`` makes the penalty independent of the set size; without it the
penalty fights the ranking objective and held-out Spearman drops from 0.95 to
0.5 for F1 in our runs).
Adam, as in the paper. Held-out Spearman is measured on fresh sets.
"""

import time

import numpy as np
import torch
from scipy.special import softmax

from ._networks import build_surrogate
from ._spearman import soft_spearman, spearman

__all__ = ["BUILTIN_METRICS", "learn_surrogate", "make_prediction_sets"]


def _binary_f1(y, P):
    from sklearn.metrics import f1_score

    return f1_score(y, P.argmax(1), zero_division=0.0)


def _roc_auc(y, P):
    from sklearn.metrics import roc_auc_score

    return roc_auc_score(y, P[:, 1]) if P.shape[1] == 2 else roc_auc_score(y, P, multi_class="ovr")


def _balanced_accuracy(y, P):
    from sklearn.metrics import balanced_accuracy_score

    return balanced_accuracy_score(y, P.argmax(1))


def _accuracy(y, P):
    return float(np.mean(P.argmax(1) == y))


def _mcc(y, P):
    from sklearn.metrics import matthews_corrcoef

    return matthews_corrcoef(y, P.argmax(1))


def _macro_f1(y, P):
    from sklearn.metrics import f1_score

    return f1_score(y, P.argmax(1), average="macro", labels=np.arange(P.shape[1]), zero_division=0.0)


# name -> (function of (y indices, probabilities), binary?, multiclass?)
BUILTIN_METRICS = {
    "f1": (_binary_f1, True, False),
    "roc_auc": (_roc_auc, True, True),
    "balanced_accuracy": (_balanced_accuracy, True, True),
    "accuracy": (_accuracy, True, True),
    "mcc": (_mcc, True, True),
    "macro_f1": (_macro_f1, False, True),
}


def _user_metric(metric, response):
    """Wrap ``metric(y_true, y_pred_or_score)`` as a function of (y indices, probabilities)."""

    def evaluate(y, P):
        if response == "predict":
            return metric(y, P.argmax(1))
        return metric(y, P[:, 1] if P.shape[1] == 2 else P)

    return evaluate


def _synthetic_set(rng, n, n_classes):
    if n_classes == 2:
        share = rng.uniform(0.02, 0.6)
        y = (rng.random(n) < share).astype(int)
    else:
        y = rng.choice(n_classes, size=n, p=rng.dirichlet(np.ones(n_classes)))
    for c in range(n_classes):  # every class present
        if not np.any(y == c):
            y[rng.integers(n)] = c
    quality = rng.uniform(-1.0, 5.0)
    bias = rng.normal(0.0, rng.uniform(0.1, 3.0), n_classes)
    noise = rng.uniform(0.3, 3.0)
    logits = quality * np.eye(n_classes)[y] + bias + noise * rng.normal(size=(n, n_classes))
    return y, logits


_REAL_CACHE = {}


def _real_pool():
    """Features and labels of the shipped dataset, standardised (cached)."""
    if "pc4" not in _REAL_CACHE:
        from ..datasets import load_shipped

        X, y, _ = load_shipped()
        X = X.to_numpy(dtype=np.float64)
        X = (X - X.mean(0)) / X.std(0).clip(1e-12)
        _REAL_CACHE["pc4"] = (X, (np.asarray(y) == "True").astype(int))
    return _REAL_CACHE["pc4"]


def _real_set(rng, n):
    from sklearn.linear_model import LogisticRegression

    X, y = _real_pool()
    rows = rng.permutation(len(y))
    train, test = rows[: len(y) // 2], rows[len(y) // 2 :]
    features = rng.choice(X.shape[1], size=rng.integers(1, X.shape[1] + 1), replace=False)
    model = LogisticRegression(C=10 ** rng.uniform(-3, 1), max_iter=200).fit(X[np.ix_(train, features)], y[train])
    batch = rng.choice(test, size=n, replace=len(test) < n)
    if y[batch].min() == y[batch].max():
        batch[0] = test[np.flatnonzero(y[test] != y[batch[0]])[0]]
    z = model.decision_function(X[np.ix_(batch, features)])
    z = z / rng.uniform(0.3, 3.0) + rng.normal(0, 1.5)  # perturb: temperature and bias
    return y[batch], np.column_stack([np.zeros(n), z])


def make_prediction_sets(n_sets, *, n_samples=256, n_classes=2, real_fraction=0.3, random_state=0):
    """Draw prediction sets (labels and logits) for training or evaluating a surrogate.

    Parameters
    ----------
    n_sets : int
    n_samples : int, default=256
        Samples per set (the training batch size the surrogate is for).
    n_classes : int, default=2
    real_fraction : float, default=0.3
        Share of sets from real (perturbed) logistic-regression predictions on
        the shipped dataset; binary problems only.
    random_state : int, default=0

    Returns
    -------
    Y : ndarray of int, shape (n_sets, n_samples)
    logits : ndarray of shape (n_sets, n_samples, n_classes)
    """
    rng = np.random.default_rng(random_state)
    Y = np.empty((n_sets, n_samples), dtype=np.int64)
    logits = np.empty((n_sets, n_samples, n_classes))
    for s in range(n_sets):
        if n_classes == 2 and rng.random() < real_fraction:
            Y[s], logits[s] = _real_set(rng, n_samples)
        else:
            Y[s], logits[s] = _synthetic_set(rng, n_samples, n_classes)
    return Y, logits


def _metric_values(evaluate, Y, logits):
    return np.array([evaluate(y, softmax(z, axis=1)) for y, z in zip(Y, logits)], dtype=np.float64)


def learn_surrogate(
    metric,
    *,
    n_classes=2,
    response="predict",
    architecture="set",
    n_samples=256,
    n_train_sets=4096,
    n_test_sets=512,
    steps=1500,
    sets_per_step=64,
    lr=3e-3,
    gradient_penalty=10.0,
    temperature=0.05,
    random_state=0,
    verbose=True,
):
    """Learn a relational surrogate loss for ``metric``.

    Parameters
    ----------
    metric : str or callable
        A built-in name (``"f1"``, ``"roc_auc"``, ``"balanced_accuracy"``,
        ``"accuracy"``, ``"mcc"``, ``"macro_f1"``) or any callable
        ``metric(y_true, y_pred_or_score)`` where higher is better (negate a
        cost). ``y_true`` holds class indices ``0..K-1``.
    n_classes : int, default=2
    response : {"predict", "proba"}, default="predict"
        What a callable metric receives: arg-max labels, or probabilities
        (the positive class's for binary problems).
    architecture : {"set", "per_sample"}, default="set"
        The surrogate network (see :mod:`sklearn_surrogate.learned._networks`).
    n_samples : int, default=256
        Samples per prediction set.
    n_train_sets, n_test_sets : int
        Sizes of the training pool and of the held-out evaluation.
    steps, sets_per_step, lr : int, int, float
        Adam steps, sets per step, learning rate.
    gradient_penalty : float, default=10.0
        Weight of ``(sqrt(n) ||dL/dlogits|| - 1)^2`` (the paper's penalty,
        with the norm made independent of the set size ``n``: for a mean of
        per-sample losses it is the root-mean-square per-sample gradient).
    temperature : float, default=0.05
        Soft-rank temperature (relative to the values' spread).
    random_state : int, default=0
    verbose : bool, default=True
        Show a progress bar (tqdm) and the held-out Spearman.

    Returns
    -------
    loss : ReLoss
        A frozen surrogate usable as ``SurrogateClassifier(loss=loss)``;
        ``loss.info_`` holds the held-out Spearman, the per-set metric values
        and the training time.
    """
    from ._reloss import ReLoss

    if isinstance(metric, str):
        if metric not in BUILTIN_METRICS:
            raise ValueError(f"Unknown metric {metric!r}; built-in: {sorted(BUILTIN_METRICS)}, or pass a callable.")
        evaluate, binary_ok, multi_ok = BUILTIN_METRICS[metric]
        if (n_classes == 2 and not binary_ok) or (n_classes > 2 and not multi_ok):
            raise ValueError(f"Metric {metric!r} is not defined for {n_classes} classes.")
    elif callable(metric):
        if response not in ("predict", "proba"):
            raise ValueError(f"response must be 'predict' or 'proba', got {response!r}.")
        evaluate = _user_metric(metric, response)
    else:
        raise TypeError(f"metric must be a metric name or a callable, got {type(metric).__name__}.")
    start = time.perf_counter()
    Y_train, Z_train = make_prediction_sets(n_train_sets, n_samples=n_samples, n_classes=n_classes,
                                            random_state=random_state)
    Y_test, Z_test = make_prediction_sets(n_test_sets, n_samples=n_samples, n_classes=n_classes,
                                          random_state=random_state + 10_000)
    m_train = _metric_values(evaluate, Y_train, Z_train)
    m_test = _metric_values(evaluate, Y_test, Z_test)
    if not (np.isfinite(m_train).all() and np.ptp(m_train) > 0):
        raise ValueError("The metric must return finite values that vary across prediction sets.")

    with torch.random.fork_rng():
        torch.manual_seed(random_state)
        network = build_surrogate(architecture).double()
        optimizer = torch.optim.Adam(network.parameters(), lr=lr)
        Yt = torch.nn.functional.one_hot(torch.as_tensor(Y_train), n_classes).double()
        Zt = torch.as_tensor(Z_train)
        mt = torch.as_tensor(m_train)
        generator = torch.Generator().manual_seed(random_state)
        progress = range(steps)
        if verbose:
            from tqdm.auto import tqdm

            progress = tqdm(progress, desc=f"learning a surrogate for {getattr(metric, '__name__', metric)}")
        for _ in progress:
            pick = torch.randint(0, n_train_sets, (sets_per_step,), generator=generator)
            Z = Zt[pick].clone().requires_grad_(True)
            values = network(torch.softmax(Z, -1), Yt[pick])
            objective = -soft_spearman(-values, mt[pick], temperature)
            if gradient_penalty:
                (grad,) = torch.autograd.grad(values.sum(), Z, create_graph=True)
                # sqrt(n) makes the norm batch-size free: for a mean of per-sample losses
                # (cross-entropy) it is the root-mean-square per-sample gradient, O(1)
                norms = grad.flatten(1).norm(dim=1) * n_samples**0.5
                objective = objective + gradient_penalty * ((norms - 1.0) ** 2).mean()
            optimizer.zero_grad()
            objective.backward()
            optimizer.step()
        network.eval()
        with torch.no_grad():
            Yv = torch.nn.functional.one_hot(torch.as_tensor(Y_test), n_classes).double()
            test_values = network(torch.softmax(torch.as_tensor(Z_test), -1), Yv).numpy()
    held_out = spearman(-test_values, m_test)
    seconds = time.perf_counter() - start
    if verbose:
        print(f"held-out Spearman between -surrogate and the metric: {held_out:.3f} ({seconds:.0f} s)")
    loss = ReLoss(metric=metric if isinstance(metric, str) else None, surrogate=network.float(),
                  n_classes=n_classes)
    loss.info_ = {
        "metric": getattr(metric, "__name__", metric),
        "architecture": architecture,
        "held_out_spearman": held_out,
        "n_samples": n_samples,
        "steps": steps,
        "random_state": random_state,
        "seconds": seconds,
        "test_metric": m_test,
        "test_surrogate": test_values,
    }
    return loss
