"""Formulas of the top-of-the-ranking losses: partial AUC (CVaR, KL-DRO, two-way), average precision, precision at k,
TPR at FPR. Each is checked against a direct (quadratic, numpy) evaluation of its paper's formula, on hand-computed
cases, and, where scikit-learn has the metric, the selection or ratio it is built on against scikit-learn."""

import math

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose
from sklearn.metrics import average_precision_score, roc_auc_score

from sklearn_surrogate.losses import (
    AUCSquaredHingeLoss,
    AveragePrecisionLoss,
    NeymanPearsonLoss,
    PartialAUCCVaRLoss,
    PartialAUCKLLoss,
    PrecisionAtKLoss,
    TwoWayPartialAUCLoss,
    get_loss,
)
from sklearn_surrogate.losses._ranking import _top_mass, _top_threshold

from ._helpers import DTYPES, TOL, _sigmoid, value

pytestmark = pytest.mark.usefixtures("single_torch_thread")

RANKING = [PartialAUCCVaRLoss, PartialAUCKLLoss, TwoWayPartialAUCLoss, AveragePrecisionLoss, PrecisionAtKLoss,
           NeymanPearsonLoss]


def _sq_hinge(d, m=1.0):
    return np.maximum(0.0, m - d) ** 2


def _cvar(values, weights, fraction):
    """CVaR of a weighted discrete distribution by Rockafellar and Uryasev's minimisation over eta."""
    weights = np.asarray(weights, dtype=float) / np.sum(weights)
    # the objective is convex piecewise linear in eta: its minimum is at one of the values
    return min(eta + np.sum(weights * np.maximum(values - eta, 0.0)) / fraction for eta in values)


def _batch(rng, n, share=0.3, scale=2.0):
    z = rng.normal(0, scale, n)
    y = (rng.random(n) < share).astype(int)
    y[:2] = [0, 1]
    return z, y


# ---------------------------------------------------------------------------
# partial AUC
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_pauc_cvar_hand_case(dtype):
    # positives at logits 2 and 0, negatives at 1, -1, -2, -3; max_fpr=0.25 keeps one negative (logit 1)
    s_pos, s_top = _sigmoid([2.0, 0.0]), _sigmoid(1.0)
    expected = np.mean((1.0 - (s_pos - s_top)) ** 2)
    got = value(PartialAUCCVaRLoss(max_fpr=0.25), [2.0, 0.0, 1.0, -1.0, -2.0, -3.0], [1, 1, 0, 0, 0, 0], dtype)
    assert got == pytest.approx(expected, **TOL[dtype])
    # max_fpr=0.375 of 4 negatives: all of the top one and half of the second one's weight
    s2 = _sigmoid(-1.0)
    expected = np.mean([(2 * (1 - (p - s_top)) ** 2 + (1 - (p - s2)) ** 2) / 3 for p in s_pos])
    got = value(PartialAUCCVaRLoss(max_fpr=0.375), [2.0, 0.0, 1.0, -1.0, -2.0, -3.0], [1, 1, 0, 0, 0, 0], dtype)
    assert got == pytest.approx(expected, **TOL[dtype])


