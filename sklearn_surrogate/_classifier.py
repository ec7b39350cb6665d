"""``SurrogateClassifier``: a scikit-learn classifier trained on a surrogate loss."""

import contextlib
import copy
import inspect
import numbers
import threading
import warnings
import weakref

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data
from skorch.callbacks import EarlyStopping, EpochTimer, PassthroughScoring, ProgressBar
from skorch.helper import predefined_split
from torch import nn

from ._callbacks import PlainPrintLog, prepare_user_callbacks
from ._doc_link import DocLinkMixin
from ._modules import ACTIVATIONS, MLP, build_module, check_module_output, copy_module_instance
from ._persistence import net_record, restore_net
from ._net import (
    EarlyStoppingOnScore,
    LossEpochHook,
    NonFiniteLossGuard,
    SurrogateNet,
    TensorDataset,
    ValidationScore,
    logits_to_proba,
)
from ._scorer import SurrogateScorer, get_metric_names, make_surrogate_scorer
from ._torch_utils import SparseRows, as_float_tensor, resolve_device, to_numpy, torch_threads
from .losses import resolve_loss

__all__ = ["SurrogateClassifier"]

_PARAM_PREFIXES = ("loss__", "module__", "optimizer__")
_OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
}


def _continue_from(net, previous, *, keep_optimizer):
    """Start ``net`` (initialised) from ``previous``'s weights, loss state and, optionally, optimizer state."""
    try:
        net.module_.load_state_dict(previous.module_.state_dict())
    except RuntimeError as exc:
        raise ValueError(
            "warm_start/partial_fit cannot continue from the fitted network: its shape differs from the one "
            f"these parameters build ({exc}). Fit afresh (warm_start=False)."
        ) from None
    # the loss's learned parameters (AUC-M's a, b, alpha); per-sample buffers (ALDR-KL's temperatures)
    # belong to the rows they were learned on and start afresh, as setup() left them
    previous_params = dict(previous.criterion_.named_parameters())
    with torch.no_grad():
        for name, param in net.criterion_.named_parameters():
            if name in previous_params and previous_params[name].shape == param.shape:
                param.copy_(previous_params[name])
    if keep_optimizer and type(previous.optimizer_) is type(net.optimizer_):
        # the moments and step counts carry on; lr, weight_decay... are the estimator's current ones
        settings = [{k: v for k, v in group.items() if k != "params"} for group in net.optimizer_.param_groups]
        try:
            net.optimizer_.load_state_dict(previous.optimizer_.state_dict())
        except (ValueError, KeyError, RuntimeError):  # other learnable parameters: start the optimizer afresh
            return
        for group, kept in zip(net.optimizer_.param_groups, settings):
            group.update(kept)


# float64 copies of fitted networks for CPU prediction, dropped with the network (never pickled)
_FLOAT64_COPIES = weakref.WeakKeyDictionary()
_FLOAT64_LOCK = threading.Lock()


def _float64_copy(module):
    """A float64 evaluation-mode copy of ``module``, cached on it while its parameters are unchanged.

    The copy is read-only, so threads share it; the key (each tensor's identity and version
    counter) changes whenever training or a user edits a parameter or buffer in place.
    """
    tensors = list(module.parameters()) + list(module.buffers())
    key = tuple((id(t), t._version) for t in tensors)
    with _FLOAT64_LOCK:
        cached = _FLOAT64_COPIES.get(module)
    if cached is not None and cached[0] == key:
        return cached[1]
    try:
        private = copy.deepcopy(module).double().eval()
    except Exception:  # noqa: BLE001  (a custom module that cannot be copied: evaluate it in place)
        return _InPlaceFloat64Forward(module)
    if private is module:  # a module whose __deepcopy__ returns itself: do not convert it in place
        return _InPlaceFloat64Forward(module)
    with _FLOAT64_LOCK:
        _FLOAT64_COPIES[module] = (key, private)
    return private


_IN_PLACE_LOCK = threading.Lock()


class _InPlaceFloat64Forward:
    """Float64 evaluation of a module that cannot be copied, one thread at a time.

    ``torch.func.functional_call`` swaps the float64 parameters into the module for the call,
    which is not safe from several threads at once; the lock serialises those calls.
    """

    def __init__(self, module):
        self.module = module
        self.state = {
            name: (t.double() if t.is_floating_point() else t)
            for name, t in list(module.named_parameters()) + list(module.named_buffers())
        }

    def __call__(self, X):
        with _IN_PLACE_LOCK:
            was_training = self.module.training
            self.module.eval()
            try:
                return torch.func.functional_call(self.module, self.state, (X,))
            finally:
                self.module.train(was_training)


