r"""AUC surrogates: pairwise losses and the AUC-margin min-max loss.

The ROC AUC is the fraction of (positive, negative) pairs that the scores
order correctly. A pairwise surrogate replaces the step function with a smooth
penalty :math:`\phi` of the score difference and averages it over all pairs,
weighted by the product of the two samples' weights:

.. math::

    \mathcal{L} = \frac{\sum_{i \in P} \sum_{j \in N} w_i w_j\, \phi(s_i - s_j)}
                       {\sum_{i \in P} w_i \sum_{j \in N} w_j}.

Exact fast forms are used where they exist:

* **square** :math:`\phi(d) = (m - d)^2` factorises into per-class moments,
  :math:`O(n)`: with :math:`v_i = m - s_i` on positives and :math:`v_j = s_j`
  on negatives, :math:`\mathcal{L} = \overline{v^2}_P + \overline{v^2}_N + 2\bar v_P \bar v_N`.
* **exponential** :math:`\phi(d) = e^{-d/\tau}` factorises too:
  :math:`\mathcal{L} = \overline{e^{-s/\tau}}_P \cdot \overline{e^{s/\tau}}_N`, :math:`O(n)`.
* **squared hinge** :math:`\phi(d) = \max(0, m - d)^2` only involves the
  negatives scoring above :math:`s_i - m`; sorting the negatives once and
  using cumulative moments gives the exact value in :math:`O(n \log n)`.
* **logistic** :math:`\phi(d) = \tau \log(1 + e^{-d/\tau})` (written with
  ``softplus`` so it cannot overflow) has no such form: it is summed over the
  :math:`|P| \times |N|` pairs, in chunks, which costs time and memory
  quadratic in the batch size (2.7 million pairs for a batch of 4096 with 20%
  positives). Above a pair budget (``max_pairs``, 65536 by default) it
  sums instead over the pairs of a random subset of the positives and a
  random subset of the negatives (at most ``max_pairs`` pairs), scaled up: an
  unbiased estimate of the exact mean at a cost linear in the budget;
  ``max_pairs=None`` always sums every pair.

Scores are probabilities, :math:`s = \sigma(z)` for binary problems and
:math:`s = \operatorname{softmax}(z)_c` for class ``c``, as in LibAUC, so
margins live on a fixed scale and the exponential loss cannot overflow; the
logistic loss can instead use raw logits (``score="logit"``).

Multiclass problems (Yang et al., 2021) use either one-vs-rest pairs (``"ovr"``:
class ``c`` against all others, scored by :math:`s_c`, averaged over classes)
or one-vs-one pairs (``"ovo"``: class ``i`` against class ``j``, scored by
:math:`s_i`, averaged over ordered pairs of classes, as in Hand & Till's AUC).

Binary problems rank class index 1 above class 0 unless ``pos_label`` names
class 0: the logit is then negated and the labels flipped before the formula.
With :math:`s = \sigma(z)` the flipped scores are :math:`1 - s`, so every
(positive, negative) difference is unchanged and the pairwise losses give the
same value (up to rounding): ROC AUC is symmetric in the two classes.
AUC-M's learned :math:`a` and :math:`b` then stand for the mean score of the
``pos_label`` class and of the other one, and ``imratio`` for the share of the
``pos_label`` class; with ``imratio=None`` the objective is again symmetric
(its optimum maps :math:`(a, b)` to :math:`(1 - b, 1 - a)`).

A batch without positives or without negatives has no pairs: its loss is 0
with zero gradient. (AUC-M with a fixed ``imratio`` keeps the terms of the
class that is present; with ``imratio=None`` the batch's own share makes them
vanish too.)
Class-balanced or stratified batches avoid that
(``SurrogateClassifier(batch_sampling=...)``).
"""

import math
import numbers
from numbers import Real

import torch
import torch.nn.functional as F
from torch import nn

from sklearn.utils._param_validation import Interval, StrOptions

from ._base import SurrogateLoss

__all__ = [
    "AUCExponentialLoss",
    "AUCLogisticLoss",
    "AUCMarginLoss",
    "AUCSquareLoss",
    "AUCSquaredHingeLoss",
]

_MULTICLASS = ("ovr", "ovo")
# pairs per chunk for the quadratic logistic loss (bounds the temporary memory)
_PAIR_CHUNK = 1 << 22


