r"""Surrogates of metrics of the top of the ranking: partial AUC, average precision, precision at k, TPR at FPR.

These metrics look at a small part of the ranking (the highest-scored
negatives, the top ``k`` rows, the region of the ROC curve below a false
positive rate), which no threshold on a probability optimises. Each loss here
is a binary loss on scores :math:`s = \sigma(z)` (probabilities, as in LibAUC,
so margins live on a fixed scale and every value and gradient stays finite at
any logit), written for plain torch optimizers and the package's batch
samplers: every quantity is computed on the batch, with no per-sample state.

The selections these metrics make (the top negatives, the ``k``-th largest
score) use the sample weights as masses: a selection takes a fraction of the
total weight, splitting the boundary sample's weight where needed (the
discrete conditional value at risk). So an integer weight is the same as
repeating the sample, and scaling all weights changes nothing.

Pairwise losses use the squared hinge :math:`\ell(d) = \max(0, m - d)^2` of
the score difference :math:`d = s_i - s_j` of a positive :math:`i` and a
negative :math:`j` (LibAUC's default surrogate of the indicator
:math:`[s_i \le s_j]`); where they average it over a set of pairs they use the
exact :math:`O(n \log n)` routine of
:class:`~sklearn_surrogate.losses.AUCSquaredHingeLoss` (one sort, cumulative
moments), never a :math:`|P| \times |N|` matrix. The KL-DRO partial-AUC loss is
the exception: its log-sum-exp over each positive's pairs has no such form
(see :class:`PartialAUCKLLoss`).

A batch without positives, or without negatives, gives 0 with a zero gradient
(for the losses that need both classes); stratified batches (the estimator's
default for losses with ``needs_both_classes``) avoid that.

Every loss here takes ``ce_weight``: the loss becomes
``loss + ce_weight * BCE(z, y)``, with the binary cross-entropy of the logits
averaged over the batch with the sample weights (0 on an empty batch). The
cross-entropy keeps the whole ranking and the probabilities in shape while
the ranking loss works on its part of it, and gives a gradient on batches of
one class, where the ranking loss has none. Alone these losses lose to
cross-entropy on the package's benchmark; with ``ce_weight=1`` (registered
as ``<name>_ce``) they match it, and ``pauc_kl_ce`` beats it on partial AUC.
"""

from numbers import Integral, Real

import torch
from sklearn.utils._param_validation import Interval

from ._auc import _SquaredHingePairMeans
from ._base import SurrogateLoss

__all__ = [
    "AveragePrecisionLoss",
    "NeymanPearsonLoss",
    "PartialAUCCVaRLoss",
    "PartialAUCKLLoss",
    "PrecisionAtKLoss",
    "TwoWayPartialAUCLoss",
]

# the cross-entropy term every ranking loss can add (``ce_weight``)
_CE_WEIGHT_CONSTRAINT = {"ce_weight": [Interval(Real, 0, None, closed="left")]}

# (positive rows) x (negatives) elements per chunk of the KL-DRO pair matrix (bounds its temporary memory)
_PAIR_CHUNK = 1 << 21


# ---------------------------------------------------------------------------
# shared helpers
# ---------------------------------------------------------------------------
def _binary_logit(logits):
    """The positive-class logit of a binary batch: ``z`` itself, or ``z1 - z0`` for ``(n, 2)`` logits."""
    return logits if logits.ndim == 1 else logits[:, 1] - logits[:, 0]


def _class_weights(targets, sample_weight, dtype):
    """Weights of the positives and of the negatives (zero outside each class), unnormalised."""
    pos = targets == 1
    w = torch.ones(targets.shape, dtype=dtype, device=targets.device) if sample_weight is None else sample_weight
    zero = torch.zeros((), dtype=dtype, device=targets.device)
    return torch.where(pos, w, zero), torch.where(pos, zero, w), pos


def _zero(s):
    """A zero loss that still depends on the scores (a zero gradient, not none)."""
    return (s * 0.0).sum()


def _top_mass(values, weights, fraction, largest=True):
    r"""Normalised weights of the top ``fraction`` of the weight mass of ``values`` (the CVaR weights).

    Sorting ``values`` (largest first, or smallest first with
    ``largest=False``), each sample takes as much of its weight as remains of
    the budget ``fraction * weights.sum()``: the first samples all of theirs,
    the boundary sample a part, the others none. The result sums to 1 (all
    zero when the weights are), so that :math:`\sum_j q_j v_j` is the mean of
    ``values`` over the top ``fraction`` of the weighted distribution, its
    conditional value at risk (Rockafellar and Uryasev, 2000). No gradient
    flows through the selection (the CVaR's gradient treats it as fixed).
    ``O(n log n)``.
    """
    with torch.no_grad():
        order = torch.argsort(values, descending=largest)
        w_sorted = weights.gather(0, order)  # gather: far faster than indexing on the CPU
        budget = fraction * w_sorted.sum()
        before = torch.cumsum(w_sorted, 0) - w_sorted
        taken = torch.minimum((budget - before).clamp_min(0.0), w_sorted)
        scale = budget.clamp_min(torch.finfo(values.dtype).tiny)
        return torch.zeros_like(weights).scatter_(0, order, taken / scale)


