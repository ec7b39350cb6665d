"""``SurrogateClassifier``: a scikit-learn classifier trained on a surrogate loss.

What is about classes lives here (labels and ``classes_``, class weights,
stratified splits, batch class shares, the decision rule, ``predict``,
``predict_proba``, ``score``, the loss and scorer resolution); the routed
parameters, building, the training loop, early stopping, warm start, the
inference path and persistence are :class:`BaseSurrogateEstimator`'s
(``_base.py``).
"""

import copy
import numbers
import warnings

import numpy as np
import torch
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.model_selection import train_test_split
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import _assert_all_finite, _check_sample_weight, check_is_fitted
from torch import nn

from ._auto import choose_loss
from ._base import BaseSurrogateEstimator
from ._decision import ranking_threshold, tune_class_offsets, tune_threshold
from ._ensemble import _N_BINS, CrossFitLoss, assign_folds, dataset_logits, out_of_fold_logits
from ._inference import _float64_copy  # noqa: F401  (imported from here by the tests)
from ._net import OutOfFoldScore, logits_to_proba
from ._operating_metrics import _cost_array
from ._scorer import SurrogateScorer, get_metric_names, make_surrogate_scorer
from ._torch_utils import torch_threads
from .exceptions import DegenerateFitWarning
from .losses import resolve_loss

__all__ = ["SurrogateClassifier"]

#: a model predicting one class for at least this share of its fit rows is stuck there (see _degenerate_fit)
_ONE_CLASS_SHARE = 0.99

# scikit-learn's scoring names for averaged F1, accepted by ``metric``: name -> (metric, average)
_METRIC_ALIASES = {f"f1_{average}": ("f1", average) for average in ("macro", "micro", "weighted")}
# members of the cross-fitted ensemble that metric= trains by default. 8 rather than 4: on the F1 campaign's 22 binary
# datasets and 5 x 2 folds, mean F1 0.630 vs 0.627 (2 datasets significantly better, 20 level, none worse; 14 of 22
# better on average), the gain on the small sets with few positives (yeast_me2 +0.03), where each member seeing 7/8
# of the rows instead of 3/4 and averaging more members count most; median fit 2.3 s vs 1.9 s
# (benchmarks/results/ensemble_members_f1.csv)
_AUTO_MEMBERS = 8
# n_bins="auto" on a multiclass metric of decisions: fitted in this order, the first kept on a tie
_AUTO_BIN_CANDIDATES = (_N_BINS, 0)
_AUTO_HIDDEN = {False: (100,), True: (128, 128)}  # hidden_layer_sizes="auto": single MLP, ensemble members


def _scaled_to_max(weights):
    """Non-negative float64 ``weights`` divided by their largest one (unchanged when that is 0 or not finite)."""
    largest = weights.max() if weights.size else 0.0
    return weights / largest if 0 < largest < np.inf else weights


def _move_one_row(source, target, y, label):
    """Move the first row of class ``label`` in ``source`` (a shuffled index array) to ``target``."""
    at = np.flatnonzero(y[source] == label)[0]
    return np.delete(source, at), np.append(target, source[at])


