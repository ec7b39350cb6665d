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

__all__ = [
    "BASELINES",
    "DEFAULT_BASELINES",
    "EXPECTED_COST_MATRIX",
    "NO_THRESHOLD_TARGETS",
    "TARGETS",
    "TARGET_SCORERS",
    "aims_at_target",
    "default_baselines",
    "make_method",
    "method_names",
    "target_loss_params",
    "target_scorer",
]

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

EXPECTED_COST_MATRIX = [[0.0, 1.0], [5.0, 0.0]]
"""list: the cost matrix of the ``expected_cost`` target, ``[[TN, FP], [FN, TP]]``.

A false positive costs 1, a false negative (a missed minority-class row: the
positive class of a binary benchmark dataset is its minority class) costs 5,
a right decision nothing: one fixed rule for every dataset, needing no
per-dataset tuning and no state of the training fold, so that every fold of
every dataset is scored by the same scorer and the costs of two campaigns
compare. The cost-optimal decision for calibrated probabilities is then to
flag a row when its probability of being positive exceeds 1 / (1 + 5), about
0.17. (A "balanced" rule, a false negative costing the inverse positive
rate, was not chosen: its expected cost is proportional to one minus the
balanced accuracy, which the ``balanced_accuracy`` target already measures.)

Examples
--------
>>> from sklearn_surrogate.app import EXPECTED_COST_MATRIX
>>> EXPECTED_COST_MATRIX
[[0.0, 1.0], [5.0, 0.0]]
"""

TARGET_SCORERS = {
    "f1": {"metric": "f1"},
    "balanced_accuracy": {"metric": "balanced_accuracy"},
    "roc_auc": {"metric": "roc_auc"},
    "f1_macro": {"metric": "f1", "average": "macro"},
    "partial_auc": {"metric": "partial_auc", "max_fpr": 0.1},
    "tpr_at_fpr": {"metric": "tpr_at_fpr", "max_fpr": 0.05},
    # the shipped learned surrogate's operating point (learned._io.SHIPPED_METRIC_PARAMS, kept equal by a test), so
    # that reloss_recall_at_precision trains for what the campaign scores
    "recall_at_precision": {"metric": "recall_at_precision", "min_precision": 0.8},
    "precision_at_k": {"metric": "precision_at_k", "k": 0.05},
    "average_precision": {"metric": "average_precision"},
    "expected_cost": {"metric": "expected_cost", "cost_matrix": EXPECTED_COST_MATRIX},
}
"""dict: target -> keyword arguments of :func:`~sklearn_surrogate.make_surrogate_scorer`.

The one place a target's metric is configured: the partial AUC over false
positive rates up to 0.1 (McClish's standardised area, as
``roc_auc_score(max_fpr=0.1)``), the TPR at a false-positive rate of at most
0.05, the recall at a precision of at least 0.8 (the operating point of the
shipped ``reloss_recall_at_precision``), the precision in the top 5 % of
each test fold's scores, the average
precision, and the mean cost per row under :data:`EXPECTED_COST_MATRIX`. The
benchmark scores every method on every fold with these (the score columns of
:func:`~sklearn_surrogate.app.score_predictions`, the expected cost negated
as ``neg_expected_cost`` so that higher is better), ``auto`` trains for
them, the ``+threshold`` methods tune for those a threshold changes, and
losses whose hyper-parameter is one of these options take its value
(:func:`target_loss_params`). Build the scorer with :func:`target_scorer`.

Examples
--------
>>> from sklearn_surrogate.app import TARGET_SCORERS
>>> TARGET_SCORERS["partial_auc"], TARGET_SCORERS["precision_at_k"]
({'metric': 'partial_auc', 'max_fpr': 0.1}, {'metric': 'precision_at_k', 'k': 0.05})
"""

TARGETS = tuple(TARGET_SCORERS)
"""tuple: the metrics a benchmark can aim at (``target``).

The ``+threshold`` methods tune their threshold for it (scikit-learn's
scoring of that name, or the scorer of :data:`TARGET_SCORERS`) and ``auto``
trains for it. ``"f1"``, ``"balanced_accuracy"`` and ``"roc_auc"`` are for
binary campaigns; ``"f1_macro"`` (the macro F1, the unweighted mean of the
per-class F1) is for multiclass ones, whose reports rank the methods by the
``f1`` score column (macro F1 on multiclass datasets). On a multiclass
dataset ``auto`` trains for the macro F1 whenever the target is an F1.

The metrics of the top of the ranking and of costs (binary campaigns only)
follow: ``"partial_auc"``, ``"tpr_at_fpr"``, ``"recall_at_precision"``,
``"precision_at_k"``, ``"average_precision"`` and ``"expected_cost"``,
configured in :data:`TARGET_SCORERS`. A decision threshold does not change the first five,
which are scored on the predicted probabilities: they have no
``+threshold`` methods (:data:`NO_THRESHOLD_TARGETS`; such a method would
equal the method without the threshold).

Examples
--------
>>> from sklearn_surrogate.app import TARGETS
>>> TARGETS  # doctest: +NORMALIZE_WHITESPACE
('f1', 'balanced_accuracy', 'roc_auc', 'f1_macro', 'partial_auc', 'tpr_at_fpr', 'recall_at_precision',
 'precision_at_k', 'average_precision', 'expected_cost')
"""

