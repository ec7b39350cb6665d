"""Fast evaluations of set surrogates: the same value and gradient as the network, from tables and bins.

The tabulated evaluation of networks without rank features (what ``ReLoss`` trains with; with the batch's soft
ROC AUC for ``soft_auc=True`` networks, such as the shipped ROC AUC surrogate), and the binned rank features of
large batches (``pairwise=True`` networks, such as the shipped recall-at-precision surrogate).
"""

import copy
import pickle

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from sklearn_surrogate import SurrogateClassifier
from sklearn_surrogate.learned import ReLoss, load_surrogate
from sklearn_surrogate.learned._io import shipped_surrogate_path
from sklearn_surrogate.learned import _networks
from sklearn_surrogate.learned._networks import PerSampleSurrogate, SetSurrogate
from sklearn_surrogate.learned._tabulated import (
    Z_MAX,
    TabulatedSetSurrogate,
    _binary_value,
    _TableLoss,
    _multiclass_value,
    can_tabulate,
)
from sklearn_surrogate.learned._tabulated_ranks import (
    TabulatedRankSurrogate,
    _PairwiseShares,
    _pairwise_shares,
    can_tabulate_ranks,
)

#: largest distance between the tabulated and the exact value (the shipped surrogates span about 1.5)
VALUE_TOLERANCE = 2e-3
#: smallest cosine between the tabulated and the exact gradient with respect to the logits
COSINE = 0.99


def _shipped(metric):
    return load_surrogate(shipped_surrogate_path(metric, "set")).surrogate


def _random_network(seed):
    torch.manual_seed(seed)
    network = SetSurrogate(n_bins=6, width=12)
    network.output_scale.fill_(3.0)
    return network.requires_grad_(False).eval()


def _batch(n, n_classes, seed, weighted, dtype):
    generator = torch.Generator().manual_seed(seed)
    y = torch.randint(0, n_classes, (n,), generator=generator)
    if n_classes == 2:
        logits = (3 * torch.randn(n, generator=generator) + 2 * (2 * y - 1)).to(dtype)
    else:
        logits = (2 * torch.randn(n, n_classes, generator=generator) + 2 * F.one_hot(y, n_classes)).to(dtype)
    weights = torch.rand(n, generator=generator, dtype=dtype) if weighted else None
    return logits, y, weights


def _exact(network, logits, y, weights, ce_weight=0.0):
    """The network itself on the batch, in the logits' precision, plus the cross-entropy term."""
    dtype = logits.dtype
    P = torch.softmax(logits, 1) if logits.ndim == 2 else torch.stack([1 - torch.sigmoid(logits),
                                                                          torch.sigmoid(logits)], 1)
    state = {k: t.to(dtype) for k, t in [*network.named_parameters(), *network.named_buffers()]}
    value = torch.func.functional_call(network, state, (P, F.one_hot(y, P.shape[1]).to(dtype), weights))
    if ce_weight:
        if logits.ndim == 1:
            ce = F.binary_cross_entropy_with_logits(logits, y.to(dtype), reduction="none")
        else:
            ce = F.cross_entropy(logits, y, reduction="none")
        value = value + ce_weight * (ce.mean() if weights is None else (ce @ weights) / weights.sum())
    return value


def _value_and_grad(fn, logits, *args):
    logits = logits.clone().requires_grad_()
    value = fn(logits, *args)
    (grad,) = torch.autograd.grad(value, logits)
    return value.detach(), grad


def _assert_close(network, table, logits, y, weights, ce_weight=0.0):
    exact, g_exact = _value_and_grad(lambda x: _exact(network, x, y, weights, ce_weight), logits)
    fast, g_fast = _value_and_grad(lambda x: table(x, y, weights, ce_weight), logits)
    assert fast.dtype == logits.dtype and g_fast.dtype == logits.dtype
    assert torch.isfinite(fast) and torch.isfinite(g_fast).all()
    assert abs(float(fast - exact)) < VALUE_TOLERANCE
    if float(g_exact.norm()) < 1e-12:  # no gradient at all (e.g. all weights zero)
        assert float(g_fast.norm()) < 1e-12
        return
    assert float(F.cosine_similarity(g_fast.flatten(), g_exact.flatten(), dim=0)) > COSINE
    assert float(g_fast.norm() / g_exact.norm()) == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("n", [64, 256, 3000])  # the small batches read rows, the large one all the table
