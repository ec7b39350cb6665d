"""Learned relational surrogates: ranks, architectures, prediction sets, learning, shipped files, ReLoss."""

import pickle
import re
import warnings
import zlib

import numpy as np
import pytest
import torch
from scipy.special import softmax
from scipy.stats import spearmanr
from sklearn.datasets import make_classification
from sklearn.metrics import f1_score

from sklearn_surrogate import SurrogateClassifier
from sklearn_surrogate.exceptions import DegenerateFitWarning
from sklearn_surrogate.learned import (
    ReLoss,
    learn_surrogate,
    load_surrogate,
    save_surrogate,
    shipped_surrogates,
)
from sklearn_surrogate.learned._metrics import BUILTIN_METRICS
from sklearn_surrogate.learned._networks import PerSampleSurrogate, SetSurrogate
from sklearn_surrogate.learned._learn import _sampled_metric, _tie_broken
from sklearn_surrogate.learned._prediction_sets import (
    draw_model_sets,
    fit_model_zoo,
    flat_set_group,
    label_set_group,
    make_prediction_sets,
)
from sklearn_surrogate.learned._shipped import train_shipped_surrogates
from sklearn_surrogate.learned._spearman import hard_rank, soft_rank, soft_spearman, spearman
from sklearn_surrogate.learned._io import SHIPPED_METRIC_PARAMS, SHIPPED_METRICS, shipped_surrogate_path

#: share of one-class batches on which a descent step on the shipped F1 surrogate separates the classes
SHIPPED_DIRECTION = {+1: 0.9, -1: 0.9}
QUICK = {"steps": 30, "n_train_sets": 96, "n_test_sets": 48, "n_samples": 64, "real_fraction": 0.0,
         "verbose": False}


# -- ranks -------------------------------------------------------------------
def test_ranks_and_spearman():
    x = torch.tensor([0.3, -1.0, 2.0, 0.3])
    assert hard_rank(x).tolist() == [2.5, 1.0, 4.0, 2.5]
    assert torch.allclose(soft_rank(x, temperature=1e-3), hard_rank(x), atol=1e-3)
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=50), rng.normal(size=50)
    assert spearman(a, b) == pytest.approx(spearmanr(a, b).statistic)
    xa = torch.tensor(a, requires_grad=True)
    value = soft_spearman(xa, torch.tensor(a), temperature=1e-3)
    assert float(value.detach()) == pytest.approx(1.0, abs=1e-3)
    (grad,) = torch.autograd.grad(soft_spearman(xa, torch.tensor(b)), xa)
    assert torch.isfinite(grad).all() and grad.abs().sum() > 0


# -- architectures -------------------------------------------------------------
@pytest.mark.parametrize("network", [SetSurrogate(), PerSampleSurrogate()], ids=["set", "per_sample"])
@pytest.mark.parametrize("n_classes", [2, 4])
def test_surrogates_are_permutation_invariant_and_batched(network, n_classes):
    torch.manual_seed(0)
    P = torch.softmax(torch.randn(3, 40, n_classes), -1)
    Y = torch.nn.functional.one_hot(torch.randint(0, n_classes, (3, 40)), n_classes).float()
    values = network(P, Y)
    assert values.shape == (3,)
    perm = torch.randperm(40)
    assert torch.allclose(network(P[0, perm], Y[0, perm]), values[0], atol=1e-5)
    assert torch.allclose(network(P[1], Y[1]), values[1], atol=1e-5)
    # integer weights equal repeated samples
    w = torch.ones(40)
    w[:5] = 3.0
    repeated = torch.cat([P[0], P[0, :5], P[0, :5]]), torch.cat([Y[0], Y[0, :5], Y[0, :5]])
    assert torch.allclose(network(P[0], Y[0], w), network(*repeated), atol=1e-5)


def test_set_surrogate_tells_false_positives_from_false_negatives():
    """The per-sample design sees p(true class) only; the set design also sees which class is wrong."""
    y = torch.tensor([0, 0, 1, 1])
    fp = torch.tensor([[0.2, 0.8], [0.9, 0.1], [0.1, 0.9], [0.1, 0.9]])  # one false positive
    fn = torch.tensor([[0.9, 0.1], [0.9, 0.1], [0.8, 0.2], [0.1, 0.9]])  # one false negative, same p(true)
    Y = torch.nn.functional.one_hot(y, 2).float()
    assert torch.allclose((fp * Y).sum(1).sort().values, (fn * Y).sum(1).sort().values)
    torch.manual_seed(0)
    per_sample = PerSampleSurrogate()
    assert torch.allclose(per_sample(fp, Y), per_sample(fn, Y))
    assert not torch.allclose(SetSurrogate()(fp, Y), SetSurrogate()(fn, Y))


def test_pairwise_rank_features_hold_the_roc_auc():
    """Mean over positives of 'share of negatives scored below' is ROC AUC (soft, here nearly exact)."""
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    score = rng.normal(size=200) + y
    P = torch.as_tensor(np.column_stack([1 - 1 / (1 + np.exp(-score)), 1 / (1 + np.exp(-score))]))
    Y = torch.nn.functional.one_hot(torch.as_tensor(y), 2).double()
    network = SetSurrogate(pairwise=True, pair_temperature=1e-4).double()
    features = network._rank_features(torch.logit(P), Y, torch.ones(200, dtype=torch.float64))
    soft_auc = float(features[y == 1, 1, 0].mean())
    assert soft_auc == pytest.approx(roc_auc_score(y, score), abs=2e-3)
    assert network(P, Y).shape == () and network.config()["pairwise"] is True