class SurrogateClassifier(DocLinkMixin, ClassifierMixin, BaseEstimator):
    """Neural-network classifier trained on a surrogate of the metric you care about.

    The network (a multi-layer perceptron unless ``module`` says otherwise) is
    trained by a skorch net, held after fitting as ``net_``, whose criterion is
    the chosen loss: cross-entropy, or a differentiable surrogate of F1, ROC
    AUC, balanced accuracy and others (see
    :func:`~sklearn_surrogate.losses.get_loss_names`).

    Parameters
    ----------
    loss : str, SurrogateLoss class or instance, torch loss module, or SurrogateScorer, default="cross_entropy"
        The training criterion: a registered name (``"f1"``, ``"roc_auc"``...),
        a loss class (built with the ``loss__*`` parameters), a module instance
        (deep-copied at ``fit``; ``loss__*`` parameters are set on the copy), or
        a scorer from :func:`~sklearn_surrogate.make_surrogate_scorer`, whose
        matching surrogate is used. A plain torch loss such as
        ``torch.nn.BCEWithLogitsLoss()`` is called as ``loss(logits,
        targets)`` and cannot take sample weights.
    hidden_layer_sizes : tuple of int, default=(100,)
        Hidden layers of the default MLP.
    activation : {"relu", "tanh", "logistic", "identity", "gelu", "silu", "leaky_relu"}, default="relu"
        Hidden activation of the default MLP.
    dropout : float, default=0.0
        Dropout after each hidden layer of the default MLP.
    module : nn.Module class, callable, nn.Module instance or None, default=None
        A custom network. A class or builder is called as
        ``module(n_features=..., n_outputs=..., **module__params)``; it must
        return logits of shape ``(n, 1)`` or ``(n,)`` for binary problems and
        ``(n, n_classes)`` otherwise. None builds :class:`MLP` from the three
        parameters above.
    optimizer : {"adam", "adamw", "sgd", "rmsprop"} or torch.optim.Optimizer class, default="adam"
        Its own parameters pass as ``optimizer__momentum=...`` and so on.
    lr : float, default=1e-3
        Learning rate.
    weight_decay : float, default=0.0
        L2 penalty (the optimizer's ``weight_decay``).
    batch_size : int, default=256
        Mini-batch size; ``-1`` trains on the full batch.
    batch_sampling : {"auto", "random", "stratified", "balanced"}, default="auto"
        How each epoch orders the training rows into batches. ``"random"``: a
        random permutation. ``"stratified"``: a permutation that spreads every
        class evenly over the batches, so batch-level losses (F1, AUC) see
        every class in (nearly) every batch. ``"balanced"``: each batch holds a
        fixed share of each class (``positive_fraction`` for binary problems,
        equal shares otherwise), over-sampling rare classes, like LibAUC's
        ``DualSampler``. ``"auto"`` is ``"stratified"`` for losses that declare
        ``needs_both_classes`` and ``"random"`` otherwise.
    positive_fraction : float or None, default=None
        Share of positives (``classes_[1]``) per batch with
        ``batch_sampling="balanced"`` on a binary problem; None means 0.5.
    max_epochs : int, default=200
        Maximum number of passes over the training data.
    early_stopping : "auto" or bool, default="auto"
        Hold out ``validation_fraction`` of the training data (stratified,
        seeded from ``random_state``), score it after each epoch with the
        target metric (``scoring``), stop after ``n_iter_no_change`` epochs
        without improvement and keep the best epoch's weights. ``"auto"``
        enables it when there are more than 10,000 samples. Stopping always
        watches the validation *metric*, never the loss value, so it also
        works for losses whose value is no progress signal (EnsLoss, AUC-M).
    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.
    n_iter_no_change : int, default=10
        Patience of early stopping, in epochs.
    tol : float, default=1e-4
        Minimum improvement of the validation score that resets the patience.
    class_weight : dict, "balanced" or None, default=None
        Class weights, turned into sample weights (multiplied with
        ``sample_weight``); ``"balanced"`` weighs classes inversely to their
        frequency. Works with every loss.
    scoring : str, SurrogateScorer or None, default=None
        The metric of :meth:`score` and of early stopping. None means the
        metric the loss targets (``loss.target_metric``, e.g. F1 for the F1
        surrogate), or accuracy for losses that target none (cross-entropy).
    device : str, default="cpu"
        ``"cpu"``, ``"cuda"``, ``"cuda:N"``, ``"mps"`` or ``"auto"`` (an
        available accelerator, else the CPU). An unavailable device raises a
        ``ValueError`` at ``fit``. The training data is moved to the device
        once.
    n_threads : int or None, default=None
        Number of CPU threads torch uses during ``fit`` and ``predict``
        (``torch.set_num_threads``, restored afterwards). None keeps torch's
        current setting, which already follows ``OMP_NUM_THREADS``,
        :func:`threadpoolctl.threadpool_limits` and joblib's per-worker limit
        inside parallel model selection (``GridSearchCV(n_jobs=...)`` gives
        each worker process its share of the cores). Negative values count
        from the number of cores, as in joblib: ``-1`` uses all of them.
        torch's thread count is process-wide, so fits running in threads of
        one process should all use the same value.
    mixed_precision : {None, "bf16"}, default=None
        ``"bf16"`` runs the network's forward passes under
        :func:`torch.autocast` with bfloat16 (on a GPU with bf16 support this
        is faster and lighter); the loss is always computed in float32. CPU
        predictions stay in float64 regardless.
    compile : bool or dict, default=False
        Compile the training step's forward pass, network and loss together,
        with :func:`torch.compile` (a dict is passed on as its keyword
        arguments, e.g. ``{"mode": "max-autotune"}``). This fuses the loss's
        many small tensor operations, which is what surrogate losses cost over
        cross-entropy on small batches, and cuts the per-batch overhead on a
        GPU. Compiling takes seconds to a minute per fit (torch caches compiled
        code on disk across processes), so it pays on long fits; validation
        and prediction are not compiled, and the compiled function is not
        pickled.
    warm_start : bool, default=False
        When True, ``fit`` on a fitted estimator starts from its weights (and
        the loss's learned parameters, such as AUC-M's) instead of a new
        initialisation, and trains up to ``max_epochs`` more epochs; ``y``
        must have the same classes. The optimizer starts afresh, as in
        scikit-learn's ``MLPClassifier``; :meth:`partial_fit` keeps its state
        too. Per-sample loss state (ALDR-KL) and epoch-based schedules (ReLoss's
        ``ce_schedule``, callbacks) start again with each call.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout, batch order and the validation
        split. An int makes ``fit`` reproducible; the global torch random
        state is left untouched.
    verbose : int, default=0
        0 is silent; 1 prints a per-epoch table (its best values coloured
        only when ``sys.stdout`` is a terminal); 2 adds a progress bar.
    callbacks : list of skorch callbacks or (name, callback) tuples, or None, default=None
        Passed on to the skorch net (deep-copied at each ``fit``; the fitted
        ones are in ``net_.callbacks_``); what they record lands in
        ``history_``. ``EpochScoring`` and ``BatchScoring`` score as on the
        fitted estimator: the net has ``classes_``, ``decision_function``,
        ``predict_proba`` (probabilities) and ``predict`` (original labels),
        scorers get the original labels, the string scorers of binary metrics
        (``"f1"``, ``"precision"``...) take ``classes_[1]`` as the positive
        class, and ``scoring=None`` means ``scorer_``. ``on_train=False``
        scores the validation split, which only early stopping holds out:
        without it, callbacks that score or monitor validation data raise a
        ``ValueError``. ``LRScheduler``, ``EarlyStopping``, ``ProgressBar``
        and ``Checkpoint`` work too; a ``Checkpoint`` needs an explicit
        ``dirname`` (skorch's default, ``''``, would write into the working
        directory). See the user guide's page on callbacks.
    **kwargs
        ``loss__*``, ``module__*`` and ``optimizer__*`` parameters, routed to
        the loss, the custom module and the optimizer. Searchable with
        :class:`~sklearn.model_selection.GridSearchCV`.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Feature names, when ``X`` had string column names.
    net_ : SurrogateNet
        The fitted skorch net; ``net_.module_`` is the torch network.
    loss_ : SurrogateLoss
        The loss the net was trained with.
    scorer_ : SurrogateScorer
        The scorer used by :meth:`score` and early stopping.
    device_ : torch.device
        The device the network lives on.
    history_ : list of dict
        One entry per epoch: ``epoch``, ``train_loss``, ``dur`` (seconds), and
        with early stopping ``valid_loss``, ``valid_score``; callbacks add
        their own keys (an ``EpochScoring``'s ``name``, ``event_lr``...).
    n_iter_ : int
        Number of epochs run.
    best_epoch_ : int
        The epoch whose weights were kept (the last one without early stopping).
    interrupted_ : bool
        Whether a ``KeyboardInterrupt`` (Ctrl-C, or a callback raising it) ended
        training before ``max_epochs`` and before early stopping (ours, or a
        skorch ``EarlyStopping`` among the callbacks) did. The model
        is then usable with the weights it had (the best epoch's, with early
        stopping), and ``fit`` warns.

    See Also
    --------
    sklearn_surrogate.make_surrogate_scorer : Scorers for the targeted metrics.
    sklearn.neural_network.MLPClassifier : The cross-entropy-only counterpart.

    Notes
    -----
    Binary problems use one output (the logit of ``classes_[1]``), so
    :meth:`decision_function` has shape ``(n,)``; the surrogate losses treat
    ``classes_[1]`` as the positive class unless their ``pos_label`` names
    another. Inputs are converted to float32.

    **The positive class.** The binary confusion-matrix losses (``"f1"``,
    ``"fbeta"``, ``"accuracy"``, ``"balanced_accuracy"``, ``"gmean"``,
    ``"mcc"``) and the AUC losses take a ``pos_label``: the class label to
    train for, resolved against ``classes_`` at ``fit`` (a label that is not
    a class raises scikit-learn's ``ValueError``, and so does a ``pos_label``
    on a problem with more than two classes). Set it as ``loss__pos_label``
    or through a scorer, ``loss=make_surrogate_scorer("f1",
    pos_label="bad")``, which passes its own on. The default scoring then
    uses the same ``pos_label``, so :meth:`score`, early stopping and
    training agree. It matters for F1/F-beta, which score one class only
    (with string labels such as ``"bad"``/``"good"`` the default trains for
    ``"good"``); the other losses are symmetric in the two classes.

    **Probabilities.** With cross-entropy, :meth:`predict_proba` estimates
    class probabilities; with a surrogate loss it is a score trained for a
    decision or a ranking, and it is not calibrated (the F1 and AUC-margin
    surrogates over-predict the positive class by 10-12 points on pc4). Wrap
    the estimator in :class:`~sklearn.calibration.CalibratedClassifierCV`
    where the probabilities themselves matter; the user guide's model
    selection page shows, measured, what that does to them.

    ``X`` may be a SciPy sparse matrix or array (CSR, CSC, COO... of any
    numeric or boolean dtype, such as :class:`~sklearn.preprocessing.OneHotEncoder`'s
    output). It is converted once to CSR float32 (not copied when it already
    is) and never densified whole: each mini-batch, each early-stopping
    validation batch and each prediction chunk is densified on its own, on
    the CPU, and then moved to the device.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_surrogate import SurrogateClassifier
    >>> X, y = make_classification(n_samples=300, weights=[0.8], random_state=0)
    >>> clf = SurrogateClassifier(loss="f1", hidden_layer_sizes=(32,), max_epochs=30, random_state=0)
    >>> model = make_pipeline(StandardScaler(), clf).fit(X, y)
    >>> model.predict(X[:5]).shape
    (5,)
    >>> model.predict_proba(X[:5]).shape
    (5, 2)
    >>> clf.classes_
    array([0, 1])
    >>> clf.n_iter_
    30

    ``score`` reports the metric the loss targets, here F1:

    >>> clf.scorer_
    make_surrogate_scorer(metric='f1')
    >>> 0.0 <= model.score(X, y) <= 1.0
    True

    Hyper-parameters of the loss are routed with the ``loss__`` prefix:

    >>> clf = SurrogateClassifier(loss="fbeta", loss__beta=2.0, max_epochs=5, random_state=0).fit(X, y)
    >>> clf.loss_
    FBetaLoss(L=73.0, average='auto', beta=2.0, eps=1e-06, pos_label=None)

    skorch callbacks record per-epoch scores in ``history_``; with early
    stopping they can score the validation split:

    >>> from skorch.callbacks import EpochScoring
    >>> auc = EpochScoring("roc_auc", name="valid_auc", lower_is_better=False)
    >>> clf = SurrogateClassifier(max_epochs=3, early_stopping=True, callbacks=[auc], random_state=0).fit(X, y)
    >>> [key for key in clf.history_[-1] if key.startswith("valid_auc")]
    ['valid_auc', 'valid_auc_best']

    Sparse input, such as one-hot encoded categories, is densified one batch
    at a time:

    >>> from sklearn.preprocessing import OneHotEncoder
    >>> codes = (X[:, :3] > 0).astype(int)
    >>> X_onehot = OneHotEncoder().fit_transform(codes)  # a SciPy sparse matrix
    >>> clf = SurrogateClassifier(max_epochs=5, random_state=0).fit(X_onehot, y)
    >>> clf.predict_proba(X_onehot[:2]).shape
    (2, 2)
    """

    _parameter_constraints = {
        "loss": [str, type, nn.Module, SurrogateScorer],
        "hidden_layer_sizes": ["array-like", Interval(numbers.Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        "module": [None, callable, nn.Module],
        "optimizer": [StrOptions(set(_OPTIMIZERS)), type],
        "lr": [Interval(numbers.Real, 0, None, closed="neither")],
        "weight_decay": [Interval(numbers.Real, 0, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, -1, None, closed="left")],
        "batch_sampling": [StrOptions({"auto", "random", "stratified", "balanced"})],
        "positive_fraction": [Interval(numbers.Real, 0, 1, closed="neither"), None],
        "max_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "early_stopping": [StrOptions({"auto"}), "boolean"],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "scoring": [StrOptions(set(get_metric_names())), SurrogateScorer, None],
        "device": [str, torch.device],
        "n_threads": [Interval(numbers.Integral, None, None, closed="neither"), None],
        "mixed_precision": [StrOptions({"bf16"}), None],
        "compile": ["boolean", dict],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "callbacks": [list, None],
    }

    def __init__(
        self,
        loss="cross_entropy",
        *,
        hidden_layer_sizes=(100,),
        activation="relu",
        dropout=0.0,
        module=None,
        optimizer="adam",
        lr=1e-3,
        weight_decay=0.0,
        batch_size=256,
        batch_sampling="auto",
        positive_fraction=None,
        max_epochs=200,
        early_stopping="auto",
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        class_weight=None,
        scoring=None,
        device="cpu",
        n_threads=None,
        mixed_precision=None,
        compile=False,
        warm_start=False,
        random_state=None,
        verbose=0,
        callbacks=None,
        **kwargs,
    ):
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.dropout = dropout
        self.module = module
        self.optimizer = optimizer
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.batch_sampling = batch_sampling
        self.positive_fraction = positive_fraction
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.class_weight = class_weight
        self.scoring = scoring
        self.device = device
        self.n_threads = n_threads
        self.mixed_precision = mixed_precision
        self.compile = compile
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        # Routed sub-parameters (loss__beta, module__width, optimizer__momentum...) are
        # stored as they come; like every parameter they are validated in `fit`.
        for key, value in kwargs.items():
            setattr(self, key, value)

    # -- parameters: routed sub-parameters ------------------------------
    def _extra_params(self):
        """Parameters stored from ``**kwargs`` (every public, non-fitted attribute beyond the signature)."""
        named = set(self._get_param_names())
        return {
            k: v for k, v in vars(self).items() if k not in named and not k.startswith("_") and not k.endswith("_")
        }

    def _routed_params(self, prefix):
        return {k: v for k, v in self._extra_params().items() if k.startswith(prefix)}

    def _check_extra_params(self):
        unknown = sorted(k for k in self._extra_params() if not k.startswith(_PARAM_PREFIXES))
        if unknown:
            raise ValueError(
                f"Invalid parameter {unknown[0]!r} for estimator {type(self).__name__}. Valid parameters are: "
                f"{sorted(self._get_param_names())} and parameters starting with {', '.join(_PARAM_PREFIXES)}."
            )

    def get_params(self, deep=True):
        """Get the parameters of this estimator.

        Besides the constructor's parameters, the result holds the routed
        ``loss__*``, ``module__*`` and ``optimizer__*`` parameters that were
        set, so :func:`~sklearn.base.clone` and grid searches keep them.

        Parameters
        ----------
        deep : bool, default=True
            If True, also return the parameters of contained sub-objects that
            are estimators.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        params = super().get_params(deep=deep)
        params.update(self._extra_params())
        return params

    def set_params(self, **params):
        """Set the parameters of this estimator.

        Accepts the constructor's parameters and routed ``loss__*``,
        ``module__*`` and ``optimizer__*`` parameters. As in scikit-learn,
        values are not validated here but at ``fit``, which also rejects
        unknown names.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : SurrogateClassifier
            The estimator.
        """
        named = set(self._get_param_names())
        # Anything beyond the signature is stored and checked in `fit` (scikit-learn's rule that
        # set_params does not validate); `fit` names unknown parameters.
        extra = {k: v for k, v in params.items() if k not in named}
        for key, value in extra.items():
            setattr(self, key, value)
        others = {k: v for k, v in params.items() if k not in extra}
        if others:
            super().set_params(**others)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = True
        return tags

    # -- fit ----------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train the network.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Numeric features (numpy array, pandas DataFrame, SciPy sparse
            matrix or array...). Sparse input is densified one batch at a time.
        y : array-like of shape (n_samples,)
            Class labels (any sortable labels: ints, strings...).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights, multiplied with ``class_weight``.

        Returns
        -------
        self : SurrogateClassifier
        """
        with torch_threads(self.n_threads):
            return self._fit(X, y, sample_weight)

    def __sklearn_clone__(self):
        try:
            return super().__sklearn_clone__()
        except Exception:
            # clone deep-copies the parameters: say clearly when it was a module instance that could not be
            if isinstance(self.module, torch.nn.Module):
                copy_module_instance(self.module)  # raises the explanatory TypeError
            raise

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one more epoch on ``(X, y)``, continuing from the current weights.

        The first call builds the network and needs every class in
        ``classes``; later calls continue with the same weights and optimizer
        state (Adam's moments, for instance), whatever the data. There is no
        early stopping or validation split: each call is one pass over the
        data given.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Numeric features; sparse input is densified one batch at a time.
        y : array-like of shape (n_samples,)
            Class labels, all among ``classes`` (or ``classes_`` after the first call).
        classes : array-like of shape (n_classes,), default=None
            Every class of the problem. Required on the first call, optional
            afterwards (it must then equal ``classes_``).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights, multiplied with ``class_weight``.

        Returns
        -------
        self : SurrogateClassifier
            The estimator, ``n_iter_`` one higher.
        """
        with torch_threads(self.n_threads):
            return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _fit(self, X, y, sample_weight, *, incremental=False, classes=None):
        self._check_extra_params()
        if self.batch_size == 0:
            raise ValueError("batch_size must be a positive integer or -1 (full batch), got 0.")
        # warm start and partial_fit continue from the fitted network; a plain fit starts afresh
        previous = self.__dict__.get("net_") if (incremental or self.warm_start) else None
        X, y = self._validate_training_data(X, y, reset=previous is None)
        y_type = type_of_target(y, input_name="y")
        if y_type not in ("binary", "multiclass"):
            check_classification_targets(y)  # sklearn's wording for continuous targets
            raise ValueError(f"SurrogateClassifier supports binary and multiclass targets only; got {y_type!r} y.")
        y_idx = self._encode_classes(y, previous is not None, incremental, classes)
        n_classes = len(self.classes_)
        if n_classes < 2:
            raise ValueError(
                "This solver needs samples of at least 2 classes in the data, but the data contains only one "
                f"class: {self.classes_[0]!r}"
            )
        if incremental and isinstance(self.class_weight, str) and self.class_weight == "balanced":
            raise ValueError(
                "class_weight 'balanced' is not supported for partial_fit: each call sees only part of the data. "
                "Compute the weights once (sklearn.utils.class_weight.compute_class_weight) and pass them as a dict."
            )
        weights = self._training_weights(X, y, y_idx, sample_weight, require_two_classes=not incremental)

        self.device_ = resolve_device(self.device)
        loss = self._resolve_loss(n_classes, sample_weighted=weights is not None)
        self.loss_ = loss
        self.scorer_ = self._resolve_scorer(loss)

        rng = check_random_state(self.random_state)
        seeds = rng.randint(0, 2**31 - 1, size=3)
        if incremental and previous is not None:
            # each partial_fit call draws fresh seeds (a new batch order), reproducibly from random_state
            seeds = np.random.SeedSequence([int(seeds[0]), int(self.n_iter_)]).generate_state(3) >> 1
        torch_seed, shuffle_seed, split_seed = (int(seed) for seed in seeds)
        early_stopping = not incremental and (
            self.early_stopping is True or (self.early_stopping == "auto" and X.shape[0] > 10_000)
        )
        train_rows, valid_rows = self._split(y_idx, early_stopping, split_seed)

        n_outputs = 1 if n_classes == 2 else n_classes
        loss.setup(n_classes, X.shape[0])
        epochs = 1 if incremental else self.max_epochs
        with torch.random.fork_rng(devices=self._rng_devices()):
            torch.manual_seed(torch_seed)
            module = self._build_module(X.shape[1], n_outputs)
            data = self._tensors(X, y_idx, weights)
            net = self._build_net(module, loss, shuffle_seed, y, weights, data, valid_rows, max_epochs=epochs)
            net.initialize()
            if previous is not None:
                _continue_from(net, previous, keep_optimizer=incremental)
            net.partial_fit(self._dataset(data, train_rows).labeled(self.classes_), None)
        self.net_ = net
        self._fit_build = {"params": self.get_params(deep=False), "n_samples": X.shape[0]}  # for __getstate__
        self._finish_fit(net, epochs, n_previous=self.n_iter_ if previous is not None else 0,
                         history=self.history_ if previous is not None else [])
        return self

    def _validate_training_data(self, X, y, reset):
        """``validate_data`` for ``fit``; sparse ``X`` becomes CSR float32, without a copy when it already is."""
        if not sp.issparse(X):  # (a pandas frame of sparse columns comes back as CSR float64; see _tensors)
            return validate_data(self, X, y, accept_sparse="csr", dtype=[np.float32, np.float64], reset=reset)
        # training runs in float32: convert the stored values once, here, not to float64 first; a float64
        # value beyond float32's range becomes inf, which the finiteness check then names
        with np.errstate(over="ignore"):
            return validate_data(self, X, y, accept_sparse="csr", dtype=np.float32, reset=reset)

    def _encode_classes(self, y, continuing, incremental, classes):
        """Set ``classes_`` (first fit) or check ``y`` against it (warm start, partial_fit); return indices."""
        labels = np.unique(y)
        if incremental and classes is not None:
            classes = np.unique(np.asarray(classes))
            if continuing and not np.array_equal(classes, self.classes_):
                raise ValueError(
                    f"`classes={classes.tolist()!r}` is not the same as on the last call to partial_fit, "
                    f"which was {self.classes_.tolist()!r}."
                )
        if not continuing:
            if incremental:
                if classes is None:
                    raise ValueError("classes must be passed on the first call to partial_fit.")
                self.classes_ = classes
            else:
                self.classes_ = labels
        if continuing and not incremental and not np.array_equal(labels, self.classes_):
            raise ValueError(
                "warm_start can only be used where `y` has the same classes as in the previous call to fit. "
                f"Previously got {self.classes_.tolist()!r}, `y` has {labels.tolist()!r}."
            )
        unseen = np.setdiff1d(labels, self.classes_)
        if len(unseen):
            if continuing and not incremental:
                raise ValueError(
                    "warm_start can only be used where `y` has the same classes as in the previous call to fit. "
                    f"Previously got {self.classes_.tolist()!r}, `y` has {labels.tolist()!r}."
                )
            raise ValueError(f"`y` has classes not in `self.classes_`. `self.classes_` has {self.classes_.tolist()!r}. "
                             f"'y' has {labels.tolist()!r}.")
        return np.searchsorted(self.classes_, y)

    def _training_weights(self, X, y, y_idx, sample_weight, require_two_classes=True):
        """Combined sample and class weights, scaled to mean 1 (None when all equal)."""
        if sample_weight is None and self.class_weight is None:
            return None
        weights = np.ones(X.shape[0], dtype=np.float64)
        if sample_weight is not None:
            weights = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
        if self.class_weight is not None:
            weights = weights * compute_sample_weight(self.class_weight, y)
        if not np.all(np.isfinite(weights)):
            raise ValueError("sample_weight contains NaN or infinity.")
        total = weights.sum()
        if total <= 0:
            raise ValueError("sample_weight sums to zero: at least one sample must have a positive weight.")
        weighted_classes = np.unique(y_idx[weights > 0])
        if require_two_classes and len(weighted_classes) < 2:
            raise ValueError(
                "Only one class has samples with non-zero sample_weight; SurrogateClassifier needs at least 2 "
                f"classes with positive weight, got class {self.classes_[weighted_classes[0]]!r} only."
            )
        return weights * (len(weights) / total)

    def _split(self, y_idx, early_stopping, seed):
        if not early_stopping:
            return None, None
        rows = np.arange(len(y_idx))
        counts = np.bincount(y_idx)
        stratify = y_idx if counts.min() >= 2 else None
        if stratify is None:
            warnings.warn(
                "A class has fewer than 2 samples, so the early-stopping validation split is not stratified.",
                UserWarning,
            )
        return train_test_split(rows, test_size=self.validation_fraction, stratify=stratify, random_state=seed)

    def _rng_devices(self):
        return [self.device_] if self.device_.type == "cuda" else []

    def _resolve_loss(self, n_classes, sample_weighted):
        """Build a fresh loss module from ``loss`` and the ``loss__*`` parameters."""
        params = {k[len("loss__") :]: v for k, v in self._routed_params("loss__").items()}
        # the data is validated once, at fit: the loss's per-batch input checks are off
        return resolve_loss(
            self.loss, params, n_classes=n_classes, classes=self.classes_, sample_weighted=sample_weighted,
            check_input=False,
        )

    def _resolve_scorer(self, loss):
        if isinstance(self.scoring, SurrogateScorer):
            return self.scoring
        if isinstance(self.scoring, str):
            return make_surrogate_scorer(self.scoring)
        if isinstance(self.loss, SurrogateScorer):
            pos_label = getattr(loss, "pos_label", self.loss.pos_label)
            if pos_label is self.loss.pos_label or pos_label == self.loss.pos_label:
                return self.loss
            scorer = copy.copy(self.loss)  # loss__pos_label overrode the scorer's: score what is trained for
            scorer.pos_label = pos_label
            return scorer
        metric = getattr(loss, "target_metric", None)
        if metric is None:
            return make_surrogate_scorer("accuracy")
        return make_surrogate_scorer(metric, **loss.target_metric_params())

    def _build_module(self, n_features, n_outputs):
        module_params = {k[len("module__") :]: v for k, v in self._routed_params("module__").items()}
        if self.module is None:
            if module_params:
                raise ValueError(f"module__* parameters {sorted(module_params)} need a custom `module`.")
            sizes = tuple(int(s) for s in np.atleast_1d(self.hidden_layer_sizes))
            if any(s < 1 for s in sizes):
                raise ValueError(f"hidden_layer_sizes must be positive integers, got {self.hidden_layer_sizes!r}.")
            module = MLP(n_features, n_outputs, sizes, self.activation, float(self.dropout))
        else:
            module = build_module(self.module, n_features, n_outputs, module_params)
        module = module.to(self.device_)
        check_module_output(module, n_features, n_outputs, self.device_)
        return module

    def _optimizer_class(self):
        if isinstance(self.optimizer, str):
            return _OPTIMIZERS[self.optimizer]
        if not (isinstance(self.optimizer, type) and issubclass(self.optimizer, torch.optim.Optimizer)):
            raise TypeError(f"optimizer must be a name or a torch.optim.Optimizer subclass, got {self.optimizer!r}.")
        return self.optimizer

    def _tensors(self, X, y_idx, weights):
        """Features, labels and weights as tensors on the training device, each made once.

        On the CPU a float32 array is shared with the tensor, not copied. A
        sparse ``X`` stays a CSR matrix on the CPU (:class:`SparseRows`),
        densified one batch at a time.
        """
        if sp.issparse(X):
            X_t = SparseRows(X if X.dtype == np.float32 else X.astype(np.float32), self.device_)
        else:
            X_t = as_float_tensor(X, self.device_)
        y_t = torch.as_tensor(y_idx, dtype=torch.long, device=self.device_)
        w_t = None if weights is None else torch.as_tensor(weights, dtype=torch.float32, device=self.device_)
        return X_t, y_t, w_t

    def _dataset(self, data, rows):
        """A :class:`TensorDataset` of ``rows`` (None: all) over the shared tensors."""
        X_t, y_t, w_t = data
        if rows is not None:
            rows = torch.as_tensor(rows, dtype=torch.long, device=self.device_)
        return TensorDataset(X_t, y_t, w_t, rows, with_index=bool(self.loss_.needs_sample_index))

    def _build_net(self, module, loss, shuffle_seed, y, weights, data, valid_rows, max_epochs=None):
        callbacks = [
            ("epoch_timer", EpochTimer()),
            ("train_loss", PassthroughScoring(name="train_loss", on_train=True)),
            ("non_finite_guard", NonFiniteLossGuard()),
            ("loss_epoch_hook", LossEpochHook()),
        ]
        train_split = None
        if valid_rows is not None:
            valid_weights = None if weights is None else weights[valid_rows]
            callbacks += [
                ("valid_loss", PassthroughScoring(name="valid_loss")),
                ("valid_score", ValidationScore(self.scorer_, y[valid_rows], self.classes_, valid_weights)),
                ("early_stopping", EarlyStoppingOnScore(self.n_iter_no_change, self.tol)),
            ]
            train_split = predefined_split(self._dataset(data, valid_rows).labeled(self.classes_))
        if self.verbose:
            callbacks.append(("print_log", PlainPrintLog()))
        if self.verbose and self.verbose >= 2:
            callbacks.append(("progress_bar", ProgressBar()))
        no_validation = {True: " (partial_fit never does)", False: " (early_stopping=False)"}.get(
            self.early_stopping, " (early_stopping='auto' holds it out for more than 10,000 samples only)"
        )
        callbacks += prepare_user_callbacks(self.callbacks, self.classes_, valid_rows is not None, no_validation)
        optimizer_params = dict(self._routed_params("optimizer__"))
        optimizer_class = self._optimizer_class()
        if "weight_decay" in inspect.signature(optimizer_class).parameters:
            optimizer_params.setdefault("optimizer__weight_decay", self.weight_decay)
        elif self.weight_decay:
            raise ValueError(
                f"weight_decay={self.weight_decay} needs an optimizer that takes weight_decay; "
                f"{optimizer_class.__name__} does not."
            )
        return SurrogateNet(
            module=module,
            criterion=loss,
            optimizer=optimizer_class,
            lr=self.lr,
            max_epochs=self.max_epochs if max_epochs is None else max_epochs,
            batch_size=int(self.batch_size),
            train_split=train_split,
            callbacks=callbacks,
            predict_nonlinearity=None,
            device=self.device_,
            verbose=int(bool(self.verbose)),
            shuffle_seed=shuffle_seed,
            mixed_precision=self.mixed_precision,
            compile_forward=self.compile,
            classes=self.classes_,
            scorer=self.scorer_,
            **self._sampling_params(loss),
            **optimizer_params,
        )

    def _sampling_params(self, loss):
        mode = self.batch_sampling
        if mode == "auto":
            mode = "stratified" if getattr(loss, "needs_both_classes", False) else "random"
        n_classes = len(self.classes_)
        shares = None
        if self.positive_fraction is not None:
            if mode != "balanced":
                raise ValueError("positive_fraction is used with batch_sampling='balanced' only.")
            if n_classes != 2:
                raise ValueError(
                    f"positive_fraction applies to binary problems; y has {n_classes} classes (balanced batches "
                    "then hold equal shares of every class)."
                )
            shares = [1.0 - self.positive_fraction, self.positive_fraction]
        return {"batch_sampling": mode, "n_classes": n_classes, "class_shares": shares}

    def _finish_fit(self, net, epochs, n_previous=0, history=()):
        net.train_split = None  # drop the validation tensors (and their device) from the fitted net
        ran = len(net.history)  # epochs started (skorch adds the row when an epoch begins)
        completed = sum(1 for row in net.history if "train_loss" in row)
        rows = [{k: v for k, v in row.items() if k != "batches"} for row in net.history]
        for row in rows:  # number epochs across warm starts and partial_fit calls
            row["epoch"] = n_previous + row.get("epoch", 0)
        self.history_ = list(history) + rows
        self.n_iter_ = n_previous + ran
        stopper = dict(net.callbacks_).get("early_stopping")
        best = stopper.best_epoch_ if stopper is not None and stopper.best_epoch_ else ran
        # skorch's EarlyStopping callbacks: load_best restores the module after ours did, so its epoch is kept
        skorch_stoppers = [cb for _, cb in net.callbacks_ if isinstance(cb, EarlyStopping)]
        for cb in skorch_stoppers:
            if cb.load_best and getattr(cb, "best_model_weights_", None) is not None and cb.best_epoch_ != ran:
                best = cb.best_epoch_
        self.best_epoch_ = n_previous + best
        # skorch ends training quietly on a KeyboardInterrupt (Ctrl-C, or a callback that stops it):
        # the model is usable, but say so when neither the epoch budget nor early stopping (ours, or
        # skorch's EarlyStopping among the callbacks) ended it.
        stopped_early = (stopper is not None and getattr(stopper, "stopped_", False)) or any(
            cb.misses_ >= cb.patience for cb in skorch_stoppers
        )
        self.interrupted_ = completed < epochs and not stopped_early
        if self.interrupted_:
            warnings.warn(
                f"Training was interrupted (KeyboardInterrupt) after {completed} complete epoch(s) of {epochs}. "
                f"The model keeps the weights it had (epoch {self.best_epoch_}) and can predict; n_iter_ and "
                "history_ record what ran. Call fit again to train in full.",
                UserWarning,
                stacklevel=5,  # the caller of fit/partial_fit (through sklearn's _fit_context wrapper)
            )

    # -- predict ---------------------------------------------------------
    def _logits(self, X):
        check_is_fitted(self, "net_")
        with torch_threads(self.n_threads):
            return self._batched_logits(X)

    def _batched_logits(self, X):
        # sparse X stays sparse: each chunk is densified on its own, in the forward pass's dtype
        X = validate_data(self, X, reset=False, accept_sparse="csr", dtype=[np.float32, np.float64])
        device = self.net_.device if isinstance(self.net_.device, torch.device) else torch.device(self.net_.device)
        batch = max(int(self.batch_size), 1024) if int(self.batch_size) > 0 else max(X.shape[0], 1)
        outputs = []
        with torch.inference_mode(), self.net_.autocast() if device.type != "cpu" else contextlib.nullcontext():
            forward, dtype = self._inference_forward(self.net_.module_, device)
            for start in range(0, X.shape[0], batch):
                chunk = as_float_tensor(X[start : start + batch], device, dtype=dtype)
                outputs.append(to_numpy(forward(chunk)).astype(np.float64))
        logits = np.concatenate(outputs) if outputs else np.zeros((0,) if len(self.classes_) == 2 else (0, len(self.classes_)))
        if logits.ndim == 2 and logits.shape[1] == 1:
            logits = logits[:, 0]
        return logits

    @staticmethod
    def _inference_forward(module, device):
        """The forward function used for prediction, and its input dtype.

        On the CPU the network is evaluated in float64, on a private float64
        copy of the module, so a row's prediction does not depend on which
        other rows share its batch (float32 matrix products differ in the last
        bits with the batch's shape), and threads predicting at the same time
        never touch a shared module. Accelerators keep the module's own
        precision; the module is switched to evaluation mode and left there
        (training switches it back each epoch), which is safe from several
        threads at once.
        """
        if device.type != "cpu":
            module.eval()
            return module, next((p.dtype for p in module.parameters()), torch.float32)
        return _float64_copy(module), torch.float64

    def decision_function(self, X):
        """Logits: the positive-class logit (shape ``(n,)``) for binary problems, else one per class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input samples; sparse input is densified one chunk at a time.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The raw network outputs, in float64.
        """
        return self._logits(X)

    def predict_proba(self, X):
        """Class probabilities (sigmoid or softmax of the logits), computed in float64.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input samples; sparse input is densified one chunk at a time.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``; each row sums to 1.
        """
        return logits_to_proba(self._logits(X))

    def predict(self, X):
        """Predicted class labels (from ``classes_``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input samples; sparse input is densified one chunk at a time.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            The class with the largest logit (for binary problems, ``classes_[1]``
            where the logit is positive).
        """
        logits = self._logits(X)
        index = (logits > 0).astype(int) if logits.ndim == 1 else np.argmax(logits, axis=1)
        return self.classes_[index]

    def score(self, X, y, sample_weight=None):
        """The target metric on ``(X, y)``: ``scorer_`` (the loss's metric, or ``scoring``).

        F1 for the F1 surrogate, ROC AUC for AUC losses, accuracy for
        cross-entropy, unless ``scoring`` says otherwise.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Test samples.
        y : array-like of shape (n_samples,)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            The metric's value (higher is better).
        """
        check_is_fitted(self, "net_")
        return self.scorer_(self, X, y, sample_weight=sample_weight)

    # -- persistence -------------------------------------------------------
    def __getstate__(self):
        # The torch objects (net_, loss_, device_) travel as a portable record of plain values and
        # safetensors bytes, which __setstate__ rebuilds: see sklearn_surrogate/_persistence.py.
        state = dict(super().__getstate__())  # a copy: BaseEstimator may return __dict__ itself
        if "net_" in state:
            state["_net_record"] = net_record(self)
            for key in ("net_", "loss_", "device_", "_fit_build"):
                state.pop(key, None)
        return state

    def __setstate__(self, state):
        state = dict(state)
        state.setdefault("warm_start", False)  # pickles from before warm_start existed
        record = state.pop("_net_record", None)
        super().__setstate__(state)
        if record is not None:
            restore_net(self, record)
            self._fit_build = {"params": record["params"], "n_samples": record["n_samples"]}
            return
        net = self.__dict__.get("net_")
        if net is not None:  # a pickle of the net itself (older versions): skorch maps CUDA to the CPU
            self.device_ = torch.device(net.device)
