"""Persistence: every registered loss and fitted models survive joblib; learned weights never unpickle."""

import joblib
import numpy as np
import pytest
import torch

from sklearn_surrogate import SurrogateClassifier
from sklearn_surrogate.losses import get_loss, get_loss_names


@pytest.mark.parametrize("name", get_loss_names())
def test_every_loss_round_trips_through_joblib(name, tmp_path):
    loss = get_loss(name)
    n_classes = 2 if loss.supports_binary else 3
    loss.setup(n_classes, 64)
    g = torch.Generator().manual_seed(0)
    logits = torch.randn((64,) if n_classes == 2 else (64, n_classes), generator=g)
    targets = torch.arange(64) % n_classes
    kwargs = {"index": torch.arange(64)} if loss.needs_sample_index else {}
    loss.train()
    loss(logits, targets, **kwargs)  # let stateful losses (ALDR-KL, AUC-M) hold some state
    joblib.dump(loss, tmp_path / "loss.joblib")
    restored = joblib.load(tmp_path / "loss.joblib")
    assert restored.get_params() == loss.get_params()
    for key, value in loss.state_dict().items():
        assert torch.equal(restored.state_dict()[key], value), key
    if name != "ensloss":  # EnsLoss draws a random loss per call: its value is not a function of the inputs
        loss.eval()
        restored.eval()
        assert torch.equal(restored(logits, targets, **kwargs), loss(logits, targets, **kwargs))


@pytest.mark.parametrize("loss", ["cross_entropy", "f1", "auc_margin", "aldr_kl", "reloss"])
def test_fitted_model_round_trips_through_joblib(loss, tmp_path):
    rng = np.random.RandomState(0)
    X = rng.randn(300, 6)
    y = np.where(X[:, 0] + rng.randn(300) > 0.5, "yes", "no")
    model = SurrogateClassifier(loss=loss, max_epochs=5, random_state=0).fit(X, y)
    joblib.dump(model, tmp_path / "model.joblib")
    restored = joblib.load(tmp_path / "model.joblib")
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
    assert restored.score(X, y) == model.score(X, y)
    # and it can go on training
    restored.set_params(warm_start=True, max_epochs=2).fit(X, y)
    assert restored.n_iter_ == 7
