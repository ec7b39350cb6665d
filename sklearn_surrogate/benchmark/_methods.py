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

#: baselines: name -> description
BASELINES = {
    "cross_entropy": "SurrogateClassifier with cross-entropy, threshold 0.5",
    "cross_entropy+threshold": "the same, threshold tuned for the target metric (TunedThresholdClassifierCV)",
    "mlp_sklearn": "scikit-learn MLPClassifier, same network and budget",
    "hgb": "HistGradientBoostingClassifier, defaults",
    "hgb+threshold": "HistGradientBoostingClassifier, threshold tuned for the target metric",
}
_TARGET_SCORING = {"f1": "f1", "balanced_accuracy": "balanced_accuracy", "roc_auc": "roc_auc"}


def method_names(losses, baselines=None):
    """Baselines (all when None) followed by one method per surrogate loss name."""
    baselines = list(BASELINES) if baselines is None else list(baselines)
    return baselines + [name for name in losses if name not in baselines]


def _surrogate(loss, random_state):
    from .. import SurrogateClassifier

    params = {"loss": loss}
    if loss.startswith("reloss_"):  # reloss_<metric>: the shipped learned surrogate for <metric>
        params = {"loss": "reloss", "loss__metric": loss[len("reloss_"):]}
    return SurrogateClassifier(random_state=random_state, **params)


def make_method(name, *, random_state=0, n_classes=2, target="f1"):
    """Build the (unfitted) classifier of a method.

    Parameters
    ----------
    name : str
        A baseline of :data:`BASELINES`, a registered loss name, or
        ``"reloss_<metric>"`` for a shipped learned surrogate.
    random_state : int, default=0
    n_classes : int, default=2
        Threshold tuning applies to binary problems only; for multiclass
        problems the ``+threshold`` methods are not applicable (None).
    target : {"f1", "balanced_accuracy", "roc_auc"}, default="f1"
        The metric thresholds are tuned for.

    Returns
    -------
    estimator : classifier or None
        None when the method does not apply to the problem.
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
