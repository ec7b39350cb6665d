"""Fast evaluation of a frozen binary set surrogate *with* rank features (the shipped recall-at-precision one).

A :class:`~sklearn_surrogate.learned._networks.SetSurrogate` with
``pairwise=True`` gives ``phi`` two features that depend on the whole batch,
so the per-sample network is no longer a curve of one number and
:class:`~sklearn_surrogate.learned._tabulated.TabulatedSetSurrogate` cannot
hold it. On a binary problem three facts still leave most of it to tables:

- Class 0's log-odds is minus class 1's, and the rank features of the two
  classes are the same two numbers per sample, swapped: the soft share ``a``
  of the negatives scored below the sample and the share ``b`` of the
  positives scored above it (in the weighted, soft sense of
  ``SetSurrogate._rank_features``).
- ``phi``'s first layer is linear: its pre-activation is a curve of the
  log-odds (the part fed by the probability, its log-odds and its histogram,
  read from a table like the one without rank features) plus ``a`` and ``b``
  times two columns of its weight.
- The histogram means that ``psi`` receives and the class shares are curves
  of the log-odds too, folded into ``psi``'s first layer as in the other table.

What runs per batch is the rank features (all pairs up to 512 samples, binned
above, as in the network), ``phi``'s second layer on ``2 n`` rows, two pooled
sums and the small ``psi`` and ``rho`` heads. Forward and backward are written
out in one :class:`torch.autograd.Function` each for the rank features (up to
512 samples) and for the rest, for the reason the other table gives: at small
batches the count of tensor operations sets the cost. The value differs from
the network's by the interpolation error of the tables (``tests/test_tabulated.py``).
"""

import torch
import torch.nn.functional as F

from . import _networks
from ._networks import Z_MAX, SetSurrogate, _binned_rank_features
from ._tabulated import (
    GRID_SIZE,
    _gradient_scale,
    _heads,
    _heads_backward,
    _label_weights,
    _node_weights,
    _silu_grad,
    _Tables,
    binary_cross_entropy,
    head_tables,
    slopes,
)

__all__ = ["TabulatedRankSurrogate", "can_tabulate_ranks"]


def can_tabulate_ranks(network, n_classes):
    """Whether ``network`` can be evaluated by :class:`TabulatedRankSurrogate` on ``n_classes`` classes.

    Parameters
    ----------
    network : torch.nn.Module
    n_classes : int

    Returns
    -------
    bool
        True for a binary problem and a :class:`SetSurrogate` with rank
        features (``pairwise=True``) and without ``soft_auc``. Multiclass
        problems have no symmetry between their classes' rank features and
        keep the network.
    """
    return type(network) is SetSurrogate and network.pairwise and not network.soft_auc and n_classes == 2


