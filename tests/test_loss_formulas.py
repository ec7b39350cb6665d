"""Each loss against its paper's formula, computed independently in numpy on hand-checkable batches."""

import math

import numpy as np
import pytest
import torch
from scipy.special import expit, log_softmax, logsumexp, softmax
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score, matthews_corrcoef

from sklearn_surrogate.losses import (
    ALDRKLLoss,
    AUCExponentialLoss,
    AUCLogisticLoss,
    AUCMarginLoss,
    AUCSquaredHingeLoss,
    AUCSquareLoss,
    AccuracyLoss,
    BalancedAccuracyLoss,
    CompSumLoss,
    CrossEntropyLoss,
    EnsLoss,
    FBetaLoss,
    FocalLoss,
    GeneralizedCrossEntropyLoss,
    GMeanLoss,
    LDRKLLoss,
    MAELoss,
    MCCLoss,
    ZLoss,
)

DTYPES = [torch.float32, torch.float64]
TOL = {torch.float32: dict(rel=2e-4, abs=2e-5), torch.float64: dict(rel=1e-9, abs=1e-9)}


def value(loss, logits, targets, dtype, weight=None, **kwargs):
    z = torch.tensor(logits, dtype=dtype)
    w = None if weight is None else torch.tensor(weight, dtype=dtype)
    return float(loss(z, torch.tensor(targets), sample_weight=w, **kwargs))


# ---------------------------------------------------------------- AnyLoss
def anyloss_counts(z, y, L=73.0, w=None):
    """The paper's soft confusion matrix: a = sigmoid(L (sigmoid(z) - 0.5))."""
    z, y = np.asarray(z, float), np.asarray(y, float)
    w = np.ones_like(z) if w is None else np.asarray(w, float)
    a = expit(L * (expit(z) - 0.5))
    tp = np.sum(w * y * a)
    fn = np.sum(w * y) - tp
    fp = np.sum(w * a) - tp
    tn = np.sum(w) - np.sum(w * y) - np.sum(w * a) + tp
    return tp, fp, fn, tn


BATCH_Z = [2.0, -1.0, 0.3, -0.2, 1.5, -3.0]
BATCH_Y = [1, 0, 1, 1, 0, 0]


def test_amplifier_by_hand():
    # z = 0 gives p = 0.5 and a = 0.5; z = 2 gives p = 0.8808 and a = sigmoid(73 * 0.3808) ~ 1
    assert value(AccuracyLoss(), [0.0], [1], torch.float64) == pytest.approx(0.5)
    assert value(AccuracyLoss(), [2.0], [1], torch.float64) == pytest.approx(0.0, abs=1e-9)
    # L = 1: a = sigmoid(sigmoid(1) - 0.5) = sigmoid(0.2310586) = 0.5575090
    assert value(AccuracyLoss(L=1.0), [1.0], [1], torch.float64) == pytest.approx(1 - 0.5575090, abs=1e-7)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("L", [1.0, 5.0, 73.0])
def test_anyloss_family_matches_paper_formulas(dtype, L):
    tp, fp, fn, tn = anyloss_counts(BATCH_Z, BATCH_Y, L)
    n = len(BATCH_Z)
    tpr, tnr = tp / (tp + fn), tn / (tn + fp)
    expected = {
        AccuracyLoss(L=L): 1 - (tp + tn) / n,
        FBetaLoss(L=L): 1 - 2 * tp / (2 * tp + fn + fp),
        FBetaLoss(beta=2.0, L=L): 1 - 5 * tp / (5 * tp + 4 * fn + fp),
        BalancedAccuracyLoss(L=L): 1 - (tpr + tnr) / 2,
        GMeanLoss(L=L): 1 - math.sqrt(tpr * tnr),
        MCCLoss(L=L): 1 - (tp * tn - fp * fn) / math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)),
    }
    for loss, reference in expected.items():
        # eps (1e-6, relative to counts normalised by the batch) is the only departure
        assert value(loss, BATCH_Z, BATCH_Y, dtype) == pytest.approx(reference, rel=1e-4, abs=5e-5), loss