@pytest.mark.parametrize("metric", ["f1", "balanced_accuracy", "roc_auc"])  # roc_auc: with its soft AUC
def test_binary_value_and_gradient_match_the_network(metric, n, dtype):
    network = _shipped(metric)
    table = TabulatedSetSurrogate(network, dtype=dtype)
    for seed, weighted, ce_weight in [(0, False, 0.0), (1, True, 0.0), (2, False, 0.5), (3, True, 0.5)]:
        _assert_close(network, table, *_batch(n, 2, seed, weighted, dtype), ce_weight=ce_weight)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("n_classes", [3, 5])
def test_multiclass_value_and_gradient_match_the_network(n_classes, dtype):
    network = _shipped("macro_f1")
    table = TabulatedSetSurrogate(network, dtype=dtype)
    for seed, (n, weighted, ce_weight) in enumerate([(64, False, 0.0), (256, True, 0.0), (1000, False, 0.5)]):
        _assert_close(network, table, *_batch(n, n_classes, seed, weighted, dtype), ce_weight=ce_weight)


@pytest.mark.parametrize("n_classes", [2, 4])
def test_any_set_network_is_tabulated_faithfully(n_classes):
    """Not only the shipped weights: a random network, with another width, bin count and output scale."""
    network = _random_network(n_classes)
    table = TabulatedSetSurrogate(network, dtype=torch.float64)
    for seed in range(3):
        _assert_close(network, table, *_batch(128, n_classes, seed, seed == 1, torch.float64))


@pytest.mark.parametrize("weighted", [False, True])
def test_the_hand_written_backward_is_the_derivative_of_the_forward(weighted):
    """Finite differences of the tabulated value itself (piecewise linear between grid nodes)."""
    network = _random_network(0)
    table = TabulatedSetSurrogate(network, dtype=torch.float64)
    logits, y, weights = _batch(24, 2, 5, weighted, torch.float64)
    logits.requires_grad_()
    assert torch.autograd.gradcheck(lambda x: _TableLoss.apply(x, y, weights, table, 0.5), (logits,),
                                    eps=1e-7, atol=1e-5)
    logits, y, weights = _batch(24, 3, 6, weighted, torch.float64)
    logits.requires_grad_()
    assert torch.autograd.gradcheck(lambda x: table(x, y, weights, 0.5), (logits,), eps=1e-7, atol=1e-5)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_the_autograd_path_for_compiled_graphs_is_the_same_function(n_classes):
    """Under torch.compile the table is read with plain differentiable operations: same value and gradient."""
    network = _random_network(1)
    table = TabulatedSetSurrogate(network, dtype=torch.float64)
    value_of = _binary_value if n_classes == 2 else _multiclass_value
    for seed, n in enumerate([64, 1000]):
        logits, y, weights = _batch(n, n_classes, seed, seed == 1, torch.float64)
        fast, g_fast = _value_and_grad(lambda x: table(x, y, weights, 0.5), logits)
        plain, g_plain = _value_and_grad(lambda x: value_of(x, y, weights, table, 0.5)[0], logits)
        assert float(plain) == pytest.approx(float(fast), abs=1e-12)
        np.testing.assert_allclose(g_plain, g_fast, atol=1e-10)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("metric, tabulation", [("f1", TabulatedSetSurrogate), ("roc_auc", TabulatedSetSurrogate),
                                                ("recall_at_precision", "rank")])
