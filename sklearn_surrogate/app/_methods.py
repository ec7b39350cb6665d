"""The methods a benchmark compares: surrogate losses and the baselines a user would pick.

Every method is the classifier that follows the same preprocessing
(:func:`~sklearn_surrogate.datasets.make_preprocessor`) in a ``Pipeline``.
Neural methods share one network and budget: an MLP with one hidden layer of
100 units, Adam at learning rate 1e-3, batches of 256, at most 200 epochs, the
estimator's own early-stopping rule (on above 10,000 rows). Nothing is tuned
per dataset; the only inner search is the decision threshold of the
``+threshold`` methods, chosen by :class:`~sklearn.model_selection.TunedThresholdClassifierCV`
on a stratified 25 % hold-out of the training fold for the target metric, then
refitted on the whole training fold.

Three methods stand apart from that rule. ``auto`` is
``SurrogateClassifier(metric=<target>)`` with every other parameter at its
default: the estimator picks its loss, ensemble and threshold for the metric
itself. ``realmlp`` and ``realmlp+threshold`` are pytabkit's
``RealMLP_TD_Classifier`` with its tuned defaults (its own network, epochs
and early stopping; the optional ``benchmark`` extra,
``pip install sklearn-surrogate[benchmark]``), a strong tabular MLP to
measure against. It receives the output of the shared preprocessing like
every method, and applies its own preprocessing on top of it.
"""

import warnings

__all__ = ["BASELINES", "DEFAULT_BASELINES", "TARGETS", "aims_at_target", "make_method", "method_names"]

BASELINES = {
    "cross_entropy": "SurrogateClassifier with cross-entropy, threshold 0.5",
    "cross_entropy+threshold": "the same, threshold tuned for the target metric (TunedThresholdClassifierCV)",
    "mlp_sklearn": "scikit-learn MLPClassifier, same network and budget",
    "hgb": "HistGradientBoostingClassifier, defaults",
    "hgb+threshold": "HistGradientBoostingClassifier, threshold tuned for the target metric",
    "auto": "SurrogateClassifier(metric=<target>), defaults: it picks its loss, ensemble and threshold itself",
    "realmlp": "pytabkit RealMLP_TD_Classifier, defaults (the benchmark extra)",
    "realmlp+threshold": "RealMLP_TD_Classifier, threshold tuned for the target metric",
}
"""dict: the baseline methods of a benchmark, name -> description.

The methods a user would pick without choosing a surrogate loss: the same
network trained on cross-entropy (threshold 0.5, or tuned for the target
metric), scikit-learn's ``MLPClassifier`` with the same network and budget,
``HistGradientBoostingClassifier`` (with and without a tuned threshold);
``SurrogateClassifier(metric=...)`` left to choose everything itself
(``auto``); and pytabkit's RealMLP (with and without a tuned threshold).
Build one with :func:`make_method`. A benchmark runs the
:data:`DEFAULT_BASELINES` unless told otherwise.

Examples
--------
>>> from sklearn_surrogate.app import BASELINES
>>> list(BASELINES)  # doctest: +NORMALIZE_WHITESPACE
['cross_entropy', 'cross_entropy+threshold', 'mlp_sklearn', 'hgb', 'hgb+threshold', 'auto', 'realmlp',
 'realmlp+threshold']
>>> BASELINES["hgb"]
'HistGradientBoostingClassifier, defaults'
"""

DEFAULT_BASELINES = ("cross_entropy", "cross_entropy+threshold", "mlp_sklearn", "hgb", "hgb+threshold")
"""tuple: the baselines a benchmark runs when none are named.

The baselines of :data:`BASELINES` that need nothing beyond the core install
and no estimator parameter newer than the benchmark: ``auto`` and the
``realmlp`` methods run only when asked for.

Examples
--------
>>> from sklearn_surrogate.app import DEFAULT_BASELINES
>>> DEFAULT_BASELINES
('cross_entropy', 'cross_entropy+threshold', 'mlp_sklearn', 'hgb', 'hgb+threshold')
"""

