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
"""

__all__ = ["BASELINES", "make_method", "method_names"]

BASELINES = {
    "cross_entropy": "SurrogateClassifier with cross-entropy, threshold 0.5",
    "cross_entropy+threshold": "the same, threshold tuned for the target metric (TunedThresholdClassifierCV)",
    "mlp_sklearn": "scikit-learn MLPClassifier, same network and budget",
    "hgb": "HistGradientBoostingClassifier, defaults",
    "hgb+threshold": "HistGradientBoostingClassifier, threshold tuned for the target metric",
}
"""dict: the baseline methods of a benchmark, name -> description.

The methods a user would pick without surrogate losses: the same network
trained on cross-entropy (threshold 0.5, or tuned for the target metric),
scikit-learn's ``MLPClassifier`` with the same network and budget, and
``HistGradientBoostingClassifier`` (with and without a tuned threshold). Build
one with :func:`make_method`.

Examples
--------
>>> from sklearn_surrogate.app import BASELINES
>>> list(BASELINES)
['cross_entropy', 'cross_entropy+threshold', 'mlp_sklearn', 'hgb', 'hgb+threshold']
>>> BASELINES["hgb"]
'HistGradientBoostingClassifier, defaults'
"""
_TARGET_SCORING = {"f1": "f1", "balanced_accuracy": "balanced_accuracy", "roc_auc": "roc_auc"}


def method_names(losses, baselines=None):
    """Baselines (all when None) followed by one method per surrogate loss name.

    Parameters
    ----------
    losses : sequence of str
        Registered loss names (``"reloss_<metric>"`` among them); a name that
        is already among the baselines is not repeated.
    baselines : sequence of str, default=None
        Baseline names; all of :data:`BASELINES` when None.

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
    """
    baselines = list(BASELINES) if baselines is None else list(baselines)
    return baselines + [name for name in losses if name not in baselines]


def _surrogate(loss, random_state):
    from .. import SurrogateClassifier
    from ..losses._registry import estimator_params

    # the registry spells a variant such as reloss_f1 as its base loss and parameters (loss="reloss", loss__metric="f1")
    return SurrogateClassifier(random_state=random_state, **estimator_params(loss))


def make_method(name, *, random_state=0, n_classes=2, target="f1"):
    """Build the (unfitted) classifier of a method.

    Nothing is tuned per dataset. A loss name gives a
    :class:`~sklearn_surrogate.SurrogateClassifier` with that loss and its
    default network and budget (one hidden layer of 100 units, Adam at
    learning rate 1e-3, batches of 256, at most 200 epochs);
    ``"mlp_sklearn"`` is scikit-learn's ``MLPClassifier`` with the same
    network and budget. ``"<method>+threshold"`` wraps ``<method>`` in a
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
    target : {"f1", "balanced_accuracy", "roc_auc"}, default="f1"
        The metric thresholds are tuned for.

    Returns
    -------
    estimator : classifier or None
        None when the method does not apply to the problem.

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

    if name.endswith("+threshold"):
        if n_classes != 2:
            return None
        base = make_method(name[: -len("+threshold")], random_state=random_state, n_classes=n_classes)
        cv = StratifiedShuffleSplit(n_splits=1, test_size=0.25, random_state=random_state)
        return TunedThresholdClassifierCV(base, scoring=_TARGET_SCORING[target], cv=cv, refit=True,
                                          random_state=random_state)
    if name == "mlp_sklearn":
        return MLPClassifier(hidden_layer_sizes=(100,), batch_size=256, learning_rate_init=1e-3, max_iter=200,
                             random_state=random_state)
    if name == "hgb":
        return HistGradientBoostingClassifier(random_state=random_state)
    return _surrogate(name, random_state)