@pytest.mark.parametrize("max_fpr", [0.05, 0.1, 0.33, 1.0])
@pytest.mark.parametrize("weighted", [False, True])
def test_pauc_cvar_is_the_mean_over_positives_of_the_cvar_of_pair_losses(max_fpr, weighted, global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    z, y = _batch(rng, 60)
    w = rng.uniform(0.2, 3.0, 60) if weighted else np.ones(60)
    s = _sigmoid(z)
    pos, neg = y == 1, y == 0
    per_positive = [_cvar(_sq_hinge(si - s[neg]), w[neg], max_fpr) for si in s[pos]]
    expected = np.average(per_positive, weights=w[pos])
    got = value(PartialAUCCVaRLoss(max_fpr=max_fpr), z, y, torch.float64, weight=w if weighted else None)
    assert got == pytest.approx(expected, rel=1e-9)


def test_pauc_cvar_full_range_is_the_squared_hinge_auc_loss():
    rng = np.random.default_rng(0)
    z, y = _batch(rng, 50)
    w = rng.uniform(0.1, 2.0, 50)
    full = value(AUCSquaredHingeLoss(margin=0.7), z, y, torch.float64, weight=w)
    assert value(PartialAUCCVaRLoss(max_fpr=1.0, margin=0.7), z, y, torch.float64, weight=w) == pytest.approx(full)


@pytest.mark.parametrize("n_neg", [40, 37])
def test_pauc_selection_counts_the_pairs_of_sklearn_partial_auc(n_neg, global_random_seed):
    # with the indicator of a correctly ordered pair in place of the squared hinge, the CVaR weights average
    # it over exactly the pairs of the ROC region FPR <= max_fpr: the un-standardised partial area / max_fpr,
    # recovered from scikit-learn's McClish-standardised roc_auc_score(max_fpr=)
    rng = np.random.default_rng(global_random_seed)
    s = rng.random(n_neg + 15)
    y = np.r_[np.zeros(n_neg, int), np.ones(15, int)]
    max_fpr = 0.2
    q = _top_mass(torch.tensor(s), torch.tensor((y == 0).astype(float)), max_fpr).numpy()
    correct = (s[y == 1][:, None] > s[None, y == 0]).astype(float)
    ours = np.mean(correct @ q[y == 0])
    standardised = roc_auc_score(y, s, max_fpr=max_fpr)
    low, high = 0.5 * max_fpr**2, max_fpr
    area = low + (2 * standardised - 1) * (high - low)
    assert ours == pytest.approx(area / max_fpr, rel=1e-9)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_two_way_pauc_hand_case(dtype):
    # min_tpr=0.5 keeps the lower positive (logit 0); max_fpr=0.25 the top negative (logit 1)
    expected = (1.0 - (_sigmoid(0.0) - _sigmoid(1.0))) ** 2
    got = value(TwoWayPartialAUCLoss(max_fpr=0.25, min_tpr=0.5), [2.0, 0.0, 1.0, -1.0, -2.0, -3.0],
                [1, 1, 0, 0, 0, 0], dtype)
    assert got == pytest.approx(expected, **TOL[dtype])


@pytest.mark.parametrize("min_tpr, max_fpr", [(0.0, 0.2), (0.5, 0.1), (0.8, 0.3), (0.3, 1.0)])
def test_two_way_pauc_is_a_cvar_over_positives_of_a_cvar_over_negatives(min_tpr, max_fpr, global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    z, y = _batch(rng, 70, share=0.4)
    w = rng.uniform(0.2, 3.0, 70)
    s = _sigmoid(z)
    pos, neg = y == 1, y == 0
    inner = np.array([_cvar(_sq_hinge(si - s[neg]), w[neg], max_fpr) for si in s[pos]])
    expected = _cvar(inner, w[pos], 1.0 - min_tpr)
    got = value(TwoWayPartialAUCLoss(max_fpr=max_fpr, min_tpr=min_tpr), z, y, torch.float64, weight=w)
    assert got == pytest.approx(expected, rel=1e-9)
    if min_tpr == 0.0:  # every positive: the one-way loss
        one_way = value(PartialAUCCVaRLoss(max_fpr=max_fpr), z, y, torch.float64, weight=w)
        assert got == pytest.approx(one_way, rel=1e-12)


def _kl_reference(s, y, w, temperature, margin=1.0):
    pos, neg = y == 1, y == 0
    q = w[neg] / w[neg].sum()
    per_positive = [
        temperature * math.log(np.sum(q * np.exp(_sq_hinge(si - s[neg], margin) / temperature))) for si in s[pos]
    ]
    return np.average(per_positive, weights=w[pos])


@pytest.mark.parametrize("temperature", [0.1, 1.0, 5.0])
def test_pauc_kl_is_the_mean_log_sum_exp_of_pair_losses(temperature, global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    z, y = _batch(rng, 50)
    w = rng.uniform(0.2, 3.0, 50)
    w[3] = 0.0  # a zero weight drops the row
    expected = _kl_reference(_sigmoid(z), y, w, temperature, margin=0.8)
    got = value(PartialAUCKLLoss(temperature=temperature, margin=0.8), z, y, torch.float64, weight=w)
    assert got == pytest.approx(expected, rel=1e-9)


def test_pauc_kl_hand_case_and_limits():
    z, y = [2.0, 0.0, 1.0, -1.0, -2.0, -3.0], [1, 1, 0, 0, 0, 0]
    s = _sigmoid(z)
    # temperature 1: log of the mean of exp(pair loss) over the 4 negatives, averaged over the 2 positives
    expected = np.mean([np.log(np.mean(np.exp((1 - (p - s[2:])) ** 2))) for p in s[:2]])
    assert value(PartialAUCKLLoss(), z, y, torch.float64) == pytest.approx(expected, rel=1e-12)
    # a large temperature tends to the mean pair loss (full AUC), a small one to the hardest negative's
    hot = value(PartialAUCKLLoss(temperature=1e4), z, y, torch.float64)
    assert hot == pytest.approx(value(AUCSquaredHingeLoss(), z, y, torch.float64), rel=1e-3)
    cold = value(PartialAUCKLLoss(temperature=1e-3), z, y, torch.float64)
    assert cold == pytest.approx(value(PartialAUCCVaRLoss(max_fpr=0.25), z, y, torch.float64), rel=1e-2)


def test_pauc_kl_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    z, y = _batch(rng, 30)
    w = torch.tensor(rng.uniform(0.5, 2.0, 30))
    loss = PartialAUCKLLoss(temperature=0.5)
    logits = torch.tensor(z, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: loss(t, torch.tensor(y), sample_weight=w), (logits,))


def test_pauc_kl_chunks_give_the_same_value(monkeypatch):
    from sklearn_surrogate.losses import _ranking

    rng = np.random.default_rng(1)
    z, y = _batch(rng, 200)
    logits, y = torch.tensor(z, requires_grad=True), torch.tensor(y)
    whole = PartialAUCKLLoss()(logits, y)
    (grad_whole,) = torch.autograd.grad(whole, logits)
    monkeypatch.setattr(_ranking, "_PAIR_CHUNK", 50)  # one positive row per chunk
    chunked = PartialAUCKLLoss()(logits, y)
    (grad_chunked,) = torch.autograd.grad(chunked, logits)
    assert chunked.item() == pytest.approx(whole.item(), rel=1e-6)
    assert_allclose(grad_chunked.numpy(), grad_whole.numpy(), rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("loss_cls", [PartialAUCCVaRLoss, TwoWayPartialAUCLoss])
def test_pauc_gradient_only_reaches_the_selected_negatives(loss_cls):
    z = torch.tensor([2.0, 0.0, 1.0, -1.0, -2.0, -3.0], dtype=torch.float64, requires_grad=True)
    loss_cls(max_fpr=0.25)(z, torch.tensor([1, 1, 0, 0, 0, 0])).backward()
    assert z.grad[2] > 0  # the top negative is pushed down
    assert torch.all(z.grad[3:] == 0)  # the others are outside the region
    assert z.grad[1] < 0  # the lower positive is pushed up


# ---------------------------------------------------------------------------
# average precision
# ---------------------------------------------------------------------------
def _ap_reference(s, y, w, surrogate):
    """(1/|P|) sum_i sum_{j in P} w_j f(s_i, s_j) / sum_j w_j f(s_i, s_j), weighted over positives i."""
    pos = y == 1
    ratios = []
    for i in np.flatnonzero(pos):
        f = surrogate(s[i], s)
        ratios.append(np.sum(w[pos] * f[pos]) / np.sum(w * f))
    return np.average(ratios, weights=w[pos])


def test_ap_reference_with_the_indicator_is_sklearn_average_precision(global_random_seed):
    # the formula the loss smooths: with the indicator [s_j >= s_i] it is scikit-learn's average precision
    rng = np.random.default_rng(global_random_seed)
    s = rng.random(40)
    y = (rng.random(40) < 0.3).astype(int)
    y[:2] = [0, 1]
    w = rng.uniform(0.5, 2.0, 40)
    indicator = lambda si, sj: (sj >= si).astype(float)  # noqa: E731
    assert _ap_reference(s, y, w, indicator) == pytest.approx(average_precision_score(y, s, sample_weight=w))


@pytest.mark.parametrize("margin", [0.2, 1.0])
@pytest.mark.parametrize("weighted", [False, True])
def test_ap_loss_is_one_minus_the_smooth_ap(margin, weighted, global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    z, y = _batch(rng, 60)
    w = rng.uniform(0.2, 3.0, 60) if weighted else np.ones(60)
    hinge = lambda si, sj: _sq_hinge(si - sj, margin)  # noqa: E731
    expected = 1.0 - _ap_reference(_sigmoid(z), y, w, hinge)
    got = value(AveragePrecisionLoss(margin=margin), z, y, torch.float64, weight=w if weighted else None)
    assert got == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_ap_hand_case(dtype):
    # positives at logits 3 and -1, negatives at 1 and -2; the hinge (1 - s_i + s_j)^2 is active for every pair
    s = _sigmoid([3.0, 1.0, -1.0, -2.0])
    y = np.array([1, 0, 1, 0])

    def ratio(i):
        terms = (1.0 - s[i] + s) ** 2
        return terms[y == 1].sum() / terms.sum()

    expected = 1.0 - (ratio(0) + ratio(2)) / 2
    assert value(AveragePrecisionLoss(), [3.0, 1.0, -1.0, -2.0], y, dtype) == pytest.approx(expected, **TOL[dtype])


def test_ap_loss_gradient_matches_finite_differences():
    rng = np.random.default_rng(2)
    z, y = _batch(rng, 25)
    logits = torch.tensor(z, requires_grad=True)
    w = torch.tensor(rng.uniform(0.5, 2.0, 25))
    assert torch.autograd.gradcheck(lambda t: AveragePrecisionLoss(margin=0.5)(t, torch.tensor(y), w), (logits,))


def test_ap_loss_falls_as_positives_move_to_the_top():
    y = [1, 0, 1, 0, 0, 0]
    worse = value(AveragePrecisionLoss(), [0.0, 2.0, -1.0, 1.0, -2.0, -3.0], y, torch.float64)
    better = value(AveragePrecisionLoss(), [2.0, 0.0, 1.0, -1.0, -2.0, -3.0], y, torch.float64)
    assert better < worse


# ---------------------------------------------------------------------------
# precision at k, TPR at FPR
# ---------------------------------------------------------------------------
def test_top_threshold_is_the_kth_largest_value(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    v = rng.random(50)
    for k in (1, 3, 10, 50):
        got = float(_top_threshold(torch.tensor(v), torch.ones(50, dtype=torch.float64), k / 50))
        assert got == np.sort(v)[::-1][k - 1]
    # integer weights count as repetitions
    w = rng.integers(1, 4, 50).astype(float)
    repeated = np.repeat(v, w.astype(int))
    k = 17
    got = float(_top_threshold(torch.tensor(v), torch.tensor(w), k / w.sum()))
    assert got == np.sort(repeated)[::-1][k - 1]


@pytest.mark.parametrize("k", [0.1, 0.25, 5])
def test_precision_at_k_hinges_around_the_kth_score(k, global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    z, y = _batch(rng, 40)
    s = _sigmoid(z)
    count = k if isinstance(k, int) else math.ceil(k * 40)
    t = np.sort(s)[::-1][count - 1]
    d = np.where(y == 1, s - t, t - s)
    expected = np.mean(_sq_hinge(d, 0.2))
    got = value(PrecisionAtKLoss(k=k, margin=0.2), z, y, torch.float64)
    assert got == pytest.approx(expected, rel=1e-9)


def test_precision_at_k_count_is_a_share_of_the_training_set():
    rng = np.random.default_rng(3)
    z, y = _batch(rng, 40)
    loss = PrecisionAtKLoss(k=20, margin=0.3)
    loss.setup(2, 400)  # 20 of 400 training rows: the top 5 % of each batch
    assert value(loss, z, y, torch.float64) == pytest.approx(value(PrecisionAtKLoss(k=0.05, margin=0.3), z, y,
                                                                   torch.float64))


def test_precision_at_k_hand_case():
    # the top 2 of 4 rows: t = sigmoid(1); the positive at 0.5 is below it, the negative at 1 is at it
    s = _sigmoid([3.0, 1.0, 0.5, -2.0])
    t = s[1]
    expected = np.mean(_sq_hinge(np.array([s[0] - t, t - s[1], s[2] - t, t - s[3]]), 0.5))
    got = value(PrecisionAtKLoss(k=0.5, margin=0.5), [3.0, 1.0, 0.5, -2.0], [1, 0, 1, 0], torch.float64)
    assert got == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("max_fpr", [0.05, 0.2, 1.0])
def test_neyman_pearson_hinges_positives_against_the_negatives_quantile(max_fpr, global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    z, y = _batch(rng, 60)
    s = _sigmoid(z)
    neg = np.sort(s[y == 0])[::-1]
    t = neg[max(math.ceil(max_fpr * len(neg)), 1) - 1]
    expected = np.mean(_sq_hinge(s[y == 1] - t, 0.1))
    assert value(NeymanPearsonLoss(max_fpr=max_fpr), z, y, torch.float64) == pytest.approx(expected, rel=1e-9)
    # the threshold lets through the share max_fpr of the negatives, as scikit-learn's FPR counts them
    assert np.mean(s[y == 0] >= t) == pytest.approx(math.ceil(max_fpr * len(neg)) / len(neg))


def test_neyman_pearson_gradient_reaches_the_threshold_negative():
    z = torch.tensor([3.0, 0.0, 1.0, -1.0, -2.0, -3.0], dtype=torch.float64, requires_grad=True)
    NeymanPearsonLoss(max_fpr=0.25, margin=0.5)(z, torch.tensor([1, 1, 0, 0, 0, 0])).backward()
    assert z.grad[2] > 0 and torch.all(z.grad[3:] == 0) and z.grad[1] < 0


# ---------------------------------------------------------------------------
# shared behaviour
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("loss_cls", RANKING)
def test_binary_only(loss_cls):
    with pytest.raises(ValueError, match="binary problems only"):
        loss_cls()(torch.zeros(4, 3), torch.tensor([0, 1, 2, 0]))


@pytest.mark.parametrize("loss_cls", RANKING)
def test_pos_label_zero_ranks_class_zero(loss_cls):
    rng = np.random.default_rng(4)
    z, y = _batch(rng, 30)
    flipped = value(loss_cls(pos_label=0), z, y, torch.float64)
    assert flipped == pytest.approx(value(loss_cls(), -np.asarray(z), 1 - y, torch.float64), rel=1e-12)


@pytest.mark.parametrize("loss_cls", RANKING)
def test_two_column_logits_equal_the_binary_logit(loss_cls):
    rng = np.random.default_rng(5)
    Z = rng.normal(0, 2, (30, 2))
    y = (rng.random(30) < 0.4).astype(int)
    y[:2] = [0, 1]
    two = value(loss_cls(), Z, y, torch.float64)
    assert two == pytest.approx(value(loss_cls(), Z[:, 1] - Z[:, 0], y, torch.float64), rel=1e-12)


def _bce(z, y, w=None):
    """Binary cross-entropy of logits z for labels y, by its formula, averaged with weights w."""
    z, y = np.asarray(z, dtype=np.float64), np.asarray(y)
    per_row = np.logaddexp(0.0, z) - y * z  # -y log(sigmoid z) - (1 - y) log(1 - sigmoid z)
    return np.average(per_row, weights=w)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("loss_cls", RANKING)
@pytest.mark.parametrize("weighted", [False, True])
def test_ce_weight_adds_the_weighted_cross_entropy(loss_cls, weighted, dtype):
    rng = np.random.default_rng(7)
    z, y = _batch(rng, 40)
    w = rng.uniform(0.2, 3.0, 40) if weighted else None
    ranking = value(loss_cls(), z, y, torch.float64, weight=w)
    got = value(loss_cls(ce_weight=0.7), z, y, dtype, weight=w)
    assert got == pytest.approx(ranking + 0.7 * _bce(z, y, w), **TOL[dtype])


def test_ce_weight_hand_case():
    # positives at logits 2 and 0, negatives at 1, -1, -2, -3: the CVaR loss of the hand case plus 0.5 * BCE
    z, y = [2.0, 0.0, 1.0, -1.0, -2.0, -3.0], [1, 1, 0, 0, 0, 0]
    bce = (math.log1p(math.exp(-2.0)) + math.log(2.0) + math.log1p(math.exp(1.0)) + math.log1p(math.exp(-1.0))
           + math.log1p(math.exp(-2.0)) + math.log1p(math.exp(-3.0))) / 6
    expected = value(PartialAUCCVaRLoss(max_fpr=0.25), z, y, torch.float64) + 0.5 * bce
    assert value(PartialAUCCVaRLoss(max_fpr=0.25, ce_weight=0.5), z, y, torch.float64) == pytest.approx(expected)


@pytest.mark.parametrize("loss_cls", RANKING)
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_ce_weight_gives_a_finite_gradient_on_one_class_and_at_extreme_logits(loss_cls, dtype):
    # a batch of negatives only: the ranking loss has no gradient, the cross-entropy term pushes them down
    z = torch.tensor([1e4, 0.5, -1e4], dtype=dtype, requires_grad=True)
    loss = loss_cls(ce_weight=1.0)(z, torch.tensor([0, 0, 0]))
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(z.grad).all()
    assert z.grad[0] > 0 and z.grad[1] > 0
    # both classes at the extremes, wrongly ordered: finite value and gradient
    z = torch.tensor([-1e4, 1e4, 3.0, -2.0], dtype=dtype, requires_grad=True)
    loss = loss_cls(ce_weight=2.0)(z, torch.tensor([1, 0, 1, 0]))
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(z.grad).all()


@pytest.mark.parametrize("loss_cls", RANKING)
def test_ce_weight_on_an_empty_or_zero_weight_batch_is_zero(loss_cls):
    # the ensemble's members can draw an empty batch: 0 with a zero gradient, never NaN
    z = torch.zeros(0, dtype=torch.float64, requires_grad=True)
    loss = loss_cls(ce_weight=1.0)(z, torch.zeros(0, dtype=torch.long))
    loss.backward()
    assert loss.item() == 0.0 and z.grad.shape == (0,)
    z = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64, requires_grad=True)
    loss = loss_cls(ce_weight=1.0)(z, torch.tensor([1, 0, 1]), sample_weight=torch.zeros(3, dtype=torch.float64))
    loss.backward()
    assert loss.item() == 0.0 and torch.equal(z.grad, torch.zeros(3, dtype=torch.float64))


@pytest.mark.parametrize(
    "name, params, match",
    [
        ("pauc_cvar", {"max_fpr": 0.0}, "max_fpr"),
        ("pauc_cvar", {"max_fpr": 1.5}, "max_fpr"),
        ("pauc_two_way", {"min_tpr": 1.0}, "min_tpr"),
        ("pauc_kl", {"temperature": 0.0}, "temperature"),
        ("soap", {"margin": 0.0}, "margin"),
        ("precision_at_k", {"k": 0}, "'k'"),
        ("precision_at_k", {"k": 1.5}, "'k'"),
        ("precision_at_k", {"k": True}, "'k'"),
        ("np_tpr_at_fpr", {"max_fpr": -0.1}, "max_fpr"),
        ("pauc_kl", {"ce_weight": -1.0}, "ce_weight"),
        ("soap", {"ce_weight": "1"}, "ce_weight"),
        ("pauc_cvar", {"ce_weight": True}, "ce_weight"),
    ],
)
def test_invalid_hyperparameters_raise(name, params, match):
    with pytest.raises(ValueError, match=match):
        get_loss(name, **params)(torch.tensor([0.5, -1.0]), torch.tensor([1, 0]))


@pytest.mark.parametrize("loss_cls", RANKING)
def test_ranking_better_model_has_lower_loss(loss_cls):
    # the same scores, once with positives on top and once mixed: the surrogate prefers the first
    rng = np.random.default_rng(6)
    y = np.r_[np.ones(20, int), np.zeros(80, int)]
    z_mixed = rng.normal(0, 1, 100)
    z_good = z_mixed + 3.0 * y
    assert value(loss_cls(), z_good, y, torch.float64) < value(loss_cls(), z_mixed, y, torch.float64)


def test_pauc_kl_pair_budget_is_an_unbiased_estimate():
    # above max_pairs a random subset of the positives is scaled up: the mean over draws is the exact loss
    rng = np.random.default_rng(7)
    z, y = _batch(rng, 120, share=0.4)
    w = rng.uniform(0.2, 2.0, 120)
    exact = value(PartialAUCKLLoss(max_pairs=None), z, y, torch.float64, weight=w)
    budget = PartialAUCKLLoss(max_pairs=300)  # about 4 of the ~48 positives per draw
    torch.manual_seed(0)
    draws = [value(budget, z, y, torch.float64, weight=w) for _ in range(4000)]
    assert np.std(draws) > 0  # the budget is used
    assert np.mean(draws) == pytest.approx(exact, rel=3 * np.std(draws) / np.sqrt(len(draws)) / exact)
    assert value(PartialAUCKLLoss(max_pairs=10**6), z, y, torch.float64, weight=w) == pytest.approx(exact, rel=1e-12)


@pytest.mark.parametrize(
    ("loss", "params", "metric", "option"),
    [("pauc_cvar", {"max_fpr": 0.2}, "partial_auc", "max_fpr"),
     ("np_tpr_at_fpr", {"max_fpr": 0.1}, "tpr_at_fpr", "max_fpr"),
     ("precision_at_k", {"k": 0.1}, "precision_at_k", "k")],
)
def test_the_estimator_scores_on_the_loss_metric_with_its_option(loss, params, metric, option):
    # score, early stopping and model selection read the loss's own metric, with the loss's option
    from sklearn_surrogate import SurrogateClassifier, make_surrogate_scorer

    rng = np.random.RandomState(0)
    X = rng.randn(200, 3).astype(np.float32)
    y = (X[:, 0] + rng.randn(200) > 1).astype(int)
    params = {f"loss__{name}": value for name, value in params.items()}
    model = SurrogateClassifier(loss=loss, max_iter=3, random_state=0, **params).fit(X, y)
    assert model.scorer_.metric == metric
    assert getattr(model.scorer_, option) == params[f"loss__{option}"]
    expected = make_surrogate_scorer(metric, **{option: params[f"loss__{option}"]})(model, X, y)
    assert model.score(X, y) == pytest.approx(expected)


def test_the_cost_sensitive_loss_scores_on_the_expected_cost_of_its_matrix():
    from sklearn_surrogate import SurrogateClassifier, make_surrogate_scorer

    rng = np.random.RandomState(0)
    X = rng.randn(200, 3).astype(np.float32)
    y = (X[:, 0] + rng.randn(200) > 1).astype(int)
    costs = [[0.0, 1.0], [5.0, 0.0]]
    model = SurrogateClassifier(loss="cost_sensitive", loss__cost_matrix=costs, max_iter=3, random_state=0).fit(X, y)
    assert model.scorer_.metric == "expected_cost"
    assert model.score(X, y) == pytest.approx(make_surrogate_scorer("expected_cost", cost_matrix=costs)(model, X, y))
    assert SurrogateClassifier(loss="cost_sensitive", max_iter=1).fit(X, y).scorer_.metric == "accuracy"


@pytest.mark.parametrize("base", ["pauc_cvar", "pauc_kl", "pauc_two_way", "soap", "precision_at_k", "np_tpr_at_fpr"])
def test_ce_variants_are_the_loss_with_ce_weight_one(base):
    from sklearn_surrogate.losses._registry import estimator_params

    variant = get_loss(f"{base}_ce")
    assert type(variant) is type(get_loss(base)) and variant.ce_weight == 1.0
    assert estimator_params(f"{base}_ce") == {"loss": base, "loss__ce_weight": 1.0}
    rng = np.random.default_rng(8)
    z, y = _batch(rng, 30)
    expected = value(get_loss(base), z, y, torch.float64) + _bce(z, y)
    assert value(variant, z, y, torch.float64) == pytest.approx(expected, rel=1e-12)