TARGETS = ("f1", "balanced_accuracy", "roc_auc", "f1_macro")
"""tuple: the metrics a benchmark can aim at (``target``).

The ``+threshold`` methods tune their threshold for it (scikit-learn's
scoring of that name) and ``auto`` trains for it. ``"f1"``,
``"balanced_accuracy"`` and ``"roc_auc"`` are for binary campaigns;
``"f1_macro"`` (the macro F1, the unweighted mean of the per-class F1) is for
multiclass ones, whose reports rank the methods by the ``f1`` score column
(macro F1 on multiclass datasets). On a multiclass dataset ``auto`` trains
for the macro F1 whenever the target is an F1.

Examples
--------
>>> from sklearn_surrogate.app import TARGETS
>>> TARGETS
('f1', 'balanced_accuracy', 'roc_auc', 'f1_macro')
"""


def method_names(losses, baselines=None):
    """Baselines (the default ones when None) followed by one method per surrogate loss name.

    Parameters
    ----------
    losses : sequence of str
        Registered loss names (``"reloss_<metric>"`` among them); a name that
        is already among the baselines is not repeated.
    baselines : sequence of str, default=None
        Baseline names of :data:`BASELINES`; the :data:`DEFAULT_BASELINES`
        when None.

    Returns
    -------
    names : list of str
        The methods, in the order a benchmark runs and reports them.

    Examples
    --------
    >>> from sklearn_surrogate.app import method_names
    >>> method_names(["f1", "reloss_f1"])
    ['cross_entropy', 'cross_entropy+threshold', 'mlp_sklearn', 'hgb', 'hgb+threshold', 'f1', 'reloss_f1']
    >>> method_names(["f1", "hgb"], baselines=["hgb"])
    ['hgb', 'f1']
    >>> method_names([], baselines=["auto", "cross_entropy+threshold", "realmlp"])
    ['auto', 'cross_entropy+threshold', 'realmlp']
    """
    baselines = list(DEFAULT_BASELINES) if baselines is None else list(baselines)
    return baselines + [name for name in losses if name not in baselines]


def aims_at_target(method):
    """Whether a method's fitted model depends on the benchmark's target metric.

    Only ``auto`` (it trains for the target) and the ``+threshold`` methods
    (they tune for it) do; every other method fits the same model whatever
    the target, so its rows of one campaign hold for another campaign on the
    same folds (see ``reuse_checkpoint_dirs`` of
    :func:`~sklearn_surrogate.app.run_benchmark`).

    Parameters
    ----------
    method : str
        A method name (a baseline or a loss).

    Returns
    -------
    bool

    Examples
    --------
    >>> from sklearn_surrogate.app._methods import aims_at_target
    >>> [aims_at_target(m) for m in ["auto", "hgb+threshold", "hgb", "realmlp", "f1"]]
    [True, True, False, False, False]
    """
    return method == "auto" or method.endswith("+threshold")


def _surrogate(loss, random_state):
    from .. import SurrogateClassifier
    from ..losses._registry import estimator_params

    # the registry spells a variant such as reloss_f1 as its base loss and parameters (loss="reloss", loss__metric="f1")
    return SurrogateClassifier(random_state=random_state, **estimator_params(loss))


def _auto_metric(target, n_classes):
    """The ``metric`` of the ``auto`` method: the target, as macro F1 for an F1 on more than two classes."""
    if target == "f1_macro" or (target == "f1" and n_classes > 2):
        from .. import make_surrogate_scorer

        return make_surrogate_scorer("f1", average="macro")
    return target


def _auto(target, n_classes, random_state):
    from .. import SurrogateClassifier

    if "metric" not in SurrogateClassifier().get_params():
        raise TypeError(
            "The 'auto' method needs SurrogateClassifier(metric=...), which this version of sklearn_surrogate "
            "does not have."
        )
    return SurrogateClassifier(metric=_auto_metric(target, n_classes), random_state=random_state)