def _top_threshold(values, weights, fraction):
    r"""The weighted ``(1 - fraction)`` quantile from the top: the value where the top ``fraction`` of the mass ends.

    The value of the first sample, in decreasing order, at which the
    cumulative weight reaches ``fraction * weights.sum()`` (the ``k``-th
    largest value, ``k = ceil(fraction * n)``, for unit weights). The value
    is returned as an element of ``values``, so gradients reach that sample.
    """
    with torch.no_grad():
        order = torch.argsort(values, descending=True)
        cumulative = torch.cumsum(weights.gather(0, order), 0)
        budget = fraction * cumulative[-1]
        # the first position whose cumulative weight reaches the budget (a sample of positive weight)
        position = torch.searchsorted(cumulative, budget.reshape(1)).clamp_max(len(values) - 1)
        index = order.gather(0, position)
    return values.gather(0, index)[0]


def _weighted_bce(z, pos, sample_weight):
    """Binary cross-entropy of the logits ``z`` for the labels ``pos``, averaged with the sample weights.

    An empty batch, or one whose weights are all zero, gives 0 (the ensemble's members can draw one).
    """
    bce = torch.nn.functional.binary_cross_entropy_with_logits(z, pos.to(z.dtype), reduction="none")
    return SurrogateLoss._weighted_mean(bce, sample_weight)


def _squared_hinge(d, margin):
    """``max(0, margin - d) ** 2``."""
    return torch.relu(margin - d).square()


class _RankingLoss(SurrogateLoss):
    """Binary losses on the scores ``s = sigmoid(z)`` of a batch, with a ``pos_label``."""

    supports_multiclass = False
    needs_both_classes = True
    needs_mixed_batches = True  # one class in a batch (or one row): no gradient
    # the metric the estimator scores on; losses with a metric of their own (partial AUC, TPR at FPR, precision
    # at k) override it, and name the hyper-parameter that is also that metric's option
    target_metric = "roc_auc"
    _metric_option = None

    def target_metric_params(self):
        """Keyword arguments that pin down :attr:`target_metric`.

        Returns
        -------
        params : dict
            The metric's option (``max_fpr`` or ``k``) where the loss has
            one, plus ``"pos_label"`` unless it is None: arguments for
            :func:`~sklearn_surrogate.make_surrogate_scorer`.
        """
        params = super().target_metric_params()
        if self._metric_option is not None:
            params[self._metric_option] = getattr(self, self._metric_option)
        return params

    def _batch_loss(self, logits, targets, sample_weight):
        z = _binary_logit(logits)
        s = torch.sigmoid(z)
        pw, nw, pos = _class_weights(targets, sample_weight, s.dtype)
        loss = self._ranking_loss(s, pw, nw, pos)
        ce_weight = float(self.ce_weight)
        if ce_weight > 0:
            loss = loss + ce_weight * _weighted_bce(z, pos, sample_weight)
        return loss

    def _ranking_loss(self, s, pw, nw, pos):
        """The loss from scores ``s``, the positives' and negatives' weights ``pw``, ``nw`` and the mask ``pos``."""
        raise NotImplementedError


class _PairwiseRankingLoss(_RankingLoss):
    """Mean squared-hinge pair loss over positives and negatives re-weighted by :meth:`_pair_weights`."""

    def _ranking_loss(self, s, pw, nw, pos):
        if not bool(torch.minimum(pw.sum(), nw.sum()) > 0):
            return _zero(s)
        qp, qn = self._pair_weights(s, pw, nw)
        return _SquaredHingePairMeans.apply(s, qp, qn, pos, float(self.margin))

    def _pair_weights(self, s, pw, nw):
        """Weights of the positives and of the negatives, each summing to 1, that the pair mean uses."""
        raise NotImplementedError


