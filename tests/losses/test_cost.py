"""The cost-sensitive loss: the expected cost of Bahnsen et al. (2014), with a cost matrix or per-example costs."""

import numpy as np
import pytest
import torch
from sklearn.metrics import confusion_matrix

from sklearn_surrogate.losses import CostSensitiveLoss, MAELoss

from ._helpers import DTYPES, TOL, _sigmoid, _softmax, value

pytestmark = pytest.mark.usefixtures("single_torch_thread")

COSTS = [[0.0, 1.0], [5.0, -0.5]]  # C_TN, C_FP / C_FN, C_TP (a true positive earns 0.5)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_binary_hand_case(dtype):
    # rows: positive at logit 2, negative at -1, positive at 0
    p = _sigmoid([2.0, -1.0, 0.0])
    expected = np.mean([5.0 * (1 - p[0]) - 0.5 * p[0], 1.0 * p[1], 5.0 * (1 - p[2]) - 0.5 * p[2]])
    got = value(CostSensitiveLoss(cost_matrix=COSTS), [2.0, -1.0, 0.0], [1, 0, 1], dtype)
    assert got == pytest.approx(expected, **TOL[dtype])


def test_binary_is_bahnsen_expected_cost(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    z, y = rng.normal(0, 2, 40), rng.integers(0, 2, 40)
    w = rng.uniform(0.1, 2.0, 40)
    costs = rng.uniform(-1.0, 10.0, (40, 4))  # C_TN, C_FP, C_FN, C_TP per row
    p = _sigmoid(z)
    tn, fp, fn, tp = costs.T
    per_row = y * (p * tp + (1 - p) * fn) + (1 - y) * (p * fp + (1 - p) * tn)
    got = value(CostSensitiveLoss(), z, y, torch.float64, weight=w, costs=torch.tensor(costs))
    assert got == pytest.approx(np.average(per_row, weights=w), rel=1e-12)
    # (n, 4) rows are (n, 2, 2) matrices in the cost_matrix layout
    as_matrices = value(CostSensitiveLoss(), z, y, torch.float64, weight=w, costs=torch.tensor(costs.reshape(40, 2, 2)))
    assert as_matrices == pytest.approx(got, rel=1e-12)


def test_multiclass_expected_cost(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    Z, y = rng.normal(0, 2, (30, 3)), rng.integers(0, 3, 30)
    C = rng.uniform(0.0, 4.0, (3, 3))
    expected = np.mean(np.sum(_softmax(Z) * C[y], axis=1))
    assert value(CostSensitiveLoss(cost_matrix=C), Z, y, torch.float64) == pytest.approx(expected, rel=1e-12)
    per_row = rng.uniform(0.0, 4.0, (30, 3, 3))
    expected = np.mean(np.sum(_softmax(Z) * per_row[np.arange(30), y], axis=1))
    got = value(CostSensitiveLoss(), Z, y, torch.float64, costs=torch.tensor(per_row))
    assert got == pytest.approx(expected, rel=1e-12)


def test_confident_predictions_give_scikit_learn_cost_of_the_confusion_matrix(global_random_seed):
    # saturated logits: predictions are hard, and the expected cost is sum(confusion matrix * C) / n
    rng = np.random.default_rng(global_random_seed)
    y = rng.integers(0, 2, 50)
    predicted = rng.integers(0, 2, 50)
    z = np.where(predicted == 1, 1e4, -1e4)
    expected = np.sum(confusion_matrix(y, predicted, labels=[0, 1]) * np.array(COSTS)) / 50
    assert value(CostSensitiveLoss(cost_matrix=COSTS), z, y, torch.float64) == pytest.approx(expected)


def test_default_costs_are_the_expected_error_rate():
    rng = np.random.default_rng(0)
    z, y = rng.normal(0, 2, 20), rng.integers(0, 2, 20)
    # 1 - p(true class): the MAE loss on probabilities
    assert value(CostSensitiveLoss(), z, y, torch.float64) == pytest.approx(
        np.mean(np.where(y == 1, 1 - _sigmoid(z), _sigmoid(z))), rel=1e-12
    )
    assert value(MAELoss(), z, y, torch.float64) == pytest.approx(value(CostSensitiveLoss(), z, y, torch.float64))


def test_pos_label_zero_reads_costs_relative_to_it():
    rng = np.random.default_rng(1)
    z, y = rng.normal(0, 2, 20), rng.integers(0, 2, 20)
    costs = torch.tensor(rng.uniform(0.0, 5.0, (20, 4)))
    flipped = value(CostSensitiveLoss(cost_matrix=COSTS, pos_label=0), z, y, torch.float64)
    assert flipped == pytest.approx(value(CostSensitiveLoss(cost_matrix=COSTS), -z, 1 - y, torch.float64))
    flipped = value(CostSensitiveLoss(pos_label=0), z, y, torch.float64, costs=costs)
    assert flipped == pytest.approx(value(CostSensitiveLoss(), -z, 1 - y, torch.float64, costs=costs))


def test_gradient_lowers_the_costly_error():
    z = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    CostSensitiveLoss(cost_matrix=COSTS)(z, torch.tensor([1, 0])).backward()
    assert z.grad[0] < 0 < z.grad[1]  # raise the positive, lower the negative
    assert abs(z.grad[0]) > abs(z.grad[1])  # a missed positive costs 5.5 more, a false alarm 1


@pytest.mark.parametrize(
    "params, costs, match",
    [
        ({"cost_matrix": [[0.0, 1.0, 2.0]]}, None, "square"),
        ({"cost_matrix": [[0.0, np.nan], [1.0, 0.0]]}, None, "finite"),
        ({"cost_matrix": np.zeros((3, 3))}, None, r"expected \(2, 2\)"),
        ({"cost_matrix": "expensive"}, None, "cost_matrix"),
        ({}, torch.zeros(4, 3), r"costs has shape \(4, 3\)"),
        ({}, torch.zeros(3, 2, 2), r"costs has shape"),
        ({}, torch.full((4, 4), float("nan")), "finite"),
    ],
)
def test_bad_costs_raise(params, costs, match):
    with pytest.raises(ValueError, match=match):
        CostSensitiveLoss(**params)(torch.tensor([0.5, -1.0, 2.0, 0.1]), torch.tensor([1, 0, 1, 0]), costs=costs)
