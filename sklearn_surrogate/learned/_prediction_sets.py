"""Prediction sets: labelled batches of class probabilities, the data a surrogate learns to rank.

A *prediction set* is what a classifier's training loss sees at one step: a
batch of ``n`` samples with their labels and the model's logits. A surrogate
learns from many of them, each paired with the metric's value on it, so the
sets must (a) span the metric's whole range, from worse than random to
perfect, and (b) look like the predictions real networks make while they
train, with their correlations between score and label, ties, spikes at 0
and 1, and imbalance. Two sources are mixed:

* **Synthetic** sets (:func:`synthetic_set`): a random class prior (binary:
  positive share uniform in [0.02, 0.6]; multiclass: Dirichlet(1) shares),
  labels drawn from it, and logits ``quality * onehot(y) + bias + noise`` with
  quality, per-class bias and noise scale drawn at random, and for 30 % of
  them every logit shrunk by a factor log-uniform in [0.01, 1]. They cover the
  corners: worse than random, near perfect, over- and under-confident, shifted
  towards any class, and the near-uniform predictions of a network that has
  just started training (without those, a surrogate's gradient is least
  reliable exactly where training starts).
* **Model** sets (:func:`fit_model_zoo`, :func:`draw_model_sets`): a zoo of
  real classifiers of every quality (logistic regressions from heavily to
  lightly regularised and on feature subsets, naive Bayes, nearest
  neighbours, shallow and deep trees, gradient boosting after 10 and 100
  iterations, small MLPs after 5 and 100 epochs, the class prior) is fitted on
  one half of a tabular dataset, and random batches of its predictions on the
  other half form the sets. For training sets the logits are then perturbed
  by a random temperature and per-class bias, so that every decision
  threshold a network may pass through is represented. The datasets are ones
  that need no download: the shipped OpenML pc4, scikit-learn's breast cancer
  and digits (restricted to a random subset of ``K`` classes), and random
  ``make_classification`` problems of varied difficulty and imbalance.

The benchmark of the learned surrogates evaluates them on *unperturbed* model
sets from other datasets (the shared OpenML ones), which no surrogate saw.
"""

import functools
import warnings

import numpy as np

__all__ = ["draw_model_sets", "fit_model_zoo", "make_prediction_sets", "synthetic_set"]

_PROBA_FLOOR = 1e-6


def synthetic_set(rng, n_samples, n_classes):
    """One synthetic prediction set.

    Parameters
    ----------
    rng : numpy.random.Generator
    n_samples, n_classes : int

    Returns
    -------
    y : ndarray of int, shape (n_samples,)
        Class indices; every class occurs at least once.
    logits : ndarray of shape (n_samples, n_classes)
    """
    if n_classes == 2:
        share = rng.uniform(0.02, 0.6)
        y = (rng.random(n_samples) < share).astype(np.int64)
    else:
        y = rng.choice(n_classes, size=n_samples, p=rng.dirichlet(np.ones(n_classes)))
    _ensure_classes(rng, y, n_classes)
    quality = rng.uniform(-1.0, 5.0)
    bias = rng.normal(0.0, rng.uniform(0.1, 3.0), n_classes)
    noise = rng.uniform(0.3, 3.0)
    logits = quality * np.eye(n_classes)[y] + bias + noise * rng.normal(size=(n_samples, n_classes))
    if rng.random() < 0.3:  # squeezed towards 0: the near-uniform predictions of a network early in training
        logits = logits * 10 ** rng.uniform(-2.0, 0.0)
    return y, logits


def _ensure_classes(rng, y, n_classes):
    """Overwrite random entries of ``y`` (in place) so that every class occurs."""
    missing = np.setdiff1d(np.arange(n_classes), y)
    if len(missing):
        y[rng.choice(len(y), size=len(missing), replace=False)] = missing