# ---------------------------------------------------------------------------
# partial AUC
# ---------------------------------------------------------------------------
class PartialAUCCVaRLoss(_PairwiseRankingLoss):
    r"""One-way partial AUC (FPR :math:`\le \beta`): the CVaR form of Zhu et al. (2022), exact in :math:`O(n \log n)`.

    The one-way partial AUC only counts the negatives that a threshold at
    false positive rate :math:`\beta` lets through: the top :math:`\beta`
    share of the negatives by score. Zhu et al. write its surrogate as the
    mean over positives of a conditional value at risk of the pair losses,

    .. math::

        \mathcal{L} = \frac{1}{|P|} \sum_{i \in P}
        \operatorname{CVaR}_\beta\big(\ell(s_i - s_j);\ j \in N\big),
        \qquad
        \operatorname{CVaR}_\beta(L) = \min_{\eta}\ \eta + \tfrac{1}{\beta}\,
        \mathbb{E}_{j \in N}\,(L_j - \eta)_+ ,

    the mean of the :math:`\beta` share of largest pair losses. With the
    squared hinge :math:`\ell(d) = \max(0, m - d)^2`, decreasing in :math:`d`,
    the largest pair losses of every positive are those of the same
    negatives, the highest-scored ones: the loss is the mean pair loss between
    all positives and the top :math:`\beta` share (by weight) of the
    negatives, computed exactly on each batch (the boundary negative counts
    with the part of its weight that completes the share) without forming the
    pairs. LibAUC instead learns :math:`\eta_i` per positive with its own
    optimizer (SOPA); the batch's exact minimiser needs none.

    Sort cost: :math:`O(n \log n)` (one sort to select the negatives, one for
    the pair mean). The estimate on a batch is the exact pAUC surrogate of
    that batch; as a function of the whole training set it is biased
    (the top :math:`\beta` share of a batch's negatives is a noisy sample of
    the data's), less so with larger batches.

    Parameters
    ----------
    max_fpr : float in (0, 1], default=0.1
        The false positive rate :math:`\beta` that bounds the ROC region.
        ``max_fpr=1`` is the full AUC (:class:`AUCSquaredHingeLoss`).
    margin : float, default=1.0
        The margin :math:`m` of the squared hinge.
    pos_label : int, label or None, default=None
        The class ranked as positive (None: class index 1,
        ``classes_[-1]``); a class label, resolved as
        :meth:`~sklearn_surrogate.losses.SurrogateLoss.set_classes` says.
    ce_weight : float >= 0, default=0.0
        Weight of the cross-entropy term (module notes); 0: the loss alone.

    References
    ----------
    .. [1] D. Zhu, G. Li, B. Wang, X. Wu, T. Yang. "When AUC meets DRO:
       Optimizing Partial AUC for Deep Learning with Non-Convex Convergence
       Guarantee." ICML 2022 (Section 3, one-way pAUC: the CVaR and KL-DRO
       objectives; Section 4, two-way pAUC).

    Examples
    --------
    >>> import torch
    >>> from sklearn_surrogate.losses import PartialAUCCVaRLoss
    >>> logits = torch.tensor([2.0, 0.0, 1.0, -1.0, -2.0, -3.0])
    >>> targets = torch.tensor([1, 1, 0, 0, 0, 0])
    >>> loss = PartialAUCCVaRLoss(max_fpr=0.25)  # the single highest-scored negative (logit 1)
    >>> round(loss(logits, targets).item(), 4)
    1.1192
    >>> round(PartialAUCCVaRLoss(max_fpr=1.0)(logits, targets).item(), 4)  # all negatives: the full AUC loss
    0.4685
    """

    _parameter_constraints = {
        "max_fpr": [Interval(Real, 0, 1, closed="right")],
        "margin": [Interval(Real, None, None, closed="neither")],
        **_CE_WEIGHT_CONSTRAINT,
    }

    target_metric = "partial_auc"
    _metric_option = "max_fpr"  # the hyper-parameter that is also the metric's option

    def __init__(self, max_fpr=0.1, margin=1.0, pos_label=None, ce_weight=0.0):
        super().__init__()
        self.max_fpr = max_fpr
        self.margin = margin
        self.pos_label = pos_label
        self.ce_weight = ce_weight


    def _pair_weights(self, s, pw, nw):
        return pw / pw.sum(), _top_mass(s, nw, float(self.max_fpr))