def test_soft_auc_is_each_classs_share_of_correctly_ordered_pairs():
    """By hand on four samples, then the ROC AUC itself at a tiny temperature, weights and a one-class batch."""
    from sklearn.metrics import roc_auc_score

    network = SetSurrogate(soft_auc=True, pair_temperature=0.5).double()
    z = torch.tensor([2.0, 0.0, 1.0, -1.0], dtype=torch.float64)  # class 1's log-odds; labels 1, 1, 0, 0
    Y = torch.nn.functional.one_hot(torch.tensor([1, 1, 0, 0]), 2).double()
    Z = torch.stack([-z, z], 1)
    sig = lambda d: 1 / (1 + np.exp(-d / 0.5))  # noqa: E731
    by_hand = (sig(2 - 1) + sig(2 + 1) + sig(0 - 1) + sig(0 + 1)) / 4
    auc = network._soft_auc(Z, Y, torch.ones(4, dtype=torch.float64))
    np.testing.assert_allclose(auc, [by_hand, by_hand], rtol=1e-12)  # class 0 sees the same pairs, reversed
    # a weight of 3 on the first positive counts its two pairs three times
    weighted = (3 * (sig(2 - 1) + sig(2 + 1)) + sig(0 - 1) + sig(0 + 1)) / 8
    w = torch.tensor([3.0, 1.0, 1.0, 1.0], dtype=torch.float64)
    assert float(network._soft_auc(Z, Y, w)[1]) == pytest.approx(weighted, rel=1e-12)
    all_positive = torch.tensor([[0.0, 1.0]] * 4, dtype=torch.float64)
    assert network._soft_auc(Z, all_positive, w).tolist() == [0.0, 0.0]  # class 1 has no non-members, 0 no members
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    score = rng.normal(size=300) + y
    sharp = SetSurrogate(soft_auc=True, pair_temperature=1e-4).double()
    Y = torch.nn.functional.one_hot(torch.as_tensor(y), 2).double()
    Z = torch.as_tensor(np.column_stack([-score, score]))
    assert float(sharp._soft_auc(Z, Y, torch.ones(300, dtype=torch.float64))[1]) == pytest.approx(
        roc_auc_score(y, score), abs=1e-3)
    P = torch.softmax(Z, 1)
    assert sharp(P, Y).shape == () and sharp.config()["soft_auc"] is True
    assert sharp.psi[0].in_features == SetSurrogate().psi[0].in_features + 1


def test_binned_soft_auc_at_the_shipped_temperature_is_within_its_documented_error(monkeypatch):
    """The grid's spacing is fixed (0.05): at T = 0.05 (the shipped ROC AUC surrogate's) it errs by up to ~6e-3."""
    from sklearn_surrogate.learned import _networks

    sharp = SetSurrogate(soft_auc=True, pair_temperature=0.05).double()
    generator = torch.Generator().manual_seed(2)
    y = (torch.rand(4, 700, generator=generator) < 0.2).long()
    scale = torch.tensor([0.05, 0.3, 1.0, 3.0], dtype=torch.float64)[:, None]  # from bunched to spread scores
    z1 = (torch.randn(4, 700, generator=generator, dtype=torch.float64) + y) * scale
    Z, Y, w = torch.stack([-z1, z1], -1), torch.nn.functional.one_hot(y, 2).double(), torch.ones(4, 700).double()
    auc = {}
    for exact_up_to in (10**9, 512):
        monkeypatch.setattr(_networks, "_EXACT_PAIRS_UP_TO", exact_up_to)
        auc[exact_up_to] = sharp._soft_auc(Z, Y, w)
    np.testing.assert_allclose(auc[512], auc[10**9], atol=1e-2)
    assert float((auc[512] - auc[10**9]).abs().max()) > 1e-4  # coarser than at the default temperature


# -- prediction sets -------------------------------------------------------------
def test_prediction_sets_span_the_metric():
    Y, Z = make_prediction_sets(64, n_samples=128, real_fraction=0.0, random_state=0)
    assert Y.shape == (64, 128) and Z.shape == (64, 128, 2)
    assert all(0 < y.mean() < 1 for y in Y)  # both classes in every set
    f1 = [f1_score(y, z.argmax(1)) for y, z in zip(Y, Z)]
    assert min(f1) < 0.2 and max(f1) > 0.8
    again = make_prediction_sets(64, n_samples=128, real_fraction=0.0, random_state=0)
    assert np.array_equal(Y, again[0]) and np.array_equal(Z, again[1])


def test_model_zoo_predictions_are_real_and_varied():
    X, y = make_classification(600, n_features=8, weights=[0.8], random_state=0)
    zoo = fit_model_zoo(X, y, random_state=0)
    assert len(zoo) == 15 and len({name for name, _, _ in zoo}) == 15
    for _, y_test, proba in zoo:
        assert len(y_test) == 300 and np.allclose(proba.sum(1), 1.0)
    Y, Z, names = draw_model_sets(zoo, 40, n_samples=256, perturb=False, rng=0)
    f1 = [f1_score(a, z.argmax(1), zero_division=0.0) for a, z in zip(Y, Z)]
    assert min(f1) < 0.3 < 0.7 < max(f1)  # the prior model's F1 is 0; boosting's is high
    assert set(names) <= {name for name, _, _ in zoo}


def test_real_prediction_sets_mix_into_training_sets():
    Y, Z = make_prediction_sets(40, n_samples=64, n_classes=3, real_fraction=1.0, random_state=1)
    assert Z.shape == (40, 64, 3) and all(len(np.unique(y)) == 3 for y in Y)
    with pytest.raises(ValueError, match="real_fraction"):
        make_prediction_sets(4, real_fraction=1.5)