def _realmlp(random_state):
    try:
        with warnings.catch_warnings():  # pytabkit's dependencies may warn about their own deprecations on import
            warnings.simplefilter("ignore", DeprecationWarning)
            from pytabkit import RealMLP_TD_Classifier
    except ImportError as exc:
        raise ImportError(
            "The 'realmlp' methods need pytabkit, an optional dependency: pip install sklearn-surrogate[benchmark] "
            f"(or pip install pytabkit). ({exc})"
        ) from exc
    return RealMLP_TD_Classifier(random_state=random_state, n_threads=1, device="cpu", verbosity=0)


def make_method(name, *, random_state=0, n_classes=2, target="f1"):
    """Build the (unfitted) classifier of a method.

    Nothing is tuned per dataset. A loss name gives a
    :class:`~sklearn_surrogate.SurrogateClassifier` with that loss and its
    default network and budget (one hidden layer of 100 units, Adam at
    learning rate 1e-3, batches of 256, at most 200 epochs);
    ``"mlp_sklearn"`` is scikit-learn's ``MLPClassifier`` with the same
    network and budget. ``"auto"`` is ``SurrogateClassifier(metric=...)``
    for ``target`` with every other parameter at its default (the macro F1
    for an F1 target on a multiclass problem). ``"realmlp"`` is pytabkit's
    ``RealMLP_TD_Classifier`` with its defaults, on the CPU with one thread.
    ``"<method>+threshold"`` wraps ``<method>`` in a
    :class:`~sklearn.model_selection.TunedThresholdClassifierCV` that tunes
    the decision threshold for ``target`` on a stratified 25 % hold-out of
    the training data, then refits on all of it.

    Parameters
    ----------
    name : str
        A baseline of :data:`BASELINES` or a registered loss name (such as
        ``"reloss_<metric>"`` for a shipped learned surrogate).
    random_state : int, default=0
        Seed of the model (and of the threshold-tuning split).
    n_classes : int, default=2
        Threshold tuning applies to binary problems only; for multiclass
        problems the ``+threshold`` methods are not applicable (None).
    target : {"f1", "balanced_accuracy", "roc_auc", "f1_macro"}, default="f1"
        The metric thresholds are tuned for and ``auto`` trains for (see
        :data:`TARGETS`).

    Returns
    -------
    estimator : classifier or None
        None when the method does not apply to the problem.

    Raises
    ------
    ImportError
        For ``"realmlp"`` and ``"realmlp+threshold"`` when pytabkit is not
        installed (the ``benchmark`` extra).
    TypeError
        For ``"auto"`` when the installed ``SurrogateClassifier`` takes no
        ``metric``.

    Examples
    --------
    >>> from sklearn_surrogate.app import make_method
    >>> make_method("hgb", random_state=1)
    HistGradientBoostingClassifier(random_state=1)
    >>> model = make_method("reloss_f1")
    >>> type(model).__name__, model.get_params()["loss"], model.get_params()["loss__metric"]
    ('SurrogateClassifier', 'reloss', 'f1')
    >>> type(make_method("cross_entropy+threshold", target="roc_auc")).__name__
    'TunedThresholdClassifierCV'
    >>> make_method("hgb+threshold", n_classes=3) is None
    True
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedShuffleSplit, TunedThresholdClassifierCV
    from sklearn.neural_network import MLPClassifier

    if target not in TARGETS:
        raise ValueError(f"Unknown target {target!r}; targets: {list(TARGETS)}.")
    if name.endswith("+threshold"):
        if n_classes != 2:
            return None
        base = make_method(name[: -len("+threshold")], random_state=random_state, n_classes=n_classes, target=target)
        cv = StratifiedShuffleSplit(n_splits=1, test_size=0.25, random_state=random_state)
        # the targets are scikit-learn scoring names
        return TunedThresholdClassifierCV(base, scoring=target, cv=cv, refit=True, random_state=random_state)
    if name == "mlp_sklearn":
        return MLPClassifier(hidden_layer_sizes=(100,), batch_size=256, learning_rate_init=1e-3, max_iter=200,
                             random_state=random_state)
    if name == "hgb":
        return HistGradientBoostingClassifier(random_state=random_state)
    if name == "auto":
        return _auto(target, n_classes, random_state)
    if name == "realmlp":
        return _realmlp(random_state)
    return _surrogate(name, random_state)