class TabulatedRankSurrogate(_Tables):
    """A frozen binary :class:`SetSurrogate` with rank features, evaluated from tables where it can be.

    Computes the network's value on a batch of binary logits, and its
    gradient with respect to them, up to linear interpolation along the
    log-odds of what depends on the sample alone (see the module docstring).
    The tables are a snapshot of the weights.

    Parameters
    ----------
    network : SetSurrogate
        A set surrogate with rank features (``pairwise=True``).
    dtype : torch.dtype, default=torch.float32
        Precision of the tables and of the computation.
    device : str or torch.device, default="cpu"
    grid_size : int, default=2048
        Nodes of the grid over the log-odds, from ``logit(1e-6)`` to
        ``logit(1 - 1e-6)``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_surrogate.learned import load_surrogate
    >>> from sklearn_surrogate.learned._io import shipped_surrogate_path
    >>> from sklearn_surrogate.learned._tabulated_ranks import TabulatedRankSurrogate
    >>> network = load_surrogate(shipped_surrogate_path("recall_at_precision", "set")).surrogate
    >>> fast = TabulatedRankSurrogate(network)
    >>> logits = torch.linspace(-3, 3, 8)
    >>> targets = torch.tensor([0, 0, 1, 0, 1, 1, 0, 1])
    >>> p = torch.sigmoid(logits)
    >>> exact = network(torch.stack([1 - p, p], 1), torch.nn.functional.one_hot(targets, 2).float())
    >>> bool(abs(fast(logits, targets) - exact) < 1e-3)
    True
    """

    def __init__(self, network, dtype=torch.float32, device="cpu", grid_size=GRID_SIZE):
        if not can_tabulate_ranks(network, 2):
            raise ValueError("TabulatedRankSurrogate needs a SetSurrogate with rank features (pairwise=True), "
                             f"got {type(network).__name__}"
                             + ("" if type(network) is not SetSurrogate else " without them") + ".")
        exact, z, p, hist = self._grid(network, dtype, device, grid_size)
        G, W = self.grid_size, self.width
        self.temperature = network.pair_temperature
        with torch.no_grad():
            phi_first, phi_second = exact.phi[0], exact.phi[2]
            n_own = 2 + exact.n_bins  # phi's inputs fed by the sample alone; the last two are the rank features
            curve = torch.cat([p[:, None], z[:, None] / 8.0, hist], dim=-1) @ phi_first.weight[:, :n_own].T
            curve = curve + phi_first.bias  # (G, width): class 1's pre-activation at log-odds z, before ranks
            # per node of class 1's log-odds x: [class 0's curve (at -x), class 1's curve]
            phi_rows = torch.cat([curve.flip(0), curve], dim=1)
            first = exact.psi[0]
            M, B = first.weight, exact.n_bins
            members = hist @ M[:, 2 * W:2 * W + B].T  # a member's histogram, through psi's first layer
            others = hist @ M[:, 2 * W + B:2 * W + 2 * B].T
            below_column, above_column = phi_first.weight[:, n_own], phi_first.weight[:, n_own + 1]
            # class 1 sees (below, above) = (a, b), class 0 sees (b, a): [a, b] @ rank_rows gives both
            rank_rows = torch.stack([torch.cat([above_column, below_column]), torch.cat([below_column, above_column])])
            tables = {
                "phi_rows": phi_rows,
                "phi_slopes": slopes(phi_rows),
                # by label, per node of x: the histograms' part of psi's first layer for [class 0, class 1]
                "psi_rows": self._binary_rows(members, others, M[:, -1], first.bias),
                "rank_rows": rank_rows,
                "rank_rows_t": rank_rows.T.contiguous(),
                "phi_weight": phi_second.weight,
                "phi_weight_t": phi_second.weight.T.contiguous(),
                "phi_bias": phi_second.bias,
                # psi's first layer on the pooled embeddings of members and of non-members
                "pool_member": M[:, :W].T.contiguous(),
                "pool_other": M[:, W:2 * W].T.contiguous(),
                **head_tables(exact),
            }
        self._store(tables)
        self.psi_slopes = self.psi_rows[2 * G:4 * G]
        self.tail_index = torch.tensor([4 * G, 4 * G + 1, 4 * G + 2], dtype=torch.long, device=self.device)

    def __call__(self, logits, targets, sample_weight=None, ce_weight=0.0):
        """The surrogate loss of a batch, plus ``ce_weight`` times its weighted mean binary cross-entropy.

        Parameters
        ----------
        logits : Tensor of shape (n,)
            Logits of class 1.
        targets : Tensor of int64, shape (n,)
            Class indices, 0 or 1.
        sample_weight : Tensor of shape (n,), default=None
        ce_weight : float, default=0.0
            Weight of the cross-entropy term.

        Returns
        -------
        value : Tensor of shape ()
            In the dtype of ``logits``; differentiable with respect to ``logits``.
        """
        if logits.ndim != 1:
            raise ValueError(f"TabulatedRankSurrogate evaluates binary problems (logits of shape (n,)), got logits "
                             f"of shape {tuple(logits.shape)}.")
        dtype = logits.dtype
        x = logits.to(self.dtype)
        w = None if sample_weight is None else sample_weight.to(self.dtype)
        yf = targets.to(self.dtype)
        coef, shares, total = _label_weights(targets, w, x)
        # the network compares the log-odds of its clamped probabilities: no rank gradient beyond the clamp
        z = x.clamp(-Z_MAX, Z_MAX)
        negatives, positives = coef * (1.0 - yf), coef * yf  # each label's weights, normalised to sum 1 (or 0)
        compiling = torch.compiler.is_compiling()
        if z.shape[0] > _networks._EXACT_PAIRS_UP_TO:  # binned, as in the network
            ranks = _binned_rank_features(z[:, None], positives[:, None], negatives[:, None], self.temperature)
            below, above = ranks[:, 0, 0], ranks[:, 0, 1]
        elif compiling:
            below, above = _pairwise_shares(z, negatives, positives, self.temperature)[0]
        else:
            below, above = _PairwiseShares.apply(z, negatives, positives, self.temperature)
        if compiling:  # plain differentiable operations, which the compiler fuses
            value = _rank_table_value(x, below, above, yf, coef, shares, self)[0]
        else:
            value = _RankTableLoss.apply(x, below, above, yf, coef, shares, self)
        if ce_weight:
            value = value + ce_weight * binary_cross_entropy(x, yf, w, total)
        return value.to(dtype)


def _pairwise_shares(z, negatives, positives, temperature):
    """The two rank features from all pairs: the weighted share of the negatives scored below each sample and
    of the positives scored above it, ``sum_j v_j sigmoid(+-(z_i - z_j) / T)`` (``v``: weights summing to 1, or
    0 for a label without samples). Plain operations; returns ((below, above), the comparisons)."""
    compare = torch.sigmoid((z[:, None] - z[None, :]) * (1.0 / temperature))  # [i, j]: sample j below sample i
    sums = compare @ torch.stack([negatives, positives], dim=1)
    return (sums[:, 0], positives.sum() - sums[:, 1]), compare