def test_f1_by_hand():
    # L large and confident logits: hard predictions [1, 0, 1, 0]; labels [1, 1, 0, 0]
    # TP = 1, FN = 1, FP = 1 -> F1 = 2 / (2 + 1 + 1) = 0.5; F2 = 5 / (5 + 4 + 1) = 0.5
    z, y = [6.0, -6.0, 6.0, -6.0], [1, 1, 0, 0]
    assert value(FBetaLoss(), z, y, torch.float64) == pytest.approx(0.5, abs=1e-5)
    # predictions [1, 1, 1, 0]: TP = 2, FP = 1, FN = 0 -> F1 = 4/5, F2 = 10/11 (recall matters more)
    z2 = [6.0, 6.0, 6.0, -6.0]
    assert value(FBetaLoss(), z2, y, torch.float64) == pytest.approx(1 - 4 / 5, abs=1e-5)
    assert value(FBetaLoss(beta=2.0), z2, y, torch.float64) == pytest.approx(1 - 10 / 11, abs=1e-5)


@pytest.mark.parametrize("seed", range(3))
def test_confident_soft_metrics_equal_exact_metrics(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 200)
    z = np.where(rng.random(200) < 0.8, 2 * y - 1, 1 - 2 * y) * rng.uniform(4, 8, 200)
    pred = (z > 0).astype(int)
    checks = {
        AccuracyLoss(L=200.0): accuracy_score(y, pred),
        FBetaLoss(L=200.0): f1_score(y, pred),
        BalancedAccuracyLoss(L=200.0): balanced_accuracy_score(y, pred),
        MCCLoss(L=200.0): matthews_corrcoef(y, pred),
    }
    for loss, metric in checks.items():
        assert 1 - value(loss, z, y, torch.float64) == pytest.approx(metric, abs=1e-4), loss


def test_integer_weights_equal_repeated_samples():
    z, y, w = [1.0, -0.5, 0.2, -2.0], [1, 0, 1, 0], [3, 1, 2, 1]
    z_rep = np.repeat(z, w)
    y_rep = np.repeat(y, w)
    for loss in [FBetaLoss(L=5.0), MCCLoss(L=5.0), GMeanLoss(L=5.0), AccuracyLoss(L=5.0), CrossEntropyLoss(),
                 AUCSquareLoss(), AUCLogisticLoss(), FocalLoss(), CompSumLoss(tau=0.3)]:
        assert value(loss, z, y, torch.float64, weight=w) == pytest.approx(
            value(loss, z_rep, y_rep, torch.float64), rel=1e-6
        ), loss


@pytest.mark.parametrize("average", ["macro", "weighted", "micro"])
def test_multiclass_fbeta_matches_sklearn_when_confident(average):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 300)
    pred = np.where(rng.random(300) < 0.7, y, rng.integers(0, 3, 300))
    logits = np.eye(3)[pred] * 12.0 + rng.normal(0, 0.1, (300, 3))
    loss = FBetaLoss(L=73.0, average=average)
    assert 1 - value(loss, logits, y, torch.float64) == pytest.approx(f1_score(y, pred, average=average), abs=1e-4)
    mcc = 1 - value(MCCLoss(), logits, y, torch.float64)
    assert mcc == pytest.approx(matthews_corrcoef(y, pred), abs=1e-4)
    bacc = 1 - value(BalancedAccuracyLoss(), logits, y, torch.float64)
    assert bacc == pytest.approx(balanced_accuracy_score(y, pred), abs=1e-4)


def test_multiclass_amplifier_follows_the_argmax():
    # top probability 0.4 < 0.5: the arg-max class still counts as predicted
    logits = np.log(np.array([[0.4, 0.35, 0.25]]))
    A = 1 - value(AccuracyLoss(), logits, [0], torch.float64)
    expected = expit(73.0 * (0.4 - 0.35) / 2)  # sigmoid(L (p_c - max_other) / 2)
    assert A == pytest.approx(expected, rel=1e-9)


