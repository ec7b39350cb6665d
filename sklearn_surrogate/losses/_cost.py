r"""Cost-sensitive loss: the expected cost of the predicted distribution, with costs per class pair or per example.

A cost matrix :math:`C` gives the cost :math:`C_{yk}` of predicting class
:math:`k` for a row of true class :math:`y`; for a binary problem, in
scikit-learn's confusion-matrix layout (rows: true class, columns: predicted
class, negative first),

.. math::

    C = \begin{pmatrix} C_{TN} & C_{FP} \\ C_{FN} & C_{TP} \end{pmatrix}.

Costs may instead differ per example (the amount of a transaction decides the
cost of missing a fraud): a ``costs`` tensor of one such matrix per row,
passed with the batch like ``sample_weight``.
"""

import numpy as np
import torch

from ._base import SurrogateLoss

__all__ = ["CostSensitiveLoss"]


def _as_cost_array(owner, name, value):
    """``value`` as a finite float ndarray, or a ValueError naming ``name``."""
    try:
        array = np.asarray(value.detach().cpu() if isinstance(value, torch.Tensor) else value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{owner}: {name} must be an array of real numbers, got {type(value).__name__}.") from exc
    if not np.isfinite(array).all():
        raise ValueError(f"{owner}: {name} must hold finite costs; got NaN or infinity.")
    return array


class CostSensitiveLoss(SurrogateLoss):
    r"""Expected misclassification cost, with a cost matrix or per-example costs (Bahnsen et al., 2014).

    With :math:`p_k` the predicted probability of class :math:`k` (the
    softmax of the logits; :math:`\sigma(z)` and :math:`1 - \sigma(z)` for a
    binary logit) and :math:`C^{(n)}` the cost matrix of row :math:`n`, the
    loss is the weighted mean over rows of the expected cost of a prediction
    drawn from :math:`p`,

    .. math::

        \mathcal{L} = \frac{\sum_n w_n \sum_k p_{nk}\, C^{(n)}_{y_n k}}{\sum_n w_n},

    which for a binary problem is the example-dependent cost-sensitive
    objective of Bahnsen et al. (2014),
    :math:`y_n (p_n C_{TP} + (1 - p_n) C_{FN}) + (1 - y_n)(p_n C_{FP} + (1 - p_n) C_{TN})`.
    :math:`O(n K)`. Negative costs are allowed (profits: the loss is then the
    expected cost net of them).

    The loss is bounded and, through the sigmoid, flat where the model is
    confident: a row the model confidently gets wrong has a small gradient
    (the price of training on the cost itself rather than on a likelihood).
    The cost-weighted cross-entropy alternative, which keeps log-loss
    gradients and makes a 0.5 threshold cost-optimal (Elkan, 2001; Zadrozny
    et al., 2003), needs no new loss: cross-entropy with
    ``sample_weight`` equal to each row's cost of a wrong decision,
    :math:`|C_{FN} - C_{TP}|` for positives and :math:`|C_{FP} - C_{TN}|` for
    negatives.

    Parameters
    ----------
    cost_matrix : array-like of shape (K, K) or None, default=None
        Costs :math:`C_{yk}` of predicting class :math:`k` (column) for a row
        of class :math:`y` (row): ``[[C_TN, C_FP], [C_FN, C_TP]]`` for a
        binary problem, whose positive class is ``pos_label``. None: 1 for
        every error and 0 for every correct prediction (the expected error
        rate). Used for the rows of a batch called without ``costs``.
    pos_label : int, label or None, default=None
        The positive class of a binary problem, the second row and column of
        the cost matrices (None: class index 1, ``classes_[-1]``).

    Notes
    -----
    Per-example costs are passed to the call, ``loss(logits, targets,
    sample_weight=None, costs=costs)``, as a tensor of shape ``(n, K, K)``
    (one matrix per row, laid out as ``cost_matrix``) or, for a binary
    problem, ``(n, 4)`` holding each row's ``C_TN, C_FP, C_FN, C_TP``. They
    override ``cost_matrix``.

    References
    ----------
    .. [1] A. C. Bahnsen, D. Aouada, B. Ottersten. "Example-Dependent
       Cost-Sensitive Logistic Regression for Credit Scoring." ICMLA 2014
       (the expected-cost objective, their cost-sensitive logistic loss).
    .. [2] C. Elkan. "The Foundations of Cost-Sensitive Learning." IJCAI 2001.
    .. [3] B. Zadrozny, J. Langford, N. Abe. "Cost-Sensitive Learning by
       Cost-Proportionate Example Weighting." ICDM 2003.

    Examples
    --------
    >>> import torch
    >>> from sklearn_surrogate.losses import CostSensitiveLoss
    >>> logits = torch.tensor([2.0, -1.0, 0.0])
    >>> targets = torch.tensor([1, 0, 1])
    >>> loss = CostSensitiveLoss(cost_matrix=[[0.0, 1.0], [5.0, 0.0]])  # a missed positive costs 5
    >>> round(loss(logits, targets).item(), 4)
    1.1217

    Costs that differ per row, ``C_TN, C_FP, C_FN, C_TP`` each:

    >>> costs = torch.tensor([[0.0, 1.0, 100.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 1.0, 10.0, 0.0]])
    >>> round(loss(logits, targets, costs=costs).item(), 4)
    5.7297
    """

    takes_costs = True  # SurrogateClassifier.fit(..., costs=...) passes each batch's costs

    _parameter_constraints = {"cost_matrix": ["array-like", None]}

    def __init__(self, cost_matrix=None, pos_label=None):
        super().__init__()
        self.cost_matrix = cost_matrix
        self.pos_label = pos_label

    @property
    def target_metric(self):
        """``"expected_cost"`` with a ``cost_matrix``; without one (the error rate) ``"accuracy"``."""
        return "accuracy" if self.cost_matrix is None else "expected_cost"

    def target_metric_params(self):
        """Keyword arguments that pin down :attr:`target_metric`.

        Returns
        -------
        params : dict
            ``{"cost_matrix": cost_matrix}`` when one is set, plus
            ``"pos_label"`` unless it is None: arguments for
            :func:`~sklearn_surrogate.make_surrogate_scorer`.
        """
        params = super().target_metric_params()
        if self.cost_matrix is not None:
            params["cost_matrix"] = self.cost_matrix
        return params

    def _validate_hyperparameters(self):
        super()._validate_hyperparameters()
        if self.cost_matrix is not None:
            matrix = _as_cost_array(type(self).__name__, "cost_matrix", self.cost_matrix)
            if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] < 2:
                raise ValueError(
                    f"{type(self).__name__}: cost_matrix must be a square (K, K) array with K >= 2 (for a binary "
                    f"problem [[C_TN, C_FP], [C_FN, C_TP]]), got shape {matrix.shape}."
                )

    def _costs_of_rows(self, costs, targets, n_classes, dtype):
        """The row of each sample's cost matrix for its true class, shape ``(n, K)``."""
        name = type(self).__name__
        n = targets.shape[0]
        if costs is None:
            if self.cost_matrix is None:
                matrix = 1.0 - torch.eye(n_classes, dtype=dtype, device=targets.device)
            else:
                matrix = torch.as_tensor(
                    _as_cost_array(name, "cost_matrix", self.cost_matrix), dtype=dtype, device=targets.device
                )
                if matrix.shape != (n_classes, n_classes):
                    raise ValueError(
                        f"{name}: cost_matrix has shape {tuple(matrix.shape)}, but the problem has {n_classes} "
                        f"classes; expected ({n_classes}, {n_classes})."
                    )
            return matrix[targets]
        if not isinstance(costs, torch.Tensor):
            costs = torch.as_tensor(_as_cost_array(name, "costs", costs))
        costs = costs.to(dtype=dtype, device=targets.device)
        if n_classes == 2 and costs.ndim == 2 and costs.shape == (n, 4):
            costs = costs.reshape(n, 2, 2)
        if costs.shape != (n, n_classes, n_classes):
            expected = f"({n}, {n_classes}, {n_classes})" + (f" or ({n}, 4)" if n_classes == 2 else "")
            raise ValueError(f"{name}: costs has shape {tuple(costs.shape)}, expected {expected}: one cost matrix per row.")
        if self.check_input and not bool(torch.isfinite(costs).all()):
            raise ValueError(f"{name}: costs must be finite; got NaN or infinity.")
        return costs[torch.arange(n, device=targets.device), targets]

    def _batch_loss(self, logits, targets, sample_weight, costs=None):
        n_classes = 2 if logits.ndim == 1 else logits.shape[1]
        rows = self._costs_of_rows(costs, targets, n_classes, logits.dtype)
        if logits.ndim == 1:
            # C[y, 0] (1 - p) + C[y, 1] p
            expected = torch.addcmul(rows[:, 0], rows[:, 1] - rows[:, 0], torch.sigmoid(logits))
        else:
            expected = (torch.softmax(logits, dim=1) * rows).sum(1)
        return self._weighted_mean(expected, sample_weight)

    def forward(self, logits, targets, sample_weight=None, costs=None, **extra):
        """Compute the expected cost of a batch.

        Parameters
        ----------
        logits : Tensor of shape (n,), (n, 1) or (n, K)
        targets : Tensor of shape (n,)
        sample_weight : Tensor of shape (n,), default=None
        costs : Tensor of shape (n, K, K) or (n, 4), default=None
            Per-example cost matrices (see the class's Notes); None uses
            ``cost_matrix``.
        **extra
            Ignored keywords the estimator may pass (``index``).

        Returns
        -------
        loss : Tensor of shape ()
        """
        return super().forward(logits, targets, sample_weight, costs=costs)
