"""Learning a relational surrogate for a metric (ReLoss, Huang et al., ICLR 2022).

**Data.** Prediction sets (labelled batches of logits, see
:mod:`~sklearn_surrogate.learned._prediction_sets`) paired with the metric's
value on each: half synthetic, half perturbed predictions of real models.

**Objective.** At every step ``m`` sets of one class count are drawn; the
surrogate's values are soft-ranked (:func:`~sklearn_surrogate.learned._spearman.soft_spearman`)
against the metric's hard ranks and the negated Spearman correlation is
minimised (a higher metric must get a *lower* loss). Adam with a cosine-decayed
learning rate; float32.

**Gradient scale.** The ranking objective leaves the surrogate's scale free,
and the scale sets the classifier's step size. The paper adds a gradient
penalty ``(||dL/dlogits|| - 1)^2`` with weight 10. It is available here
(``gradient_penalty``, with the norm measured as ``sqrt(n) ||dL/dlogits||``,
the root-mean-square per-sample gradient for a mean of per-sample losses, so
that the target means the same at every set size), but off by default: it
forces the same norm on every set, which fights the ranking (held-out Spearman
of an F1 surrogate on real predictions 0.98 without, 0.88 with weight 1, 0.59
with weight 10) and trained worse classifiers. Instead, after training the
output is multiplied by the constant that sets the median of that norm over
the training sets to 1, the order of cross-entropy's.

Held-out Spearman is measured on fresh sets drawn with another seed (so from
other model zoos and splits as well).
"""

import math
import time
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ._metrics import LABEL_METRICS, resolve_metric
from ._networks import ARCHITECTURES, build_surrogate, check_architecture_params
from ._prediction_sets import _training_zoos, flat_set_group, label_set_group, make_prediction_sets
from ._spearman import soft_spearman, spearman

__all__ = ["learn_surrogate"]

_TEST_SEED_OFFSET = 10_000

#: sets per group of sets sharing their labels (see ``set_groups``), and predictions sampled to break ties
GROUP_SIZE = 8
_SAMPLED_DRAWS = 8
#: weight of a step's group's own Spearman term in the objective. 1: an F1 surrogate learned with it
#: descends towards separating the classes on 100 % of one-class batches (against about 70 % at weight 0
#: and for the surrogate shipped before the groups), at a cost of 0.006 in Spearman on real predictions
_GROUP_WEIGHT = 1.0
#: a held-out Spearman correlation below this makes :func:`learn_surrogate` warn
SPEARMAN_WARNING_THRESHOLD = 0.5

#: the soft-rank temperatures accepted (relative to the spread of the values; see learn_surrogate's temperature)
TEMPERATURE_RANGE = (1e-3, 1e3)


def _as_score(value, name):
    """The metric's value on one prediction set as a float, or a TypeError showing what it returned."""
    if isinstance(value, (bool, np.bool_, Real)) or (
        np.ndim(value) == 0 and not isinstance(value, (str, bytes)) and np.asarray(value).dtype.kind in "biuf"
    ):
        return float(value)
    shape = f" of shape {np.shape(value)}" if hasattr(value, "shape") else ""
    shown = repr(value)
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    raise TypeError(
        f"The metric must return a float for each prediction set; {name} returned {type(value).__name__}{shape}: "
        f"{shown}. Reduce it to one number per set of predictions (higher is better)."
    )


def _metric_values(evaluate, name, Y, logits, progress=None):
    from scipy.special import softmax

    values = np.empty(len(Y), dtype=np.float64)
    for i, (y, z) in enumerate(zip(Y, logits)):
        values[i] = _as_score(evaluate(y, softmax(z, axis=1)), name)
        if progress is not None:
            progress.update(1)
    if not np.isfinite(values).all():
        raise ValueError("The metric returned NaN or infinite values on some prediction sets; it must be finite.")
    return values


def _pool(evaluate, name, n_sets, n_samples, n_classes, real_fraction, seed, progress=None):
    Y, Z = make_prediction_sets(
        n_sets, n_samples=n_samples, n_classes=n_classes, real_fraction=real_fraction, random_state=seed
    )
    return Y, Z, _metric_values(evaluate, name, Y, Z, progress)


