"""Prediction sets: labelled batches of class probabilities, the data a surrogate learns to rank.

A *prediction set* is what a classifier's training loss sees at one step: a
batch of ``n`` samples with their labels and the model's logits. A surrogate
learns from many of them, each paired with the metric's value on it, so the
sets must (a) span the metric's whole range, from worse than random to
perfect, and (b) look like the predictions real networks make while they
train, with their correlations between score and label, ties, spikes at 0
and 1, and imbalance. Two sources are mixed:

* **Synthetic** sets (:func:`synthetic_set`): a random class prior (binary:
  positive share uniform in [0.02, 0.6], or log-uniform in [0.01, 0.6] for
  half the sets; multiclass: Dirichlet(1) shares),
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
  other half form the sets (binary: half of them at the dataset's own
  positive rate, half at a positive share drawn like the synthetic sets').
  For training sets the logits are then perturbed
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

__all__ = [
    "draw_model_sets",
    "fit_model_zoo",
    "flat_set_group",
    "label_set_group",
    "make_prediction_sets",
    "synthetic_set",
]

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
        y = (rng.random(n_samples) < _positive_share(rng)).astype(np.int64)
    else:
        y = rng.choice(n_classes, size=n_samples, p=rng.dirichlet(np.ones(n_classes)))
    _ensure_classes(rng, y, n_classes)
    return y, _synthetic_logits(rng, y, n_classes)


def _synthetic_logits(rng, y, n_classes):
    """Logits ``quality * onehot(y) + bias + noise`` of a random quality, bias and noise; 30 % squeezed."""
    quality = rng.uniform(-1.0, 5.0)
    bias = rng.normal(0.0, rng.uniform(0.1, 3.0), n_classes)
    noise = rng.uniform(0.3, 3.0)
    logits = quality * np.eye(n_classes)[y] + bias + noise * rng.normal(size=(len(y), n_classes))
    if rng.random() < 0.3:  # squeezed towards 0: the near-uniform predictions of a network early in training
        logits = logits * 10 ** rng.uniform(-2.0, 0.0)
    return logits


def flat_set_group(rng, group_size, n_samples, n_classes):
    """A group of prediction sets in a metric's flat regime: same labels, one predicted class, scores re-ordered.

    Every set of the group has the same labels and predicts the same class
    ``c`` for every sample (``c`` is each row's arg-max), so a metric of the
    arg-max predictions (F1, accuracy, MCC...) takes one value on all of them:
    on such sets the metric says nothing about which way to move the scores.
    The sets differ only in how well their scores order the samples, from
    inverted to well separated (the class's logit raised by a quality evenly
    spread over [-3, 4] noise standard deviations, the same noise for all). This is where a network sits when training starts
    with every prediction on one side of the threshold; a surrogate that
    learned nothing there can push it further the wrong way (an inverted
    model). :func:`~sklearn_surrogate.learned.learn_surrogate` ranks these
    sets by the expected metric under predictions sampled from the
    probabilities, which does tell better scores from worse.

    Parameters
    ----------
    rng : numpy.random.Generator
    group_size : int
        Sets in the group.
    n_samples, n_classes : int

    Returns
    -------
    y : ndarray of int, shape (n_samples,)
        The labels, shared by the group; every class occurs.
    logits : ndarray of shape (group_size, n_samples, n_classes)
        One set of logits per quality level, in increasing quality.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_surrogate.learned._prediction_sets import flat_set_group
    >>> y, logits = flat_set_group(np.random.default_rng(0), 4, 64, 2)
    >>> logits.shape, len(np.unique(logits.argmax(-1)))  # one predicted class in every set
    ((4, 64, 2), 1)
    """
    if n_classes == 2:
        share = np.exp(rng.uniform(np.log(0.01), np.log(0.6)))
        y = (rng.random(n_samples) < share).astype(np.int64)
    else:
        y = rng.choice(n_classes, size=n_samples, p=rng.dirichlet(np.ones(n_classes)))
    _ensure_classes(rng, y, n_classes)
    predicted = rng.integers(n_classes)
    scale = rng.uniform(0.3, 3.0)
    noise = scale * rng.normal(size=(n_samples, n_classes))
    qualities = scale * np.linspace(-3.0, 4.0, group_size)  # separation in noise units: ROC AUC from ~0.02 to ~1
    logits = qualities[:, None, None] * np.eye(n_classes)[y] + noise
    # lift the predicted class's logit just above every other one (row by row: a common shift keeps the order)
    others = np.delete(logits, predicted, axis=2).max(axis=2)
    lift = (others - logits[:, :, predicted]).max(axis=1) + rng.uniform(0.01, 1.0)
    logits[:, :, predicted] += lift[:, None]
    # squeezed like the near-uniform predictions of a network early in training (arg-max unchanged)
    return y, logits * 10 ** rng.uniform(-2.0, 0.0)


def _positive_share(rng, size=None):
    """A binary set's share of positives: uniform in [0.02, 0.6] or, half the time, log-uniform in [0.01, 0.6].

    The log-uniform half puts a third of all sets below 5 % positives: the
    rare-class batches of imbalanced data, where F1 and its relatives are
    most discrete and a surrogate learned on moderate priors ranks worst.
    """
    uniform = rng.uniform(0.02, 0.6, size)
    rare = np.exp(rng.uniform(np.log(0.01), np.log(0.6), size))
    return np.where(rng.random(size) < 0.5, uniform, rare)


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


def draw_model_sets(predictions, n_sets, *, n_samples=256, perturb=True, positive_share=None, rng=None):
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
    positive_share : float in (0, 1), array-like of shape (n_sets,) or None, default=None
        Binary predictions only: the share of class 1 in each set (one
        value for all sets, or one per set), whatever the dataset's: a set
        holds ``round(share * n_samples)`` positives (at least 1 and at most
        ``n_samples - 1``), drawn from the model's positive rows, and
        negatives from its negative rows (with replacement when a class has
        too few rows). None: rows drawn regardless of class.
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
    >>> Y, logits, names = draw_model_sets(predictions, 4, n_samples=100, positive_share=0.01, rng=0)
    >>> Y.sum(axis=1).tolist()  # one positive in each set of 100
    [1, 1, 1, 1]
    """
    rng = np.random.default_rng(rng)
    n_classes = predictions[0][2].shape[1]
    if positive_share is not None:
        if n_classes != 2:
            raise ValueError(f"positive_share is for binary predictions; these have {n_classes} classes.")
        positive_share = np.broadcast_to(np.asarray(positive_share, dtype=np.float64), (n_sets,))
        if not ((positive_share > 0) & (positive_share < 1)).all():
            raise ValueError("positive_share must be in the open interval (0, 1).")
    Y = np.empty((n_sets, n_samples), dtype=np.int64)
    logits = np.empty((n_sets, n_samples, n_classes))
    names = []
    for s in range(n_sets):
        name, y, proba = predictions[rng.integers(len(predictions))]
        rows = _draw_rows(rng, y, n_samples, None if positive_share is None else positive_share[s])
        Y[s] = y[rows]
        z = np.log(np.clip(proba[rows], _PROBA_FLOOR, None))
        if perturb:
            z = _perturbed(rng, z, n_classes)
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
def _training_zoos(n_classes, random_state):
    """One fitted zoo per training dataset (a tuple of :func:`fit_model_zoo` results)."""
    rng = np.random.default_rng(random_state)
    return tuple(fit_model_zoo(X, y, random_state=int(rng.integers(2**31 - 1)))
                 for X, y in _source_datasets(n_classes, random_state))


def _training_zoo(n_classes, random_state):
    """All the training zoos' predictions in one list."""
    return [entry for zoo in _training_zoos(n_classes, random_state) for entry in zoo]


def label_set_group(rng, group_size, n_samples, n_classes, zoos=None):
    """A group of prediction sets with the same labels and different predictions: one batch, several models.

    This is the comparison a training loss makes: at each step the batch's
    labels are fixed and only the predictions change. Sets drawn at random
    differ in their labels too, and a surrogate learned from them alone
    spends much of its capacity on how the metric varies with the class
    prior, which no training step can change.

    Parameters
    ----------
    rng : numpy.random.Generator
    group_size, n_samples, n_classes : int
    zoos : sequence of zoos or None, default=None
        Fitted zoos (:func:`fit_model_zoo` results). With them, the group is
        ``group_size`` models of one zoo (drawn without replacement when the
        zoo is large enough) on the same rows (binary: at the zoo's positive
        rate or, half the time, at a drawn one), each perturbed as in
        :func:`draw_model_sets`. Without, synthetic sets (as
        :func:`synthetic_set`) sharing one label vector.

    Returns
    -------
    y : ndarray of int, shape (n_samples,)
    logits : ndarray of shape (group_size, n_samples, n_classes)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_surrogate.learned._prediction_sets import label_set_group
    >>> y, logits = label_set_group(np.random.default_rng(0), 4, 64, 3)
    >>> y.shape, logits.shape
    ((64,), (4, 64, 3))
    """
    if zoos is None:
        y, first = synthetic_set(rng, n_samples, n_classes)
        logits = [first] + [_synthetic_logits(rng, y, n_classes) for _ in range(group_size - 1)]
        return y, np.stack(logits)
    zoo = zoos[rng.integers(len(zoos))]
    y_all = zoo[0][1]
    share = _positive_share(rng) if n_classes == 2 and rng.random() < 0.5 else None
    rows = _draw_rows(rng, y_all, n_samples, share)
    y = y_all[rows].copy()
    _ensure_classes(rng, y, n_classes)  # (the overwritten labels are the same for every model of the group)
    models = rng.choice(len(zoo), size=group_size, replace=len(zoo) < group_size)
    logits = np.stack([_perturbed(rng, np.log(np.clip(zoo[m][2][rows], _PROBA_FLOOR, None)), n_classes)
                       for m in models])
    return y, logits


def _draw_rows(rng, y, n_samples, positive_share=None):
    """``n_samples`` row indices of ``y``: at random, or with ``round(share * n)`` positives (1 to n - 1).

    Rows are drawn with replacement only where there are too few of them.
    """
    if positive_share is None:
        return rng.choice(len(y), size=n_samples, replace=len(y) < n_samples)
    n_pos = int(np.clip(round(positive_share * n_samples), 1, n_samples - 1))
    return np.concatenate([
        rng.choice(members, size=count, replace=len(members) < count)
        for members, count in ((np.flatnonzero(y == 1), n_pos), (np.flatnonzero(y == 0), n_samples - n_pos))
    ])


def _perturbed(rng, z, n_classes):
    """Logits divided by a random temperature (log-uniform in [1/3, 3]) plus a random bias per class."""
    return z / np.exp(rng.uniform(np.log(1 / 3), np.log(3))) + rng.normal(0.0, rng.uniform(0, 2), n_classes)


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
        # binary: half the model sets at the dataset's own positive rate, half at a drawn one (rare-class and
        # class-balanced batches alike)
        n_natural = n_real if n_classes != 2 else n_real // 2
        Y[:n_natural], logits[:n_natural], _ = draw_model_sets(zoo, n_natural, n_samples=n_samples, perturb=True,
                                                               rng=rng)
        if n_natural < n_real:
            Y[n_natural:n_real], logits[n_natural:n_real], _ = draw_model_sets(
                zoo, n_real - n_natural, n_samples=n_samples, perturb=True,
                positive_share=_positive_share(rng, n_real - n_natural), rng=rng)
    order = rng.permutation(n_sets)
    return Y[order], logits[order]