def _zoo(rng, n_features):
    from sklearn.dummy import DummyClassifier
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import GaussianNB
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.neural_network import MLPClassifier
    from sklearn.tree import DecisionTreeClassifier

    seed = int(rng.integers(2**31 - 1))
    subset = rng.choice(n_features, size=max(1, n_features // 3), replace=False)
    single = rng.choice(n_features, size=1)
    return [
        ("prior", DummyClassifier(strategy="prior"), None),
        ("logistic C=0.001", LogisticRegression(C=1e-3, max_iter=500), None),
        ("logistic C=0.1", LogisticRegression(C=0.1, max_iter=500), None),
        ("logistic C=10", LogisticRegression(C=10.0, max_iter=500), None),
        ("logistic on a third of the features", LogisticRegression(max_iter=500), subset),
        ("logistic on one feature", LogisticRegression(max_iter=500), single),
        ("naive Bayes", GaussianNB(), None),
        ("5 nearest neighbours", KNeighborsClassifier(5), None),
        ("25 nearest neighbours", KNeighborsClassifier(25), None),
        ("tree of depth 2", DecisionTreeClassifier(max_depth=2, random_state=seed), None),
        ("deep tree", DecisionTreeClassifier(min_samples_leaf=5, random_state=seed), None),
        ("boosting, 10 iterations", HistGradientBoostingClassifier(max_iter=10, random_state=seed), None),
        ("boosting, 100 iterations", HistGradientBoostingClassifier(max_iter=100, random_state=seed), None),
        ("MLP, 5 epochs", MLPClassifier((32,), max_iter=5, random_state=seed), None),
        ("MLP, 100 epochs", MLPClassifier((32,), max_iter=100, random_state=seed), None),
    ]


def fit_model_zoo(X, y, *, random_state=0, max_train=4000):
    """Fit a zoo of classifiers on half of ``(X, y)``; return their predictions on the other half.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Numeric features (standardised here).
    y : array-like of shape (n_samples,)
        Labels.
    random_state : int, default=0
        Seeds the split, the feature subsets and the models.
    max_train : int, default=4000
        Cap on the rows used to fit (a random subset), to bound the time.

    Returns
    -------
    predictions : list of (str, ndarray, ndarray)
        ``(model name, test class indices, test probabilities (n_test, K))``,
        one per model of the zoo (15 models, from the class prior to
        gradient boosting), in a fixed order. Labels are encoded as
        ``0..K-1`` in sorted order.

    See Also
    --------
    draw_model_sets : Turn these predictions into prediction sets.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_classification
    >>> from sklearn_surrogate.learned._prediction_sets import fit_model_zoo
    >>> X, y = make_classification(n_samples=200, weights=[0.8], random_state=0)
    >>> predictions = fit_model_zoo(X, y, random_state=0)
    >>> len(predictions), [name for name, _, _ in predictions[:3]]
    (15, ['prior', 'logistic C=0.001', 'logistic C=0.1'])
    >>> name, y_test, proba = predictions[-1]
    >>> name, y_test.shape, proba.shape, bool(np.allclose(proba.sum(axis=1), 1.0))
    ('MLP, 100 epochs', (100,), (100, 2), True)
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import LabelEncoder, StandardScaler

    rng = np.random.default_rng(random_state)
    X = np.asarray(X, dtype=np.float64)
    y = LabelEncoder().fit_transform(np.asarray(y))
    train, test = train_test_split(
        np.arange(len(y)), test_size=0.5, stratify=y, random_state=int(rng.integers(2**31 - 1))
    )
    if len(train) > max_train:
        train = rng.choice(train, size=max_train, replace=False)
    scaler = StandardScaler().fit(X[train])
    X_train, X_test = scaler.transform(X[train]), scaler.transform(X[test])
    predictions = []
    for name, model, features in _zoo(rng, X.shape[1]):
        columns = slice(None) if features is None else features
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X_train[:, columns], y[train])
        proba = np.zeros((len(test), y.max() + 1))
        proba[:, model.classes_] = model.predict_proba(X_test[:, columns])
        predictions.append((name, y[test], proba))
    return predictions


def draw_model_sets(predictions, n_sets, *, n_samples=256, perturb=True, rng=None):
    """Random batches of a zoo's predictions, as prediction sets.

    Each set picks one model at random and ``n_samples`` of its test rows
    (with replacement only when there are fewer rows); its logits are the
    log-probabilities (floored at 1e-6), optionally perturbed. Labels are
    then overwritten at random rows, if needed, so that every class occurs.

    Parameters
    ----------
    predictions : list of (str, ndarray, ndarray)
        From :func:`fit_model_zoo` (or of the same form: name, class
        indices, probabilities), all with the same number of classes.
    n_sets : int
        Number of sets.
    n_samples : int, default=256
        Samples per set.
    perturb : bool, default=True
        Divide the logits by a random temperature (log-uniform in [1/3, 3])
        and add a random bias per class (normal, scale uniform in [0, 2]).
    rng : numpy.random.Generator, int or None, default=None
        Random generator, or a seed for :func:`numpy.random.default_rng`.

    Returns
    -------
    Y : ndarray of int, shape (n_sets, n_samples)
        Class indices.
    logits : ndarray of shape (n_sets, n_samples, K)
        Logits (log-probabilities when ``perturb=False``).
    names : list of str
        The model behind each set.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn_surrogate.learned._prediction_sets import draw_model_sets, fit_model_zoo
    >>> X, y = make_classification(n_samples=200, random_state=0)
    >>> predictions = fit_model_zoo(X, y, random_state=0)
    >>> Y, logits, names = draw_model_sets(predictions, 4, n_samples=32, rng=0)
    >>> Y.shape, logits.shape, len(names)
    ((4, 32), (4, 32, 2), 4)
    >>> Y, logits, names = draw_model_sets(predictions, 4, n_samples=32, perturb=False, rng=0)
    >>> bool((logits <= 0).all())  # log-probabilities
    True
    """
    rng = np.random.default_rng(rng)
    n_classes = predictions[0][2].shape[1]
    Y = np.empty((n_sets, n_samples), dtype=np.int64)
    logits = np.empty((n_sets, n_samples, n_classes))
    names = []
    for s in range(n_sets):
        name, y, proba = predictions[rng.integers(len(predictions))]
        rows = rng.choice(len(y), size=n_samples, replace=len(y) < n_samples)
        Y[s] = y[rows]
        z = np.log(np.clip(proba[rows], _PROBA_FLOOR, None))
        if perturb:
            z = z / np.exp(rng.uniform(np.log(1 / 3), np.log(3))) + rng.normal(0.0, rng.uniform(0, 2), n_classes)
        logits[s] = z
        _ensure_classes(rng, Y[s], n_classes)
        names.append(name)
    return Y, logits, names


def _make_classification_problem(seed, n_classes):
    from sklearn.datasets import make_classification

    rng = np.random.default_rng(seed)
    if n_classes == 2:
        minority = rng.uniform(0.03, 0.5)
        weights = [1.0 - minority, minority]
    else:
        weights = list(rng.dirichlet(np.full(n_classes, 2.0)))
    n_features = int(rng.integers(5, 30))
    return make_classification(
        n_samples=3000,
        n_features=n_features,
        n_informative=int(rng.integers(2, n_features + 1)),
        n_redundant=0,
        n_classes=n_classes,
        n_clusters_per_class=1,
        weights=weights,
        flip_y=rng.uniform(0.0, 0.2),
        class_sep=rng.uniform(0.3, 2.0),
        random_state=seed,
    )


def _source_datasets(n_classes, random_state):
    """The datasets the training zoos are fitted on (none needs a download)."""
    from sklearn.datasets import load_breast_cancer, load_digits

    rng = np.random.default_rng(random_state)
    sources = []
    if n_classes == 2:
        from ..datasets import load_shipped

        X, y, _ = load_shipped()
        sources.append((X.to_numpy(dtype=np.float64), np.asarray(y)))
        sources.append(load_breast_cancer(return_X_y=True))
    elif n_classes <= 10:
        X, y = load_digits(return_X_y=True)
        keep = np.isin(y, rng.choice(10, size=n_classes, replace=False))
        sources.append((X[keep], y[keep]))
    for _ in range(4):
        sources.append(_make_classification_problem(int(rng.integers(2**31 - 1)), n_classes))
    return sources


@functools.lru_cache(maxsize=16)
def _training_zoo(n_classes, random_state):
    rng = np.random.default_rng(random_state)
    predictions = []
    for X, y in _source_datasets(n_classes, random_state):
        predictions += fit_model_zoo(X, y, random_state=int(rng.integers(2**31 - 1)))
    return predictions


def make_prediction_sets(n_sets, *, n_samples=256, n_classes=2, real_fraction=0.5, random_state=0):
    """Draw prediction sets (labels and logits) to train or evaluate a surrogate.

    Parameters
    ----------
    n_sets : int
        Number of sets.
    n_samples : int, default=256
        Samples per set: the training batch size the surrogate is for.
    n_classes : int, default=2
        Number of classes; every class occurs in every set.
    real_fraction : float, default=0.5
        Share of sets drawn from the (perturbed) predictions of real models;
        the rest are synthetic. See the module documentation.
    random_state : int, default=0
        Seeds everything, including which models and datasets make the zoo.

    Returns
    -------
    Y : ndarray of int, shape (n_sets, n_samples)
        Class indices.
    logits : ndarray of shape (n_sets, n_samples, n_classes)
        The logits of each set, synthetic and model sets shuffled together.

    Notes
    -----
    Model sets need the training zoos, fitted on up to six datasets at the
    first call for a given ``(n_classes, random_state)`` (seconds to tens of
    seconds, then cached for the session); ``real_fraction=0.0`` skips them.

    Examples
    --------
    >>> from sklearn_surrogate.learned._prediction_sets import make_prediction_sets
    >>> Y, logits = make_prediction_sets(8, n_samples=32, real_fraction=0.0)
    >>> Y.shape, logits.shape
    ((8, 32), (8, 32, 2))
    >>> Y, logits = make_prediction_sets(8, n_samples=32, n_classes=4, real_fraction=0.0)
    >>> logits.shape, all(len(set(y)) == 4 for y in Y)
    ((8, 32, 4), True)
    """
    if not 0.0 <= real_fraction <= 1.0:
        raise ValueError(f"real_fraction must be in [0, 1], got {real_fraction!r}.")
    if int(n_classes) < 2:
        raise ValueError(f"n_classes must be at least 2, got {n_classes!r}.")
    rng = np.random.default_rng(random_state)
    n_real = int(rng.binomial(n_sets, real_fraction)) if real_fraction > 0 else 0
    Y = np.empty((n_sets, n_samples), dtype=np.int64)
    logits = np.empty((n_sets, n_samples, n_classes))
    for s in range(n_real, n_sets):
        Y[s], logits[s] = synthetic_set(rng, n_samples, n_classes)
    if n_real:
        zoo = _training_zoo(int(n_classes), int(random_state))
        Y[:n_real], logits[:n_real], _ = draw_model_sets(zoo, n_real, n_samples=n_samples, perturb=True, rng=rng)
    order = rng.permutation(n_sets)
    return Y[order], logits[order]