class _PairwiseAUCLoss(SurrogateLoss):
    """Shared machinery: split into (positive, negative) score sets, average a pair loss.

    Every problem becomes a set of columns, each a score vector with its own
    positives and negatives: one column for a binary problem (kept as
    vectors), one per class for one-vs-rest, one per ordered pair of classes
    for one-vs-one. A subclass's :meth:`_pair_means` computes the mean pair
    loss of all columns at once, reducing over dim 0; columns without pairs
    are left out of the average.
    """

    target_metric = "roc_auc"
    needs_both_classes = True
    needs_mixed_batches = True  # no pair of classes in a batch: no gradient
    _default_score = "sigmoid"

    _parameter_constraints = {"margin": [Interval(Real, None, None, closed="neither")], "multiclass": [StrOptions(set(_MULTICLASS))]}

    def __init__(self, margin=1.0, multiclass="ovr", pos_label=None):
        super().__init__()
        self.margin = margin
        self.multiclass = multiclass
        self.pos_label = pos_label

    def _scores(self, logits):
        if getattr(self, "score", self._default_score) == "logit":
            return logits if logits.ndim == 1 else logits - logits.mean(1, keepdim=True)
        return torch.sigmoid(logits) if logits.ndim == 1 else torch.softmax(logits, dim=1)

    def _batch_loss(self, logits, targets, sample_weight):
        """The weighted mean pair loss, averaged over the columns (classes or class pairs) that have pairs;
        0 when none has."""
        scores = self._scores(logits)
        s, pos, neg = _pair_columns(scores, targets, self.multiclass)
        pw, nw, present = _normalised_weights(pos, neg, sample_weight, s.dtype)
        with torch.no_grad():  # the mean over the columns that have pairs (all zero when none has)
            column_weight = present.to(s.dtype)
            if present.ndim:
                column_weight /= present.sum().clamp_min(1)
        return torch.inner(self._pair_means(s, pw, nw, pos, neg, present), column_weight)

    def _pair_means(self, s, pw, nw, pos, neg, present):
        """Weighted mean pair loss of every column, shape ``(C,)`` (``()`` for one vector).

        Parameters
        ----------
        s : Tensor of shape (n, C) or (n,)
            Scores.
        pw, nw : Tensor of the shape of ``s``
            Weights of the positives and of the negatives, each normalised to
            sum to 1 per column and zero outside its set. A column without
            pairs (``present`` False) holds uniform placeholder weights instead
            (so its terms stay finite); its value is discarded.
        pos, neg : bool Tensor of the shape of ``s``
            Membership of the positive and negative sets.
        present : bool Tensor of shape (C,) or ()
            Whether the column has pairs of positive weight.
        """
        raise NotImplementedError


def _pair_columns(scores, targets, multiclass):
    """Score columns and their positive and negative sets, each ``(n, C)``, or ``(n,)`` for one column.

    Binary: one column, positives ``y = 1`` and negatives ``y = 0``. One-vs-rest:
    column ``c`` scores ``s_c``, positives ``y = c``, negatives the rest.
    One-vs-one: a column per ordered class pair ``(i, j)``, ``i`` major,
    scoring ``s_i`` with positives ``y = i`` and negatives ``y = j``.
    """
    if scores.ndim == 1:
        return scores, targets == 1, targets == 0
    n_classes = scores.shape[1]
    if multiclass == "ovr":
        pos = targets[:, None] == torch.arange(n_classes, device=targets.device)
        return scores, pos, ~pos
    pairs = [(i, j) for i in range(n_classes) for j in range(n_classes) if i != j]
    first, second = torch.tensor(pairs, device=targets.device).unbind(1)
    return scores[:, first], targets[:, None] == first, targets[:, None] == second


def _normalised_weights(pos, neg, sample_weight, dtype):
    """Per-column weights of the positives and negatives summing to 1, and which columns have pairs."""
    with torch.no_grad():
        wp, wn = pos.to(dtype), neg.to(dtype)
        if sample_weight is not None:
            if pos.ndim == 2:
                sample_weight = sample_weight[:, None]
            wp, wn = wp * sample_weight, wn * sample_weight
        total_p, total_n = wp.sum(0), wn.sum(0)
        present = torch.minimum(total_p, total_n) > 0
        # a column without pairs gets uniform weights: its discarded terms then stay finite
        placeholder = 1.0 / max(pos.shape[0], 1)
        pw = torch.where(present, wp / total_p, placeholder)
        nw = torch.where(present, wn / total_n, placeholder)
    return pw, nw, present


def _column_dot(a, b):
    """Column-wise dot products of ``(n, C)`` tensors (a plain dot product for vectors)."""
    return torch.dot(a, b) if a.ndim == 1 else (a * b).sum(0)


