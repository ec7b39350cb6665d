"""The AnyLoss confusion-matrix losses (``sklearn_surrogate.losses._confusion``).

Against independent implementations of the formulas of Han, Moniz & Chawla (KDD 2024) and of the documented
multiclass one-vs-rest extension, against hand-computed values, and, for confident logits, against
scikit-learn's exact metrics.
"""

import math

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    f1_score,
    fbeta_score,
    matthews_corrcoef,
    recall_score,
)

from sklearn_surrogate.losses import AccuracyLoss, BalancedAccuracyLoss, FBetaLoss, GMeanLoss, MCCLoss

from ._helpers import DTYPES, _f, _softmax

pytestmark = pytest.mark.usefixtures("single_torch_thread")

CONFUSION_LOSSES = [FBetaLoss, AccuracyLoss, BalancedAccuracyLoss, GMeanLoss, MCCLoss]


def _ref_binary_counts(z, y, L, w=None):
    """Paper counts a = 1/(1+exp(-L(p-0.5))), p = sigmoid(z), normalised by the batch weight."""
    z = np.asarray(z, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    w = np.ones_like(z) if w is None else np.asarray(w, dtype=np.float64)
    p = 1.0 / (1.0 + np.exp(-z))
    a = 1.0 / (1.0 + np.exp(-L * (p - 0.5)))
    total = w.sum()
    TP = np.sum(w * y * a) / total
    FN = np.sum(w * y * (1 - a)) / total
    FP = np.sum(w * (1 - y) * a) / total
    TN = np.sum(w * (1 - y) * (1 - a)) / total
    return TP, FN, FP, TN


def _ref_binary_metric(metric, TP, FN, FP, TN, beta=1.0, eps=0.0):
    """The paper's metric formulas; eps > 0 adds the documented stabilisers."""
    if metric == "fbeta":
        b2 = beta**2
        return (1 + b2) * TP / ((1 + b2) * TP + b2 * FN + FP + eps)
    if metric == "accuracy":
        return (TP + TN) / (TP + FN + FP + TN)
    if metric == "balanced_accuracy":
        return (TP / (TP + FN + eps) + TN / (TN + FP + eps)) / 2
    if metric == "gmean":
        return math.sqrt(TP / (TP + FN + eps) * TN / (TN + FP + eps) + eps)
    if metric == "mcc":
        return (TP * TN - FP * FN) / math.sqrt((TP + FP) * (TP + FN) * (TN + FP) * (TN + FN) + eps**2)
    raise AssertionError(metric)


_BINARY_LOSSES = {
    "fbeta": FBetaLoss,
    "accuracy": AccuracyLoss,
    "balanced_accuracy": BalancedAccuracyLoss,
    "gmean": GMeanLoss,
    "mcc": MCCLoss,
}


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_anyloss_hand_computed_example(dtype):
    # y = [1, 1, 0, 0], z = [ln 3, 0, -ln 3, ln 3], L = 4:
    #   p = [3/4, 1/2, 1/4, 3/4], L(p - 1/2) = [1, 0, -1, 1],
    #   a = [s(1), 1/2, s(-1), s(1)] = [0.7310586, 0.5, 0.2689414, 0.7310586]   (s = sigmoid)
    #   TP = s(1) + 1/2        = 1.2310586     FN = s(-1) + 1/2 = 0.7689414
    #   FP = s(-1) + s(1) = 1  = 1.0           TN = s(1) + s(-1) = 1.0
    #   F1   = 2TP / (2TP + FN + FP)             = 2.4621172 / 4.2310586 = 0.5819152
    #   F2   = 5TP / (5TP + 4FN + FP)            = 6.1552929 / 10.2310586 = 0.6016282
    #   acc  = (TP + TN) / 4                     = 0.5577646
    #   bacc = (TP / 2 + TN / 2) / 2             = 0.5577646
    #   G    = sqrt(TP / 2 * TN / 2)             = 0.5547654
    #   MCC  = (TP TN - FP FN) / sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN))
    #        = 0.4621172 / sqrt(2.2310586 * 2 * 2 * 1.7689414) = 0.1163081
    z = torch.tensor([math.log(3), 0.0, -math.log(3), math.log(3)], dtype=dtype)
    y = torch.tensor([1, 1, 0, 0])
    expected = {
        FBetaLoss(L=4.0): 0.5819152,
        FBetaLoss(L=4.0, beta=2.0): 0.6016282,
        AccuracyLoss(L=4.0): 0.5577646,
        BalancedAccuracyLoss(L=4.0): 0.5577646,
        GMeanLoss(L=4.0): 0.5547654,
        MCCLoss(L=4.0): 0.1163081,
    }
    for loss, metric in expected.items():
        value = loss(z, y)
        assert value.dtype == dtype
        assert_allclose(1.0 - _f(value), metric, atol=2e-6, err_msg=repr(loss))


# small hand-chosen batches (4-6 samples, both classes present)
_SMALL_BATCHES = [
    ([2.0, -1.0, 0.5, -3.0], [1, 0, 0, 1], None),
    ([0.3, 0.1, -0.2, 1.5, -0.7], [1, 1, 0, 0, 1], [1.0, 2.0, 0.5, 1.0, 3.0]),
    ([4.0, 3.0, -2.0, -0.1, 0.2, -5.0], [1, 1, 0, 0, 1, 0], [0.2, 1.0, 1.0, 0.0, 2.0, 1.0]),
    ([-1.2, 0.8, 0.05, -0.05, 2.5, -2.5], [0, 1, 1, 0, 0, 1], None),
]


_METRIC_BETA = [("fbeta", 0.5), ("fbeta", 1.0), ("fbeta", 2.0)] + [(m, 1.0) for m in _BINARY_LOSSES if m != "fbeta"]


@pytest.mark.parametrize("L", [1.0, 10.0, 73.0])
@pytest.mark.parametrize("batch", _SMALL_BATCHES)
@pytest.mark.parametrize("metric, beta", _METRIC_BETA)
def test_anyloss_binary_matches_paper_formulas(metric, beta, batch, L):
    z, y, w = batch
    kwargs = {"L": L, **({"beta": beta} if metric == "fbeta" else {})}
    loss = _BINARY_LOSSES[metric](**kwargs)
    sw = None if w is None else torch.tensor(w, dtype=torch.float64)
    got = _f(loss(torch.tensor(z, dtype=torch.float64), torch.tensor(y), sw))
    counts = _ref_binary_counts(z, y, L, w)
    # the documented formulas, eps included, to float64 precision ...
    assert_allclose(got, 1.0 - _ref_binary_metric(metric, *counts, beta=beta, eps=loss.eps), rtol=1e-10, atol=1e-12)
    # ... and the paper's eps-free ones up to eps's effect (counts are fractions of the batch weight)
    assert_allclose(got, 1.0 - _ref_binary_metric(metric, *counts, beta=beta, eps=0.0), atol=2e-4)


@pytest.mark.parametrize("metric", list(_BINARY_LOSSES))
def test_anyloss_unnormalised_counts_formula(metric):
    # the paper's TP = sum y a, FN = sum y - TP, FP = sum a - TP, TN = N - sum y - sum a + TP, not normalised
    z = np.array([1.0, -0.5, 0.25, 2.0, -1.5])
    y = np.array([1, 0, 1, 0, 1])
    L = 5.0
    a = 1.0 / (1.0 + np.exp(-L * (1.0 / (1.0 + np.exp(-z)) - 0.5)))
    TP = _f(np.sum(y * a))
    FN = _f(np.sum(y)) - TP
    FP = _f(np.sum(a)) - TP
    TN = len(y) - _f(np.sum(y)) - _f(np.sum(a)) + TP
    expected = _ref_binary_metric(metric, TP, FN, FP, TN)
    got = 1.0 - _f(_BINARY_LOSSES[metric](L=L)(torch.tensor(z), torch.tensor(y)))
    assert_allclose(got, expected, atol=1e-4)


def test_anyloss_amplifier_limits():
    # L -> 0: a -> 1/2 for every sample; large L: a -> step(p - 1/2)
    z = torch.tensor([3.0, -3.0, 1.0, -1.0], dtype=torch.float64)
    y = torch.tensor([1, 0, 0, 1])
    # tiny L: TP = FN = FP = TN = 1/4 of the batch, accuracy 1/2, F1 = 1/2
    assert_allclose(1 - _f(AccuracyLoss(L=1e-8)(z, y)), 0.5, atol=1e-6)
    assert_allclose(1 - _f(FBetaLoss(L=1e-8)(z, y)), 0.5, atol=1e-5)
    # huge L: hard predictions [1, 0, 1, 0] -> TP=1, FN=1, FP=1, TN=1
    assert_allclose(1 - _f(AccuracyLoss(L=1e4)(z, y)), 0.5, atol=1e-9)
    assert_allclose(1 - _f(FBetaLoss(L=1e4)(z, y)), 0.5, atol=1e-5)
    assert_allclose(1 - _f(MCCLoss(L=1e4)(z, y)), 0.0, atol=1e-5)


def _confident_binary(rng, n=60, flip=0.2, margin=8.0):
    y = rng.randint(0, 2, n)
    y[:2] = [0, 1]
    pred = np.where(rng.uniform(size=n) < flip, 1 - y, y)
    z = np.where(pred == 1, 1.0, -1.0) * rng.uniform(margin, 2 * margin, n)
    return z, y, pred


@pytest.mark.parametrize("L", [73.0, 1000.0])
@pytest.mark.parametrize("weighted", [False, True])
def test_anyloss_binary_confident_logits_match_sklearn(L, weighted, global_random_seed):
    rng = np.random.RandomState(global_random_seed)
    z, y, pred = _confident_binary(rng)
    w = rng.uniform(0.5, 2.0, len(y)) if weighted else None
    zt, yt = torch.tensor(z), torch.tensor(y)
    wt = None if w is None else torch.tensor(w)
    exact = {
        FBetaLoss(L=L): f1_score(y, pred, sample_weight=w),
        FBetaLoss(L=L, beta=2.0): fbeta_score(y, pred, beta=2.0, sample_weight=w),
        AccuracyLoss(L=L): accuracy_score(y, pred, sample_weight=w),
        BalancedAccuracyLoss(L=L): balanced_accuracy_score(y, pred, sample_weight=w),
        GMeanLoss(L=L): math.sqrt(np.prod(recall_score(y, pred, average=None, sample_weight=w))),
        MCCLoss(L=L): matthews_corrcoef(y, pred, sample_weight=w),
    }
    for loss, value in exact.items():
        assert_allclose(1.0 - _f(loss(zt, yt, wt)), value, atol=1e-4, err_msg=repr(loss))


@pytest.mark.parametrize("n_pos", [1, 2])
def test_mcc_eps_negligible_on_imbalanced_batch(n_pos):
    y = torch.zeros(256, dtype=torch.int64)
    y[:n_pos] = 1
    z = torch.where(y == 1, 10.0, -10.0).to(torch.float64)  # every sample right, confidently
    assert matthews_corrcoef(y.numpy(), (z > 0).numpy().astype(int)) == 1.0
    assert _f(MCCLoss()(z, y)) == pytest.approx(0.0, abs=1e-3)


def test_anyloss_weighted_counts_equal_duplicated_samples():
    z = np.array([0.4, -1.3, 2.2, 0.1, -0.6])
    y = np.array([1, 0, 1, 0, 1])
    w = np.array([2, 1, 3, 0, 1])
    zd, yd = np.repeat(z, w), np.repeat(y, w)
    for loss in [cls(L=10.0) for cls in CONFUSION_LOSSES]:
        weighted = _f(loss(torch.tensor(z), torch.tensor(y), torch.tensor(w, dtype=torch.float64)))
        duplicated = _f(loss(torch.tensor(zd), torch.tensor(yd)))
        assert_allclose(weighted, duplicated, rtol=1e-12, err_msg=repr(loss))
        # and against the reference with the duplicated, unweighted batch
    counts_w = _ref_binary_counts(z, y, 10.0, w)
    counts_d = _ref_binary_counts(zd, yd, 10.0)
    assert_allclose(counts_w, counts_d, rtol=1e-12)


def test_fbeta_beta_weighs_recall():
    L = 1e3
    # batch A: all predicted positive -> TP=4, FN=0, FP=4 (recall 1, precision 1/2)
    zA = torch.tensor([5.0] * 8)
    yA = torch.tensor([1] * 4 + [0] * 4)
    # batch B: half the positives missed -> TP=4, FN=4, FP=0 (recall 1/2, precision 1)
    zB = torch.tensor([5.0] * 4 + [-5.0] * 8)
    yB = torch.tensor([1] * 8 + [0] * 4)
    f = {b: (1 - _f(FBetaLoss(beta=b, L=L)(zA, yA)), 1 - _f(FBetaLoss(beta=b, L=L)(zB, yB))) for b in (0.5, 1, 2)}
    # F1 is the same (2/3) for both
    assert_allclose(f[1], [2 / 3, 2 / 3], atol=1e-5)
    # beta = 2 weighs recall: A (recall 1) scores higher; beta = 1/2 weighs precision: B scores higher
    assert_allclose(f[2], [5 * 4 / (5 * 4 + 0 + 4), 5 * 4 / (5 * 4 + 4 * 4 + 0)], atol=1e-5)
    assert f[2][0] > f[1][0] > f[0.5][0]
    assert f[2][1] < f[1][1] < f[0.5][1]


def test_fbeta_binary_ignores_negative_class():
    # binary F1 scores the positive class only: changing predictions among negatives that are
    # confidently right does not change it, and swapping labels does
    # positive class: TP=2, FP=1, FN=0 -> F1 = 4/5; negative class: TP=3, FP=0, FN=1 -> F1 = 6/7
    z = torch.tensor([6.0, 6.0, -6.0, -6.0, -6.0, 6.0])
    y = torch.tensor([1, 0, 0, 0, 0, 1])
    f1 = 1 - _f(FBetaLoss()(z, y))
    assert_allclose(f1, f1_score(y.numpy(), (z > 0).numpy().astype(int)), atol=1e-5)
    f1_flipped = 1 - _f(FBetaLoss()(-z, 1 - y))
    assert_allclose(f1_flipped, f1_score(1 - y.numpy(), (z < 0).numpy().astype(int)), atol=1e-5)
    assert_allclose([f1, f1_flipped], [4 / 5, 6 / 7], atol=1e-5)


@pytest.mark.parametrize("loss_cls", CONFUSION_LOSSES)
def test_anyloss_gradient_points_towards_better_metric(loss_cls):
    # one gradient step on the logits lowers the loss
    rng = np.random.RandomState(0)
    z = torch.tensor(rng.normal(0, 0.5, 40), requires_grad=True)
    y = torch.tensor(rng.randint(0, 2, 40))
    loss = loss_cls(L=10.0)
    before = loss(z, y)
    before.backward()
    assert _f(z.grad.abs().sum()) > 0
    with torch.no_grad():
        after = loss(z - 0.05 * z.grad / z.grad.norm(), y)
    assert _f(after) < _f(before)



def test_gmean_gradient_bounded_at_zero_recall():
    z = torch.tensor([-8.0, -8.0, 8.0, -8.0], dtype=torch.float64, requires_grad=True)  # TPR = 0
    GMeanLoss()(z, torch.tensor([1, 1, 0, 0])).backward()
    assert torch.isfinite(z.grad).all() and z.grad.abs().max() < 1e4



# ---------------------------------------------------------------------------
# multiclass
# ---------------------------------------------------------------------------
def _ref_multiclass_A(Z, L):
    P = _softmax(Z)
    n, K = P.shape
    A = np.empty_like(P)
    for i in range(n):
        for c in range(K):
            best_other = max(P[i, k] for k in range(K) if k != c)
            A[i, c] = 1.0 / (1.0 + math.exp(-L * (P[i, c] - best_other) / 2.0))
    return A


def _ref_multiclass_metric(metric, Z, y, L, w=None, beta=1.0, average="macro", eps=1e-6):
    """One-vs-rest soft confusion matrices as documented in ``_confusion.py``."""
    A = _ref_multiclass_A(Z, L)
    n, K = A.shape
    w = np.ones(n) if w is None else np.asarray(w, dtype=np.float64)
    w = w / w.sum()
    Y = np.eye(K)[y]
    tp = np.array([sum(w[i] * Y[i, c] * A[i, c] for i in range(n)) for c in range(K)])
    fn = np.array([sum(w[i] * Y[i, c] * (1 - A[i, c]) for i in range(n)) for c in range(K)])
    fp = np.array([sum(w[i] * (1 - Y[i, c]) * A[i, c] for i in range(n)) for c in range(K)])
    b2 = beta**2

    def fb(tp_, fp_, fn_):
        return (1 + b2) * tp_ / ((1 + b2) * tp_ + b2 * fn_ + fp_ + eps)

    if metric == "fbeta":
        if average == "micro":
            return fb(tp.sum(), fp.sum(), fn.sum())
        scores = fb(tp, fp, fn)
        if average == "macro":
            return scores.mean()
        support = tp + fn
        return (scores * support).sum() / support.sum()
    recalls = tp / (tp + fn + eps)
    if metric == "balanced_accuracy":
        return recalls.mean()
    if metric == "gmean":
        return (np.prod(recalls) + eps) ** (1.0 / K)
    if metric == "accuracy":
        return sum(w[i] * A[i, y[i]] for i in range(n))
    if metric == "mcc":
        A_hat = A / A.sum(axis=1, keepdims=True)
        t = (w[:, None] * Y).sum(0)
        p = (w[:, None] * A_hat).sum(0)
        c = sum(w[i] * A_hat[i, y[i]] for i in range(n))
        return (c - t @ p) / math.sqrt((1 - p @ p) * (1 - t @ t) + eps**2)
    raise AssertionError(metric)


@pytest.mark.parametrize(
    "loss, metric, kwargs",
    [
        (FBetaLoss(L=5.0), "fbeta", {"average": "macro"}),
        (FBetaLoss(L=5.0, average="weighted"), "fbeta", {"average": "weighted"}),
        (FBetaLoss(L=5.0, average="micro"), "fbeta", {"average": "micro"}),
        (FBetaLoss(L=20.0, beta=2.0, average="macro"), "fbeta", {"average": "macro", "beta": 2.0}),
        (BalancedAccuracyLoss(L=5.0), "balanced_accuracy", {}),
        (GMeanLoss(L=5.0), "gmean", {}),
        (AccuracyLoss(L=5.0), "accuracy", {}),
        (MCCLoss(L=5.0), "mcc", {}),
    ],
    ids=lambda v: repr(v) if not isinstance(v, dict) else "",
)
@pytest.mark.parametrize("weighted", [False, True])
def test_anyloss_multiclass_matches_documented_formulas(loss, metric, kwargs, weighted):
    rng = np.random.RandomState(7)
    Z = rng.normal(0, 1.5, size=(6, 3))
    y = np.array([0, 1, 2, 2, 1, 0])
    w = rng.uniform(0.2, 2.0, 6) if weighted else None
    got = 1.0 - _f(loss(torch.tensor(Z), torch.tensor(y), None if w is None else torch.tensor(w)))
    expected = _ref_multiclass_metric(metric, Z, y, _f(loss.L), w=w, **kwargs)
    assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


def _confident_multiclass(rng, n=80, K=4, flip=0.25, margin=12.0):
    y = np.concatenate([np.arange(K), rng.randint(0, K, n - K)])
    pred = np.where(rng.uniform(size=n) < flip, rng.randint(0, K, n), y)
    Z = rng.normal(0, 0.5, size=(n, K))
    Z[np.arange(n), pred] += margin
    return Z, y, pred


@pytest.mark.parametrize("weighted", [False, True])
def test_anyloss_multiclass_confident_logits_match_sklearn(weighted, global_random_seed):
    rng = np.random.RandomState(global_random_seed)
    Z, y, pred = _confident_multiclass(rng)
    w = rng.uniform(0.5, 2.0, len(y)) if weighted else None
    Zt, yt = torch.tensor(Z), torch.tensor(y)
    wt = None if w is None else torch.tensor(w)
    exact = {
        FBetaLoss(average="macro"): f1_score(y, pred, average="macro", sample_weight=w),
        FBetaLoss(): f1_score(y, pred, average="macro", sample_weight=w),  # auto -> macro
        FBetaLoss(average="weighted"): f1_score(y, pred, average="weighted", sample_weight=w),
        FBetaLoss(average="micro"): f1_score(y, pred, average="micro", sample_weight=w),
        FBetaLoss(beta=2.0, average="macro"): fbeta_score(y, pred, beta=2.0, average="macro", sample_weight=w),
        MCCLoss(): matthews_corrcoef(y, pred, sample_weight=w),
        BalancedAccuracyLoss(): balanced_accuracy_score(y, pred, sample_weight=w),
        AccuracyLoss(): accuracy_score(y, pred, sample_weight=w),
        GMeanLoss(): np.prod(recall_score(y, pred, average=None, sample_weight=w)) ** (1 / 4),
    }
    for loss, value in exact.items():
        assert_allclose(1.0 - _f(loss(Zt, yt, wt)), value, atol=1e-4, err_msg=repr(loss))


def test_anyloss_multiclass_predictions_follow_argmax():
    # the top class is below 0.5 probability: it must still count as predicted
    Z = torch.log(torch.tensor([[0.40, 0.35, 0.25], [0.2, 0.45, 0.35], [0.3, 0.3, 0.4]], dtype=torch.float64))
    y = torch.tensor([0, 1, 2])
    assert _f(AccuracyLoss(L=1e4)(Z, y)) == pytest.approx(0.0, abs=1e-9)
    assert _f(FBetaLoss(L=1e4, average="macro")(Z, y)) == pytest.approx(0.0, abs=1e-5)



# ---------------------------------------------------------------------------
# average, target metric
# ---------------------------------------------------------------------------
def test_fbeta_average_binary_accepts_two_column_logits():
    Z = torch.tensor([[0.0, 2.0], [0.0, -2.0], [1.0, 0.0], [0.0, 1.0]])
    y = torch.tensor([1, 0, 0, 1])
    value = FBetaLoss(average="binary")(Z, y)
    assert_allclose(_f(value), _f(FBetaLoss(average="binary")(Z[:, 1] - Z[:, 0], y)), rtol=1e-5)


def test_fbeta_average_binary_on_multiclass_raises():
    with pytest.raises(ValueError, match="binary"):
        FBetaLoss(average="binary")(torch.zeros(3, 3), torch.tensor([0, 1, 2]))


def test_fbeta_target_metric_follows_beta():
    loss = FBetaLoss()
    assert loss.target_metric == "f1"
    assert loss.target_metric_params() == {"average": "auto"}
    loss.set_params(beta=2.0, average="weighted")
    assert loss.target_metric == "fbeta"
    assert loss.target_metric_params() == {"average": "weighted", "beta": 2.0}