def _sampled_metric(evaluate, name, y, logits, uniforms):
    """The metric's mean over predictions sampled from each set's probabilities (``uniforms``: one column per draw).

    Row ``i`` of draw ``d`` predicts the first class whose cumulative
    probability exceeds ``uniforms[i, d]``. The same uniforms for every set of
    a group (common random numbers) make the differences between the sets'
    values much less noisy than the values themselves.
    """
    from scipy.special import softmax

    values = np.empty(len(logits))
    n_classes = logits.shape[-1]
    for s, z in enumerate(logits):
        cumulative = np.cumsum(softmax(z, axis=1), axis=1)
        draws = [
            _as_score(evaluate(y, np.eye(n_classes)[np.minimum((cumulative < u[:, None]).sum(1), n_classes - 1)]), name)
            for u in uniforms.T
        ]
        values[s] = np.mean(draws)
    return values


def _group_pool(evaluate, name, n_groups, n_samples, n_classes, seed, *, zoo_seed, real_fraction, on_labels,
                progress=None):
    """Groups of sets sharing their labels: the labels, logits, metric, sampled metric and kind of every set.

    For a metric of arg-max labels (``on_labels``) half the groups are flat
    (:func:`flat_set_group`: one predicted class, the metric equal within
    the group) and the metric's ties are broken by its mean over sampled
    predictions; the other groups (all of them for a metric of
    probabilities, whose ties stay) are :func:`label_set_group` groups, from
    the real models' zoos with probability ``real_fraction`` (the zoos of
    :func:`make_prediction_sets` with ``random_state=zoo_seed``).

    Returns ``(Y, Z, metric, sampled, flat)`` with each group's
    ``GROUP_SIZE`` sets consecutive; ``sampled`` is NaN where not computed and
    ``flat`` (one bool per group) says which groups are flat.
    """
    rng = np.random.default_rng(seed)
    zoos = _training_zoos(int(n_classes), int(zoo_seed)) if real_fraction > 0 else None
    Y, Z, sampled, flat = [], [], [], []
    for _ in range(n_groups):
        flat.append(bool(on_labels and rng.random() < 0.5))
        if flat[-1]:
            y, logits = flat_set_group(rng, GROUP_SIZE, n_samples, n_classes)
        else:
            real = zoos is not None and rng.random() < real_fraction
            y, logits = label_set_group(rng, GROUP_SIZE, n_samples, n_classes, zoos if real else None)
        Y.append(np.broadcast_to(y, (GROUP_SIZE, n_samples)))
        Z.append(logits)
        sampled.append(_sampled_metric(evaluate, name, y, logits, rng.random((n_samples, _SAMPLED_DRAWS)))
                       if on_labels else np.full(GROUP_SIZE, np.nan))
        if progress is not None:
            progress.update(GROUP_SIZE)
    Y, Z = np.concatenate(Y), np.concatenate(Z)
    return Y, Z, _metric_values(evaluate, name, Y, Z), np.concatenate(sampled), np.array(flat)


def _tie_broken(metric, sampled):
    """Ranking targets: the metric's order, with ties broken by ``sampled`` (NaN: no tie-break, the tie stays).

    The dense rank of the metric plus the tie-break scaled into [0, 0.99]
    (0 where NaN): a higher metric always ranks higher, and among equal
    metric values the higher sampled mean does.
    """
    from scipy.stats import rankdata

    metric = np.asarray(metric, dtype=np.float64)
    extra = np.zeros_like(metric)
    known = ~np.isnan(sampled)
    if known.any():
        span = np.ptp(sampled[known])
        extra[known] = 0.99 * (sampled[known] - sampled[known].min()) / (span if span > 0 else 1.0)
    return rankdata(metric, method="dense") + extra


def _step_sets(n_pool, n_groups, sets_per_step, generator):
    """Indices of one step's sets: random ones from the pool, plus one whole group when there are groups."""
    if not n_groups:
        return torch.randint(0, n_pool, (sets_per_step,), generator=generator)
    group = int(torch.randint(0, n_groups, (1,), generator=generator))
    start = n_pool + group * GROUP_SIZE
    return torch.cat([torch.randint(0, n_pool, (sets_per_step - GROUP_SIZE,), generator=generator),
                      torch.arange(start, start + GROUP_SIZE)])