def test_gmean_gradient_bounded_at_zero_recall():
    z = torch.tensor([-8.0, -8.0, 8.0, -8.0], dtype=torch.float64, requires_grad=True)  # TPR = 0
    GMeanLoss()(z, torch.tensor([1, 1, 0, 0])).backward()
    assert torch.isfinite(z.grad).all() and z.grad.abs().max() < 1e4


# ---------------------------------------------------------------- AUC
def brute_pairs(phi, s, y, w=None):
    s, y = np.asarray(s, float), np.asarray(y)
    w = np.ones_like(s) if w is None else np.asarray(w, float)
    P, N = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    num = sum(w[i] * w[j] * phi(s[i] - s[j]) for i in P for j in N)
    return num / (w[P].sum() * w[N].sum())


AUC_Z = [2.0, -1.0, 0.3, -0.2, 1.5, -3.0, 0.0]
AUC_Y = [1, 0, 1, 1, 0, 0, 1]
AUC_W = [1.0, 2.0, 0.5, 1.0, 1.0, 3.0, 0.2]


@pytest.mark.parametrize("dtype", DTYPES)
def test_pairwise_auc_losses_equal_brute_force(dtype):
    s = expit(np.array(AUC_Z))
    cases = [
        (AUCSquareLoss(margin=1.0), lambda d: (1 - d) ** 2, s),
        (AUCSquaredHingeLoss(margin=0.6), lambda d: max(0.0, 0.6 - d) ** 2, s),
        (AUCExponentialLoss(temperature=0.5), lambda d: math.exp(-d / 0.5), s),
        (AUCLogisticLoss(), lambda d: math.log1p(math.exp(-d)), np.array(AUC_Z)),
        (AUCLogisticLoss(temperature=2.0, score="sigmoid"), lambda d: 2 * math.log1p(math.exp(-d / 2)), s),
    ]
    for loss, phi, scores in cases:
        for w in (None, AUC_W):
            expected = brute_pairs(phi, scores, AUC_Y, w)
            assert value(loss, AUC_Z, AUC_Y, dtype, weight=w) == pytest.approx(expected, **TOL[dtype]), loss


def test_auc_square_by_hand():
    # one positive with s = 0.5 (z = 0), one negative with s = 0.5: (1 - 0)^2 = 1
    assert value(AUCSquareLoss(), [0.0, 0.0], [1, 0], torch.float64) == pytest.approx(1.0)
    # z = +-inf-ish: s_pos = 1, s_neg = 0 -> (1 - 1)^2 = 0
    assert value(AUCSquareLoss(), [50.0, -50.0], [1, 0], torch.float64) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("multiclass", ["ovr", "ovo"])
def test_multiclass_auc_pairs(multiclass):
    rng = np.random.default_rng(1)
    logits, y = rng.normal(size=(24, 3)), rng.integers(0, 3, 24)
    S = softmax(logits, axis=1)
    terms = []
    for i in range(3):
        others = [None] if multiclass == "ovr" else [j for j in range(3) if j != i]
        for j in others:
            neg = y != i if j is None else y == j
            sel = (y == i) | neg
            terms.append(brute_pairs(lambda d: max(0.0, 1 - d) ** 2, S[sel, i], (y[sel] == i).astype(int)))
    expected = np.mean(terms)
    loss = AUCSquaredHingeLoss(multiclass=multiclass)
    assert value(loss, logits, y, torch.float64) == pytest.approx(expected, rel=1e-9)


def test_single_class_batches_have_no_pairs():
    for loss in [AUCSquareLoss(), AUCSquaredHingeLoss(), AUCExponentialLoss(), AUCLogisticLoss()]:
        z = torch.tensor([0.3, -1.0], requires_grad=True)
        out = loss(z, torch.tensor([1, 1]))
        out.backward()
        assert float(out.detach()) == 0.0 and torch.all(z.grad == 0)