class TwoWayPartialAUCLoss(_PairwiseRankingLoss):
    r"""Two-way partial AUC (TPR :math:`\ge 1 - \alpha`, FPR :math:`\le \beta`): the CVaR form, exact in :math:`O(n \log n)`.

    The two-way partial AUC counts the pairs of the ROC region above true
    positive rate :math:`1 - \alpha` and below false positive rate
    :math:`\beta`: the :math:`\alpha` share of lowest-scored positives against
    the :math:`\beta` share of highest-scored negatives. Zhu et al. (2022)
    nest two CVaRs: over positives, of a CVaR over negatives of the pair loss,

    .. math::

        \mathcal{L} = \operatorname{CVaR}_\alpha\Big(
        \operatorname{CVaR}_\beta\big(\ell(s_i - s_j);\ j \in N\big);\ i \in P\Big).

    With the squared hinge (decreasing in :math:`s_i - s_j`) the inner CVaR
    selects the same top negatives for every positive, and the outer one, of
    a function decreasing in :math:`s_i`, the lowest-scored positives: the
    loss is the mean pair loss between the bottom :math:`\alpha` share of the
    positives and the top :math:`\beta` share of the negatives (boundary
    samples with part of their weight), exact on each batch.
    :math:`O(n \log n)`: two selections and the sorted pair mean.

    Parameters
    ----------
    max_fpr : float in (0, 1], default=0.1
        The false positive rate :math:`\beta` that bounds the region.
    min_tpr : float in [0, 1), default=0.5
        The true positive rate :math:`1 - \alpha` the region starts at: the
        loss keeps the :math:`\alpha = 1 - \text{min_tpr}` share of the
        lowest-scored positives. ``min_tpr=0`` keeps all positives (the
        one-way :class:`PartialAUCCVaRLoss`).
    margin : float, default=1.0
        The margin :math:`m` of the squared hinge.
    pos_label : int, label or None, default=None
        The class ranked as positive (None: class index 1,
        ``classes_[-1]``).
    ce_weight : float >= 0, default=0.0
        Weight of the cross-entropy term (module notes); 0: the loss alone.

    References
    ----------
    .. [1] D. Zhu, G. Li, B. Wang, X. Wu, T. Yang. "When AUC meets DRO:
       Optimizing Partial AUC for Deep Learning with Non-Convex Convergence
       Guarantee." ICML 2022 (Section 3, one-way pAUC: the CVaR and KL-DRO
       objectives; Section 4, two-way pAUC).
    .. [2] Z. Yang, Q. Xu, S. Bao, X. Cao, Q. Huang. "When All We Need is a
       Piece of the Pie: A Generic Framework for Optimizing Two-way Partial
       AUC." ICML 2021 (the two-way partial AUC).

    Examples
    --------
    >>> import torch
    >>> from sklearn_surrogate.losses import TwoWayPartialAUCLoss
    >>> logits = torch.tensor([2.0, 0.0, 1.0, -1.0, -2.0, -3.0])
    >>> targets = torch.tensor([1, 1, 0, 0, 0, 0])
    >>> loss = TwoWayPartialAUCLoss(max_fpr=0.25, min_tpr=0.5)  # positive at 0 against negative at 1
    >>> round(loss(logits, targets).item(), 4)
    1.5155
    """

    _parameter_constraints = {
        "max_fpr": [Interval(Real, 0, 1, closed="right")],
        "min_tpr": [Interval(Real, 0, 1, closed="left")],
        "margin": [Interval(Real, None, None, closed="neither")],
        **_CE_WEIGHT_CONSTRAINT,
    }

    def __init__(self, max_fpr=0.1, min_tpr=0.5, margin=1.0, pos_label=None, ce_weight=0.0):
        super().__init__()
        self.max_fpr = max_fpr
        self.min_tpr = min_tpr
        self.margin = margin
        self.pos_label = pos_label
        self.ce_weight = ce_weight

    def _pair_weights(self, s, pw, nw):
        worst_positives = _top_mass(s, pw, 1.0 - float(self.min_tpr), largest=False)
        return worst_positives, _top_mass(s, nw, float(self.max_fpr))