def _group_agreement(network, n_classes, Y, Z, metric, sampled, flat):
    """Mean within-group Spearman of -surrogate with the (tie-broken) metric: over the flat groups, over the others.

    NaN for a kind without groups, or whose groups all hold one value.
    """
    logP, Yk = _as_tensors(Y, Z, n_classes)
    with torch.no_grad():
        values = network(torch.softmax(logP, -1), Yk).double().numpy()
    key = _tie_broken(metric, sampled)
    groups = np.arange(len(Y)).reshape(-1, GROUP_SIZE)
    result = []
    for kind in (True, False):
        scores = [spearman(-values[g], key[g]) for g in groups[flat == kind] if np.ptp(key[g]) > 0]
        result.append(float(np.mean(scores)) if scores else float("nan"))
    return tuple(result)


def _nan_mean(values):
    """The mean of the finite values, or None when there are none."""
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    return float(values.mean()) if len(values) else None


def _seed(random_state):
    """An int seed from ``random_state``: the int itself, else one drawn from it (None: fresh randomness)."""
    if isinstance(random_state, Integral):
        return int(random_state)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def _as_tensors(Y, Z, n_classes):
    P = torch.softmax(torch.as_tensor(Z, dtype=torch.float32), -1)
    return torch.log(P.clamp_min(1e-30)), torch.nn.functional.one_hot(torch.as_tensor(Y), n_classes).float()


def _gradient_scale(network, train_tensors, n_samples, generator, lr, n_sets=256):
    """Factor that makes the median gradient norm ``sqrt(n) ||dL/dlogits||`` over training sets equal to 1.

    The ranking objective does not fix the scale of the surrogate, and so not
    the step size it induces in the classifier; this calibration gives every
    surrogate (with or without gradient penalty) the step size of
    cross-entropy's order (whose root-mean-square per-sample gradient is
    at most 1), whatever the metric.
    """
    norms = []
    for logP, Yk, _ in train_tensors.values():
        pick = torch.randint(0, len(logP), (min(n_sets, len(logP)),), generator=generator)
        logits = logP[pick].clone().requires_grad_(True)
        with torch.enable_grad():
            (grad,) = torch.autograd.grad(network(torch.softmax(logits, -1), Yk[pick]).sum(), logits)
        norms.append(grad.flatten(1).norm(dim=1) * n_samples**0.5)
    median = float(torch.cat(norms).median())
    if not math.isfinite(median) or median <= 0:
        raise ValueError(
            f"The learned surrogate has no gradient on the training sets (median gradient norm {median}), so it "
            f"cannot train a classifier; its training probably diverged: try a lower lr (now {lr})."
        )
    return 1.0 / median


_POSITIVE_INT = [Interval(Integral, 1, None, closed="left")]
_POSITIVE_REAL = [Interval(Real, 0, None, closed="neither")]