class AUCSquareLoss(_PairwiseAUCLoss):
    r"""Squared pairwise AUC surrogate, :math:`\phi(d) = (m - d)^2`, exact in :math:`O(n)`.

    The loss is the mean of :math:`\phi(s_i - s_j)` over the (positive
    :math:`i`, negative :math:`j`) pairs of the batch, each weighted by
    :math:`w_i w_j`, where :math:`s` is the predicted probability of the
    positive class (:math:`\sigma(z)`, or a softmax column for multiclass
    problems). A batch without pairs gives 0.

    Parameters
    ----------
    margin : float, default=1.0
        The target score gap :math:`m` between a positive and a negative.
    multiclass : {"ovr", "ovo"}, default="ovr"
        One-vs-rest or one-vs-one pairs for multiclass problems.
    pos_label : int, label or None, default=None
        The class ranked as positive in a binary problem (None: class index
        1, ``classes_[-1]``); a class label, resolved as
        :meth:`~sklearn_surrogate.losses.SurrogateLoss.set_classes` says.
        ROC AUC is symmetric in the two classes and so is this loss: it
        changes nothing but rounding, and is here so that every binary loss
        takes it.

    References
    ----------
    .. [1] Z. Yuan, Y. Yan, M. Sonka, T. Yang. "Large-scale Robust Deep AUC
       Maximization." ICCV 2021.
    .. [2] Z. Yang, Q. Xu, S. Bao, X. Cao, Q. Huang. "Learning with
       Multiclass AUC: Theory and Algorithms." IEEE TPAMI 2021.

    Examples
    --------
    >>> import torch
    >>> from sklearn_surrogate.losses import AUCSquareLoss
    >>> logits = torch.tensor([3.0, 1.0, -1.0, -2.0])
    >>> targets = torch.tensor([1, 1, 0, 0])  # both positives outscore both negatives
    >>> loss = AUCSquareLoss()
    >>> round(loss(logits, targets).item(), 4)
    0.142
    >>> round(loss(-logits, targets).item(), 4)  # every pair in the wrong order
    2.7329

    Multiclass problems average one-vs-rest or one-vs-one columns:

    >>> logits = torch.tensor([[2.0, 0.0, -1.0], [0.5, 1.0, 0.0], [-1.0, 0.0, 3.0], [0.0, 2.0, 0.0]])
    >>> targets = torch.tensor([0, 2, 2, 1])
    >>> round(AUCSquareLoss(multiclass="ovr")(logits, targets).item(), 4)
    0.2467
    >>> round(AUCSquareLoss(multiclass="ovo")(logits, targets).item(), 4)
    0.2334
    """

    def _pair_means(self, s, pw, nw, pos, neg, present):
        # v = m - s on positives and s elsewhere; pw and nw vanish outside their sets, so the
        # loss E_P[(m - s)^2] + E_N[s^2] + 2 E_P[m - s] E_N[s] is three weighted column sums
        with torch.no_grad():
            is_pos = pos.to(s.dtype)
            offset, slope = float(self.margin) * is_pos, 1.0 - 2.0 * is_pos
        v = torch.addcmul(offset, s, slope)
        second_moments = _column_dot(pw + nw, v * v)
        return torch.addcmul(second_moments, _column_dot(pw, v), _column_dot(nw, v), value=2.0)