NO_THRESHOLD_TARGETS = ("partial_auc", "tpr_at_fpr", "recall_at_precision", "precision_at_k", "average_precision")
"""tuple: targets scored on the predicted probabilities, which a decision threshold does not change.

``tpr_at_fpr`` and ``recall_at_precision`` have a thresholded form (the
TPR at the threshold whose false-positive rate is within the budget, the
recall at the one whose precision reaches the floor), but the benchmark scores the
probabilities, as :func:`~sklearn_surrogate.make_surrogate_scorer` does:
the best threshold of the test fold's own curve. A ``+threshold`` method
refits its base model on the whole training fold, so its probabilities, and
then its score, are those of the base method.

Examples
--------
>>> from sklearn_surrogate.app import NO_THRESHOLD_TARGETS, default_baselines
>>> "partial_auc" in NO_THRESHOLD_TARGETS, "expected_cost" in NO_THRESHOLD_TARGETS
(True, False)
>>> any(name.endswith("+threshold") for name in default_baselines("partial_auc"))
False
"""

# the scorer options a loss hyper-parameter of the same name takes from the target (pauc_cvar's max_fpr...)
_LOSS_OPTIONS = ("max_fpr", "k", "cost_matrix")


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


def target_scorer(target):
    """The scorer of a target, as :data:`TARGET_SCORERS` configures it.

    Parameters
    ----------
    target : str
        One of :data:`TARGETS`.

    Returns
    -------
    scorer : SurrogateScorer
        ``make_surrogate_scorer(**TARGET_SCORERS[target])``.

    Examples
    --------
    >>> from sklearn_surrogate.app import target_scorer
    >>> target_scorer("tpr_at_fpr")
    make_surrogate_scorer(metric='tpr_at_fpr', max_fpr=0.05)
    """
    from .. import make_surrogate_scorer

    _check_target(target)
    return make_surrogate_scorer(**TARGET_SCORERS[target])


def _check_target(target):
    if target not in TARGETS:
        raise ValueError(f"Unknown target {target!r}; targets: {list(TARGETS)}.")


def default_baselines(target="f1"):
    """The baselines a benchmark on ``target`` runs when none are named.

    :data:`DEFAULT_BASELINES`, less the ``+threshold`` methods for the
    targets a threshold does not change (:data:`NO_THRESHOLD_TARGETS`).

    Parameters
    ----------
    target : str, default="f1"
        One of :data:`TARGETS`.

    Returns
    -------
    baselines : tuple of str

    Examples
    --------
    >>> from sklearn_surrogate.app import default_baselines
    >>> default_baselines("partial_auc")
    ('cross_entropy', 'mlp_sklearn', 'hgb')
    >>> default_baselines("expected_cost") == default_baselines("f1")
    True
    """
    _check_target(target)
    if target in NO_THRESHOLD_TARGETS:
        return tuple(name for name in DEFAULT_BASELINES if not name.endswith("+threshold"))
    return DEFAULT_BASELINES