class _PairwiseShares(torch.autograd.Function):
    """:func:`_pairwise_shares` with its backward written out, in a few operations on the n x n comparisons."""

    @staticmethod
    def forward(ctx, z, negatives, positives, temperature):
        (below, above), compare = _pairwise_shares(z, negatives, positives, temperature)
        ctx.save_for_backward(compare, negatives, positives)
        ctx.temperature = temperature
        return below, above

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, g_below, g_above):
        compare, negatives, positives = ctx.saved_tensors
        # d sigmoid((z_i - z_j) / T) / d z_i = s (1 - s) / T, symmetric in i and j
        slope = (compare - compare * compare).mul_(1.0 / ctx.temperature)
        columns = slope @ torch.stack([negatives, positives, g_below, g_above], dim=1)
        g_z = (g_below * columns[:, 0] - negatives * columns[:, 2]
               - g_above * columns[:, 1] + positives * columns[:, 3])
        return g_z, None, None, None


def _rank_table_value(x, below, above, yf, coef, shares, table):
    """The surrogate's value (without the cross-entropy term) from the logits of class 1 and the two rank
    features, and what the backward pass needs. Plain differentiable operations."""
    G, n, W = table.grid_size, x.shape[0], table.width
    node, frac = _node_weights(x, table)
    lower = node.long()
    # phi's first layer for [class 0 | class 1], then its second layer, on n x 2 rows
    pre_a = torch.addcmul(table.phi_rows.index_select(0, lower), frac[:, None], table.phi_slopes.index_select(0, lower))
    pre_a = torch.addmm(pre_a, torch.stack([below, above], dim=1), table.rank_rows).view(n, 2, W)
    pre_b = torch.matmul(F.silu(pre_a), table.phi_weight_t).add_(table.phi_bias)
    emb = F.silu(pre_b)
    # each label's weighted mean embedding in each class's view: [label, class, width]
    pooled = (torch.stack([coef * (1.0 - yf), coef * yf]) @ emb.view(n, 2 * W)).view(2, 2, W)
    # the members of class 0 are the negatives, those of class 1 the positives
    from_embeddings = torch.stack([pooled[0, 0] @ table.pool_member + pooled[1, 0] @ table.pool_other,
                                   pooled[1, 1] @ table.pool_member + pooled[0, 1] @ table.pool_other])
    index = torch.add(node, yf, alpha=G).long()  # the lower node, in the block of the sample's label
    tabled = F.embedding_bag(torch.cat([index, index + 2 * G, table.tail_index]), table.psi_rows, table.first_bag,
                             mode="sum", per_sample_weights=torch.cat([coef, coef * frac, shares, table.one]))
    pre1 = tabled.view(2, W) + from_embeddings
    value, pre2, pre3 = _heads(pre1, table, 2)
    return value, (lower, index, pre_a, pre_b, (pre1, pre2, pre3))


class _RankTableLoss(torch.autograd.Function):
    """:func:`_rank_table_value`, forward and backward in one node."""

    @staticmethod
    def forward(ctx, x, below, above, yf, coef, shares, table):
        value, (lower, index, pre_a, pre_b, pre) = _rank_table_value(x, below, above, yf, coef, shares, table)
        ctx.save_for_backward(x, yf, coef)
        ctx.lower, ctx.index, ctx.pre_a, ctx.pre_b, ctx.pre, ctx.table = lower, index, pre_a, pre_b, pre, table
        return value

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad):
        x, yf, coef = ctx.saved_tensors
        table, n, W = ctx.table, x.shape[0], ctx.table.width
        g1 = _heads_backward(grad, *ctx.pre, table, 2)  # (class, width): psi's first-layer pre-activations
        g_member, g_other = g1 @ table.pool_member.T, g1 @ table.pool_other.T
        # [label, class]: label 0 is a member of class 0 and a non-member of class 1, label 1 the reverse
        g_pooled = torch.stack([torch.cat([g_member[0], g_other[1]]), torch.cat([g_other[0], g_member[1]])])
        g_emb = (g_pooled[yf.long()] * coef[:, None]).view(n, 2, W)
        g_pre_b = _silu_grad(g_emb, ctx.pre_b)
        g_pre_a = _silu_grad(torch.matmul(g_pre_b, table.phi_weight), ctx.pre_a).view(n, 2 * W)
        g_ranks = g_pre_a @ table.rank_rows_t  # (n, 2): d value / d (below, above)
        inside = _gradient_scale(x, torch.ones_like(x), table)  # 1 / step inside the grid, 0 beyond
        g_x = (g_pre_a * table.phi_slopes.index_select(0, ctx.lower)).sum(1)
        g1 = g1.view(-1)
        g_psi = (table.psi_slopes.index_select(0, ctx.index) @ g1 if n <= table.grid_size // 4
                 else (table.psi_slopes @ g1).index_select(0, ctx.index))
        g_x = g_x.add_(g_psi * coef).mul_(inside)
        return g_x, g_ranks[:, 0], g_ranks[:, 1], None, None, None, None