def test_extreme_and_degenerate_batches(metric, tabulation, dtype):
    network = _shipped(metric)
    table = (TabulatedRankSurrogate if tabulation == "rank" else tabulation)(network, dtype=dtype)
    y = torch.tensor([0, 1] * 8)
    for logits in (torch.full((16,), 1e4), torch.full((16,), -1e4), torch.linspace(-60, 60, 16)):
        logits = logits.to(dtype).requires_grad_()
        value = table(logits, y)
        value.backward()
        assert torch.isfinite(value) and torch.isfinite(logits.grad).all()
        # beyond the grid (p < 1e-6 or > 1 - 1e-6) the surrogate has no gradient, as the network's clamp has none
        outside = logits.detach().abs() > Z_MAX
        assert (logits.grad[outside] == 0).all()
    # one label only, and weights that are all zero: the network's own conventions, finite
    for y, weights in [(torch.ones(16, dtype=torch.long), None), (torch.zeros(16, dtype=torch.long), None),
                       (y, torch.zeros(16, dtype=dtype))]:
        _assert_close(network, table, torch.linspace(-3, 3, 16, dtype=dtype), y, weights)


def test_only_set_networks_without_rank_features_are_tabulated():
    assert can_tabulate(SetSurrogate())
    assert not can_tabulate(SetSurrogate(pairwise=True))
    assert not can_tabulate(PerSampleSurrogate())
    with pytest.raises(ValueError, match="pairwise=False"):
        TabulatedSetSurrogate(SetSurrogate(pairwise=True))


@pytest.mark.parametrize("metric, n_classes", [("f1", 2), ("macro_f1", 4)])
def test_reloss_evaluates_from_the_table_by_default(metric, n_classes):
    table, exact = ReLoss(metric=metric), ReLoss(metric=metric, evaluation="exact")
    assert table.get_params()["evaluation"] == "table"
    logits, y, weights = _batch(200, n_classes, 0, True, torch.float32)
    v_table, g_table = _value_and_grad(table, logits, y, weights)
    v_exact, g_exact = _value_and_grad(exact, logits, y, weights)
    assert abs(float(v_table - v_exact)) < VALUE_TOLERANCE
    assert float(F.cosine_similarity(g_table.flatten(), g_exact.flatten(), dim=0)) > COSINE
    assert list(table.__dict__["_tables"]) == [(id(table._network()), torch.float32, torch.device("cpu"))]
    assert "_tables" not in exact.__dict__
    with pytest.raises(ValueError, match="evaluation"):
        ReLoss(metric=metric, evaluation="fast")(logits, y)


def test_reloss_rebuilds_its_table_when_the_network_changes():
    network = _random_network(0)
    loss = ReLoss(metric=None, surrogate=network, ce_weight=0.0)
    logits, y, _ = _batch(64, 2, 0, False, torch.float32)
    before = loss(logits, y)
    with torch.no_grad():
        network.rho[2].bias.add_(1.0)  # changed in place: the value moves by 1 * output_scale
    assert float(loss(logits, y) - before) == pytest.approx(3.0, abs=1e-4)
    assert float(loss(logits.double(), y)) == pytest.approx(float(loss(logits, y)), abs=1e-4)  # a float64 table
    assert len(loss.__dict__["_tables"]) == 2


def test_reloss_tables_are_neither_pickled_nor_shared_by_copies():
    loss = ReLoss(metric="f1")
    logits, y, _ = _batch(64, 2, 0, False, torch.float32)
    value = loss(logits, y)
    assert "_tables" in loss.__dict__
    restored = pickle.loads(pickle.dumps(loss))
    assert "_tables" not in restored.__dict__
    assert float(restored(logits, y)) == pytest.approx(float(value), abs=1e-6)
    copied = copy.deepcopy(loss)
    assert "_tables" not in copied.__dict__
    assert float(copied(logits, y)) == pytest.approx(float(value), abs=1e-6)
    assert len(pickle.dumps(loss)) < len(pickle.dumps(loss._network())) * 2  # no megabytes of tables