@validate_params(
    {
        "metric": "no_validation",  # a name or a callable; resolve_metric checks it against n_classes
        "n_classes": "no_validation",  # an int or a sequence of them; resolve_metric too
        "metric_params": "no_validation",  # resolve_metric, with the scorer's checks of each option
        "response": [StrOptions({"predict", "proba"})],
        "architecture": [StrOptions(set(ARCHITECTURES))],
        "architecture_params": [dict, None],
        "n_samples": _POSITIVE_INT,
        "n_train_sets": _POSITIVE_INT,
        "n_test_sets": [Interval(Integral, 3, None, closed="left")],
        "real_fraction": [Interval(Real, 0, 1, closed="both")],
        "steps": _POSITIVE_INT,
        "sets_per_step": [Interval(Integral, 3, None, closed="left")],
        "lr": _POSITIVE_REAL,
        "gradient_penalty": [Interval(Real, 0, None, closed="left")],
        "temperature": [Interval(Real, *TEMPERATURE_RANGE, closed="both")],
        "set_groups": [Interval(Integral, 0, None, closed="left"), StrOptions({"auto"})],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=True,
)
def learn_surrogate(
    metric,
    *,
    metric_params=None,
    n_classes=2,
    response="predict",
    architecture="set",
    architecture_params=None,
    n_samples=256,
    n_train_sets=4096,
    n_test_sets=512,
    real_fraction=0.5,
    steps=1500,
    sets_per_step=64,
    lr=3e-3,
    gradient_penalty=0.0,
    temperature=0.05,
    set_groups="auto",
    random_state=0,
    verbose=True,
):
    """Learn a relational surrogate loss for ``metric``.

    Parameters
    ----------
    metric : str or callable
        A built-in name (``"f1"``, ``"roc_auc"``, ``"balanced_accuracy"``,
        ``"accuracy"``, ``"mcc"``, ``"macro_f1"``), another metric of
        :func:`~sklearn_surrogate.make_surrogate_scorer` (``"partial_auc"``,
        ``"tpr_at_fpr"``, ``"recall_at_precision"``, ``"precision_at_k"``,
        ``"expected_cost"``, ``"expected_profit"``, ``"fbeta"``,
        ``"gmean"``, ``"average_precision"``) with its options in
        ``metric_params``, or any callable ``metric(y_true,
        y_pred_or_score)`` where higher is better (negate a cost).
        ``y_true`` holds class indices ``0..K-1``.
    metric_params : dict, default=None
        The options of a scorer metric, as
        :func:`~sklearn_surrogate.make_surrogate_scorer` takes them
        (``{"min_precision": 0.8}``, ``{"max_fpr": 0.1}``, ``{"k": 0.05}``,
        ``{"cost_matrix": [[0, 1], [5, 0]]}``): the surrogate is learned for
        that operating point, and the returned loss's
        ``metric_params`` records it. For a callable, keyword arguments
        passed at each call. The six built-in names take none. A cost
        (``"expected_cost"``) is learned negated, as the scorer reports it.
    n_classes : int or sequence of int, default=2
        Class count of the problems the surrogate is for. A sequence of
        multiclass counts (e.g. ``(3, 5, 10)``) trains one surrogate for all of
        them; the set architecture accepts any count.
    response : {"predict", "proba"}, default="predict"
        What a callable metric receives: arg-max labels, or probabilities
        (the positive class's for binary problems).
    architecture : {"set", "per_sample"}, default="set"
        The surrogate network (see :mod:`sklearn_surrogate.learned._networks`).
    architecture_params : dict, default=None
        Constructor arguments of the network (e.g. ``{"pairwise": True}`` for
        rank metrics, ``{"soft_auc": True, "pair_temperature": 0.05}`` as the
        shipped ROC AUC surrogate; see ``SetSurrogate`` in
        ``sklearn_surrogate.learned._networks``).
    n_samples : int, default=256
        Samples per prediction set; use the classifier's batch size. At
        least the largest class count (every set holds every class).
    n_train_sets, n_test_sets : int, default=4096, 512
        Sets per class count in the training pool and the held-out
        evaluation (at least 3 held-out sets, to measure a correlation).
    real_fraction : float, default=0.5
        Share of sets from perturbed predictions of real models.
    steps : int, default=1500
        Adam steps.
    sets_per_step : int, default=64
        Sets ranked together at each step.
    lr : float, default=3e-3
        Initial learning rate (cosine-decayed to zero).
    gradient_penalty : float, default=0.0
        Weight of the paper's penalty ``(sqrt(n) ||dL/dlogits|| - 1)^2``
        (the paper uses 10). Off by default: in our measurements it cost
        more ranking quality than it bought (see ``docs/user_guide/learned.md``); the
        gradient scale is fixed after training instead.
    temperature : float in [1e-3, 1e3], default=0.05
        Soft-rank temperature, relative to the spread (standard deviation)
        of the surrogate's values at each step. Below 1e-3 nearly every
        comparison between the sets of a step saturates and the gradient
        vanishes (held-out Spearman of a short F1 run: 0.93 at 0.05, 0.89 at
        1e-3, 0.70 at 1e-4, 0.08 at 1e-30); above 1e3 the pairwise sigmoids
        are linear to float32 precision, so the objective no longer ranks.
    set_groups : int or "auto", default="auto"
        Groups of 8 prediction sets that share their labels, per class
        count; one group joins the sets of every step, and its own ranking
        is a second term of the objective. A training loss compares
        predictions on one batch, whose labels are fixed, while sets drawn at
        random differ in their labels too. For a metric of arg-max labels,
        half the groups are in the metric's flat regime
        (:func:`~sklearn_surrogate.learned._prediction_sets.flat_set_group`:
        every sample predicted as one class, scores ordered from inverted to
        separated, the metric equal on all of them), and ties of the metric
        are broken by its mean over 8 predictions sampled from the
        probabilities; without them our F1 surrogate had nothing to say about
        the regime where training starts, and inverted 9 of 50 fits on five
        small datasets (``docs/user_guide/learned.md``). The other groups
        (all of them for a metric of probabilities) are one batch of rows
        under several models (:func:`~sklearn_surrogate.learned._prediction_sets.label_set_group`).
        ``"auto"``: ``n_train_sets // 32`` groups (128 with the defaults);
        0: none (the recipe of the first shipped surrogates).
        A label metric scores each group's sets ``1 + 8`` times.
    random_state : int, RandomState instance or None, default=0
        Seeds the prediction sets (training and held-out), the network's
        initialisation and the sets drawn at each step. An int gives the
        same surrogate at every call; None (fresh randomness) or a
        ``numpy.random.RandomState`` draws an int seed from it, which
        ``loss.info_["random_state"]`` records so the run can be repeated.
    verbose : bool or int, default=True
        Report progress: a progress bar (tqdm) while the metric scores the
        prediction sets (the slow part for a slow metric, see Notes), one
        with the running Spearman while the network trains, and the
        held-out Spearman at the end. On by default, unlike the estimators'
        ``verbose``: with the default settings the function runs for
        minutes.

    Returns
    -------
    loss : ReLoss
        A frozen surrogate usable as ``SurrogateClassifier(loss=loss)``.
        ``loss.info_`` holds the held-out Spearman (overall and per class
        count), the held-out metric and surrogate values, the mean Spearman
        within held-out groups (``held_out_flat_spearman`` for the flat
        ones, ``held_out_group_spearman`` for the others; None without
        them), the settings (with the int seed used as ``random_state``)
        and the training time.

    Raises
    ------
    TypeError
        If ``metric`` is neither a name nor a callable, a callable metric
        returns something other than a real number (an array, a string...),
        an ``architecture_params`` value has the wrong type, or
        ``metric_params`` is not a dict.
    ValueError
        If a parameter is out of its range, ``metric`` is unknown or not
        defined for ``n_classes``, ``metric_params`` names an option the
        metric does not take, lacks one it needs or holds an invalid value,
        or the metric is constant or not finite on the prediction sets.
    FloatingPointError
        If the training objective becomes NaN or infinite (lower ``lr``).

    Warns
    -----
    UserWarning
        If the held-out Spearman correlation is below 0.5
        (``SPEARMAN_WARNING_THRESHOLD``): such a surrogate orders a third or
        more of the pairs of prediction sets against the metric. The shipped
        surrogates reach 0.95 to 0.99 (set architecture).

    See Also
    --------
    ReLoss : The loss that uses a surrogate.
    save_surrogate : Store the learned surrogate in a file.

    Notes
    -----
    The metric is called once per prediction set, ``n_train_sets +
    n_test_sets`` times per class count (4608 with the defaults), and once
    per set of the groups (``set_groups`` for training plus a quarter as
    many held out, 8 sets each), 9 times for a metric of labels (the metric
    and 8 sampled predictions), before training starts: 16,128 calls per
    class count with the defaults for a metric of labels (5,888 for one of
    probabilities), so a metric taking 3 ms adds about 48 s.
    With ``real_fraction > 0`` the first call for a class count and seed
    also fits the model zoos (seconds to tens of seconds).

    Examples
    --------
    A surrogate for Youden's J statistic (recall minus false-positive rate),
    with tiny settings and synthetic sets only, so that it trains in a
    fraction of a second (the defaults take minutes):

    >>> from sklearn_surrogate.learned import learn_surrogate
    >>> def youden_j(y_true, y_pred):
    ...     return (y_pred[y_true == 1] == 1).mean() - (y_pred[y_true == 0] == 1).mean()
    >>> loss = learn_surrogate(youden_j, steps=30, sets_per_step=32, n_train_sets=128,
    ...                        n_test_sets=64, n_samples=32, real_fraction=0.0, verbose=False)
    >>> loss.info_["metric"], loss.info_["n_classes"], loss.metric is None
    ('youden_j', [2], True)
    >>> loss.info_["held_out_spearman"] > 0.5
    True

    ``SurrogateClassifier(loss=loss, batch_size=32)`` then trains on it.
    """
    from ._reloss import ReLoss

    evaluate, name, class_counts, metric_params = resolve_metric(metric, n_classes, response, metric_params)
    architecture_params = check_architecture_params(architecture, architecture_params)
    # rules between two parameters, which constraints cannot state
    if sets_per_step > n_train_sets:
        raise ValueError(f"sets_per_step must be in [3, n_train_sets={n_train_sets}], got {sets_per_step}.")
    if n_samples < max(class_counts):
        raise ValueError(
            f"n_samples={n_samples} is smaller than n_classes={max(class_counts)}: every prediction set holds "
            f"every class, so n_samples must be at least {max(class_counts)} (use the classifier's batch size)."
        )
    seed = _seed(random_state)
    on_labels = metric in LABEL_METRICS if isinstance(metric, str) else response == "predict"
    if set_groups == "auto":
        set_groups = n_train_sets // 32
    set_groups = set_groups if sets_per_step > GROUP_SIZE else 0
    n_test_groups = max(set_groups // 4, 4) if set_groups else 0

    start = time.perf_counter()
    train_pools, test_pools, group_train, group_test = {}, {}, {}, {}
    scoring = None
    if verbose:
        from tqdm.auto import tqdm

        print(f"drawing prediction sets for {name} (n_classes={list(class_counts)}); with real_fraction > 0 the "
              "first call fits the model zoos (seconds to tens of seconds per class count)")
        per_count = n_train_sets + n_test_sets + (set_groups + n_test_groups) * GROUP_SIZE
        scoring = tqdm(total=per_count * len(class_counts), desc=f"scoring sets with {name}")
    for k in class_counts:
        train_pools[k] = _pool(evaluate, name, n_train_sets, n_samples, k, real_fraction, seed + k, scoring)
        test_pools[k] = _pool(evaluate, name, n_test_sets, n_samples, k, real_fraction,
                              seed + k + _TEST_SEED_OFFSET, scoring)
        if np.ptp(train_pools[k][2]) == 0:
            raise ValueError(f"The metric is constant ({train_pools[k][2][0]!r}) over the prediction sets; "
                             "a surrogate cannot learn to rank with it.")
        if set_groups:
            options = {"real_fraction": real_fraction, "on_labels": on_labels, "progress": scoring}
            group_train[k] = _group_pool(evaluate, name, set_groups, n_samples, k, seed + k + 2 * _TEST_SEED_OFFSET,
                                         zoo_seed=seed + k, **options)
            group_test[k] = _group_pool(evaluate, name, n_test_groups, n_samples, k, seed + k + 3 * _TEST_SEED_OFFSET,
                                        zoo_seed=seed + k + _TEST_SEED_OFFSET, **options)
    if scoring is not None:
        scoring.close()
    train_tensors, targets = {}, {}
    for k, (Y, Z, m) in train_pools.items():
        tie_break = np.full(len(m), np.nan)
        if set_groups:  # the groups' sets follow the pool's: steps draw from the pool and add one whole group
            Yf, Zf, mf, sf, _ = group_train[k]
            Y, Z, m, tie_break = (np.concatenate(pair) for pair in ((Y, Yf), (Z, Zf), (m, mf), (tie_break, sf)))
        train_tensors[k] = (*_as_tensors(Y, Z, k), torch.as_tensor(m))
        targets[k] = torch.as_tensor(_tie_broken(m, tie_break))

    with torch.random.fork_rng():
        torch.manual_seed(seed)
        network = build_surrogate(architecture, **architecture_params)
        optimizer = torch.optim.Adam(network.parameters(), lr=lr)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
        generator = torch.Generator().manual_seed(seed)
        progress = range(steps)
        if verbose:
            progress = tqdm(progress, desc=f"learning a surrogate for {name}")
        running = None
        for step in progress:
            k = class_counts[step % len(class_counts)]
            logP, Yk, _ = train_tensors[k]
            pick = _step_sets(n_train_sets, set_groups, sets_per_step, generator)
            logits = logP[pick].clone().requires_grad_(True)
            values = network(torch.softmax(logits, -1), Yk[pick])
            # ranks within a step only depend on the order of the targets, so the global tie-broken ranks serve
            correlation = soft_spearman(-values, targets[k][pick], temperature)
            objective = -correlation
            group_targets = targets[k][pick][-GROUP_SIZE:] if set_groups else None
            if set_groups and _GROUP_WEIGHT and bool(group_targets.max() > group_targets.min()):
                # the group's own order (one batch, several predictions), which the step's 64 sets barely weigh
                objective = objective - _GROUP_WEIGHT * soft_spearman(-values[-GROUP_SIZE:], group_targets,
                                                                     temperature)
            if gradient_penalty:
                (grad,) = torch.autograd.grad(values.sum(), logits, create_graph=True)
                norms = grad.flatten(1).norm(dim=1) * n_samples**0.5
                objective = objective + gradient_penalty * ((norms - 1.0) ** 2).mean()
            if not torch.isfinite(objective):
                raise FloatingPointError(
                    f"learn_surrogate: the training objective became {float(objective.detach())} at step {step + 1}; "
                    f"try a lower lr (now {lr}) or gradient_penalty (now {gradient_penalty})."
                )
            optimizer.zero_grad()
            objective.backward()
            optimizer.step()
            schedule.step()
            current = float(correlation.detach())
            running = current if running is None else 0.98 * running + 0.02 * current
            if verbose and step % 25 == 0:
                progress.set_postfix(spearman=f"{running:.3f}")
        network.eval()
        for parameter in network.parameters():
            parameter.requires_grad_(False)
        network.trained_classes = class_counts
        network.output_scale.fill_(_gradient_scale(network, train_tensors, n_samples, generator, lr))

    per_count, test_metric, test_values = {}, {}, {}
    for k, (Y, Z, m) in test_pools.items():
        logP, Yk = _as_tensors(Y, Z, k)
        with torch.no_grad():
            values = network(torch.softmax(logP, -1), Yk).double().numpy()
        per_count[k] = spearman(-values, m)
        test_metric[k], test_values[k] = m, values
    held_out = float(np.mean(list(per_count.values())))
    agreement = np.array([_group_agreement(network, k, *pool) for k, pool in group_test.items()]).reshape(-1, 2)
    seconds = time.perf_counter() - start
    if verbose:
        print(f"held-out Spearman between -surrogate and {name}: {held_out:.3f} ({seconds:.0f} s)")
    if not held_out >= SPEARMAN_WARNING_THRESHOLD:
        warnings.warn(
            f"The learned surrogate ranks held-out prediction sets poorly: its Spearman correlation with {name} is "
            f"{held_out:.3f}, below {SPEARMAN_WARNING_THRESHOLD}, so it orders a third or more of the pairs of sets "
            "against the metric. Try more steps and n_train_sets, the default temperature (0.05) and lr "
            "(3e-3), or check that the metric varies with the quality of the predictions. loss.info_ has the "
            "details.",
            UserWarning,
            stacklevel=3,  # the caller of the validate_params wrapper
        )
    builtin = isinstance(metric, str)
    loss = ReLoss(metric=metric if builtin else None, architecture=architecture, surrogate=network,
                  metric_params=metric_params if builtin and metric_params else None)
    loss.info_ = {
        "metric": name,
        "metric_params": metric_params,
        "architecture": architecture,
        "architecture_params": network.config(),
        "n_classes": list(class_counts),
        "held_out_spearman": held_out,
        "held_out_spearman_per_n_classes": per_count,
        "n_samples": n_samples,
        "steps": steps,
        "gradient_penalty": gradient_penalty,
        "real_fraction": real_fraction,
        "set_groups": set_groups,
        # within-group Spearman on held-out groups: flat ones (label metrics), and one batch under several models
        "held_out_flat_spearman": _nan_mean(agreement[:, 0]) if len(agreement) else None,
        "held_out_group_spearman": _nan_mean(agreement[:, 1]) if len(agreement) else None,
        "random_state": seed,
        "seconds": seconds,
        "test_metric": test_metric,
        "test_surrogate": test_values,
    }
    return loss