@pytest.mark.parametrize("n_classes", [2, 4])
def test_flat_groups_share_labels_and_prediction_and_order_the_scores(n_classes):
    rng = np.random.default_rng(n_classes)
    for _ in range(5):
        y, logits = flat_set_group(rng, 8, 128, n_classes)
        assert logits.shape == (8, 128, n_classes) and len(np.unique(y)) == n_classes
        predicted = logits.argmax(-1)
        assert (predicted == predicted[0, 0]).all()  # one class predicted everywhere: every label metric is flat
        f1 = [f1_score(y, p, average="macro") for p in predicted]
        assert np.ptp(f1) == 0
        # the scores of the true class, against the others: from inverted to separated, in order
        own = softmax(logits, axis=-1)[:, np.arange(128), y]
        separation = [a[y == c].mean() - np.delete(a, np.flatnonzero(y == c)).mean() for a in own for c in [0]]
        assert spearman(np.arange(8), [a.mean() for a in own]) > 0.9, separation


def test_the_sampled_metric_tells_the_flat_sets_apart():
    rng = np.random.default_rng(0)
    evaluate = BUILTIN_METRICS["f1"][0]
    agreement = []
    for _ in range(10):
        y, logits = flat_set_group(rng, 8, 256, 2)
        sampled = _sampled_metric(evaluate, "f1", y, logits, rng.random((256, 8)))
        hard = [evaluate(y, softmax(z, axis=1)) for z in logits]
        assert np.ptp(hard) == 0 and np.isfinite(sampled).all()
        if np.ptp(softmax(logits, axis=-1)[..., 1]) > 0.05:  # not squeezed to one probability
            agreement.append(spearman(np.arange(8), sampled))
    assert np.mean(agreement) > 0.8


def test_ties_of_the_metric_are_broken_by_the_sampled_metric_only():
    metric = np.array([0.5, 0.2, 0.5, 0.5, 0.9, 0.2])
    sampled = np.array([0.1, np.nan, 0.3, 0.2, np.nan, np.nan])
    key = _tie_broken(metric, sampled)
    assert spearman(key, metric) > 0.8
    assert key[4] > max(key[[0, 2, 3]]) > min(key[[0, 2, 3]]) > key[1] == key[5]  # the metric's order first
    assert key[2] > key[3] > key[0]  # then, among equal values, the sampled metric's
    assert np.array_equal(_tie_broken(metric, np.full(6, np.nan)), [2, 1, 2, 2, 3, 1])


def test_label_groups_are_one_batch_under_several_models():
    X, y = make_classification(600, n_features=8, weights=[0.9], random_state=0)
    zoo = fit_model_zoo(X, y, random_state=0)
    rng = np.random.default_rng(0)
    shares = []
    for _ in range(20):
        labels, logits = label_set_group(rng, 8, 100, 2, zoos=[zoo])
        assert logits.shape == (8, 100, 2) and 0 < labels.sum() < 100
        assert len({round(float(z.std()), 6) for z in logits}) > 1  # different models or perturbations
        shares.append(labels.mean())
    assert min(shares) < 0.05 and max(shares) > 0.08  # a drawn positive rate half the time, else the data's
    labels, logits = label_set_group(rng, 8, 100, 3)  # synthetic: one label vector, 8 predictions
    assert logits.shape == (8, 100, 3) and len(np.unique(labels)) == 3


def test_set_groups_join_the_training():
    f1 = learn_surrogate("f1", **QUICK)
    assert f1.info_["set_groups"] == QUICK["n_train_sets"] // 32
    for key in ("held_out_flat_spearman", "held_out_group_spearman"):
        assert f1.info_[key] is None or -1 <= f1.info_[key] <= 1
    auc = learn_surrogate("roc_auc", **QUICK)  # a metric of probabilities: groups, but none flat
    assert auc.info_["set_groups"] == QUICK["n_train_sets"] // 32 and auc.info_["held_out_flat_spearman"] is None
    none = learn_surrogate("f1", set_groups=0, **QUICK)
    assert none.info_["set_groups"] == 0 and none.info_["held_out_group_spearman"] is None
    with pytest.raises(ValueError, match="set_groups"):
        learn_surrogate("f1", set_groups=-1, **QUICK)


def test_the_shipped_f1_surrogate_knows_which_way_to_go_when_every_prediction_is_one_class():
    """The regime behind inverted fits: every prediction positive (or negative), where F1 itself is flat.

    A descent step on the shipped surrogate must raise the positives' logits relative to the negatives'
    (the direction that separates them) on most such batches; the surrogate shipped before the flat
    groups did on 60 % (all positive) and 70 % (all negative) of them.
    """
    loss = ReLoss(metric="f1", ce_weight=0.0)
    rng = np.random.default_rng(0)
    for regime in (+1, -1):
        right = []
        for _ in range(100):
            y = (rng.random(256) < np.exp(rng.uniform(np.log(0.01), np.log(0.6)))).astype(int)
            y[:2] = [1, 0]
            z = rng.normal(0, rng.uniform(0.05, 1.0), 256) + rng.uniform(-1, 1) * (y - y.mean())
            z = (z - z.min() + 0.01) if regime > 0 else (z - z.max() - 0.01)
            logits = torch.tensor(z * 10 ** rng.uniform(-1.5, 0.5), requires_grad=True)
            (grad,) = torch.autograd.grad(loss(logits, torch.as_tensor(y)), logits)
            step = -grad.numpy()
            right.append(step[y == 1].mean() > step[y == 0].mean())
        assert np.mean(right) >= SHIPPED_DIRECTION[regime], (regime, np.mean(right))