def aims_at_target(method):
    """Whether a method's fitted model depends on the benchmark's target metric by its nature.

    ``auto`` (it trains for the target) and the ``+threshold`` methods
    (they tune for it) do. Every other method fits the same model whatever
    the target, except for the options of the target that a loss takes as
    hyper-parameters (:func:`target_loss_params`: ``pauc_cvar`` has the
    ``max_fpr`` of a ``partial_auc`` or ``tpr_at_fpr`` target); its rows
    of one campaign hold for another campaign on the same folds where those
    options agree (see ``reuse_checkpoint_dirs`` of
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


def target_loss_params(name, target):
    """The hyper-parameters a loss takes from the target: its options that the loss also has.

    A loss with a hyper-parameter named as an option of the target's scorer
    (``max_fpr``, ``k`` or ``cost_matrix`` in :data:`TARGET_SCORERS`) takes
    the target's value, so that it trains for the operating point the
    benchmark scores: ``pauc_cvar``, ``pauc_two_way`` and ``np_tpr_at_fpr``
    get ``max_fpr`` = 0.1 under ``partial_auc`` and 0.05 under
    ``tpr_at_fpr``, ``precision_at_k`` gets ``k`` = 0.05 under
    ``precision_at_k``, ``cost_sensitive`` the :data:`EXPECTED_COST_MATRIX`
    under ``expected_cost``. Under other targets, and for the baselines,
    nothing changes (the loss keeps its defaults).

    Parameters
    ----------
    name : str
        A method name (a baseline or a registered loss).
    target : str
        One of :data:`TARGETS`.

    Returns
    -------
    params : dict
        Hyper-parameter name -> value (empty when nothing applies).

    Examples
    --------
    >>> from sklearn_surrogate.app import target_loss_params
    >>> target_loss_params("pauc_cvar", "tpr_at_fpr"), target_loss_params("pauc_cvar", "f1")
    ({'max_fpr': 0.05}, {})
    >>> target_loss_params("cost_sensitive", "expected_cost")
    {'cost_matrix': [[0.0, 1.0], [5.0, 0.0]]}
    >>> target_loss_params("hgb", "partial_auc"), target_loss_params("soap", "average_precision")
    ({}, {})
    """
    _check_target(target)
    options = {key: value for key, value in TARGET_SCORERS[target].items() if key in _LOSS_OPTIONS}
    if not options or name in BASELINES or name.endswith("+threshold"):
        return {}
    from ..losses import get_loss

    loss = get_loss(name)
    params = loss.get_params() if hasattr(loss, "get_params") else {}
    return {key: value for key, value in options.items() if key in params}


def _surrogate(loss, random_state, target):
    from .. import SurrogateClassifier
    from ..losses._registry import estimator_params

    # the registry spells a variant such as reloss_f1 as its base loss and parameters (loss="reloss", loss__metric="f1")
    params = estimator_params(loss)
    params.update((f"loss__{key}", value) for key, value in target_loss_params(loss, target).items())
    return SurrogateClassifier(random_state=random_state, **params)


def _auto_metric(target, n_classes):
    """The ``metric`` of the ``auto`` method: the target, as macro F1 for an F1 on more than two classes.

    A target whose scorer has options (:data:`TARGET_SCORERS`) is passed as that scorer.
    """
    if target == "f1_macro" or (target == "f1" and n_classes > 2):
        from .. import make_surrogate_scorer

        return make_surrogate_scorer("f1", average="macro")
    if set(TARGET_SCORERS[target]) != {"metric"}:
        return target_scorer(target)
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
    the training data, then refits on all of it (scikit-learn's scoring
    of that name for ``"f1"``, ``"balanced_accuracy"`` and ``"roc_auc"``;
    :func:`target_scorer` for ``"expected_cost"``). A loss whose
    hyper-parameter is an option of the target's scorer takes the
    target's value (:func:`target_loss_params`).

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
    target : str, default="f1"
        One of :data:`TARGETS`: the metric thresholds are tuned for, ``auto``
        trains for and some losses take options from.

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
    ValueError
        For an unknown target, and for a ``+threshold`` method on a target
        that a threshold does not change (:data:`NO_THRESHOLD_TARGETS`).

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
    >>> make_method("pauc_cvar", target="tpr_at_fpr").get_params()["loss__max_fpr"]
    0.05
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedShuffleSplit, TunedThresholdClassifierCV
    from sklearn.neural_network import MLPClassifier

    _check_target(target)
    if name.endswith("+threshold"):
        if target in NO_THRESHOLD_TARGETS:
            raise ValueError(
                f"The method {name!r} does not apply to the target {target!r}: it is scored on the predicted "
                "probabilities, which a decision threshold does not change, so the method would equal "
                f"{name[: -len('+threshold')]!r}. Leave it out (default_baselines({target!r}) does)."
            )
        if n_classes != 2:
            return None
        base = make_method(name[: -len("+threshold")], random_state=random_state, n_classes=n_classes, target=target)
        cv = StratifiedShuffleSplit(n_splits=1, test_size=0.25, random_state=random_state)
        # the first targets are scikit-learn scoring names; the later ones need their scorer's options
        scoring = target if target in ("f1", "balanced_accuracy", "roc_auc", "f1_macro") else target_scorer(target)
        return TunedThresholdClassifierCV(base, scoring=scoring, cv=cv, refit=True, random_state=random_state)
    if name == "mlp_sklearn":
        return MLPClassifier(hidden_layer_sizes=(100,), batch_size=256, learning_rate_init=1e-3, max_iter=200,
                             random_state=random_state)
    if name == "hgb":
        return HistGradientBoostingClassifier(random_state=random_state)
    if name == "auto":
        return _auto(target, n_classes, random_state)
    if name == "realmlp":
        return _realmlp(random_state)
    return _surrogate(name, random_state, target)