class AUCExponentialLoss(_PairwiseAUCLoss):
    r"""Exponential pairwise AUC surrogate, :math:`\phi(d) = e^{-d/\tau}`, exact in :math:`O(n)`.

    The loss is the mean of :math:`\phi(s_i - s_j)` over the (positive
    :math:`i`, negative :math:`j`) pairs of the batch, each weighted by
    :math:`w_i w_j`, where :math:`s` is the predicted probability of the
    positive class (:math:`\sigma(z)`, or a softmax column for multiclass
    problems). A batch without pairs gives 0.

    The mean factorises as
    :math:`\mathcal{L} = \overline{e^{-s/\tau}}_P \cdot \overline{e^{s/\tau}}_N`
    (weighted class means; RankBoost's loss). Scores are probabilities, so the loss lies in
    :math:`[e^{-1/\tau}, e^{1/\tau}]`.

    Parameters
    ----------
    temperature : float, default=1.0
        The scale :math:`\tau` of score differences.
    multiclass : {"ovr", "ovo"}, default="ovr"
    pos_label : int, label or None, default=None
        The class ranked as positive in a binary problem (None: class index
        1, ``classes_[-1]``); a class label, resolved as
        :meth:`~sklearn_surrogate.losses.SurrogateLoss.set_classes` says.
        ROC AUC is symmetric in the two classes and so is this loss: it
        changes nothing but rounding, and is here so that every binary loss
        takes it.

    References
    ----------
    .. [1] Y. Freund, R. Iyer, R. E. Schapire, Y. Singer. "An Efficient
       Boosting Algorithm for Combining Preferences." JMLR 2003.

    Examples
    --------
    >>> import torch
    >>> from sklearn_surrogate.losses import AUCExponentialLoss
    >>> logits = torch.tensor([3.0, 1.0, -1.0, -2.0])
    >>> targets = torch.tensor([1, 1, 0, 0])  # both positives outscore both negatives
    >>> loss = AUCExponentialLoss()
    >>> round(loss(logits, targets).item(), 4)
    0.5279
    >>> round(loss(-logits, targets).item(), 4)  # every pair in the wrong order
    1.9284
    >>> round(AUCExponentialLoss(temperature=0.5)(logits, targets).item(), 4)
    0.2837
    """

    _parameter_constraints = {**_PairwiseAUCLoss._parameter_constraints, "temperature": [Interval(Real, 0, None, closed="neither")]}

    def __init__(self, temperature=1.0, multiclass="ovr", pos_label=None):
        super().__init__(margin=0.0, multiclass=multiclass, pos_label=pos_label)
        self.temperature = temperature

    def _pair_means(self, s, pw, nw, pos, neg, present):
        inv_t = 1.0 / float(self.temperature)
        # log-space means keep the product finite for any temperature; log(0) = -inf drops
        # the samples outside each set (and those of weight 0)
        log_p = torch.logsumexp(torch.add(torch.log(pw), s, alpha=-inv_t), 0)
        log_n = torch.logsumexp(torch.add(torch.log(nw), s, alpha=inv_t), 0)
        return torch.exp(log_p + log_n)


class AUCSquaredHingeLoss(_PairwiseAUCLoss):
    r"""Squared-hinge pairwise AUC surrogate, :math:`\phi(d) = \max(0, m - d)^2`, exact in :math:`O(n \log n)`.

    The loss is the mean of :math:`\phi(s_i - s_j)` over the (positive
    :math:`i`, negative :math:`j`) pairs of the batch, each weighted by
    :math:`w_i w_j`, where :math:`s` is the predicted probability of the
    positive class (:math:`\sigma(z)`, or a softmax column for multiclass
    problems). A batch without pairs gives 0.

    Only negatives with :math:`s_j > s_i - m` contribute to positive
    :math:`i`. Sorting the positives by :math:`s_i - m` together with the
    negatives by :math:`s_j` puts, for each positive, its active negatives
    after it, and for each negative its active positives before it; the loss
    and its gradient are then read off cumulative sums, in one pass (a custom
    autograd function: the backward pass only scales the stored gradient).

    Parameters
    ----------
    margin : float, default=1.0
        The margin :math:`m`.
    multiclass : {"ovr", "ovo"}, default="ovr"
    pos_label : int, label or None, default=None
        The class ranked as positive in a binary problem (None: class index
        1, ``classes_[-1]``); a class label, resolved as
        :meth:`~sklearn_surrogate.losses.SurrogateLoss.set_classes` says.
        ROC AUC is symmetric in the two classes and so is this loss: it
        changes nothing but rounding, and is here so that every binary loss
        takes it.

    References
    ----------
    .. [1] Z. Yuan et al. "Large-scale Robust Deep AUC Maximization." ICCV 2021
       (LibAUC's pairwise squared-hinge loss).

    Examples
    --------
    >>> import torch
    >>> from sklearn_surrogate.losses import AUCSquaredHingeLoss
    >>> logits = torch.tensor([3.0, 1.0, -1.0, -2.0])
    >>> targets = torch.tensor([1, 1, 0, 0])  # both positives outscore both negatives
    >>> loss = AUCSquaredHingeLoss(margin=0.5)
    >>> round(loss(logits, targets).item(), 4)
    0.0004
    >>> round(loss(-logits, targets).item(), 4)  # every pair in the wrong order
    1.3352

    With a margin of 0.1 no pair is active, and the loss is 0:

    >>> round(AUCSquaredHingeLoss(margin=0.1)(logits, targets).item(), 4)
    0.0
    """

    def _pair_means(self, s, pw, nw, pos, neg, present):
        return _SquaredHingePairMeans.apply(s, pw, nw, pos, float(self.margin))