@pytest.mark.parametrize("metric", ["f1", "roc_auc"])
def test_a_classifier_trains_the_same_with_either_evaluation(metric):
    """A few epochs from the same start: the models agree closely (the gradients differ by interpolation)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 5)).astype(np.float32)
    y = (X[:, 0] + 0.5 * X[:, 1] + rng.normal(scale=0.5, size=600) > 0.8).astype(int)
    fits = {evaluation: SurrogateClassifier(loss=ReLoss(metric=metric, evaluation=evaluation), max_iter=5,
                                            early_stopping=False, random_state=0).fit(X, y)
            for evaluation in ("table", "exact")}
    scores = {k: clf.decision_function(X) for k, clf in fits.items()}
    assert np.corrcoef(scores["table"], scores["exact"])[0, 1] > 0.999
    assert fits["table"].fallback_ is None


@pytest.mark.parametrize("feature", ["pairwise", "soft_auc"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_binned_rank_features_of_large_batches_match_all_pairs(n_classes, feature, monkeypatch):
    """Above 512 samples the rank features (or the soft AUC) are binned: the same network value and gradient,
    batched or not."""
    torch.manual_seed(n_classes)
    network = SetSurrogate(n_bins=6, width=12, **{feature: True}).double().requires_grad_(False)
    generator = torch.Generator().manual_seed(0)
    n = 600
    y = torch.randint(0, n_classes, (2, n), generator=generator)
    y[1] = 0  # a set without members of the other classes
    logits = 3 * torch.randn(2, n, n_classes, generator=generator, dtype=torch.float64)
    weights = torch.rand(2, n, generator=generator, dtype=torch.float64)
    Y = F.one_hot(y, n_classes).double()

    def value_and_grad(exact_up_to):
        monkeypatch.setattr(_networks, "_EXACT_PAIRS_UP_TO", exact_up_to)
        x = logits.clone().requires_grad_()
        value = network(torch.softmax(x, -1), Y, weights)
        (grad,) = torch.autograd.grad(value.sum(), x)
        return value.detach(), grad

    exact, g_exact = value_and_grad(10**9)
    binned, g_binned = value_and_grad(512)
    np.testing.assert_allclose(binned, exact, atol=1e-4)
    assert float(F.cosine_similarity(g_binned.flatten(), g_exact.flatten(), dim=0)) > 0.9999
    z = torch.logit(torch.softmax(logits, -1).clamp(1e-6, 1 - 1e-6))
    if feature == "soft_auc":
        auc = network._soft_auc(z, Y, weights)
        assert auc.shape == (2, n_classes) and float(auc[1].abs().max()) == 0  # one class only: no pairs, 0
        return
    features = network._rank_features(z, Y, weights)
    assert features.shape == (2, n, n_classes, 2) and torch.isfinite(features).all()
    assert float(features[1, :, 1, 1].abs().max()) == 0  # class 1 has no members to be above: 0, as with all pairs


# ---- binary surrogates with rank features (the shipped recall-at-precision one): TabulatedRankSurrogate


def _random_rank_network(seed):
    torch.manual_seed(seed)
    network = SetSurrogate(n_bins=5, width=10, pairwise=True, pair_temperature=0.3)
    network.output_scale.fill_(2.0)
    return network.requires_grad_(False).eval()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("n", [64, 256, 700])  # 700: the binned rank features, as in the network
def test_rank_surrogate_value_and_gradient_match_the_network(n, dtype):
    network = _shipped("recall_at_precision")  # the shipped surrogate with rank features
    table = TabulatedRankSurrogate(network, dtype=dtype)
    for seed, weighted, ce_weight in [(0, False, 0.0), (1, True, 0.0), (2, False, 0.5), (3, True, 0.5)]:
        _assert_close(network, table, *_batch(n, 2, seed, weighted, dtype), ce_weight=ce_weight)


def test_any_rank_network_is_tabulated_faithfully():
    """Another width, bin count, temperature and output scale than the shipped one's."""
    network = _random_rank_network(0)
    table = TabulatedRankSurrogate(network, dtype=torch.float64)
    for seed in range(3):
        _assert_close(network, table, *_batch(128, 2, seed, seed == 1, torch.float64))