def test_auc_margin_formula_and_ascent():
    z, y = np.array(AUC_Z), np.array(AUC_Y)
    s = expit(z)
    loss = AUCMarginLoss(margin=1.0)
    loss.setup(2, len(z))
    with torch.no_grad():
        loss.a.fill_(0.7)
        loss.b.fill_(0.2)
        loss.alpha.fill_(0.3)
    p = y.mean()
    a, b, alpha, m = 0.7, 0.2, 0.3, 1.0
    expected = (
        (1 - p) * np.mean((s - a) ** 2 * (y == 1))
        + p * np.mean((s - b) ** 2 * (y == 0))
        + 2 * alpha * (p * (1 - p) * m + np.mean(p * s * (y == 0) - (1 - p) * s * (y == 1)))
        - p * (1 - p) * alpha**2
    )
    out = loss(torch.tensor(z, dtype=torch.float32), torch.tensor(y))
    assert float(out.detach()) == pytest.approx(expected, rel=1e-5)
    # one plain SGD step *descends* in a, b and *ascends* in alpha
    grad_alpha_true = 2 * (p * (1 - p) * m + np.mean(p * s * (y == 0) - (1 - p) * s * (y == 1))) - 2 * p * (1 - p) * alpha
    opt = torch.optim.SGD(loss.parameters(), lr=0.1)
    opt.zero_grad()
    out.backward()
    assert float(loss.alpha.grad) == pytest.approx(-grad_alpha_true, rel=1e-5)
    opt.step()
    assert float(loss.alpha.detach()) == pytest.approx(alpha + 0.1 * grad_alpha_true, rel=1e-5)
    # alpha is projected back onto alpha >= 0 at the next forward pass
    with torch.no_grad():
        loss.alpha.fill_(-1.0)
    loss(torch.tensor(z, dtype=torch.float32), torch.tensor(y))
    assert float(loss.alpha.detach()) == 0.0


# ---------------------------------------------------------------- cross-entropy relatives
@pytest.mark.parametrize("dtype", DTYPES)
def test_comp_sum_family(dtype):
    rng = np.random.default_rng(2)
    logits, y = rng.normal(size=(10, 4)), rng.integers(0, 4, 10)
    p_y = softmax(logits, axis=1)[np.arange(10), y]
    u = 1 / p_y - 1
    for tau in [0.0, 0.5, 1.0, 1.3, 2.0]:
        phi = np.log1p(u) if tau == 1 else ((1 + u) ** (1 - tau) - 1) / (1 - tau)
        assert value(CompSumLoss(tau=tau), logits, y, dtype) == pytest.approx(phi.mean(), **TOL[dtype]), tau
    assert value(CompSumLoss(tau=0.0), logits, y, dtype) == pytest.approx(u.mean(), **TOL[dtype])  # sum-exp
    assert value(GeneralizedCrossEntropyLoss(q=0.7), logits, y, dtype) == pytest.approx(
        np.mean((1 - p_y**0.7) / 0.7), **TOL[dtype]
    )
    assert value(MAELoss(), logits, y, dtype) == pytest.approx(np.mean(1 - p_y), **TOL[dtype])
    ce = -log_softmax(logits, axis=1)[np.arange(10), y].mean()
    assert value(CrossEntropyLoss(), logits, y, dtype) == pytest.approx(ce, **TOL[dtype])


def test_binary_logit_is_two_class_softmax():
    z, y = np.array([1.2, -0.4, 3.0]), np.array([1, 0, 0])
    two = np.column_stack([np.zeros(3), z])
    for loss in [CrossEntropyLoss(), CompSumLoss(tau=0.5), FocalLoss(), LDRKLLoss()]:
        assert value(loss, z, y, torch.float64) == pytest.approx(value(loss, two, y, torch.float64), rel=1e-9)


def test_cross_entropy_class_weights_match_torch():
    logits = torch.randn(20, 3, dtype=torch.float64)
    y = torch.randint(0, 3, (20,))
    weights = [1.0, 2.0, 0.5]
    expected = torch.nn.functional.cross_entropy(logits, y, weight=torch.tensor(weights, dtype=torch.float64))
    assert float(CrossEntropyLoss(class_weight=weights)(logits, y)) == pytest.approx(float(expected), rel=1e-12)