# -- learning ---------------------------------------------------------------------
def test_learn_surrogate_for_a_user_metric_end_to_end():
    def precision_at_half(y_true, y_pred):  # any callable metric, higher is better
        predicted = y_pred == 1
        return float(np.mean(y_true[predicted] == 1)) if predicted.any() else 0.0

    state = torch.random.get_rng_state()
    loss = learn_surrogate(precision_at_half, gradient_penalty=0.0, **{**QUICK, "steps": 60})
    assert torch.equal(state, torch.random.get_rng_state())  # the global generator is untouched
    assert isinstance(loss, ReLoss) and loss.target_metric is None
    assert loss.info_["metric"] == "precision_at_half"
    assert loss.info_["held_out_spearman"] > 0.5
    assert not any(p.requires_grad for p in loss.surrogate.parameters())  # frozen
    X, y = make_classification(n_samples=300, random_state=0)
    clf = SurrogateClassifier(loss=loss, max_iter=5, random_state=0).fit(X, y)
    assert np.isfinite(clf.predict_proba(X)).all()
    assert clf.scorer_.metric == "accuracy"  # a user metric targets nothing the scorer knows
    with pytest.raises(ValueError, match="supports binary problems only"):
        SurrogateClassifier(loss=loss, max_iter=2).fit(X, np.arange(300) % 3)


def test_learn_surrogate_with_probabilities_and_several_class_counts():
    def top_class_confidence_gap(y_true, proba):
        return float(np.mean(proba[np.arange(len(y_true)), y_true] - proba.max(1)))

    loss = learn_surrogate(top_class_confidence_gap, n_classes=(3, 5), response="proba", **QUICK)
    assert loss.info_["n_classes"] == [3, 5]
    assert set(loss.info_["held_out_spearman_per_n_classes"]) == {3, 5}
    assert loss.supports_multiclass and not loss.supports_binary
    value = loss(torch.randn(16, 4), torch.arange(16) % 4)  # any multiclass count
    assert torch.isfinite(value)


def test_learning_is_reproducible():
    a = learn_surrogate("balanced_accuracy", **QUICK)
    b = learn_surrogate("balanced_accuracy", **QUICK)
    for pa, pb in zip(a.surrogate.parameters(), b.surrogate.parameters()):
        assert torch.equal(pa, pb)
    assert a.info_["held_out_spearman"] == b.info_["held_out_spearman"]


def test_learned_f1_surrogate_ranks_held_out_sets():
    """A short training already ranks held-out prediction sets like F1 (full training: the shipped ones)."""
    settings = {**QUICK, "steps": 150, "n_train_sets": 512, "n_samples": 128}
    loss = learn_surrogate("f1", gradient_penalty=0.0, set_groups=0, **settings)
    assert loss.info_["held_out_spearman"] > 0.8
    assert loss.target_metric == "f1"
    # with the groups of one batch under several predictions, the groups' own order is learned first
    grouped = learn_surrogate("f1", **settings)
    assert grouped.info_["held_out_spearman"] > 0.5
    assert grouped.info_["held_out_group_spearman"] > 0.7 and grouped.info_["held_out_flat_spearman"] > 0.8


def test_bad_arguments():
    with pytest.raises(ValueError, match="Unknown metric"):
        learn_surrogate("f3", verbose=False)
    with pytest.raises(ValueError, match="not defined for n_classes=4"):
        learn_surrogate("f1", n_classes=4, verbose=False)
    with pytest.raises(ValueError, match="mixes binary and multiclass"):
        learn_surrogate("accuracy", n_classes=(2, 3), verbose=False)
    with pytest.raises(ValueError, match="The .n_classes. parameter of learn_surrogate must be"):
        learn_surrogate("accuracy", n_classes=1, verbose=False)
    with pytest.raises(TypeError, match="metric must be"):
        learn_surrogate(3, verbose=False)
    with pytest.raises(ValueError, match="The .response. parameter of learn_surrogate must be"):
        learn_surrogate(lambda y, p: 0.0, response="labels", verbose=False)
    with pytest.raises(ValueError, match=r"The .steps. parameter of learn_surrogate must be an int in the range \[1, inf\)"):
        learn_surrogate("f1", steps=0, verbose=False)
    with pytest.raises(ValueError, match="gradient_penalty"):
        learn_surrogate("f1", gradient_penalty=-1.0, verbose=False)
    with pytest.raises(ValueError, match="constant"):
        learn_surrogate(lambda y, p: 1.0, **QUICK)
    with pytest.raises(ValueError, match="NaN or infinite"):
        learn_surrogate(lambda y, p: float("nan"), **QUICK)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        ReLoss(surrogate="weights.pt")


# -- shipped surrogates and files -----------------------------------------------------
def test_every_shipped_surrogate_is_there_with_its_metadata():
    table = shipped_surrogates()
    assert {(row["metric"], row["architecture"]) for row in table} == {
        (metric, arch) for metric in SHIPPED_METRICS for arch in ("set", "per_sample")
    }
    for row in table:
        assert row["random_state"] == 0 and row["steps"] > 0
        if row["architecture"] == "set":
            # learn_surrogate's own held-out prediction sets, drawn like its training sets. The recall at a
            # precision floor is a step function of one threshold's counts: harder to rank. The F1 surrogate stops
            # at 1875 steps, chosen for training quality: 0.935 here, 0.978 on real models' predictions at batch
            # 256 (benchmarks/results/reloss_quality.md), the measure the fidelity targets use
            floor = {"recall_at_precision": 0.9, "f1": 0.93}.get(row["metric"], 0.95)
            assert row["held_out_spearman"] >= floor, row
        assert row["metric_params"] == SHIPPED_METRIC_PARAMS.get(row["metric"], {})
        expected = [2] if SHIPPED_METRICS[row["metric"]] == "binary" else [3, 4, 5, 6, 8, 10]
        assert row["n_classes"] == expected
    for metric in SHIPPED_METRICS:
        with open(shipped_surrogate_path(metric), "rb") as handle:
            header = handle.read(4096)
        assert b"format_version" in header and b"pickle" not in header.lower()