@pytest.mark.parametrize("weighted", [False, True])
def test_the_rank_surrogates_hand_written_backward_is_the_derivative_of_the_forward(weighted):
    network = _random_rank_network(1)
    table = TabulatedRankSurrogate(network, dtype=torch.float64)
    logits, y, weights = _batch(24, 2, 7, weighted, torch.float64)
    logits.requires_grad_()
    assert torch.autograd.gradcheck(lambda x: table(x, y, weights, 0.5), (logits,), eps=1e-7, atol=1e-5)
    # the pairwise shares alone, against autograd through the same operations
    z = logits.detach().clone().requires_grad_()
    negatives, positives = torch.rand(24, dtype=torch.float64), torch.rand(24, dtype=torch.float64)
    g_out = torch.randn(2, 24, dtype=torch.float64)
    fused = torch.autograd.grad(_PairwiseShares.apply(z, negatives, positives, 0.3), z, g_out.unbind())[0]
    plain = torch.autograd.grad(_pairwise_shares(z, negatives, positives, 0.3)[0], z, g_out.unbind())[0]
    np.testing.assert_allclose(fused, plain, atol=1e-12)


@pytest.mark.parametrize("tabulation", ["rank features", "soft AUC"])
def test_batch_level_features_autograd_path_for_compiled_graphs_is_the_same_function(tabulation, monkeypatch):
    """The rank surrogate's and the soft-AUC surrogate's plain operations (compiled graphs) against their
    hand-written backward: all pairs (64 samples) and the binned grid (700)."""
    if tabulation == "rank features":
        table = TabulatedRankSurrogate(_random_rank_network(2), dtype=torch.float64)
    else:
        table = TabulatedSetSurrogate(_random_soft_auc_network(2), dtype=torch.float64)
    for seed, n in enumerate([64, 700]):
        logits, y, weights = _batch(n, 2, seed, seed == 1, torch.float64)
        monkeypatch.setattr(torch.compiler, "is_compiling", lambda: False)
        fast, g_fast = _value_and_grad(lambda x: table(x, y, weights, 0.5), logits)
        monkeypatch.setattr(torch.compiler, "is_compiling", lambda: True)
        plain, g_plain = _value_and_grad(lambda x: table(x, y, weights, 0.5), logits)
        assert float(plain) == pytest.approx(float(fast), abs=1e-12)
        np.testing.assert_allclose(g_plain, g_fast, atol=1e-10)


def test_only_binary_problems_of_rank_networks_are_tabulated_with_ranks():
    assert can_tabulate_ranks(SetSurrogate(pairwise=True), 2)
    assert not can_tabulate_ranks(SetSurrogate(pairwise=True), 3)  # no symmetry between the classes' features
    assert not can_tabulate_ranks(SetSurrogate(), 2)  # the other table holds it
    assert not can_tabulate_ranks(PerSampleSurrogate(), 2)
    with pytest.raises(ValueError, match="pairwise=True.*got SetSurrogate without them"):
        TabulatedRankSurrogate(SetSurrogate())
    with pytest.raises(ValueError, match="got PerSampleSurrogate"):
        TabulatedRankSurrogate(PerSampleSurrogate())
    with pytest.raises(ValueError, match=r"binary problems \(logits of shape \(n,\)\)"):
        TabulatedRankSurrogate(_random_rank_network(0))(torch.zeros(16, 3), torch.zeros(16, dtype=torch.long))