def test_focal_loss_formula():
    z, y = np.array([2.0, -1.0, 0.5]), np.array([1, 1, 0])
    p = expit(z)
    p_t = np.where(y == 1, p, 1 - p)
    expected = np.mean(-((1 - p_t) ** 2) * np.log(p_t))
    assert value(FocalLoss(gamma=2.0), z, y, torch.float64) == pytest.approx(expected, rel=1e-9)
    alpha_t = np.where(y == 1, 0.25, 0.75)
    assert value(FocalLoss(gamma=2.0, alpha=0.25), z, y, torch.float64) == pytest.approx(
        np.mean(alpha_t * -((1 - p_t) ** 2) * np.log(p_t)), rel=1e-9
    )
    # gamma = 0 is cross-entropy
    assert value(FocalLoss(gamma=0.0), z, y, torch.float64) == pytest.approx(
        value(CrossEntropyLoss(), z, y, torch.float64), rel=1e-12
    )


def test_z_loss_formula_and_invariance():
    o, y = np.array([[1.0, 2.0, 4.0], [0.0, -1.0, 3.0]]), np.array([2, 0])
    z = (o - o.mean(1, keepdims=True)) / o.std(1, keepdims=True)  # population std, as in the paper
    a, b = 2.0, 1.5
    expected = np.mean(np.log1p(np.exp(a * (b - z[np.arange(2), y]))) / a)
    loss = ZLoss(a=a, b=b)
    assert value(loss, o, y, torch.float64) == pytest.approx(expected, rel=1e-6)
    assert value(loss, 3.0 * o + 7.0, y, torch.float64) == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError, match="at least 3 classes"):
        loss(torch.randn(4), torch.tensor([0, 1, 0, 1]))


# ---------------------------------------------------------------- LDR
def ldr_reference(f, y, c, lam):
    """lambda * log mean_k exp((f_k - f_y + c [k != y]) / lambda) on softplus/mean-normalised scores."""
    s = np.log1p(np.exp(f))
    s = s / s.mean(1, keepdims=True)
    delta = s - s[np.arange(len(y)), y][:, None] + c * (np.arange(f.shape[1])[None, :] != y[:, None])
    return lam * (logsumexp(delta / lam, axis=1) - np.log(f.shape[1]))


@pytest.mark.parametrize("dtype", DTYPES)
def test_ldr_kl_formula(dtype):
    rng = np.random.default_rng(3)
    f, y = rng.normal(size=(8, 4)), rng.integers(0, 4, 8)
    for c, lam in [(2.0, 1.0), (0.1, 0.1), (1.0, 10.0)]:
        assert value(LDRKLLoss(margin=c, lam=lam), f, y, dtype) == pytest.approx(
            ldr_reference(f, y, c, lam).mean(), **TOL[dtype]
        )
    # by hand: K = 2, f = (0, 0) -> scores (1, 1), delta = (0, c) for y = 0
    # loss = lam log((e^0 + e^{c/lam}) / 2); c = 2, lam = 1 -> log((1 + e^2)/2) = 1.4338
    assert value(LDRKLLoss(), [[0.0, 0.0]], [0], torch.float64) == pytest.approx(math.log((1 + math.e**2) / 2))