@pytest.mark.parametrize("metric", ["f1", "roc_auc", "balanced_accuracy", "accuracy", "mcc"])
def test_shipped_binary_surrogates_rank_fresh_sets(metric):
    loss = ReLoss(metric=metric, ce_weight=0.0)  # the surrogate's own ranking
    Y, Z = make_prediction_sets(200, n_samples=256, real_fraction=0.0, random_state=123)
    evaluate = BUILTIN_METRICS[metric][0]
    truth = [evaluate(y, softmax(z, axis=1)) for y, z in zip(Y, Z)]
    with torch.no_grad():
        values = [float(loss(torch.as_tensor(z[:, 1] - z[:, 0]), torch.as_tensor(y))) for y, z in zip(Y, Z)]
    # random sets, unlike real models' predictions. The F1 surrogate shipped since 2026-12-07 (1875 steps, chosen
    # for training quality) ranks them at 0.876-0.907 over three seeds, the 3000-step one before it at 0.929-0.949;
    # on real predictions 0.978 against 0.986 (docs/user_guide/learned.md)
    assert spearman(-np.array(values), truth) > (0.85 if metric == "f1" else 0.9)


def test_shipped_macro_f1_surrogate_ranks_any_class_count():
    loss = ReLoss(metric="macro_f1", ce_weight=0.0)
    for k in (3, 7, 12):  # 7 and 12 were not in training
        Y, Z = make_prediction_sets(100, n_samples=256, n_classes=k, real_fraction=0.0, random_state=k)
        truth = [f1_score(y, z.argmax(1), average="macro", labels=np.arange(k), zero_division=0.0)
                 for y, z in zip(Y, Z)]
        with torch.no_grad():
            values = [float(loss(torch.as_tensor(z), torch.as_tensor(y))) for y, z in zip(Y, Z)]
        assert spearman(-np.array(values), truth) > 0.85, k


def test_save_and_load_round_trip(tmp_path):
    loss = learn_surrogate("accuracy", **QUICK)
    path = tmp_path / "accuracy.safetensors"
    save_surrogate(loss, path, note="a test")
    loaded = load_surrogate(path)
    assert loaded.metric == "accuracy" and loaded.architecture == "set"
    assert loaded.metadata_["note"] == "a test" and loaded.metadata_["format_version"] == "1"
    assert loaded.metadata_["package_version"] == __import__("sklearn_surrogate").__version__
    logits, y = torch.randn(64), torch.arange(64) % 2
    assert torch.equal(loss(logits, y), loaded(logits, y))
    assert loaded.surrogate.trained_classes == (2,)
    unpickled = pickle.loads(pickle.dumps(loaded))
    assert torch.equal(unpickled(logits, y), loaded(logits, y))