class _SquaredHingePairMeans(torch.autograd.Function):
    r""":math:`\sum_{i, j} pw_i\, nw_j \max(0, m - s_i + s_j)^2` per column, and its gradient, from one sort.

    ``s``, ``pw`` and ``nw`` are ``(n, C)``: the scores, the normalised weights
    of the positives and of the negatives (zero elsewhere); ``pos`` marks the
    positives. Each column is sorted and summed on its own (along dim 0).
    """

    @staticmethod
    def forward(ctx, s, pw, nw, pos, margin):
        # pair (i, j) is active when s_j > s_i - m: on an axis holding s_i - m for positives and s_j for
        # negatives, its negative comes after its positive (tied pairs have a zero term and gradient)
        order = torch.argsort(torch.where(pos, s - margin, s), dim=0)
        s, pw, nw = s.gather(0, order), pw.gather(0, order), nw.gather(0, order)
        u = margin - s  # a positive's pair terms are (u_i + s_j)^2
        # weighted count, sum and sum of squares of the scores of the negatives after each position
        nws = nw * s
        count, first, second = torch.stack([nw, nws, nws * s]).flip(1).cumsum(1).flip(1)
        linear = count * u + first  # sum over active j of nw_j (u_i + s_j)
        value = _column_dot(pw, u * (linear + first) + second)  # count u^2 + 2 u first + second
        # weighted count and sum of u of the positives before each position (the actives of a negative)
        count_before, u_before = torch.stack([pw, pw * u]).cumsum(1)
        grad_sorted = 2.0 * (nw * (u_before + count_before * s) - pw * linear)
        grad = torch.empty_like(grad_sorted).scatter_(0, order, grad_sorted)
        ctx.save_for_backward(grad)
        return value

    @staticmethod
    def backward(ctx, grad_output):
        (grad,) = ctx.saved_tensors
        return grad_output * grad, None, None, None, None