def test_aldr_kl_lambda_update_and_value():
    rng = np.random.default_rng(4)
    f, y = rng.normal(size=(6, 3)) * 2, rng.integers(0, 3, 6)
    lam0, alpha, c = 1.0, 2.0, 1.0
    loss = ALDRKLLoss(margin=c, lam0=lam0, alpha=alpha)
    loss.setup(3, 10)
    index = torch.tensor([9, 0, 3, 4, 5, 7])
    out = float(loss(torch.tensor(f), torch.tensor(y), index=index))
    s = np.log1p(np.exp(f))
    s = s / s.mean(1, keepdims=True)
    q = softmax(s / lam0, axis=1)  # from the current (initial) temperatures
    kl = np.sum(q * np.log(3 * q), axis=1)
    lam = lam0 * (1 - kl / (alpha * np.log(3)))
    delta = s - s[np.arange(6), y][:, None] + c * (np.arange(3)[None, :] != y[:, None])
    values = lam * (logsumexp(delta / lam[:, None], axis=1) - np.log(3)) - alpha * np.log(3) / (2 * lam0) * (lam - lam0) ** 2
    assert out == pytest.approx(values.mean(), rel=1e-9)
    np.testing.assert_allclose(loss.lambdas[index].numpy(), lam, rtol=1e-6)
    untouched = [i for i in range(10) if i not in index.tolist()]
    assert torch.all(loss.lambdas[untouched] == lam0)
    assert torch.all(loss.lambdas >= lam0 * (1 - 1 / alpha))
    # evaluation mode leaves the state alone
    before = loss.lambdas.clone()
    loss.eval()
    loss(torch.tensor(f), torch.tensor(y), index=index)
    assert torch.equal(before, loss.lambdas)
    with pytest.raises(ValueError, match="index"):
        loss(torch.tensor(f), torch.tensor(y))


# ---------------------------------------------------------------- EnsLoss
def test_ensloss_derivatives_are_convex_and_calibrated():
    torch.manual_seed(0)
    z = torch.randn(500, dtype=torch.float64) * 2
    y = torch.randint(0, 2, (500,))
    z.requires_grad_(True)
    out = EnsLoss()(z, y)
    (grad,) = torch.autograd.grad(out, z)
    signs = 2.0 * y - 1.0
    margins = (signs * z).detach()
    derivative = (grad * 500 / signs).numpy()  # d loss / d margin, per sample (mean reduction)
    order = np.argsort(margins.numpy())
    d_sorted, m_sorted = derivative[order], margins.numpy()[order]
    assert np.all(derivative < 0)  # calibration: strictly negative (at 0 too)
    assert np.all(derivative >= -1.0 - 1e-6)  # clipped at -1 (plus the offset)
    inner = m_sorted <= 1.0
    assert np.all(np.diff(d_sorted[inner]) >= -1e-12)  # non-decreasing in the margin: convex
    tail = ~inner
    assert np.all(np.abs(d_sorted[tail]) <= 1.0 / m_sorted[tail] + 1e-6)  # decayed tail
    # the value is the linearisation sum g_i s_i / n
    assert float(out.detach()) == pytest.approx(float(np.mean(derivative * margins.numpy())), rel=1e-9)


def test_ensloss_is_random_per_batch_but_seeded():
    z, y = torch.randn(64), torch.randint(0, 2, (64,))
    torch.manual_seed(1)
    a = float(EnsLoss()(z, y))
    b = float(EnsLoss()(z, y))
    torch.manual_seed(1)
    assert float(EnsLoss()(z, y)) == a and a != b
    with pytest.raises(ValueError, match="binary problems only"):
        EnsLoss()(torch.randn(4, 3), torch.tensor([0, 1, 2, 0]))


def test_losses_refuse_bad_hyperparameters():
    bad = [
        (FBetaLoss(beta=0.0), "beta"), (FBetaLoss(L=-1.0), "L"), (FBetaLoss(average="samples"), "average"),
        (AUCSquareLoss(multiclass="all"), "multiclass"), (AUCExponentialLoss(temperature=0.0), "temperature"),
        (CompSumLoss(tau=3.0), "tau"), (FocalLoss(gamma=-1.0), "gamma"), (LDRKLLoss(lam=0.0), "lam"),
        (ALDRKLLoss(alpha=1.0), "alpha"), (EnsLoss(clip=0.0), "clip"), (AUCMarginLoss(imratio=1.5), "imratio"),
    ]
    for loss, name in bad:
        z = torch.randn(6) if loss.supports_binary else torch.randn(6, 3)
        kwargs = {"index": torch.arange(6)} if loss.needs_sample_index else {}
        with pytest.raises(ValueError, match=name):
            loss(z, torch.tensor([0, 1, 0, 1, 1, 0]), **kwargs)