def test_tampered_or_foreign_files_fail_safely(tmp_path):
    loss = learn_surrogate("accuracy", **QUICK)
    good = tmp_path / "good.safetensors"
    save_surrogate(loss, good)
    data = bytearray(good.read_bytes())
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(bytes(data[: len(data) // 2]))
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"\x80\x04\x95 not a safetensors file")  # a pickle header
    for path in (truncated, garbage):
        with pytest.raises(ValueError, match="not a valid surrogate file"):
            load_surrogate(path)
    from safetensors.torch import save_file

    foreign = tmp_path / "foreign.safetensors"
    save_file({"w": torch.zeros(2)}, str(foreign), metadata={"format": "other"})
    with pytest.raises(ValueError, match="not a sklearn_surrogate surrogate file"):
        load_surrogate(foreign)
    wrong_shapes = tmp_path / "wrong.safetensors"
    tensors = {k: torch.zeros(3) for k in loss.surrogate.state_dict()}
    from sklearn_surrogate.learned._io import _read

    meta, _ = _read(good)
    save_file(tensors, str(wrong_shapes), metadata=meta)
    with pytest.raises(ValueError, match="invalid surrogate"):
        load_surrogate(wrong_shapes)
    non_finite = tmp_path / "nan.safetensors"
    _, tensors = _read(good)
    tensors = {k: v.clone().fill_(float("nan")) for k, v in tensors.items()}
    save_file(tensors, str(non_finite), metadata=meta)
    with pytest.raises(ValueError, match="non-finite"):
        load_surrogate(non_finite)
    with pytest.raises(FileNotFoundError):
        load_surrogate(tmp_path / "missing.safetensors")


def test_training_script_is_seeded_and_writes_loadable_files(tmp_path):
    kwargs = {"metrics": ["f1"], "architectures": ("set",), "verbose": False, "steps": 30, "n_train_sets": 64,
              "n_test_sets": 32, "n_samples": 32, "real_fraction": 0.0}
    (first,) = train_shipped_surrogates(tmp_path / "a", **kwargs)
    (second,) = train_shipped_surrogates(tmp_path / "b", **kwargs)
    from sklearn_surrogate.learned._io import _read

    (meta_a, tensors_a), (meta_b, tensors_b) = _read(first), _read(second)
    assert meta_a == meta_b and tensors_a.keys() == tensors_b.keys()
    assert all(torch.equal(tensors_a[k], tensors_b[k]) for k in tensors_a)
    loss = load_surrogate(first)
    assert loss.metric == "f1" and loss.metadata_["random_state"] == "0" and "steps" in loss.metadata_["recipe"]
    with pytest.raises(ValueError, match="Unknown shipped metric"):
        train_shipped_surrogates(tmp_path, metrics=["gmean"])
    with pytest.raises(TypeError, match="Unknown recipe setting"):
        train_shipped_surrogates(tmp_path, metrics=["f1"], epochs=3)


def test_command_line_trains_surrogates(tmp_path, capsys):
    from sklearn_surrogate.app._cli import main

    status = main(["train-surrogates", "--metric", "accuracy", "--architecture", "per_sample", "--steps", "3",
                   "--output-dir", str(tmp_path)])
    assert status == 0 and (tmp_path / "accuracy-per_sample.safetensors").exists()
    assert main(["train-surrogates", "--metric", "gmean", "--output-dir", str(tmp_path)]) == 2
    assert "Unknown shipped metric" in capsys.readouterr().err


# -- the ReLoss loss -------------------------------------------------------------------
def test_learned_loss_in_a_grid_search():
    from sklearn.base import clone
    from sklearn.model_selection import GridSearchCV

    loss = learn_surrogate("f1", **QUICK)
    clf = SurrogateClassifier(loss=loss, max_iter=3, random_state=0)
    copied = clone(clf).loss.surrogate
    assert all(torch.equal(a, b) for a, b in zip(copied.state_dict().values(), loss.surrogate.state_dict().values()))
    X, y = make_classification(n_samples=200, random_state=0)
    with warnings.catch_warnings():
        # a quick surrogate and 3 epochs: a fit may score F1 below "all positive" and fall back (tested elsewhere)
        warnings.simplefilter("ignore", DegenerateFitWarning)
        search = GridSearchCV(clf, {"loss__ce_weight": [0.0, 1.0]}, cv=2).fit(X, y)
    assert search.best_estimator_.scorer_.metric == "f1"


def test_reloss_by_name_in_the_estimator():
    X, y = make_classification(n_samples=400, weights=[0.8], random_state=0)
    clf = SurrogateClassifier(loss="reloss", loss__metric="f1", max_iter=10, random_state=0).fit(X, y)
    assert clf.scorer_.metric == "f1" and np.isfinite(clf.predict_proba(X)).all()
    assert isinstance(clf.loss_, ReLoss) and clf.loss_.surrogate is None
    again = SurrogateClassifier(loss="reloss", loss__metric="f1", max_iter=10, random_state=0).fit(X, y)
    assert np.array_equal(clf.predict_proba(X), again.predict_proba(X))
    restored = pickle.loads(pickle.dumps(clf))
    assert np.array_equal(restored.predict_proba(X), clf.predict_proba(X))


def test_reloss_multiclass_and_per_sample():
    X, y = make_classification(n_samples=400, n_classes=3, n_informative=5, random_state=0)
    clf = SurrogateClassifier(loss="reloss", loss__metric="macro_f1", max_iter=5, random_state=0).fit(X, y)
    assert clf.scorer_.metric == "f1" and clf.scorer_.average == "macro"
    per_sample = SurrogateClassifier(loss="reloss", loss__metric="macro_f1", loss__architecture="per_sample",
                                     max_iter=5, random_state=0).fit(X, y)
    assert np.isfinite(per_sample.predict_proba(X)).all()
    with pytest.raises(ValueError, match="supports binary problems only"):
        SurrogateClassifier(loss="reloss", max_iter=2).fit(X, y)
    Xb, yb = make_classification(n_samples=100, random_state=0)
    with pytest.raises(ValueError, match="needs at least 3 classes"):
        SurrogateClassifier(loss="reloss", loss__metric="macro_f1", max_iter=2).fit(Xb, yb)
    with pytest.raises(ValueError, match="No shipped surrogate for metric 'gmean'"):
        SurrogateClassifier(loss="reloss", loss__metric="gmean", max_iter=2).fit(Xb, yb)
    with pytest.raises(ValueError, match="architecture must be"):
        SurrogateClassifier(loss="reloss", loss__architecture="deep", max_iter=2).fit(Xb, yb)


def test_cross_entropy_is_mixed_in_by_default():
    logits, y = torch.randn(64), torch.arange(64) % 2
    ce = torch.nn.functional.binary_cross_entropy_with_logits(logits, y.float())
    assert ReLoss().ce_weight == 0.5
    assert torch.allclose(ReLoss()(logits, y), ReLoss(ce_weight=0.0)(logits, y) + 0.5 * ce)


def test_cross_entropy_mixing_and_schedules():
    logits, y = torch.randn(64), torch.arange(64) % 2
    plain = ReLoss(metric="f1", ce_weight=0.0)
    ce = torch.nn.functional.binary_cross_entropy_with_logits(logits, y.float())
    assert torch.allclose(ReLoss(metric="f1", ce_weight=0.5)(logits, y), plain(logits, y) + 0.5 * ce)
    for schedule, halfway in [("constant", 1.0), ("linear", 0.5), ("cosine", 0.5)]:
        loss = ReLoss(metric="f1", ce_weight=1.0, ce_schedule=schedule)
        loss.on_epoch_begin(50, 100)
        assert torch.allclose(loss(logits, y), plain(logits, y) + halfway * ce, atol=1e-6), schedule
        loss.on_epoch_begin(100, 100)
        end = 1.0 if schedule == "constant" else 0.0
        assert torch.allclose(loss(logits, y), plain(logits, y) + end * ce, atol=1e-6), schedule
    with pytest.raises(ValueError, match="ce_schedule"):
        ReLoss(metric="f1", ce_weight=1.0, ce_schedule="step")(logits, y)
    with pytest.raises(ValueError, match="ce_weight"):
        ReLoss(metric="f1", ce_weight=-1.0)(logits, y)


def test_the_estimator_drives_the_schedule():
    seen = []

    class Recording(ReLoss):
        def on_epoch_begin(self, epoch, max_epochs):
            seen.append((epoch, max_epochs))
            super().on_epoch_begin(epoch, max_epochs)

    X, y = make_classification(n_samples=200, random_state=0)
    model = SurrogateClassifier(loss=Recording(ce_weight=1.0, ce_schedule="linear"), max_iter=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateFitWarning)  # 4 epochs may score F1 below "all positive"
        model.fit(X, y)
    assert seen[:4] == [(0, 4), (1, 4), (2, 4), (3, 4)]  # (a refit with the fallback would run them again)


def test_reloss_surrogate_stays_frozen_during_training():
    X, y = make_classification(n_samples=300, random_state=0)
    clf = SurrogateClassifier(loss="reloss", max_iter=3, random_state=0).fit(X, y)
    shipped = ReLoss(metric="f1")._network()
    for trained, original in zip(clf.loss_.shipped_.parameters(), shipped.parameters()):
        assert torch.equal(trained.cpu(), original) and not trained.requires_grad


# -- issue 18: bad input to learn_surrogate and to the surrogate files ---------------------------------
TINY = {"steps": 2, "n_train_sets": 16, "n_test_sets": 32, "n_samples": 16, "sets_per_step": 8, "real_fraction": 0.0,
        "verbose": False}
# a 2-step surrogate ranks poorly; tests of seeding, progress or errors do not look at its quality
poor_is_fine = pytest.mark.filterwarnings("ignore:The learned surrogate ranks held-out prediction sets poorly")


def _same_weights(a, b):
    return all(torch.equal(x, y) for x, y in zip(a.surrogate.state_dict().values(), b.surrogate.state_dict().values()))


@poor_is_fine
def test_random_state_none_and_random_state_instances():
    fresh = learn_surrogate("accuracy", random_state=None, **TINY)
    other = learn_surrogate("accuracy", random_state=None, **TINY)
    seed = fresh.info_["random_state"]
    assert isinstance(seed, int) and seed != other.info_["random_state"]  # fresh randomness at each call
    assert not _same_weights(fresh, other)
    assert _same_weights(fresh, learn_surrogate("accuracy", random_state=seed, **TINY))  # the recorded seed repeats it
    a = learn_surrogate("accuracy", random_state=np.random.RandomState(3), **TINY)
    b = learn_surrogate("accuracy", random_state=np.random.RandomState(3), **TINY)
    assert _same_weights(a, b) and a.info_["random_state"] == b.info_["random_state"]
    with pytest.raises(ValueError, match="The 'random_state' parameter of learn_surrogate must be an int"):
        learn_surrogate("accuracy", random_state=np.random.default_rng(0), **TINY)  # as in scikit-learn


@pytest.mark.parametrize("temperature", [1e-30, 1e-4, 1e4, float("inf"), float("nan")])
def test_temperature_outside_its_range_is_refused(temperature):
    with pytest.raises(ValueError, match=r"The 'temperature' parameter of learn_surrogate must be a float in the "
                                         r"range \[0.001, 1000.0\]"):
        learn_surrogate("f1", temperature=temperature, **TINY)


def test_a_surrogate_that_ranks_poorly_warns_with_its_spearman():
    def unrelated(y_true, y_pred):  # deterministic, but unrelated to the quality of the predictions
        return zlib.crc32(y_pred.tobytes()) / 2**32

    with pytest.warns(UserWarning, match="ranks held-out prediction sets poorly") as record:
        loss = learn_surrogate(unrelated, **{**TINY, "n_test_sets": 64})
    measured = loss.info_["held_out_spearman"]
    assert measured < 0.5 and f"{measured:.3f}" in str(record[0].message)
    assert record[0].filename == __file__  # points at the caller


@pytest.mark.parametrize("returned", [np.array([0.1, 0.2]), "0.5", None, [0.5]])
def test_a_metric_must_return_a_float(returned):
    def odd_metric(y_true, y_pred):
        return returned

    with pytest.raises(TypeError, match=r"The metric must return a float for each prediction set; odd_metric "
                                        rf"returned {type(returned).__name__}"):
        learn_surrogate(odd_metric, **TINY)


@poor_is_fine
def test_a_metric_may_return_any_real_scalar():
    for value in (np.float32(0.5), np.int64(1), np.array(0.25), True):
        def metric(y_true, y_pred, value=value):  # varies with the predictions, in the type under test
            return value * float(np.mean(y_pred == y_true)) if not isinstance(value, bool) else bool(y_pred[0] == 1)

        assert np.isfinite(learn_surrogate(metric, **TINY).info_["held_out_spearman"])


@pytest.mark.parametrize("n_classes", [2.5, 2.0, "3", [], [3, 4.0], True, None, [1, 3]])
def test_n_classes_must_be_integers(n_classes):
    with pytest.raises(ValueError, match=r"The 'n_classes' parameter of learn_surrogate must be an int in the range "
                                         rf"\[2, inf\) or a non-empty sequence of them. Got {re.escape(repr(n_classes))}"):
        learn_surrogate("accuracy", n_classes=n_classes, **TINY)


@pytest.mark.parametrize("params, error, text", [
    ({"width": 16.7}, TypeError, r"architecture_params\['width'\] must be an int >= 1 for architecture='set', got 16.7"),
    ({"width": 0}, ValueError, r"architecture_params\['width'\] must be an int >= 1"),
    ({"n_bins": 1}, ValueError, r"architecture_params\['n_bins'\] must be an int >= 2"),
    ({"pairwise": "no"}, TypeError, r"architecture_params\['pairwise'\] must be a bool"),
    ({"soft_auc": 1}, TypeError, r"architecture_params\['soft_auc'\] must be a bool"),
    ({"pair_temperature": 0.0}, ValueError, r"architecture_params\['pair_temperature'\] must be a finite float > 0"),
    ({"depth": 3}, ValueError, r"architecture_params has argument\(s\) 'depth' that architecture='set' does not take"),
    ([("width", 8)], ValueError, "The 'architecture_params' parameter of learn_surrogate must be an instance of 'dict'"),
])
def test_architecture_params_are_checked_not_coerced(params, error, text):
    with pytest.raises(error, match=text):
        learn_surrogate("accuracy", architecture_params=params, **TINY)


def test_per_sample_takes_only_a_width():
    with pytest.raises(ValueError, match="architecture='per_sample' does not take"):
        learn_surrogate("accuracy", architecture="per_sample", architecture_params={"n_bins": 8}, **TINY)


def test_set_sizes_must_fit_the_class_counts():
    with pytest.raises(ValueError, match="n_samples=4 is smaller than n_classes=5"):
        learn_surrogate("accuracy", n_classes=(3, 5), **{**TINY, "n_samples": 4})
    with pytest.raises(ValueError, match=r"The 'n_test_sets' parameter of learn_surrogate must be an int in the range "
                                         r"\[3, inf\)"):
        learn_surrogate("accuracy", **{**TINY, "n_test_sets": 2})


def test_a_diverging_training_names_the_learning_rate():
    with pytest.raises((FloatingPointError, ValueError), match=r"lower lr \(now 1e\+30\)"):
        learn_surrogate("accuracy", lr=1e30, **TINY)


@poor_is_fine
def test_verbose_reports_progress_while_the_metric_scores_the_sets(capsys):
    learn_surrogate("accuracy", **{**TINY, "verbose": True})
    out, err = capsys.readouterr()
    assert "drawing prediction sets for accuracy" in out and "held-out Spearman" in out
    assert "scoring sets with accuracy" in err and "48/48" in err  # 16 training + 32 held-out sets
    assert err.index("scoring sets") < err.index("learning a surrogate")
    learn_surrogate("accuracy", **TINY)
    assert capsys.readouterr() == ("", "")  # verbose=False stays quiet


def _tampered_copy(tmp_path, **fields):
    """The shipped F1 surrogate rewritten with some metadata fields replaced (JSON text, as stored)."""
    from safetensors.torch import save_file

    from sklearn_surrogate.learned._io import _read

    meta, tensors = _read(shipped_surrogate_path("f1"))
    path = tmp_path / "tampered.safetensors"
    save_file(tensors, str(path), metadata={**meta, **fields})
    return path


@pytest.mark.parametrize("field, value", [
    ("metric", "f3"),
    ("trained_classes", "[3]"),  # the stored metric, F1, is binary only
    ("trained_classes", "[-5]"),
    ("trained_classes", "[2.5]"),
    ("trained_classes", '["2"]'),
    ("trained_classes", "[2, 3]"),
    ("trained_classes", "[3, 3]"),
    ("trained_classes", "2"),
    ("builtin_metric", '"yes"'),
    ("builtin_metric", "1"),
    ("architecture", "deep"),
    ("config", "not json"),
    ("config", "[16, 64]"),
    ("config", '{"n_bins": 16, "width": 64, "pairwise": false, "pair_temperature": 0}'),
    ("config", '{"n_bins": 16, "width": 64.0, "pairwise": false, "pair_temperature": 0.5}'),
    ("config", '{"n_bins": 16, "width": 64, "pairwise": "no", "pair_temperature": 0.5}'),
    ("held_out_spearman", "NaN"),
    ("held_out_spearman", "1.5"),
    ("n_samples", "0"),
    ("steps", "-1"),
    ("steps", "1.5"),
    ("gradient_penalty", "-1"),
    ("random_state", '"a"'),
    ("set_groups", "-1"),
    ("set_groups", "2.5"),
])
def test_every_metadata_field_of_a_surrogate_file_is_checked(tmp_path, field, value):
    path = _tampered_copy(tmp_path, **{field: value})
    with pytest.raises(ValueError) as info:
        load_surrogate(path)
    message = str(info.value)
    assert message.startswith(f"The surrogate file {str(path)!r} has an invalid metadata field {field!r}: {value!r}")
    assert "it must be" in message


def test_missing_metadata_fields_are_named(tmp_path):
    from safetensors.torch import save_file

    from sklearn_surrogate.learned._io import _read

    meta, tensors = _read(shipped_surrogate_path("f1"))
    for field in ("config", "trained_classes", "metric"):
        path = tmp_path / f"no-{field}.safetensors"
        save_file(tensors, str(path), metadata={k: v for k, v in meta.items() if k != field})
        with pytest.raises(ValueError, match=f"lacks the metadata field '{field}'"):
            load_surrogate(path)


def test_untampered_and_user_metric_files_still_load(tmp_path):
    loaded = load_surrogate(_tampered_copy(tmp_path))  # the shipped metadata, unchanged
    assert loaded.metric == "f1" and loaded.trained_classes == (2,)
    user = load_surrogate(_tampered_copy(tmp_path, metric="youden_j", builtin_metric="false"))
    assert user.metric is None and user.metadata_["metric"] == "youden_j"


def test_saving_refuses_what_would_not_load(tmp_path):
    network = load_surrogate(shipped_surrogate_path("f1")).surrogate
    with pytest.raises(ValueError, match=r"the metadata name\(s\) \['metric'\] are reserved"):
        save_surrogate(network, tmp_path / "a.safetensors", metric="f3")
    with pytest.raises(ValueError, match="'metric': 'f3'; it must be one of the built-in metrics"):
        save_surrogate(ReLoss(metric="f3", surrogate=network), tmp_path / "b.safetensors")
    assert not list(tmp_path.iterdir())  # nothing written


def test_reloss_with_a_surrogate_needs_a_builtin_metric_or_none():
    network = load_surrogate(shipped_surrogate_path("f1")).surrogate
    logits, y = torch.randn(8), torch.arange(8) % 2
    with pytest.raises(ValueError, match="ReLoss: metric='f3' is not a built-in metric"):
        ReLoss(metric="f3", surrogate=network)(logits, y)
    assert torch.isfinite(ReLoss(metric=None, surrogate=network)(logits, y))
    assert ReLoss(metric="f1", surrogate=network).target_metric == "f1"