def test_reloss_reads_rank_networks_from_tables_on_binary_problems_only():
    auc = ReLoss(metric="recall_at_precision")
    logits, y, weights = _batch(200, 2, 0, True, torch.float32)
    v_table, g_table = _value_and_grad(auc, logits, y, weights)
    v_exact, g_exact = _value_and_grad(ReLoss(metric="recall_at_precision", evaluation="exact"), logits, y, weights)
    assert abs(float(v_table - v_exact)) < VALUE_TOLERANCE
    assert float(F.cosine_similarity(g_table, g_exact, dim=0)) > COSINE
    assert isinstance(next(iter(auc.__dict__["_tables"].values()))[2], TabulatedRankSurrogate)
    # a multiclass rank network has no table: the network runs, and no table is built
    multiclass = ReLoss(metric=None, surrogate=_random_rank_network(3))
    logits, y, _ = _batch(64, 3, 0, False, torch.float32)
    assert torch.isfinite(multiclass(logits, y))
    assert "_tables" not in multiclass.__dict__


# ---- binary surrogates with a soft ROC AUC (soft_auc=True): TabulatedSetSurrogate plus one pooled number


def _random_soft_auc_network(seed, temperature=0.5):
    torch.manual_seed(seed)
    network = SetSurrogate(n_bins=6, width=12, soft_auc=True, pair_temperature=temperature)
    network.output_scale.fill_(2.0)
    with torch.no_grad():  # make the soft AUC matter: a large weight on its column of psi's first layer
        network.psi[0].weight[:, -1] *= 20.0
    return network.requires_grad_(False).eval()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("n", [64, 256, 700])  # 700: the binned soft AUC, as in the network
def test_soft_auc_surrogate_value_and_gradient_match_the_network(n, dtype):
    network = _random_soft_auc_network(0)
    table = TabulatedSetSurrogate(network, dtype=dtype)
    for seed, weighted, ce_weight in [(0, False, 0.0), (1, True, 0.0), (2, False, 0.5), (3, True, 0.5)]:
        _assert_close(network, table, *_batch(n, 2, seed, weighted, dtype), ce_weight=ce_weight)


@pytest.mark.parametrize("n", [24, 600])  # all pairs, and the binned soft AUC (600 > 512 samples)
def test_the_soft_auc_surrogates_hand_written_backward_is_the_derivative_of_the_forward(n):
    network = _random_soft_auc_network(1, temperature=0.3)
    table = TabulatedSetSurrogate(network, dtype=torch.float64)
    for weighted in (False, True):
        logits, y, weights = _batch(n, 2, 8, weighted, torch.float64)
        logits = (logits / 4).requires_grad_()  # inside the grid, where the tables are piecewise linear
        assert torch.autograd.gradcheck(lambda x: table(x, y, weights, 0.5), (logits,), eps=1e-7, atol=1e-5)


def test_soft_auc_networks_are_tabulated_on_binary_problems_only():
    network = _random_soft_auc_network(4)
    assert can_tabulate(network, 2) and not can_tabulate(network, 3)
    assert not can_tabulate_ranks(network, 2)
    with pytest.raises(ValueError, match=r"soft_auc=True, tabulated for binary problems only"):
        TabulatedSetSurrogate(network)(torch.zeros(16, 3), torch.zeros(16, dtype=torch.long))
    # ReLoss reads it from a table on a binary problem and runs the network on a multiclass one
    loss = ReLoss(metric=None, surrogate=network)
    logits, y, weights = _batch(200, 2, 0, True, torch.float32)
    v_table, g_table = _value_and_grad(loss, logits, y, weights)
    v_exact, g_exact = _value_and_grad(ReLoss(metric=None, surrogate=network, evaluation="exact"), logits, y, weights)
    assert abs(float(v_table - v_exact)) < VALUE_TOLERANCE
    assert float(F.cosine_similarity(g_table, g_exact, dim=0)) > COSINE
    assert isinstance(next(iter(loss.__dict__["_tables"].values()))[2], TabulatedSetSurrogate)
    multiclass = ReLoss(metric=None, surrogate=network)
    logits, y, _ = _batch(64, 3, 0, False, torch.float32)
    assert torch.isfinite(multiclass(logits, y))
    assert "_tables" not in multiclass.__dict__
