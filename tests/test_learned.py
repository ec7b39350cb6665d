"""Learned relational surrogates (work in progress): ranks, architecture invariances, learn_surrogate end to end."""

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr

from sklearn_surrogate import SurrogateClassifier
from sklearn_surrogate.learned import (
    PerSampleSurrogate,
    ReLoss,
    SetSurrogate,
    hard_rank,
    learn_surrogate,
    make_prediction_sets,
    soft_rank,
    soft_spearman,
    spearman,
)


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


def test_prediction_sets_span_the_metric():
    Y, Z = make_prediction_sets(64, n_samples=128, random_state=0)
    assert Y.shape == (64, 128) and Z.shape == (64, 128, 2)
    assert all(0 < y.mean() < 1 for y in Y)  # both classes in every set
    from sklearn.metrics import f1_score

    f1 = [f1_score(y, z.argmax(1)) for y, z in zip(Y, Z)]
    assert min(f1) < 0.2 and max(f1) > 0.8


def test_learn_surrogate_for_a_user_metric_end_to_end():
    def precision_at_half(y_true, y_pred):  # any callable metric, higher is better
        predicted = y_pred == 1
        return float(np.mean(y_true[predicted] == 1)) if predicted.any() else 0.0

    with torch.random.fork_rng():
        loss = learn_surrogate(precision_at_half, steps=40, n_train_sets=128, n_test_sets=64, n_samples=64,
                               gradient_penalty=0.0, verbose=False)
    assert isinstance(loss, ReLoss) and loss.target_metric is None
    assert -1 <= loss.info_["held_out_spearman"] <= 1
    assert not any(p.requires_grad for p in loss.surrogate.parameters())  # frozen
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=300, random_state=0)
    clf = SurrogateClassifier(loss=loss, max_epochs=5, random_state=0).fit(X, y)
    assert np.isfinite(clf.predict_proba(X)).all()
    assert clf.scorer_.metric == "accuracy"  # a user metric targets nothing the scorer knows


def test_learned_f1_surrogate_ranks_held_out_sets():
    """A short training already ranks held-out prediction sets like F1 (full training: see the notes)."""
    with torch.random.fork_rng():
        loss = learn_surrogate("f1", steps=150, n_train_sets=512, n_test_sets=128, n_samples=128,
                               gradient_penalty=0.0, verbose=False)
    assert loss.info_["held_out_spearman"] > 0.8
    assert loss.target_metric == "f1"


def test_bad_arguments():
    with pytest.raises(ValueError, match="Unknown metric"):
        learn_surrogate("f3", verbose=False)
    with pytest.raises(ValueError, match="not defined for 4 classes"):
        learn_surrogate("f1", n_classes=4, verbose=False)
    with pytest.raises(TypeError, match="metric must be"):
        learn_surrogate(3, verbose=False)
    with pytest.raises(ValueError, match="learn one"):
        ReLoss(metric="f1")