class AUCLogisticLoss(_PairwiseAUCLoss):
    r"""Logistic pairwise AUC surrogate (the Mann-Whitney "MW" loss).

    .. math:: \phi(d) = \tau \log(1 + e^{-d/\tau}) = \tau\,\operatorname{softplus}(-d/\tau),

    a smooth, decreasing surrogate of the pairwise step function
    :math:`[d < 0]` (an upper bound of it once divided by :math:`\tau \log 2`,
    its value at :math:`d = 0`); the mean of the step over pairs is
    :math:`1 - \text{AUC}` (the Mann-Whitney statistic). Computed
    with ``softplus``, it is finite for any score difference.

    The exact mean costs :math:`O(|P||N|)` (evaluated in chunks). When a
    batch has more than ``max_pairs`` (positive, negative) pairs, the loss
    instead draws :math:`m_P` of the positives and :math:`m_N` of the
    negatives uniformly without replacement, with :math:`m_P m_N \le`
    ``max_pairs`` and :math:`m_P / m_N \approx |P| / |N|`, and sums
    :math:`\frac{|P|}{m_P} \frac{|N|}{m_N} \tilde w_i \tilde w_j\, \phi(s_i -
    s_j)` over the drawn pairs (:math:`\tilde w` are the weights normalised
    within each class): each pair is drawn with probability
    :math:`\frac{m_P m_N}{|P||N|}`, so this is an unbiased estimate of the
    exact weighted mean, as are its gradients, and it is computed as one dense
    block. The draws use torch's global random generator (on the logits'
    device), which :class:`~sklearn_surrogate.SurrogateClassifier` seeds from
    its ``random_state``.

    Unlike the other pairwise losses, the scores are by default the raw logits
    (``score="logit"``).

    Parameters
    ----------
    temperature : float, default=1.0
        The scale :math:`\tau`.
    score : {"logit", "sigmoid"}, default="logit"
        Compare raw logits (centred per sample for multiclass) or probabilities.
    multiclass : {"ovr", "ovo"}, default="ovr"
    max_pairs : int or None, default=65536
        Pair budget per (positive set, negative set): above it, the mean over
        all pairs is replaced by the unbiased estimate from a random block of
        at most ``max_pairs`` pairs described above. None always sums every
        pair (time and memory quadratic in the batch size). The default keeps
        every batch of up to about 500 samples exact.
    pos_label : int, label or None, default=None
        The class ranked as positive in a binary problem (None: class index
        1, ``classes_[-1]``); a class label, resolved as
        :meth:`~sklearn_surrogate.losses.SurrogateLoss.set_classes` says.
        ROC AUC is symmetric in the two classes and so is this loss: it
        changes nothing but rounding, and is here so that every binary loss
        takes it.

    References
    ----------
    .. [1] "Optimizing What Matters: AUC-Driven Learning" (the MW loss).
    .. [2] C. Burges et al. "Learning to Rank using Gradient Descent." ICML
       2005 (the pairwise logistic loss).

    Examples
    --------
    >>> import torch
    >>> from sklearn_surrogate.losses import AUCLogisticLoss
    >>> logits = torch.tensor([3.0, 1.0, -1.0, -2.0])
    >>> targets = torch.tensor([1, 1, 0, 0])  # both positives outscore both negatives
    >>> loss = AUCLogisticLoss()
    >>> round(loss(logits, targets).item(), 4)
    0.0501
    >>> round(loss(-logits, targets).item(), 4)  # every pair in the wrong order
    3.5501
    >>> round(AUCLogisticLoss(temperature=0.5)(logits, targets).item(), 4)
    0.0026
    """

    _default_score = "logit"

    _parameter_constraints = {
        **_PairwiseAUCLoss._parameter_constraints,
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "score": [StrOptions({"logit", "sigmoid"})],
        "max_pairs": [Interval(numbers.Integral, 1, None, closed="left"), None],
    }

    def __init__(self, temperature=1.0, score="logit", multiclass="ovr", max_pairs=65536, pos_label=None):
        super().__init__(margin=0.0, multiclass=multiclass, pos_label=pos_label)
        self.temperature = temperature
        self.score = score
        self.max_pairs = max_pairs

    def _pair_means(self, s, pw, nw, pos, neg, present):
        # no closed form: one column at a time (a zero placeholder, with a zero gradient, without pairs)
        if s.ndim == 1:
            return self._column_pair_mean(s, pw, nw, pos, neg) if bool(present) else (s * 0.0).sum()
        means = [
            self._column_pair_mean(s[:, c], pw[:, c], nw[:, c], pos[:, c], neg[:, c])
            if has_pairs
            else (s[:, c] * 0.0).sum()
            for c, has_pairs in enumerate(present.tolist())
        ]
        return torch.stack(means)

    def _column_pair_mean(self, s, pw, nw, pos, neg):
        # t softplus(-d / t) = softplus(s_j - s_i) with softplus's beta = 1 / t
        beta = 1.0 / float(self.temperature)
        pos_index, neg_index = torch.nonzero(pos)[:, 0], torch.nonzero(neg)[:, 0]
        n_pairs = len(pos_index) * len(neg_index)
        scale = 1.0
        if self.max_pairs is not None and n_pairs > self.max_pairs:
            # a block of random positives x random negatives, shaped like the full one; every pair is in it
            # with probability (m_p m_n) / (|P| |N|), so scaling by the inverse keeps the mean unbiased
            n_pos, n_neg = len(pos_index), len(neg_index)
            m_p = min(n_pos, max(1, round(math.sqrt(self.max_pairs * n_pos / n_neg))))
            m_n = min(n_neg, max(1, self.max_pairs // m_p))
            pos_index = pos_index[torch.randperm(n_pos, device=s.device)[:m_p]]
            neg_index = neg_index[torch.randperm(n_neg, device=s.device)[:m_n]]
            scale = (n_pos / m_p) * (n_neg / m_n)
        ps, pwp = s[pos_index], pw[pos_index] * scale
        ns, nwn = s[neg_index], nw[neg_index]
        rows = max(1, _PAIR_CHUNK // max(len(ns), 1))
        total = None
        for start in range(0, len(ps), rows):
            values = F.softplus(ns[None, :] - ps[start : start + rows, None], beta=beta)
            part = torch.dot(pwp[start : start + rows], torch.mv(values, nwn))
            total = part if total is None else total + part
        return total


class _AUCMarginObjective(torch.autograd.Function):
    r"""The AUC-M objective averaged over its columns, with its gradients in closed form.

    Per column, :math:`\sum_i g_i (s_i - t_i)^2 + \alpha\,(2 \sum_i h_i s_i + q\,(2m - \alpha))`
    with :math:`t_i = a` on positives and :math:`b` on negatives; ``g``
    (``square_coef``) and ``h`` (``cross_coef``) are per-sample coefficients
    (batch weights included) and ``q = p(1 - p)``. The gradient returned for
    :math:`\alpha` is negated, so that minimising the loss ascends in
    :math:`\alpha` (gradient reversal). One autograd node instead of a
    dozen: the loss costs a fraction of what autograd would spend on it.
    """

    @staticmethod
    def forward(ctx, s, a, b, alpha, y, square_coef, cross_coef, q, margin):
        scale = 1.0 / s.shape[1]  # the loss is the mean over the columns
        d = s - torch.lerp(b, a, y)  # a on positives, b on negatives
        g_d = square_coef * d
        squares = (g_d * d).sum(0)
        cross = (cross_coef * s).sum(0)
        # squares + 2 alpha (q m + cross) - q alpha^2 = squares + alpha (2 cross + q (2 m - alpha))
        loss = torch.addcmul(squares, alpha, torch.add(q * (2 * margin - alpha), cross, alpha=2.0))
        # d/ds = 2 g d + 2 alpha h; d/dt = -2 g d, to a on positives and b on negatives;
        # d/dalpha = 2 cross + 2 q (m - alpha), returned negated
        grad_s = torch.addcmul(g_d, cross_coef, alpha).mul_(2.0 * scale)
        grad_a = (g_d * y).sum(0).mul_(-2.0 * scale)
        grad_b = (g_d * (1.0 - y)).sum(0).mul_(-2.0 * scale)
        grad_alpha = torch.addcmul(cross, q, margin - alpha).mul_(-2.0 * scale)
        ctx.save_for_backward(grad_s, grad_a, grad_b, grad_alpha)
        return loss.mean()

    @staticmethod
    def backward(ctx, grad_output):
        grad_s, grad_a, grad_b, grad_alpha = (grad_output * grad for grad in ctx.saved_tensors)
        return grad_s, grad_a, grad_b, grad_alpha, None, None, None, None, None


class AUCMarginLoss(SurrogateLoss):
    r"""AUC-margin loss (AUC-M), a min-max margin-based AUC surrogate.

    For scores :math:`s = \sigma(z)`, labels :math:`y`, positive share
    :math:`p` and margin :math:`m`, the loss solves
    :math:`\min_{w, a, b} \max_{\alpha \ge 0} \mathcal{L}` with, for batch
    means :math:`\mathbb{E}` over all samples,

    .. math::

        \mathcal{L} = (1-p)\,\mathbb{E}[(s-a)^2 \mathbb{1}_{y=1}]
        + p\,\mathbb{E}[(s-b)^2 \mathbb{1}_{y=0}]
        + 2\alpha\,\big(p(1-p)m + \mathbb{E}[p\,s\,\mathbb{1}_{y=0} - (1-p)\,s\,\mathbb{1}_{y=1}]\big)
        - p(1-p)\,\alpha^2 .

    :math:`a` and :math:`b` (the class-conditional mean scores) are learnable
    and minimised like the network's weights. They start at their ideal
    values, 1 and 0 (LibAUC starts them at 0, which at the learning rates
    usual with Adam first pulls every score towards 0 and erases the ranking). :math:`\alpha` is *maximised*:
    its gradient is returned negated (gradient reversal), so the same optimizer
    step that descends on the weights ascends on :math:`\alpha`, and it is
    projected onto :math:`\alpha \ge 0` at each forward pass (projected
    gradient ascent, as in LibAUC's PESG). Any torch optimizer (Adam, SGD)
    therefore solves the saddle-point problem; no special optimizer is needed.

    Multiclass problems use one-vs-rest copies of the loss (one
    :math:`a, b, \alpha` per class), averaged.

    Parameters
    ----------
    margin : float, default=1.0
        The margin :math:`m`.
    imratio : float or None, default=None
        The positive share :math:`p` (of the ``pos_label`` class); None
        estimates it from each batch.
    n_outputs : int or None, default=None
        Number of (a, b, alpha) triples: 1 for binary problems, K for K
        classes. None lets :meth:`setup` (called by the estimator before the
        optimizer is built) or, failing that, the first batch size them.
    pos_label : int, label or None, default=None
        The class ranked as positive in a binary problem (None: class index
        1, ``classes_[-1]``); a class label, resolved as
        :meth:`~sklearn_surrogate.losses.SurrogateLoss.set_classes` says.
        :math:`a` is then the mean score of that class and :math:`b` of the
        other. With ``imratio=None`` the objective is symmetric in the two
        classes (flipping them maps :math:`(a, b)` to :math:`(1 - b, 1 - a)`,
        and :math:`a, b` start at 1 and 0 either way), so this changes
        nothing but rounding; with a fixed ``imratio`` it says which class
        that share is of.

    Notes
    -----
    The loss value includes :math:`\alpha`-terms and is not a progress signal
    on its own; monitor the validation AUC (the estimator does).

    References
    ----------
    .. [1] Z. Yuan, Y. Yan, M. Sonka, T. Yang. "Large-scale Robust Deep AUC
       Maximization: A New Surrogate Loss and Empirical Studies on Medical
       Image Classification." ICCV 2021.

    Examples
    --------
    >>> import torch
    >>> from sklearn_surrogate.losses import AUCMarginLoss
    >>> logits = torch.tensor([3.0, 1.0, -1.0, -2.0])
    >>> targets = torch.tensor([1, 1, 0, 0])
    >>> loss = AUCMarginLoss()
    >>> [name for name, _ in loss.named_parameters()]
    ['a', 'b', 'alpha']
    >>> value = loss(logits, targets)
    >>> round(value.item(), 4)
    0.0201

    The gradient of :math:`\alpha` comes back negated, so a descent step of
    the optimizer increases :math:`\alpha`:

    >>> value.backward()
    >>> bool(loss.alpha.grad < 0)
    True

    For ``K`` classes :meth:`setup` (which the estimator calls) sizes the
    parameters before the optimizer is built:

    >>> multiclass = AUCMarginLoss()
    >>> multiclass.setup(n_classes=3, n_samples=100)
    >>> tuple(multiclass.alpha.shape)
    (3,)
    """

    target_metric = "roc_auc"
    needs_both_classes = True
    needs_mixed_batches = True  # no pair of classes in a batch: no gradient
    value_tracks_progress = False

    _parameter_constraints = {"margin": [Interval(Real, None, None, closed="neither")], "imratio": [Interval(Real, 0, 1, closed="neither"), None]}

    def __init__(self, margin=1.0, imratio=None, n_outputs=None, pos_label=None):
        super().__init__()
        self.margin = margin
        self.imratio = imratio
        self.n_outputs = n_outputs
        self.pos_label = pos_label
        size = 1 if n_outputs is None else int(n_outputs)
        self.a = nn.Parameter(torch.ones(size))
        self.b = nn.Parameter(torch.zeros(size))
        self.alpha = nn.Parameter(torch.zeros(size))
        self._sized = n_outputs is not None

    def setup(self, n_classes, n_samples):
        r"""Size :math:`a`, :math:`b` and :math:`\alpha` for the problem before training.

        Unless ``n_outputs`` was given, makes one :math:`(a, b, \alpha)` for a
        binary problem and one per class otherwise, at their initial values
        when the size changes. A loss already sized differently (by an
        earlier call or batch) raises a ``ValueError``.

        Parameters
        ----------
        n_classes : int
            Number of classes (2 for binary problems).
        n_samples : int
            Number of training samples (unused).
        """
        super().setup(n_classes, n_samples)
        if self.n_outputs is None:
            self._ensure_size(1 if n_classes == 2 else n_classes, self.a)

    def _ensure_size(self, k, like):
        if self.a.numel() != k:
            if self._sized:
                raise ValueError(f"AUCMarginLoss was built for {self.a.numel()} outputs, got logits with {k}.")
            with torch.no_grad():
                self.a = nn.Parameter(torch.ones(k, dtype=like.dtype, device=like.device))
                self.b = nn.Parameter(torch.zeros(k, dtype=like.dtype, device=like.device))
                self.alpha = nn.Parameter(torch.zeros(k, dtype=like.dtype, device=like.device))
        self._sized = True

    def _batch_loss(self, logits, targets, sample_weight):
        r"""The AUC-M objective, averaged over the outputs; projects :math:`\alpha` onto :math:`\alpha \ge 0` first."""
        if logits.ndim == 1:
            s = torch.sigmoid(logits)[:, None]
            y = (targets == 1).to(s.dtype)[:, None]
        else:
            s = torch.softmax(logits, dim=1)
            y = (targets[:, None] == torch.arange(s.shape[1], device=s.device)).to(s.dtype)
        self._ensure_size(s.shape[1], s)
        with torch.no_grad():
            self.alpha.clamp_(min=0.0)  # projection of the ascent step onto alpha >= 0
        w = self._batch_weights(sample_weight, s.shape[0], s.dtype)  # batch mean = weighted sum
        if sample_weight is not None:
            w = w[:, None]
        with torch.no_grad():
            p = (w * y).sum(0) if self.imratio is None else torch.full_like(s[0], float(self.imratio))
            q = p * (1 - p)
            # per-sample coefficients of the squared terms, 1 - p on positives and p on negatives,
            # and of the cross term, p (1 - y) - (1 - p) y = p - y
            square_coef = w * torch.lerp(p, 1 - p, y)
            cross_coef = w * (p - y)
        a, b, alpha = (param.to(s.dtype) for param in (self.a, self.b, self.alpha))
        return _AUCMarginObjective.apply(s, a, b, alpha, y, square_coef, cross_coef, q, float(self.margin))