class SurrogateClassifier(ClassifierMixin, BaseSurrogateEstimator):
    """Neural-network classifier trained on a surrogate of the metric you care about.

    The network (a multi-layer perceptron unless ``module`` says otherwise) is
    trained by a skorch net, held after fitting as ``net_``, whose criterion is
    the chosen loss: cross-entropy, or a differentiable surrogate of F1, ROC
    AUC, balanced accuracy and others (see
    :func:`~sklearn_surrogate.losses.get_loss_names`).

    Parameters
    ----------
    loss : "auto", str, SurrogateLoss class or instance, torch loss module, or SurrogateScorer, default="auto"
        The training criterion: a registered name (``"f1"``, ``"roc_auc"``...),
        a loss class (built with the ``loss__*`` parameters), a module instance
        (deep-copied at ``fit``; ``loss__*`` parameters are set on the copy), or
        a scorer from :func:`~sklearn_surrogate.make_surrogate_scorer`, whose
        matching surrogate is used. A plain torch loss such as
        ``torch.nn.BCEWithLogitsLoss()`` is called as ``loss(logits,
        targets)`` and cannot take sample weights. ``"auto"`` is
        the loss the measured rule of the user guide's "Choosing a surrogate"
        picks for ``metric`` and the data: cross-entropy, for every metric
        measured so far (with a decision rule tuned for the metric, no
        surrogate beat it), with label smoothing 0.1 for a multiclass metric
        of decisions such as macro F1 (``loss__label_smoothing`` overrides
        it); the fitted loss is ``loss_``.
    metric : str, SurrogateScorer or None, default=None
        The metric the model is for: a metric name (``"f1"``,
        ``"balanced_accuracy"``, ``"mcc"``, ``"roc_auc"``...; also
        ``"f1_macro"``, ``"f1_micro"`` and ``"f1_weighted"``) or a scorer from
        :func:`~sklearn_surrogate.make_surrogate_scorer`. When set, the
        estimator chooses the loss (``loss="auto"``), trains a cross-fitted
        ensemble (``n_members="auto"``), stops on and keeps the epoch with the
        best held-out value of the metric, tunes the decision rule for it
        (``threshold="auto"``) and :meth:`score` reports it (unless
        ``scoring`` names another). None keeps the plain network: one MLP,
        threshold 0.5 (argmax for multiclass), the loss's own metric.
    threshold : "auto" or float in (0, 1), default="auto"
        Decision threshold on the probability of ``classes_[1]`` (binary
        problems). ``"auto"`` maximises ``metric`` on predictions of rows
        the network did not train on, made during the fit (the ensemble's
        out-of-fold predictions, or the validation split with one network),
        with no refit; stored as ``threshold_``. Multiclass problems get
        per-class offsets on the logits instead (``class_offsets_``). A
        metric of scores that names an operating point sets it there:
        ``tpr_at_fpr`` and ``recall_at_precision`` at the threshold that meets
        their constraint with the most positives found (Neyman-Pearson),
        ``precision_at_k`` at the score above which the top ``k`` share of
        those rows lies. Without a metric, or with a pure ranking metric (ROC
        AUC, partial AUC, average precision), it is 0.5 / argmax. A float
        fixes the binary threshold.
    n_members : "auto" or int, default="auto"
        Members of the default network's ensemble. Each member is an MLP
        trained on all rows but one fold of a stratified split, so every row
        has an out-of-fold prediction for early stopping and the decision
        rule; the prediction is the members' mean logit. ``"auto"`` is 8 when
        ``metric`` is set and ``module`` is None, else 1 (a single network).
        Members are packed into batched weights and train in one pass.
    n_bins : "auto" or int, default="auto"
        Bins of the piecewise-linear encoding (Gorishniy et al., 2022) that
        the ensemble network (``n_members`` > 1) adds to each numerical
        feature of three or more distinct values, after its robust scaling.
        0 feeds the scaled features alone. Neither is best everywhere: on
        the 12 multiclass shared datasets (``metric="f1_macro"``, 5 x 2
        folds) no bins was better on the images and silhouettes (vehicle
        +0.036 macro F1) and worse on wine-quality-white (-0.047) and
        segment. ``"auto"`` is 16 for a binary problem (the encoding the
        binary benchmarks measured) and, for a multiclass metric of decisions
        (macro F1, balanced accuracy...), fits the ensemble twice, with 16
        bins and with none, and keeps the one whose tuned class offsets
        score higher on its out-of-fold predictions (ties: the lower
        out-of-fold log-loss, then 16); the fit then takes twice as long.
        The bins used are ``n_bins_``. Not used by a single network.
    learn_scale : "auto" or bool, default="auto"
        Whether each member of the ensemble network (``n_members`` > 1)
        learns a factor for every input of its first layer (RealMLP's scaling
        layer, Holzmüller et al., 2024), starting at 1 and moving 30 times
        faster than the weights, so that it weighs its columns early in
        training: the informative columns' factors grow more than those of
        an identifier or a noise column. ``"auto"`` is True for a binary
        problem with a metric of decisions (F1, balanced accuracy...; not
        a ranking or a cost metric, where it was not measured) and False
        otherwise, as measured (5 x 2 folds,
        ``benchmarks/results/learned_scale_*.csv``): on the 22 binary shared
        datasets it raised the mean F1 of ``metric="f1"`` by 0.003 (4
        datasets significantly better, 1 worse: churn +0.043, diabetes
        -0.012) and the mean balanced accuracy of
        ``metric="balanced_accuracy"`` by 0.002, and was level on 12 binary
        datasets outside that folder; on the 12 multiclass shared datasets
        the mean macro F1 fell by 0.003 (glass -0.028, ecoli -0.017) and on
        6 outside it was level. Not used by a single network.
    hidden_layer_sizes : "auto" or tuple of int, default="auto"
        Hidden layers of the default MLP. ``"auto"`` is ``(100,)`` for a single
        network and ``(128, 128)`` for each member of an ensemble.
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
    learning_rate_init : float, default=1e-3
        Learning rate of the optimizer (scikit-learn's name, as in
        :class:`~sklearn.neural_network.MLPClassifier`).
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
    max_iter : int, default=200
        Maximum number of epochs (passes over the training data), as in
        :class:`~sklearn.neural_network.MLPClassifier`.
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
        A metric named by string scores the loss's ``pos_label`` class when
        the loss names one.
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
        torch keeps the count per thread (OpenMP builds): a fit running in a
        thread sets its own, and threads that have not set one start from
        the count set last by any thread, so fits running in threads of one
        process should all use the same value (1 is usually right).
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
        initialisation, and trains up to ``max_iter`` more epochs; ``y``
        must have the same classes. The optimizer starts afresh, as in
        scikit-learn's ``MLPClassifier``; :meth:`partial_fit` keeps its state
        too. Per-sample loss state (ALDR-KL) and epoch-based schedules (ReLoss's
        ``ce_schedule``, callbacks) start again with each call.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout, batch order and the validation
        split. An int makes ``fit`` reproducible; the global torch random
        state is left untouched. Fits in threads of one process are too,
        except for what trains with dropout or a stochastic loss
        (``docs/user_guide/scaling.md``).
    verbose : int, default=0
        0 is silent; 1 prints a per-epoch table (its best values coloured
        only when ``sys.stdout`` is a terminal); 2 adds a progress bar.
    callbacks : list or tuple of skorch callbacks or (name, callback) tuples, or None, default=None
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
    max_epochs : int, default="deprecated"
        Deprecated name of ``max_iter`` (renamed in 0.2 for scikit-learn's
        vocabulary; removed in 0.3). Setting it warns with a ``FutureWarning``
        and overrides ``max_iter``.
    lr : float, default="deprecated"
        Deprecated name of ``learning_rate_init`` (renamed in 0.2; removed in
        0.3). Setting it warns with a ``FutureWarning`` and overrides
        ``learning_rate_init``.
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
    threshold_ : float
        Decision threshold on the probability of ``classes_[1]`` (binary
        problems): tuned for ``metric`` with ``threshold="auto"``, the given
        value otherwise, 0.5 without a metric or with a pure ranking metric.
    class_offsets_ : ndarray of shape (n_classes,)
        Offsets added to the logits before the argmax (multiclass problems),
        tuned for ``metric``; zeros without a label metric.
    best_epoch_ : int
        The epoch whose weights were kept (the last one without early stopping).
    n_bins_ : int or None
        The bins of the ensemble network's encoding (see ``n_bins``); None for
        a single network.
    bin_scores_ : dict
        Only after ``n_bins="auto"`` chose: the out-of-fold score of the
        metric (at its tuned class offsets) of each candidate, by bins.
    interrupted_ : bool
        Whether a ``KeyboardInterrupt`` (Ctrl-C, or a callback raising it)
        ended the last training. ``fit`` then keeps the model, usable with the
        weights it had (the best epoch's, with early stopping), and raises the
        ``KeyboardInterrupt`` again, so a model search stops too. Stops asked
        for (early stopping, a skorch ``EarlyStopping`` among the callbacks, a
        callback calling ``net.request_stop()``) are not interruptions.
    fallback_ : str or None
        Why the last fit was redone with the loss's fallback, or None. A
        loss that can return a degenerate model names a fallback (a learned
        surrogate, :class:`~sklearn_surrogate.learned.ReLoss`, falls back to
        its cross-entropy term): when the network it trained ranks its fit
        rows inverted (ROC AUC below 0.5), or predicts one class for 99 % of
        them and scores the loss's target metric there below the best
        constant prediction, the fit warns
        (:class:`~sklearn_surrogate.exceptions.DegenerateFitWarning`),
        refits once with the fallback, and says why here.

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
    >>> clf = SurrogateClassifier(loss="f1", hidden_layer_sizes=(32,), max_iter=30, random_state=0)
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

    >>> clf = SurrogateClassifier(loss="fbeta", loss__beta=2.0, max_iter=5, random_state=0).fit(X, y)
    >>> clf.loss_
    FBetaLoss(L=73.0, average='auto', beta=2.0, eps=1e-06, pos_label=None)

    skorch callbacks record per-epoch scores in ``history_``; with early
    stopping they can score the validation split:

    >>> from skorch.callbacks import EpochScoring
    >>> auc = EpochScoring("roc_auc", name="valid_auc", lower_is_better=False)
    >>> clf = SurrogateClassifier(max_iter=3, early_stopping=True, callbacks=[auc], random_state=0).fit(X, y)
    >>> [key for key in clf.history_[-1] if key.startswith("valid_auc")]
    ['valid_auc', 'valid_auc_best']

    Sparse input, such as one-hot encoded categories, is densified one batch
    at a time:

    >>> from sklearn.preprocessing import OneHotEncoder
    >>> codes = (X[:, :3] > 0).astype(int)
    >>> X_onehot = OneHotEncoder().fit_transform(codes)  # a SciPy sparse matrix
    >>> clf = SurrogateClassifier(max_iter=5, random_state=0).fit(X_onehot, y)
    >>> clf.predict_proba(X_onehot[:2]).shape
    (2, 2)
    """

    _parameter_constraints = {
        **BaseSurrogateEstimator._parameter_constraints,
        "loss": [str, type, nn.Module, SurrogateScorer],
        "batch_sampling": [StrOptions({"auto", "random", "stratified", "balanced"})],
        "positive_fraction": [Interval(numbers.Real, 0, 1, closed="neither"), None],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "scoring": [StrOptions(set(get_metric_names())), SurrogateScorer, None],
        "metric": [StrOptions(set(get_metric_names()) | set(_METRIC_ALIASES)), SurrogateScorer, None],
        "threshold": [StrOptions({"auto"}), Interval(numbers.Real, 0, 1, closed="neither")],
        "n_members": [StrOptions({"auto"}), Interval(numbers.Integral, 1, None, closed="left")],
        "n_bins": [StrOptions({"auto"}), Interval(numbers.Integral, 0, None, closed="left")],
        "learn_scale": [StrOptions({"auto"}), "boolean"],
    }

    _target_dtype = torch.long  # class indices

    def __init__(
        self,
        loss="auto",
        *,
        metric=None,
        threshold="auto",
        n_members="auto",
        n_bins="auto",
        learn_scale="auto",
        hidden_layer_sizes="auto",
        activation="relu",
        dropout=0.0,
        module=None,
        optimizer="adam",
        learning_rate_init=1e-3,
        weight_decay=0.0,
        batch_size=256,
        batch_sampling="auto",
        positive_fraction=None,
        max_iter=200,
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
        max_epochs="deprecated",
        lr="deprecated",
        **kwargs,
    ):
        super().__init__(
            loss,
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            dropout=dropout,
            module=module,
            optimizer=optimizer,
            learning_rate_init=learning_rate_init,
            weight_decay=weight_decay,
            batch_size=batch_size,
            max_iter=max_iter,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            tol=tol,
            device=device,
            n_threads=n_threads,
            mixed_precision=mixed_precision,
            compile=compile,
            warm_start=warm_start,
            random_state=random_state,
            verbose=verbose,
            callbacks=callbacks,
            max_epochs=max_epochs,
            lr=lr,
            **kwargs,
        )
        self.metric = metric
        self.threshold = threshold
        self.n_members = n_members
        self.n_bins = n_bins
        self.learn_scale = learn_scale
        self.batch_sampling = batch_sampling
        self.positive_fraction = positive_fraction
        self.class_weight = class_weight
        self.scoring = scoring

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags

    # -- fit ----------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, costs=None):
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
        costs : array-like of shape (n_samples, 4), (n_samples, 2, 2) or (n_samples, K, K), default=None
            Per-example costs, for a loss that takes them
            (``loss="cost_sensitive"``; any other loss refuses them): one
            cost matrix per row, rows the true class and columns the
            predicted one in the order of ``classes_``; for a binary problem
            ``[TN, FP, FN, TP]``, the positive class being the loss's
            ``pos_label`` (default ``classes_[1]``). Finite; a gain is a
            negative cost. They override the loss's ``cost_matrix``, and a
            cost metric without a ``cost_matrix`` of its own (``scoring`` or
            ``metric="expected_cost"``) scores early stopping and tunes the
            threshold with them. Routed under metadata routing after
            ``set_fit_request(costs=True)``.

        Returns
        -------
        self : SurrogateClassifier
        """
        with torch_threads(self.n_threads):
            return self._fit(X, y, sample_weight, costs=costs)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None, costs=None):
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
        costs : array-like of shape (n_samples, 4), (n_samples, 2, 2) or (n_samples, K, K), default=None
            Per-example costs of these rows, for a loss that takes them (see
            :meth:`fit`).

        Returns
        -------
        self : SurrogateClassifier
            The estimator, ``n_iter_`` one higher.
        """
        with torch_threads(self.n_threads):
            return self._fit(X, y, sample_weight, incremental=True, classes=classes, costs=costs)

    # -- the base's hooks: the targets are classes -------------------------
    def _check_targets(self, X, y, sample_weight, *, continuing, incremental, classes=None):
        """Check ``y``, set ``classes_``; return the class indices and the training weights."""
        y_type = type_of_target(y, input_name="y")
        if y_type not in ("binary", "multiclass"):
            check_classification_targets(y)  # sklearn's wording for continuous targets
            raise ValueError(f"SurrogateClassifier supports binary and multiclass targets only; got {y_type!r} y.")
        y_idx = self._encode_classes(y, continuing, incremental, classes)
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
        if isinstance(self.loss, str) and self.loss == "auto" and not continuing:
            self._auto_loss, self._auto_loss_params = choose_loss(
                self._metric_scorer(), np.bincount(y_idx, minlength=n_classes)
            )
        return y_idx, weights

    def _check_costs(self, X, costs):
        """Per-row costs as a float64 ``(n, K, K)`` array in the order of ``classes_`` (None when not given).

        The scorer's rules (:func:`~sklearn_surrogate._operating_metrics._cost_array`):
        ``(n, 4)`` or ``(n, 2, 2)`` for a binary problem, ``(n, K, K)``
        otherwise, finite, negative values (gains) allowed.
        """
        if costs is None:
            return None
        if hasattr(costs, "toarray") or (isinstance(costs, torch.Tensor) and costs.is_sparse):
            raise TypeError("costs must be a dense array of shape (n_samples, 4) or (n_samples, K, K); got a sparse "
                            "matrix.")
        if isinstance(costs, torch.Tensor):
            costs = costs.detach().cpu().numpy()
        # the positive class is index 1 here: the loss orients a binary problem by its own pos_label
        return np.ascontiguousarray(_cost_array(None, costs, self.classes_, 1, X.shape[0]))

    def _costs_refused_message(self, loss):
        name = type(getattr(loss, "base", loss)).__name__
        auto = "loss='auto' trains with " if isinstance(self.loss, str) and self.loss == "auto" else "the loss "
        return (
            f"costs were passed to fit, but {auto}{name}, which takes no per-example costs. Use "
            "loss='cost_sensitive' (CostSensitiveLoss, the expected cost of each row under its own costs), or keep "
            f"{name} and pass the costs as sample_weight (each row's cost of a wrong decision)."
        )

    # -- metric=: the scorer, the loss, the ensemble and the decision rule ----------
    def _metric_scorer(self):
        """The scorer of ``metric`` (None when no metric is named)."""
        if self.metric is None or isinstance(self.metric, SurrogateScorer):
            return self.metric
        name, average = _METRIC_ALIASES.get(self.metric, (self.metric, "auto"))
        return make_surrogate_scorer(name, average=average)

    def _n_members(self):
        if isinstance(self.n_members, str):  # "auto"
            return _AUTO_MEMBERS if (self.metric is not None and self.module is None) else 1
        if self.n_members > 1 and self.module is not None:
            raise ValueError(
                f"n_members={self.n_members} builds an ensemble of the default network; with a custom module, "
                "leave n_members='auto' (or 1)."
            )
        return int(self.n_members)

    def _ensemble_options(self):
        return {"n_bins": self._bins(), "learn_scale": self._learns_scale()}

    def _learns_scale(self):
        """``learn_scale`` with ``"auto"`` resolved: where it was measured to help, a binary metric of decisions."""
        if isinstance(self.learn_scale, str):  # "auto"
            scorer = self._metric_scorer()
            return len(self.classes_) == 2 and scorer is not None and scorer._rates_decisions
        return bool(self.learn_scale)

    def _bins(self):
        """The encoding's bins for this fit: ``n_bins``, or for ``"auto"`` the candidate ``_fit_once`` set (16, 0,
        or the bins a warm start continues)."""
        if not isinstance(self.n_bins, str):
            return int(self.n_bins)
        return int(self.__dict__.get("_bins_candidate", _N_BINS))

    def _chooses_bins(self, y, incremental):
        """Whether this fit trains both encodings and keeps the better (``n_bins="auto"``): a fresh fit of the
        ensemble for a multiclass metric of decisions, whose class offsets give an out-of-fold score to compare."""
        if not (isinstance(self.n_bins, str) and not incremental and self._uses_ensemble()):
            return False
        if self.warm_start and "net_" in self.__dict__:
            return False
        scorer = self._metric_scorer()
        if scorer is None or scorer._kind != "label" or not isinstance(self.threshold, str):
            return False
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # (a y of NaN or inf warns in the cast)
                return type_of_target(y, input_name="y") == "multiclass"
        except Exception:  # noqa: BLE001 - any bad y: the fit itself says what is wrong with it
            return False

    def _uses_ensemble(self):
        return self._n_members() > 1  # (raises for n_members > 1 with a custom module)

    def _hidden_layer_sizes(self):
        if isinstance(self.hidden_layer_sizes, str):  # "auto"
            return _AUTO_HIDDEN[self._uses_ensemble()]
        return self.hidden_layer_sizes

    def _early_stopping_enabled(self, n_samples):
        if self._uses_ensemble():
            return False  # the ensemble's out-of-fold predictions stop it, not a split
        if self.metric is not None and self.early_stopping == "auto":
            return True  # metric= with a single network: the validation split picks the epoch and threshold
        return super()._early_stopping_enabled(n_samples)

    def _split(self, y_idx, early_stopping, seed):
        if self._uses_ensemble():
            return None, None
        return self._validation_split(y_idx, early_stopping, seed)

    def _prepare_loss(self, loss, y_encoded, seed):
        self._check_batches_can_learn(loss, y_encoded)
        if isinstance(loss, CrossFitLoss):
            loss.assign(assign_folds(y_encoded, loss.n_members, seed))

    def _check_batches_can_learn(self, loss, y_encoded):
        """Refuse (or, for ``partial_fit`` data of one class, warn about) batches a loss learns nothing from.

        A loss with ``needs_mixed_batches`` (pairwise AUC, AUC-M, G-mean, MCC)
        has no gradient on a batch of one class: with ``batch_size=1`` every
        batch is one, and training would run at a loss of 0 without changing a
        weight.
        """
        if not getattr(loss, "needs_mixed_batches", False):
            return
        name = type(getattr(loss, "base", loss)).__name__
        n_rows = len(y_encoded)
        size = n_rows if int(self.batch_size) == -1 else min(int(self.batch_size), n_rows)
        if int(self.batch_size) == 1:
            raise ValueError(
                f"batch_size=1 cannot train {name}: it learns only from batches that hold rows of two classes, and "
                "a batch of one row never does, so the loss would stay 0 and no weight would change. Use "
                "batch_size >= 2 (the default, 256, or -1 for the full batch)."
            )
        if size < 2 or len(np.unique(y_encoded)) < 2:
            warnings.warn(
                f"{name} learns only from batches that hold rows of two classes, but these {n_rows} row(s) hold "
                "one class only: this call learns nothing. Pass rows of at least two classes.",
                UserWarning,
                stacklevel=6,  # the caller of partial_fit
            )

    def _metric_weights(self, y, weights):
        """The weights the metric is scored with: ``sample_weight`` only, without ``class_weight``.

        ``class_weight`` is a training device; the user's metric weighs rows by
        ``sample_weight`` alone (as ``TunedThresholdClassifierCV`` scores them),
        so the threshold and the checkpoint are chosen on that metric.
        """
        if weights is None:
            return None
        weights = np.asarray(weights, dtype=np.float64)
        if self.class_weight is None:
            return weights
        factors = compute_sample_weight(self.class_weight, y)  # y: the class labels
        # a row of a class weighted 0 had training weight 0 whatever its sample_weight: it cannot be recovered
        metric_weights = np.divide(weights, factors, out=np.zeros_like(weights), where=factors > 0)
        return None if np.allclose(metric_weights, metric_weights[0]) else metric_weights

    def _monitor_callbacks(self, data, y, weights):
        if not isinstance(self.__dict__.get("loss_"), CrossFitLoss) or self.early_stopping is False:
            return []
        return [("valid_score", OutOfFoldScore(self.scorer_, self._dataset(data, None), self.loss_.folds,
                                               self.classes_, self._metric_weights(y, weights),
                                               costs=self._metric_costs(self.scorer_, data)))]

    def _fit_once(self, X, y, sample_weight, *, incremental, costs=None, **target_options):
        """The checked fit; with ``n_bins="auto"`` on a multiclass metric, once per encoding, keeping the better.

        Each candidate (16 bins, then none) is a complete fit from the same
        state, seeds and folds; the one whose tuned decision rule scores
        higher on its out-of-fold predictions is kept; on a tie, the one of
        lower out-of-fold log-loss (early stopping's tie-breaker), then 16
        bins. An interrupted candidate fit is kept as it is.
        """
        if not self._chooses_bins(y, incremental):
            continuing = (incremental or self.warm_start) and "net_" in self.__dict__
            previous = self.__dict__.get("n_bins_") if continuing else None
            self._bins_candidate = previous if previous is not None else _N_BINS  # read by _bins() for "auto"
            try:
                interruption = self._checked_fit(X, y, sample_weight, incremental=incremental, costs=costs,
                                                 **target_options)
            finally:
                bins = self._bins()
                del self._bins_candidate
            self.n_bins_ = bins if isinstance(self.loss_, CrossFitLoss) else None
            self.__dict__.pop("_held_out_score", None)
            self.__dict__.pop("bin_scores_", None)
            return interruption
        before = {k: v for k, v in self.__dict__.items() if k not in ("n_bins_", "bin_scores_")}
        fits = []
        for bins in _AUTO_BIN_CANDIDATES:
            self.__dict__.clear()
            self.__dict__.update(before)
            self._bins_candidate = bins
            interruption = self._checked_fit(X, y, sample_weight, incremental=False, costs=costs, **target_options)
            del self._bins_candidate
            self.n_bins_ = bins
            score = self.__dict__.pop("_held_out_score", None)
            if interruption is not None:
                return interruption  # an interrupted fit is kept as it is, and the interrupt raised again
            score = -np.inf if score is None or not np.isfinite(score) else float(score)
            # early stopping's tie-breaker at the kept epoch (the out-of-fold log-loss, negated): small data often
            # tie on the metric
            row = next((row for row in self.history_ if row.get("epoch") == self.best_epoch_), {})
            fits.append((bins, (score, row.get("valid_tiebreak", -np.inf)), dict(self.__dict__)))
        best = max(fits, key=lambda fit: fit[1])  # the first (16 bins) on a full tie
        self.__dict__.clear()
        self.__dict__.update(best[2])
        self.bin_scores_ = {bins: key[0] for bins, key, _ in fits}
        return None

    def _checked_fit(self, X, y, sample_weight, *, incremental, costs=None, **target_options):
        """The base fit, checked: a degenerate model of a loss with a fallback is refitted once with it.

        A fit that continues a fallback model (``partial_fit``, ``warm_start``)
        trains it with the fallback loss again, unchecked.
        """
        before = dict(self.__dict__)
        continuing = (incremental or self.warm_start) and "net_" in before
        inherited = before.get("fallback_") if continuing else None
        interruption = self._fit_with(inherited is not None, X, y, sample_weight, incremental=incremental,
                                      costs=costs, **target_options)
        defect = self.__dict__.pop("_fit_defect", None)
        self.fallback_ = inherited
        if defect is None or interruption is not None:
            return interruption
        loss = self.loss_.members[0] if isinstance(self.loss_, CrossFitLoss) else self.loss_
        warnings.warn(
            f"{type(self).__name__}: the network trained with the loss {type(loss).__name__} {defect}; refitting "
            "once with the loss's fallback (for a learned surrogate, its cross-entropy term alone). fallback_ "
            "records this.",
            DegenerateFitWarning,
            stacklevel=6,  # _checked_fit, _fit_once, _fit, fit, scikit-learn's fit wrapper, the caller
        )
        self.__dict__.clear()
        self.__dict__.update(before)
        interruption = self._fit_with(True, X, y, sample_weight, incremental=incremental, costs=costs,
                                      **target_options)
        self.fallback_ = defect
        return interruption

    def _fit_with(self, fallback, X, y, sample_weight, **options):
        """The base ``_fit_once``, with the loss's fallback when ``fallback`` (then unchecked)."""
        if fallback:
            self._refitting_with_fallback = True
        try:
            return super()._fit_once(X, y, sample_weight, **options)
        finally:
            self.__dict__.pop("_refitting_with_fallback", None)
            if fallback:
                self.__dict__.pop("_fit_defect", None)

    def _degenerate_fit(self, data, y_encoded, weights):
        """How the fitted model is degenerate on the rows it was fitted on, as words; None if it is not.

        Checked only when the loss names a fallback (a learned surrogate),
        and not for the fallback itself: an inverted ranking (ROC AUC below
        0.5, one-vs-rest macro for multiclass), or a model stuck on one class
        (at least 99 % of the rows predicted as one class) whose target metric
        at its decision rule is below the best constant prediction's (F1 0
        where "all positive" scores more). A weak model that predicts several
        classes is not degenerate: a few epochs on balanced data often score
        F1 below "all positive".
        All the fit's rows count (training and validation): a network that
        trained on them and still ranks them inverted went the wrong way.
        """
        loss = self.loss_
        base = loss.members[0] if isinstance(loss, CrossFitLoss) else loss
        if self.__dict__.get("_refitting_with_fallback") or getattr(base, "fallback_loss", lambda: None)() is None:
            return None
        if np.unique(y_encoded).size < 2:
            return None
        from sklearn.metrics import roc_auc_score

        metric_weights = self._metric_weights(self.classes_[y_encoded], weights)
        logits = dataset_logits(self.net_.module_, self._dataset(data, None))
        n_classes = len(self.classes_)
        if not np.isfinite(logits).all():
            return "predicts non-finite scores"
        if n_classes == 2:
            auc = roc_auc_score(y_encoded, logits, sample_weight=metric_weights)
        else:
            proba = logits_to_proba(logits)
            present = np.unique(y_encoded)
            auc = float(np.mean([roc_auc_score(y_encoded == c, proba[:, c], sample_weight=metric_weights)
                                 for c in present]))
        if auc < 0.5:
            return f"ranks the rows it was fitted on inverted (ROC AUC {auc:.3f} < 0.5)"
        metric = getattr(base, "target_metric", None)
        if metric is None:
            return None
        scorer = make_surrogate_scorer(metric, **base.target_metric_params())
        if not scorer._rates_decisions:
            return None
        if n_classes == 2:
            predicted = (logits - self._decision_shift() > 0).astype(int)
        else:
            predicted = np.argmax(logits + self._class_offsets(), axis=1)
        counts = np.bincount(predicted, minlength=n_classes)
        if counts.max() < _ONE_CLASS_SHARE * len(predicted):
            return None  # a model that predicts several classes is weak, perhaps undertrained, not stuck
        labels = self.classes_[y_encoded]
        score = scorer.score_predictions(labels, self.classes_[predicted], self.classes_, metric_weights)
        constant = max(scorer.score_predictions(labels, np.full(len(labels), c), self.classes_, metric_weights)
                       for c in self.classes_)
        if score < constant - 1e-9:
            share = counts.max() / len(predicted)
            return (f"predicts {self.classes_[counts.argmax()]!r} for {share:.1%} of the rows it was fitted on and "
                    f"scores {metric} {score:.4f} there, below the best constant prediction's {constant:.4f}")
        return None

    def _after_training(self, data, y_encoded, weights, valid_rows, incremental=False):
        """Tune ``threshold_`` (binary) or ``class_offsets_`` (multiclass) for ``metric``; check a fallback loss's fit."""
        self._tune_decision(data, y_encoded, weights, valid_rows, incremental)
        if not incremental:
            defect = self._degenerate_fit(data, y_encoded, weights)
            if defect is not None:
                self._fit_defect = defect

    def _tune_decision(self, data, y_encoded, weights, valid_rows, incremental):
        n_classes = len(self.classes_)
        if incremental and "threshold_" in self.__dict__:
            return  # partial_fit keeps the decision rule of the last fit
        self.threshold_ = 0.5
        self.class_offsets_ = np.zeros(n_classes)
        if not isinstance(self.threshold, str):
            if n_classes != 2:
                raise ValueError(
                    f"threshold={self.threshold} is a binary decision threshold, but y has {n_classes} classes; "
                    "use threshold='auto' (per-class offsets tuned for metric)."
                )
            self.threshold_ = float(self.threshold)
            return
        scorer = self._metric_scorer()
        if scorer is None or incremental:
            return
        ranking = getattr(scorer, "_kind", "label") != "label"
        if ranking and (n_classes != 2 or not isinstance(scorer.metric, str)):
            return  # a metric of scores that no threshold changes
        metric_weights = self._metric_weights(self.classes_[y_encoded], weights)
        logits, y_held, w_held = self._held_out_logits(data, y_encoded, metric_weights, valid_rows)
        if logits is None:
            return
        if ranking:  # its operating point, where it names one (TPR at FPR, precision at k); else the default
            cut = ranking_threshold(y_held, logits, scorer, self.classes_, w_held)
            if cut is not None:
                self.threshold_ = float(1.0 / (1.0 + np.exp(-cut)))
            return
        held_rows = None if isinstance(self.loss_, CrossFitLoss) else valid_rows
        c_held = self._metric_costs(scorer, data, held_rows)
        costs = {} if c_held is None else {"costs": c_held}
        if n_classes == 2:
            cut, _ = tune_threshold(y_held, logits, scorer, self.classes_, w_held, **costs)
            self.threshold_ = float(1.0 / (1.0 + np.exp(-cut)))
        else:
            self.class_offsets_, self._held_out_score = tune_class_offsets(
                y_held, logits, scorer, self.classes_, w_held, **costs
            )

    def _held_out_logits(self, data, y_encoded, weights, valid_rows):
        """Predictions of rows the network did not train on: out-of-fold, or the validation split's."""
        weights = None if weights is None else np.asarray(weights)
        if isinstance(self.loss_, CrossFitLoss):
            logits = out_of_fold_logits(self.net_.module_, self._dataset(data, None), self.loss_.folds)
            return logits, y_encoded, weights
        if valid_rows is None:
            return None, None, None
        logits = dataset_logits(self.net_.module_, self._dataset(data, valid_rows))
        return logits, y_encoded[valid_rows], None if weights is None else weights[valid_rows]

    def _n_outputs(self):
        """One logit (of ``classes_[1]``) for a binary problem, one per class otherwise."""
        n_classes = len(self.classes_)
        return 1 if n_classes == 2 else n_classes

    def _output_labels(self):
        return self.classes_

    def _make_loss(self, sample_weighted):
        return self._resolve_loss(len(self.classes_), sample_weighted=sample_weighted)

    def _setup_loss(self, loss, n_samples):
        loss.setup(len(self.classes_), n_samples)

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
            self._check_class_weight_values()
            weights = weights * _scaled_to_max(compute_sample_weight(self.class_weight, y))
        if not np.all(np.isfinite(weights)):
            raise ValueError("sample_weight contains NaN or infinity.")
        # divided by the largest weight before they are summed: weights near float64's limits (1e308, whose sum
        # overflows, or subnormal ones such as 1e-320, whose mean's inverse does) keep their ratios
        weights = _scaled_to_max(weights)
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

    def _check_class_weight_values(self):
        """A dict ``class_weight`` must hold finite, non-negative weights (scikit-learn does not check them)."""
        if not isinstance(self.class_weight, dict):
            return
        for label, value in self.class_weight.items():
            ok = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
            if not (ok and np.isfinite(value) and value >= 0):
                raise ValueError(
                    f"class_weight={self.class_weight!r} gives class {label!r} the weight {value!r}; class weights "
                    "must be finite, non-negative numbers."
                )

    def _validation_split(self, y_idx, early_stopping, seed):
        """Training and validation rows for early stopping: stratified, every class on both sides.

        A class missing from the validation split would leave its metric
        undefined (ROC AUC without positives is NaN at every epoch, and the
        first epoch's weights would be kept), so a class that the stratified
        split leaves out of either side gets one row moved there. Where that
        cannot be done (a class with a single sample), early stopping is
        dropped with a warning; a validation split too small to hold every
        class raises (``early_stopping=True``) or is dropped with a warning
        (``"auto"``).
        """
        if not early_stopping:
            return None, None
        n_classes = len(self.classes_)
        counts = np.bincount(y_idx, minlength=n_classes)
        rare = np.flatnonzero(counts < 2)
        if len(rare):
            warnings.warn(
                f"Early stopping needs every class in both the training and the validation split, but class "
                f"{self.classes_.tolist()[rare[0]]!r} has {counts[rare[0]]} sample(s) in y; training runs without "
                "early stopping (all max_iter epochs). Set early_stopping=False to silence this warning.",
                UserWarning,
                stacklevel=6,  # the caller of fit
            )
            return None, None
        n_rows = len(y_idx)
        n_valid = int(np.ceil(self.validation_fraction * n_rows))  # train_test_split's rounding
        if n_valid < n_classes or n_rows - n_valid < n_classes:
            message = (
                f"early_stopping holds out validation_fraction={self.validation_fraction!r} of the {n_rows} "
                f"training samples ({n_valid} rows, {n_rows - n_valid} left to train on), but each side needs one "
                f"row of each of the {n_classes} classes. Change validation_fraction (to about "
                f"{n_classes / n_rows:.2g}), pass more samples, or set early_stopping=False."
            )
            if self.early_stopping is True:
                raise ValueError(message)
            warnings.warn(message + " Training runs without early stopping.", UserWarning, stacklevel=6)
            return None, None
        rows = np.arange(n_rows)
        train, valid = train_test_split(rows, test_size=self.validation_fraction, stratify=y_idx, random_state=seed)
        for label in range(n_classes):  # the stratified split may round a rare class's share down to 0 rows
            if not np.any(y_idx[valid] == label):
                train, valid = _move_one_row(train, valid, y_idx, label)
            if not np.any(y_idx[train] == label):
                valid, train = _move_one_row(valid, train, y_idx, label)
        return train, valid

    def _resolve_loss(self, n_classes, sample_weighted):
        """Build a fresh loss module from ``loss`` and the ``loss__*`` parameters."""
        params = {k[len("loss__") :]: v for k, v in self._routed_params("loss__").items()}
        loss = self.loss
        if isinstance(loss, str) and loss == "auto":
            loss = self.__dict__.get("_auto_loss") or "cross_entropy"
            params = {**self.__dict__.get("_auto_loss_params", {}), **params}  # the user's loss__* win
        # the data is validated once, at fit: the loss's per-batch input checks are off
        loss = resolve_loss(
            loss, params, n_classes=n_classes, classes=self.classes_, sample_weighted=sample_weighted,
            check_input=False,
        )
        if self.__dict__.get("_refitting_with_fallback"):
            loss = loss.fallback_loss()
        if self._uses_ensemble():
            loss = CrossFitLoss(loss, self._n_members())
        return loss

    def _resolve_scorer(self, loss):
        if self.scoring is None and self.metric is not None:
            return self._metric_scorer()
        if isinstance(self.scoring, SurrogateScorer):
            return self.scoring
        if isinstance(self.scoring, str):
            # a metric named by string scores the class the loss trains for (loss__pos_label), if it names one
            pos_label = getattr(loss, "pos_label", None)
            return make_surrogate_scorer(self.scoring, **({} if pos_label is None else {"pos_label": pos_label}))
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

    # -- predict ---------------------------------------------------------
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
        logits = self._logits(X)
        return logits - self._decision_shift() if logits.ndim == 1 else logits + self._class_offsets()

    def _decision_shift(self):
        """The logit of ``threshold_``: binary decision scores are the logit minus it."""
        threshold = float(self.__dict__.get("threshold_", 0.5))
        return 0.0 if threshold == 0.5 else float(np.log(threshold) - np.log1p(-threshold))

    def _class_offsets(self):
        offsets = self.__dict__.get("class_offsets_")
        return 0.0 if offsets is None else offsets

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
        scores = self.decision_function(X)
        index = (scores > 0).astype(int) if scores.ndim == 1 else np.argmax(scores, axis=1)
        return self.classes_[index]

    def score(self, X, y, sample_weight=None, costs=None):
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
        costs : array-like of shape (n_samples, 4) or (n_samples, K, K), default=None
            Per-row costs, for a cost metric (``scoring="expected_cost"``)
            without a ``cost_matrix``; other metrics refuse them.

        Returns
        -------
        score : float
            The metric's value (higher is better).
        """
        check_is_fitted(self, "net_")
        y_array = np.asarray(y)
        if y_array.dtype.kind == "f" and not np.isfinite(y_array).all():  # before a metric casts it (RuntimeWarning)
            _assert_all_finite(y_array, input_name="y")
        if costs is None:
            return self.scorer_(self, X, y, sample_weight=sample_weight)
        return self.scorer_(self, X, y, sample_weight=sample_weight, costs=costs)
