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

from ._metrics import resolve_metric
from ._networks import ARCHITECTURES, build_surrogate, check_architecture_params
from ._prediction_sets import make_prediction_sets
from ._spearman import soft_spearman, spearman

__all__ = ["learn_surrogate"]

_TEST_SEED_OFFSET = 10_000

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
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=True,
)
def learn_surrogate(
    metric,
    *,
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
    random_state=0,
    verbose=True,
):
    """Learn a relational surrogate loss for ``metric``.

    Parameters
    ----------
    metric : str or callable
        A built-in name (``"f1"``, ``"roc_auc"``, ``"balanced_accuracy"``,
        ``"accuracy"``, ``"mcc"``, ``"macro_f1"``) or any callable
        ``metric(y_true, y_pred_or_score)`` where higher is better (negate a
        cost). ``y_true`` holds class indices ``0..K-1``.
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
        rank metrics; see ``SetSurrogate`` in ``sklearn_surrogate.learned._networks``).
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
        count), the held-out metric and surrogate values, the settings (with
        the int seed used as ``random_state``) and the training time.

    Raises
    ------
    TypeError
        If ``metric`` is neither a name nor a callable, a callable metric
        returns something other than a real number (an array, a string...),
        or an ``architecture_params`` value has the wrong type.
    ValueError
        If a parameter is out of its range, ``metric`` is unknown or not
        defined for ``n_classes``, or the metric is constant or not finite on
        the prediction sets.
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
    n_test_sets`` times per class count (4608 with the defaults) before
    training starts: a metric taking 3 ms adds about 14 s per class count.
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

    evaluate, name, class_counts = resolve_metric(metric, n_classes, response)
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

    start = time.perf_counter()
    train_pools, test_pools = {}, {}
    scoring = None
    if verbose:
        from tqdm.auto import tqdm

        print(f"drawing prediction sets for {name} (n_classes={list(class_counts)}); with real_fraction > 0 the "
              "first call fits the model zoos (seconds to tens of seconds per class count)")
        scoring = tqdm(total=(n_train_sets + n_test_sets) * len(class_counts), desc=f"scoring sets with {name}")
    for k in class_counts:
        train_pools[k] = _pool(evaluate, name, n_train_sets, n_samples, k, real_fraction, seed + k, scoring)
        test_pools[k] = _pool(evaluate, name, n_test_sets, n_samples, k, real_fraction,
                              seed + k + _TEST_SEED_OFFSET, scoring)
        if np.ptp(train_pools[k][2]) == 0:
            raise ValueError(f"The metric is constant ({train_pools[k][2][0]!r}) over the prediction sets; "
                             "a surrogate cannot learn to rank with it.")
    if scoring is not None:
        scoring.close()
    train_tensors = {k: (*_as_tensors(Y, Z, k), torch.as_tensor(m)) for k, (Y, Z, m) in train_pools.items()}

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
            logP, Yk, mk = train_tensors[k]
            pick = torch.randint(0, len(mk), (sets_per_step,), generator=generator)
            logits = logP[pick].clone().requires_grad_(True)
            values = network(torch.softmax(logits, -1), Yk[pick])
            correlation = soft_spearman(-values, mk[pick], temperature)
            objective = -correlation
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
    loss = ReLoss(metric=metric if isinstance(metric, str) else None, architecture=architecture, surrogate=network)
    loss.info_ = {
        "metric": name,
        "architecture": architecture,
        "architecture_params": network.config(),
        "n_classes": list(class_counts),
        "held_out_spearman": held_out,
        "held_out_spearman_per_n_classes": per_count,
        "n_samples": n_samples,
        "steps": steps,
        "gradient_penalty": gradient_penalty,
        "real_fraction": real_fraction,
        "random_state": seed,
        "seconds": seconds,
        "test_metric": test_metric,
        "test_surrogate": test_values,
    }
    return loss