class _KLPairObjective(torch.autograd.Function):
    r""":math:`\sum_i p_i\, \lambda \log \sum_j q_j \exp(\ell_{ij} / \lambda)` and its gradient, in chunks of positives.

    ``sp``, ``p``: the positives' scores and normalised weights; ``sn``,
    ``log_q``: the negatives' scores and log normalised weights. The
    gradient is computed with the value (the softmax weights of each
    positive's pairs) so that no pair matrix is kept for the backward pass.
    """

    @staticmethod
    def forward(ctx, sp, p, sn, log_q, margin, temperature):
        rows = max(1, _PAIR_CHUNK // max(len(sn), 1))
        grad_p, grad_n = torch.zeros_like(sp), torch.zeros_like(sn)
        total = sp.new_zeros(())
        for start in range(0, len(sp), rows):
            stop = start + rows
            hinge = torch.relu(margin - sp[start:stop, None] + sn[None, :])  # (rows, |N|)
            exponent = torch.addcmul(log_q, hinge, hinge, value=1.0 / temperature)
            log_norm = torch.logsumexp(exponent, dim=1, keepdim=True)
            total = total + torch.dot(p[start:stop], log_norm[:, 0]) * temperature
            # d/d s_j of lambda log sum_j q_j exp(h^2 / lambda) = softmax_j * 2 h, and minus that for s_i
            pulls = torch.exp_(exponent.sub_(log_norm)).mul_(hinge).mul_(2.0)
            grad_p[start:stop] = -p[start:stop] * pulls.sum(1)
            grad_n += torch.mv(pulls.t(), p[start:stop])
        ctx.save_for_backward(grad_p, grad_n)
        return total

    @staticmethod
    def backward(ctx, grad_output):
        grad_p, grad_n = ctx.saved_tensors
        return grad_output * grad_p, None, grad_output * grad_n, None, None, None


class PartialAUCKLLoss(_RankingLoss):
    r"""One-way partial AUC, the KL-DRO (soft) form of Zhu et al. (2022).

    Instead of the hard top share of negatives of
    :class:`PartialAUCCVaRLoss`, each positive :math:`i` weighs its negatives
    by the worst-case distribution within a KL-divergence penalty of the
    empirical one, which has the closed form of a log-sum-exp:

    .. math::

        \mathcal{L} = \frac{1}{|P|} \sum_{i \in P} \max_{q}
        \Big(\sum_{j} q_j\, \ell(s_i - s_j) - \lambda\, \mathrm{KL}(q \,\|\, \tfrac{1}{|N|})\Big)
        = \frac{1}{|P|} \sum_{i \in P} \lambda \log \frac{1}{|N|} \sum_{j \in N}
        \exp\big(\ell(s_i - s_j) / \lambda\big),

    with the squared hinge :math:`\ell(d) = \max(0, m - d)^2`: a smooth
    estimator of the partial AUC in which negatives with larger pair losses
    (higher scores) weigh more, the more so the smaller the temperature
    :math:`\lambda` (:math:`\lambda \to \infty`: the full AUC loss;
    :math:`\lambda \to 0`: the hardest negative only). Weights enter as
    masses: :math:`\frac{1}{|P|}` and :math:`\frac{1}{|N|}` become the
    normalised weights.

    Cost: the log-sum-exp couples each positive with every negative, so the
    exact loss is :math:`O(|P| |N|)` in time (evaluated in chunks of
    positives, with the gradient computed in the same pass: memory
    :math:`O(n)` plus a bounded chunk), unlike the sort-based
    :math:`O(n \log n)` CVaR form. Above ``max_pairs`` pairs, the outer mean
    over positives is taken over :math:`m = \lfloor \text{max_pairs} / |N|
    \rfloor` positives drawn uniformly without replacement, scaled by
    :math:`|P| / m`: an unbiased estimate of the batch's loss and gradient
    (the mean over positives is linear; the negatives, inside the logarithm,
    are all kept), at a cost of ``max_pairs`` pairs. The draws use torch's
    global generator, which the estimator seeds from its ``random_state``.
    LibAUC (SOPA-s) tracks each positive's inner mean across batches with a
    moving average, which needs per-sample state; here each batch's log-sum-exp
    is exact for the batch, which, as an estimate of the whole data's, is
    biased (the log of a batch mean underestimates the log of the mean, by
    Jensen's inequality) by an amount that shrinks with the number of
    negatives per batch.

    Parameters
    ----------
    temperature : float, default=1.0
        The KL penalty :math:`\lambda` (LibAUC's ``Lambda``).
    margin : float, default=1.0
        The margin :math:`m` of the squared hinge.
    max_pairs : int or None, default=131072
        Pair budget per batch: above it, the unbiased estimate from a random
        subset of the positives described above. None always sums every
        pair. The default keeps batches of up to about 700 rows exact, and
        keeps an epoch at batch 4096 within 1.25 times cross-entropy's
        (``benchmarks/bench_ranking_losses.py``).
    pos_label : int, label or None, default=None
        The class ranked as positive (None: class index 1,
        ``classes_[-1]``).
    ce_weight : float >= 0, default=0.0
        Weight of the cross-entropy term (module notes); 0: the loss alone.

    References
    ----------
    .. [1] D. Zhu, G. Li, B. Wang, X. Wu, T. Yang. "When AUC meets DRO:
       Optimizing Partial AUC for Deep Learning with Non-Convex Convergence
       Guarantee." ICML 2022 (Section 3, one-way pAUC: the CVaR and KL-DRO
       objectives; Section 4, two-way pAUC).

    Examples
    --------
    >>> import torch
    >>> from sklearn_surrogate.losses import PartialAUCKLLoss
    >>> logits = torch.tensor([2.0, 0.0, 1.0, -1.0, -2.0, -3.0])
    >>> targets = torch.tensor([1, 1, 0, 0, 0, 0])
    >>> round(PartialAUCKLLoss(temperature=1.0)(logits, targets).item(), 4)
    0.5567
    >>> round(PartialAUCKLLoss(temperature=0.01)(logits, targets).item(), 4)  # near the hardest negative
    1.1054
    """

    _parameter_constraints = {
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "margin": [Interval(Real, None, None, closed="neither")],
        "max_pairs": [Interval(Integral, 1, None, closed="left"), None],
        **_CE_WEIGHT_CONSTRAINT,
    }

    def __init__(self, temperature=1.0, margin=1.0, max_pairs=131072, pos_label=None, ce_weight=0.0):
        super().__init__()
        self.temperature = temperature
        self.margin = margin
        self.max_pairs = max_pairs
        self.pos_label = pos_label
        self.ce_weight = ce_weight

    def _ranking_loss(self, s, pw, nw, pos):
        keep_p, keep_n = pw > 0, nw > 0
        if not (bool(keep_p.any()) and bool(keep_n.any())):
            return _zero(s)
        with torch.no_grad():
            positives = torch.nonzero(keep_p)[:, 0]
            p = pw[positives] / pw.sum()
            log_q = torch.log(nw[keep_n] / nw.sum())
            n_pos, n_neg = len(positives), int(keep_n.sum())
            if self.max_pairs is not None and n_pos * n_neg > self.max_pairs:
                # a uniform subset of the positives, scaled up: unbiased for the mean over positives
                m = max(1, min(n_pos, self.max_pairs // n_neg))
                drawn = torch.randperm(n_pos, device=s.device)[:m]
                positives, p = positives[drawn], p[drawn] * (n_pos / m)
        return _KLPairObjective.apply(s[positives], p, s[keep_n], log_q, float(self.margin), float(self.temperature))


# ---------------------------------------------------------------------------
# average precision
# ---------------------------------------------------------------------------
class AveragePrecisionLoss(_RankingLoss):
    r"""Smooth average precision (SOAP's surrogate of Qi et al., 2021), exact per batch in :math:`O(n \log n)`.

    Average precision is the mean, over positives :math:`i`, of the precision
    at :math:`i`'s rank: the share of positives among the rows scored at least
    as high as :math:`i`,

    .. math::

        \mathrm{AP} = \frac{1}{|P|} \sum_{i \in P}
        \frac{\sum_{j \in P} [s_j \ge s_i]}{\sum_{j} [s_j \ge s_i]} .

    SOAP replaces the indicator :math:`[s_j \ge s_i]` with a surrogate
    :math:`\ell(s_i - s_j)`, here the squared hinge
    :math:`\max(0, m - (s_i - s_j))^2`, in both sums (the row :math:`i`
    itself included, with :math:`\ell(0) = m^2`, so no denominator is 0),
    and minimises one minus the result, :math:`1 - \widehat{\mathrm{AP}}`.
    Weights weigh each positive in the outer mean and each row in both sums.

    Both sums, for every positive at once, come from one sort of the values
    :math:`s_i - m` together with the scores and cumulative sums of
    :math:`w_j, w_j s_j, w_j s_j^2` over the rows that sort after each
    positive (only those have a nonzero hinge): :math:`O(n \log n)` time and
    :math:`O(n)` memory, with gradients by autograd through the sums.

    Per-batch bias: SOAP keeps a moving average of each positive's two sums
    across batches (per-sample state) because the ratio of two batch
    estimates is a biased estimate of the ratio over the whole data
    (:math:`E[a/b] \ne E[a]/E[b]`), with a bias of order one over the batch
    size. This loss uses the batch's own ratio, exact for the batch: use
    large batches (hundreds of rows, with the positives that stratified
    batches guarantee) to keep the bias small.

    Parameters
    ----------
    margin : float, default=1.0
        The margin :math:`m` of the squared hinge (LibAUC's default).
    pos_label : int, label or None, default=None
        The class whose average precision is trained for (None: class index
        1, ``classes_[-1]``).
    ce_weight : float >= 0, default=0.0
        Weight of the cross-entropy term (module notes); 0: the loss alone.

    References
    ----------
    .. [1] Q. Qi, Y. Luo, Z. Xu, S. Ji, T. Yang. "Stochastic Optimization of
       Areas Under Precision-Recall Curves with Provable Convergence."
       NeurIPS 2021 (the surrogate of AP with a surrogate of the indicator in
       both sums of the precision; SOAP is their moving-average algorithm).

    Examples
    --------
    >>> import torch
    >>> from sklearn_surrogate.losses import AveragePrecisionLoss
    >>> logits = torch.tensor([3.0, 1.0, -1.0, -2.0])
    >>> targets = torch.tensor([1, 0, 1, 0])
    >>> loss = AveragePrecisionLoss()
    >>> round(loss(logits, targets).item(), 4)
    0.3964
    >>> round(loss(torch.tensor([3.0, -1.0, 1.0, -2.0]), targets).item(), 4)  # both positives on top
    0.1119
    """

    target_metric = "average_precision"

    _parameter_constraints = {
        "margin": [Interval(Real, 0, None, closed="neither")],
        **_CE_WEIGHT_CONSTRAINT,
    }

    def __init__(self, margin=1.0, pos_label=None, ce_weight=0.0):
        super().__init__()
        self.margin = margin
        self.pos_label = pos_label
        self.ce_weight = ce_weight

    def _ranking_loss(self, s, pw, nw, pos):
        total_p = pw.sum()
        if not bool(total_p > 0):
            return _zero(s)
        m = float(self.margin)
        n = s.shape[0]
        queries = torch.nonzero(pw > 0)[:, 0]  # the positives that count
        n_queries = queries.shape[0]
        s_q, pw_q = s.index_select(0, queries), pw.index_select(0, queries)
        # queries (s_i - m) and items (every s_j) on one axis: the items that sort after a query are the rows
        # with a nonzero hinge (m - s_i + s_j > 0); a tie has a zero term
        with torch.no_grad():
            order = torch.argsort(torch.cat([s_q - m, s]), stable=True)
            rank = torch.empty_like(order).scatter_(0, order, torch.arange(n_queries + n, device=s.device))
        w = pw + nw
        ws, pws = w * s, pw * s
        items = torch.stack([w, ws, ws * s, pw, pws, pws * s])
        channels = torch.cat([items.new_zeros(6, n_queries), items], dim=1).index_select(1, order)
        # sums over the items after each position (a query holds zeros), read at each query
        at_query = channels.flip(1).cumsum(1).flip(1).index_select(1, rank[:n_queries])
        u = m - s_q  # the hinge of row j against positive i is (u_i + s_j)^2
        u2 = u * u
        everyone = at_query[0] * u2 + 2.0 * u * at_query[1] + at_query[2]
        positives = at_query[3] * u2 + 2.0 * u * at_query[4] + at_query[5]
        precision = positives / everyone.clamp_min(torch.finfo(s.dtype).tiny)
        return 1.0 - torch.dot(pw_q, precision) / total_p


# ---------------------------------------------------------------------------
# thresholds at a quantile: precision at k, TPR at FPR
# ---------------------------------------------------------------------------
class PrecisionAtKLoss(_RankingLoss):
    r"""Precision at the top ``k``: squared hinges against the batch's ``k``-th largest score, :math:`O(n \log n)`.

    Precision at ``k`` is the share of positives among the ``k`` highest-scored
    rows: a classifier thresholded at the ``k``-th largest score :math:`t_k`.
    Following the quantile formulation of Boyd et al. (2012), whose threshold
    is the top quantile of the scores, the loss is a classification
    surrogate against that threshold,

    .. math::

        \mathcal{L} = \frac{1}{\sum_j w_j} \Big( \sum_{i \in P} w_i\, \ell(s_i - t_k)
        + \sum_{j \in N} w_j\, \ell(t_k - s_j) \Big),
        \qquad \ell(d) = \max(0, m - d)^2,

    which penalises positives scored below the top ``k`` and negatives inside
    it, plus those within the margin :math:`m` of the threshold; its
    gradient reaches :math:`t_k` (the row holding it), as in the quantile
    surrogates of Mackey et al. (2018). :math:`t_k` is the batch's weighted
    top-:math:`q` quantile, :math:`q = k / n`: one sort,
    :math:`O(n \log n)`. Unlike the pairwise losses, rows far from the
    threshold (beyond the margin) cost nothing, so a small margin focuses the
    loss on the top of the ranking.

    Parameters
    ----------
    k : int >= 1 or float in (0, 1), default=0.05
        The size of the top: a fraction of the rows, or a count of training
        rows (turned into the fraction ``k / n_samples`` by :meth:`setup`,
        which the estimator calls; a loss used on its own without it takes
        ``k`` rows of each batch).
    margin : float, default=0.1
        The margin :math:`m` of the squared hinge, in probability units.
    pos_label : int, label or None, default=None
        The class counted in the top (None: class index 1, ``classes_[-1]``).
    ce_weight : float >= 0, default=0.0
        Weight of the cross-entropy term (module notes); 0: the loss alone.

    References
    ----------
    .. [1] S. Boyd, C. Cortes, M. Mohri, A. Radovanovic. "Accuracy at the
       Top." NeurIPS 2012 (a classifier thresholded at the top quantile of
       its own scores).
    .. [2] L. Mackey, J. Bryan, M. Y. Mo. "Constrained Classification and
       Ranking via Quantiles." arXiv:1803.00067, 2018 (differentiating
       through the quantile threshold).
    .. [3] P. Kar, H. Narasimhan, P. Jain. "Surrogate Functions for
       Maximizing Precision at the Top." ICML 2015.

    Examples
    --------
    >>> import torch
    >>> from sklearn_surrogate.losses import PrecisionAtKLoss
    >>> logits = torch.tensor([3.0, 1.0, 0.5, -2.0])
    >>> targets = torch.tensor([1, 0, 1, 0])
    >>> loss = PrecisionAtKLoss(k=0.5, margin=0.5)  # the top 2 rows; t is the score of logit 1
    >>> round(loss(logits, targets).item(), 4)
    0.1745
    """


    _parameter_constraints = {
        "k": [Interval(Integral, 1, None, closed="left"), Interval(Real, 0, 1, closed="neither")],
        "margin": [Interval(Real, 0, None, closed="left")],
        **_CE_WEIGHT_CONSTRAINT,
    }

    target_metric = "precision_at_k"
    _metric_option = "k"  # the hyper-parameter that is also the metric's option

    def __init__(self, k=0.05, margin=0.1, pos_label=None, ce_weight=0.0):
        super().__init__()
        self.k = k
        self.margin = margin
        self.pos_label = pos_label
        self.ce_weight = ce_weight
        self._n_samples = None


    def setup(self, n_classes, n_samples):
        """Validate the hyper-parameters and record the training set's size (for ``k`` as a count).

        Parameters
        ----------
        n_classes : int
            Number of classes (2: the loss is binary).
        n_samples : int
            Number of training rows.
        """
        super().setup(n_classes, n_samples)
        self._n_samples = int(n_samples)

    def _fraction(self, n_rows):
        if isinstance(self.k, Integral):
            return min(1.0, int(self.k) / max(self._n_samples or n_rows, 1))
        return float(self.k)

    def _ranking_loss(self, s, pw, nw, pos):
        w = pw + nw
        total = w.sum()
        if not bool(total > 0):
            return _zero(s)
        t = _top_threshold(s, w, self._fraction(s.shape[0]))
        d = torch.where(pos, s - t, t - s)
        return torch.dot(w, _squared_hinge(d, float(self.margin))) / total


class NeymanPearsonLoss(_RankingLoss):
    r"""TPR at FPR :math:`\le \alpha` (Neyman-Pearson): squared hinges of the positives against the negatives' quantile.

    The true positive rate at false positive rate :math:`\alpha` is the share
    of positives scored above :math:`t_\alpha`, the threshold that lets the
    top :math:`\alpha` share of the negatives through (their weighted
    :math:`1 - \alpha` quantile). The quantile-threshold form of the
    Neyman-Pearson problem (Mackey et al., 2018) replaces the constraint by
    that threshold and the count by a surrogate:

    .. math::

        \mathcal{L} = \frac{1}{\sum_{i \in P} w_i} \sum_{i \in P} w_i\,
        \ell(s_i - t_\alpha), \qquad \ell(d) = \max(0, m - d)^2 .

    The gradient reaches the negative at the threshold (pushing it, and with
    it the false positive rate's boundary, down) and every positive within
    the margin of it or below it. One sort of the negatives:
    :math:`O(n \log n)`. On a batch, :math:`t_\alpha` is the quantile of the
    batch's negatives: with :math:`|N|` negatives, values of :math:`\alpha`
    below :math:`1 / |N|` all pick the highest-scored negative.

    Parameters
    ----------
    max_fpr : float in (0, 1], default=0.05
        The false positive rate :math:`\alpha` at which the TPR is taken.
    margin : float, default=0.1
        The margin :math:`m` of the squared hinge, in probability units.
    pos_label : int, label or None, default=None
        The class whose TPR is trained for (None: class index 1,
        ``classes_[-1]``).
    ce_weight : float >= 0, default=0.0
        Weight of the cross-entropy term (module notes); 0: the loss alone.

    References
    ----------
    .. [1] L. Mackey, J. Bryan, M. Y. Mo. "Constrained Classification and
       Ranking via Quantiles." arXiv:1803.00067, 2018 (the Neyman-Pearson
       objective with the threshold at a quantile of the negatives' scores).
    .. [2] E. Eban, M. Schain, A. Mackey, A. Gordon, R. Rifkin, G. Elidan.
       "Scalable Learning of Non-Decomposable Objectives." AISTATS 2017
       (TPR at a fixed FPR by a Lagrangian; the alternative form).

    Examples
    --------
    >>> import torch
    >>> from sklearn_surrogate.losses import NeymanPearsonLoss
    >>> logits = torch.tensor([3.0, 0.0, 1.0, -1.0, -2.0, -3.0])
    >>> targets = torch.tensor([1, 1, 0, 0, 0, 0])
    >>> loss = NeymanPearsonLoss(max_fpr=0.25, margin=0.1)  # the threshold is the top negative (logit 1)
    >>> round(loss(logits, targets).item(), 4)
    0.0548
    """

    _parameter_constraints = {
        "max_fpr": [Interval(Real, 0, 1, closed="right")],
        "margin": [Interval(Real, 0, None, closed="left")],
        **_CE_WEIGHT_CONSTRAINT,
    }

    target_metric = "tpr_at_fpr"
    _metric_option = "max_fpr"  # the hyper-parameter that is also the metric's option

    def __init__(self, max_fpr=0.05, margin=0.1, pos_label=None, ce_weight=0.0):
        super().__init__()
        self.max_fpr = max_fpr
        self.margin = margin
        self.pos_label = pos_label
        self.ce_weight = ce_weight


    def _ranking_loss(self, s, pw, nw, pos):
        total_p = pw.sum()
        if not bool(torch.minimum(total_p, nw.sum()) > 0):
            return _zero(s)
        t = _top_threshold(s, nw, float(self.max_fpr))
        return torch.dot(pw, _squared_hinge(s - t, float(self.margin))) / total_p
