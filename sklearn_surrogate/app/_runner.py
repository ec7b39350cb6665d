"""Running a benchmark: every method on every dataset over repeated stratified cross-validation."""

import functools
import json
import os
import pathlib
import platform
import subprocess
import time
import zlib

import numpy as np
import pandas as pd

from ._methods import (
    BASELINES,
    TARGET_SCORERS,
    TARGETS,
    aims_at_target,
    default_baselines,
    make_method,
    method_names,
    target_loss_params,
    target_scorer,
)

__all__ = ["QUICK", "load_dataset", "run_benchmark", "score_predictions"]

QUICK = {"datasets": ["kc2", "diabetes"], "losses": ["f1", "reloss_f1"], "n_repeats": 5, "n_splits": 2}
"""dict: settings of the quick benchmark (``sklearn-surrogate benchmark --quick``).

Two small shared datasets (kc2 and diabetes), 5 x 2 folds, and the two F1
surrogates (the hand-designed ``"f1"`` loss and the shipped learned
``"reloss_f1"``) beside the baselines; keyword arguments of
:func:`run_benchmark`. The datasets come from the shared offline copies when
present (``shared_dir``, ``$SKLEARN_SURROGATE_SHARED_DATASETS``), else from
OpenML through ``fetch_openml``.

Examples
--------
>>> from sklearn_surrogate.app import QUICK
>>> QUICK
{'datasets': ['kc2', 'diabetes'], 'losses': ['f1', 'reloss_f1'], 'n_repeats': 5, 'n_splits': 2}

``run_benchmark(**QUICK)`` runs it (minutes; it needs the shared datasets).
"""
METRICS = ["f1", "roc_auc", "average_precision", "balanced_accuracy"]
# the metrics of the top of the ranking and of costs (issue 19): score column -> target of TARGET_SCORERS whose
# scorer computes it; binary problems only (NaN on multiclass ones). The expected cost is negated, as scikit-learn's
# neg_* scorers are, so that every column reads higher is better.
OPERATING_METRICS = {
    "partial_auc": "partial_auc",
    "tpr_at_fpr": "tpr_at_fpr",
    "recall_at_precision": "recall_at_precision",
    "precision_at_k": "precision_at_k",
    "neg_expected_cost": "expected_cost",
}
ALL_METRICS = METRICS + list(OPERATING_METRICS)
# the scorer configurations of the operating columns, recorded with each checkpoint
SCORING = {column: TARGET_SCORERS[target] for column, target in OPERATING_METRICS.items()}


def load_dataset(spec, *, data_home=None, shared_dir=None):
    """Load a benchmark dataset by OpenML id or name.

    The offline shared copy is used when its manifest lists the dataset (by
    name or id); anything else goes through
    :func:`~sklearn_surrogate.datasets.load_openml` (the shipped copy, or
    ``fetch_openml`` with ``data_home``), so the same command runs on any
    OpenML dataset online.

    Parameters
    ----------
    spec : int or str
        OpenML id or name (a name from the shared manifest, or any OpenML
        name).
    data_home : path-like, default=None
        ``fetch_openml``'s cache folder, for datasets that are not shared.
    shared_dir : path-like, default=None
        Folder of the shared copies; found as in
        :func:`~sklearn_surrogate.datasets.load_shared` when None. Without
        one, every dataset goes through ``load_openml``.

    Returns
    -------
    name : str
        The dataset's name.
    openml_id : int or None
        Its OpenML id, when known.
    X : pandas.DataFrame
        The features, as loaded (not preprocessed).
    y : ndarray of int
        Class indices; for binary problems 1 is the minority class (the
        positive class of F1 and average precision), otherwise the labels'
        sorted order.

    Examples
    --------
    A dataset of a shared folder, and one that is not in it (the shipped
    pc4, OpenML 1049, served without network access):

    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_surrogate.app import load_dataset
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = (Path(folder) / "toy.csv").write_text(
    ...         "size,colour,label\\n1.5,red,yes\\n?,blue,no\\n2.0,red,no\\n0.5,blue,no\\n")
    ...     _ = (Path(folder) / "MANIFEST.tsv").write_text(
    ...         "name\\topenml_id\\tfile\\ttarget\\nmy-toy\\t\\ttoy.csv\\tlabel\\n")
    ...     toy = load_dataset("my-toy", shared_dir=folder)
    ...     pc4 = load_dataset(1049, shared_dir=folder)
    >>> name, openml_id, X, y = toy
    >>> name, openml_id, X.shape, y.tolist()
    ('my-toy', None, (4, 2), [1, 0, 0, 0])
    >>> name, openml_id, X, y = pc4
    >>> name, openml_id, X.shape, round(float(y.mean()), 3)
    ('pc4', 1049, (1458, 37), 0.122)
    """
    from ..datasets import load_openml, load_shared, shared_manifest

    try:
        manifest = shared_manifest(shared_dir)
        no_manifest = None
    except FileNotFoundError as exc:
        manifest, no_manifest = None, exc
    row = None
    if manifest is not None:
        key = str(spec)
        ids = manifest["openml_id"].map(lambda v: str(int(v)) if pd.notna(v) else "")
        hits = manifest[(manifest["name"] == key) | (ids == key)]
        row = hits.iloc[0] if len(hits) else None
    if row is not None:
        X, y, _ = load_shared(row["name"], shared_dir)
        name, openml_id = row["name"], (int(row["openml_id"]) if pd.notna(row["openml_id"]) else None)
    else:
        try:
            X, y, info = load_openml(spec, data_home=data_home)
        except RuntimeError as exc:  # offline, and not in fetch_openml's cache
            where = (f"The shared offline copies were not found ({no_manifest})" if no_manifest is not None
                     else f"The shared offline copies in {manifest.attrs['folder']} do not list it")
            raise RuntimeError(
                f"{exc} {where}: point $SKLEARN_SURROGATE_SHARED_DATASETS or shared_dir (--shared-dir on the "
                "command line) at a folder holding MANIFEST.tsv and the datasets' files."
            ) from exc
        name, openml_id = info.get("name", str(spec)), info.get("openml_id")
    labels, counts = np.unique(np.asarray(y).astype(str), return_counts=True)
    if len(labels) == 2:
        encoded = (np.asarray(y).astype(str) == labels[np.argmin(counts)]).astype(np.int64)
    else:
        encoded = np.searchsorted(labels, np.asarray(y).astype(str))
    return name, openml_id, X, encoded


def score_predictions(y_true, y_pred, proba):
    """Every score column of a benchmark row: the four general metrics, then those of an operating region.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True class indices ``0..K-1``.
    y_pred : array-like of shape (n_samples,)
        Predicted class indices (for F1, balanced accuracy and the expected
        cost).
    proba : ndarray of shape (n_samples, K)
        Predicted probabilities, one column per class (for the ranking
        metrics); K = 2 for binary problems, whose positive class is 1.

    Returns
    -------
    scores : dict
        ``"f1"``, ``"roc_auc"``, ``"average_precision"`` and
        ``"balanced_accuracy"`` (for multiclass problems F1 and average
        precision are macro averages, ROC AUC is one-vs-rest, macro); then
        ``"partial_auc"`` (FPR up to 0.1, standardised), ``"tpr_at_fpr"``
        (FPR at most 0.05), ``"recall_at_precision"`` (precision at least
        0.8), ``"precision_at_k"`` (the top 5 % of the rows) and
        ``"neg_expected_cost"`` (the mean cost per row of the predicted
        labels under :data:`~sklearn_surrogate.app.EXPECTED_COST_MATRIX`,
        negated), each computed by the scorer of its target in
        :data:`~sklearn_surrogate.app.TARGET_SCORERS`; these five are NaN
        for multiclass problems.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_surrogate.app import score_predictions
    >>> y_true = np.array([0, 0, 1, 1, 0, 1])
    >>> proba = np.array([[0.9, 0.1], [0.6, 0.4], [0.3, 0.7], [0.55, 0.45], [0.2, 0.8], [0.1, 0.9]])
    >>> scores = score_predictions(y_true, proba.argmax(axis=1), proba)
    >>> {name: round(float(value), 3) for name, value in scores.items()}  # doctest: +NORMALIZE_WHITESPACE
    {'f1': 0.667, 'roc_auc': 0.778, 'average_precision': 0.806, 'balanced_accuracy': 0.667, 'partial_auc': 0.649,
     'tpr_at_fpr': 0.333, 'recall_at_precision': 0.333, 'precision_at_k': 1.0, 'neg_expected_cost': -1.0}
    """
    from .._metric_table import METRIC_TABLE

    n_classes = proba.shape[1]
    scores = {}
    for name in METRICS:
        entry = METRIC_TABLE[name]
        if entry.response == "label":
            options = {} if n_classes == 2 else {"average": "macro", "labels": np.arange(n_classes)}
            scores[name] = entry.score(y_true, y_pred, **options)
        elif n_classes == 2:
            scores[name] = entry.score(y_true, proba[:, 1])
        else:
            scores[name] = entry.score_multiclass(y_true, proba, classes=np.arange(n_classes), average="macro")
    for column, target in OPERATING_METRICS.items():
        if n_classes != 2:
            scores[column] = np.nan
            continue
        scorer, classes = target_scorer(target), np.arange(2)
        if METRIC_TABLE[TARGET_SCORERS[target]["metric"]].response == "label":
            scores[column] = scorer.score_predictions(y_true, y_pred, classes)
        else:
            scores[column] = scorer.score_proba(y_true, proba, classes)
    return scores


def _scored_metrics(n_classes):
    """The score columns defined on a problem of ``n_classes`` classes."""
    return ALL_METRICS if n_classes == 2 else METRICS


def _holds_target_score(row, n_classes, column):
    """Whether a row of another campaign can stand in a campaign whose target reads ``column``.

    It can when it has that score, or no score at all (a method that does
    not apply to the problem). Rows check-pointed before later score columns
    existed lack those (NaN) and are copied all the same: the campaign is
    about its target, and the report leaves out, and names, the columns
    some rows lack. A target column the problem does not define (an
    operating-region one on a multiclass problem) asks for every score.
    """
    scored = _scored_metrics(n_classes)
    missing = pd.isna(pd.Series([row.get(name, np.nan) for name in scored], dtype=float))
    if missing.all():
        return True
    if column in scored:
        return not pd.isna(row.get(column, np.nan))
    return not missing.any()


def _seed(random_state, dataset, repeat, fold):
    """A seed fixed by the run's seed and the task, not by the order of the datasets."""
    entropy = [int(random_state), zlib.crc32(str(dataset).encode()), int(repeat) + 1, int(fold) + 1]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0] % (2**31 - 1))


def _run_task(dataset, repeat, fold, method, X, y, train, test, seed, target):
    import torch

    torch.set_num_threads(1)
    n_classes = int(y.max()) + 1
    estimator = make_method(method, random_state=seed, n_classes=n_classes, target=target)
    row = {"dataset": dataset, "repeat": repeat, "fold": fold, "method": method}
    if estimator is None:
        return {**row, **{m: np.nan for m in ALL_METRICS}}, np.nan
    scores, seconds = _fit_and_score(estimator, X, y, train, test)
    return {**row, **scores}, seconds


def _fit_and_score(estimator, X, y, train, test):
    """Fit ``Pipeline(make_preprocessor, estimator)`` on the train rows; the test rows' scores and the fit seconds.

    The one place a benchmark fit happens (the runner's tasks, and the
    design scripts of ``benchmarks/`` whose rows pair with a campaign's).
    """
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.pipeline import make_pipeline

    from ..datasets import make_preprocessor

    n_classes = int(y.max()) + 1
    model = make_pipeline(make_preprocessor(X.iloc[train]), estimator)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # RealMLP's training stack (pytorch_lightning) trips over torch's own deprecations; not ours to fix
        warnings.filterwarnings("ignore", category=FutureWarning, module="pytorch_lightning")
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="pytorch_lightning")
        start = time.perf_counter()
        model.fit(X.iloc[train], y[train])
        seconds = time.perf_counter() - start
        proba = np.zeros((len(test), n_classes))
        proba[:, model.classes_] = model.predict_proba(X.iloc[test])
        y_pred = model.predict(X.iloc[test])
    scores = score_predictions(y[test], y_pred, proba)
    return {k: float(v) for k, v in scores.items()}, seconds


def _code_revision():
    """The git commit of this package's source (12 digits, ``+dirty`` when the package's files differ from it).

    None unless the package is the ``sklearn_surrogate`` folder at the top of
    a git work tree (a clone, installed editable): an installed copy says
    nothing about a repository it happens to sit in.
    """
    package = pathlib.Path(__file__).resolve().parents[1]

    def git(*args):
        return subprocess.run(["git", "-C", os.fspath(package.parent), *args], capture_output=True, text=True,
                              timeout=30, check=True).stdout.strip()

    try:
        if pathlib.Path(git("rev-parse", "--show-toplevel")).resolve() != package.parent:
            return None
        dirty = git("status", "--porcelain", "--untracked-files=no", "--", package.name)
        return git("rev-parse", "--short=12", "HEAD") + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


@functools.lru_cache(maxsize=1)
def _environment():
    """What a row's numbers depend on besides the code and the task, as one line (recorded with every new row).

    The package's version and, in a git clone, its commit (:func:`_code_revision`);
    the versions of the libraries a fit runs on, the CPU instruction set
    torch's kernels use (``AVX2``, ``AVX512``: float rounding differs between
    them, and a long training can then stop at another epoch) and the
    machine. Two rows of the same task agree to the last digit only when
    this line (and the code) agree; :func:`~sklearn_surrogate.app.write_report`
    lists the environments of the rows it reports.

    Read once per process (cached), when its first :func:`run_benchmark`
    starts: a commit made while a campaign runs is not the code its process
    loaded.
    """
    import sklearn
    import skorch
    import torch

    from .. import __version__

    revision = _code_revision()
    package = f"sklearn_surrogate {__version__}" + ("" if revision is None else f" ({revision})")
    return (f"{package}, torch {torch.__version__} ({torch.backends.cpu.get_cpu_capability()}), "
            f"scikit-learn {sklearn.__version__}, numpy {np.__version__}, skorch {skorch.__version__}, "
            f"Python {platform.python_version()}, {platform.machine() or 'unknown machine'}")


_KEYS = ["dataset", "repeat", "fold", "method"]
_COLUMNS = [*_KEYS, *ALL_METRICS, "fit_seconds", "environment"]


class _Checkpoint:
    """One dataset's rows on disk: ``<folder>/<dataset>.csv`` and the settings they were computed with.

    The CSV holds every row ever computed for the dataset under the same
    settings (seed, folds per repeat, target), of any method and repeat; a
    run reads the rows it needs, computes the others and rewrites the file
    with all of them after each task (through a temporary file, so a killed
    run leaves a whole file). ``<dataset>.json`` holds the settings and the
    scorer configurations of the operating-region columns (``scoring``); a
    run with other settings refuses the folder rather than mixing rows.

    A checkpoint from before the operating-region columns (no ``scoring`` in
    its settings) is still read: its rows keep their four scores, and the
    new columns are missing (NaN) on them; the report leaves a column out
    where it is missing (:func:`~sklearn_surrogate.app.write_report`). Its
    rows are not refitted: the target's score is there, and refitting would
    turn adding one method to a finished campaign into fitting it all again.
    The settings file gains ``scoring`` (or its new columns) with the first new row.
    """

    def __init__(self, folder, dataset, settings):
        self.folder = None if folder is None else pathlib.Path(folder)
        self.dataset, self.settings = dataset, settings
        self.saved, self.new = pd.DataFrame(columns=_COLUMNS), []
        if self.folder is None:
            return
        csv, sidecar = self._path(".csv"), self._path(".json")
        if sidecar.exists():
            saved = json.loads(sidecar.read_text(encoding="utf-8"))
            if not _same_settings(saved, settings):
                raise ValueError(
                    f"The checkpoint {csv} was computed with {saved}, not {settings}: use another checkpoint folder "
                    "(--output-dir on the command line), or the same settings."
                )
        if csv.exists():
            rows = pd.read_csv(csv)
            # a file from before the settings were saved: its folds tell its number of splits
            if not sidecar.exists() and set(rows["fold"]) != set(range(settings["n_splits"])):
                raise ValueError(f"The checkpoint {csv} has folds {sorted(set(rows['fold']))}, not "
                                 f"{settings['n_splits']} per repeat: use another checkpoint folder.")
            # (an older checkpoint lacks the operating-region columns: NaN there)
            self.saved = rows.drop_duplicates(subset=_KEYS[1:], keep="first").reindex(columns=_COLUMNS)

    def _path(self, suffix):
        return self.folder / f"{self.dataset}{suffix}"

    def done(self):
        return set(zip(self.saved["repeat"], self.saved["fold"], self.saved["method"]))

    def _rows(self):
        new = pd.DataFrame(self.new, columns=_COLUMNS)
        return new if self.saved.empty else pd.concat([self.saved, new], ignore_index=True)

    def add(self, *rows):
        self.new.extend(rows)
        if self.folder is None or not rows:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        sidecar = self._path(".json")
        saved = json.loads(sidecar.read_text(encoding="utf-8")) if sidecar.exists() else {}
        if saved.get("scoring") != self.settings["scoring"]:
            sidecar.write_text(json.dumps(self.settings) + "\n", encoding="utf-8")
        partial = self._path(".csv.partial")
        self._rows().to_csv(partial, index=False, float_format="%.10g")
        os.replace(partial, self._path(".csv"))

    def select(self, keys):
        """The rows of ``keys`` (repeat, fold, method), in that order, as a later run would read them back."""
        if self.folder is None:
            rows = self._rows()
        else:
            rows = pd.read_csv(self._path(".csv"))  # the same values whether computed now or read back later
        wanted = pd.DataFrame(keys, columns=_KEYS[1:])
        frame = wanted.merge(rows, on=_KEYS[1:], how="left", validate="one_to_one")
        return frame.reindex(columns=_COLUMNS)  # an older checkpoint lacks the operating-region columns


def _same_scoring(saved, scoring):
    """Whether a saved scoring (None: from before it was saved) configures each of its columns as ``scoring``."""
    return saved is None or scoring is None or all(scoring.get(column) == config for column, config in saved.items())


def _same_settings(saved, settings):
    """Whether saved checkpoint settings are ``settings``.

    Settings saved before ``scoring`` existed match any scoring, and a saved
    scoring matches one that adds columns to it (``recall_at_precision``
    came after the others): the saved rows keep their scores, and lack the
    new columns (NaN), as rows from before ``scoring`` do.
    """
    if not _same_scoring(saved.get("scoring"), settings.get("scoring")):
        return False
    rest = {key: value for key, value in settings.items() if key != "scoring"}
    return {key: value for key, value in saved.items() if key != "scoring"} == rest


def _reusable_rows(folders, dataset, settings, wanted, n_classes):
    """Rows of ``wanted`` (repeat, fold, method) found in other campaigns' checkpoints of ``dataset``.

    Only checkpoints computed with the same seed and folds per repeat count
    (their target may differ): the folds and every model's seed are then the
    same, so a method that does not aim at the target, and takes the same
    options from both targets (:func:`~sklearn_surrogate.app.target_loss_params`),
    has the same row. A row must also hold the target's score
    (:func:`_holds_target_score`); it may lack score columns added after it
    was fitted.
    """
    from ._report import _COLUMN_OF_TARGET

    same = {key: value for key, value in settings.items() if key not in ("target", "scoring")}
    target = settings["target"]
    target_column = _COLUMN_OF_TARGET.get(target, target)
    found = []
    for folder in folders or ():
        folder = pathlib.Path(folder)
        csv, sidecar = folder / f"{dataset}.csv", folder / f"{dataset}.json"
        if not (csv.exists() and sidecar.exists()):
            continue
        saved = json.loads(sidecar.read_text(encoding="utf-8"))
        if {key: saved.get(key) for key in same} != same or saved.get("target") not in TARGETS:
            continue
        if not _same_scoring(saved.get("scoring", settings["scoring"]), settings["scoring"]):  # other operating points
            continue
        rows = pd.read_csv(csv).drop_duplicates(subset=_KEYS[1:], keep="first").reindex(columns=_COLUMNS)
        keys = list(zip(rows["repeat"], rows["fold"], rows["method"]))
        for key, (_, row) in zip(keys, rows.iterrows()):
            if (key in wanted and _holds_target_score(row, n_classes, target_column)
                    and target_loss_params(key[2], saved["target"]) == target_loss_params(key[2], target)):
                found.append({column: row[column] for column in _COLUMNS})
                wanted = wanted - {key}
    return found


def run_benchmark(datasets, losses=("f1", "reloss_f1"), *, n_repeats=5, n_splits=2, target="f1", random_state=0,
                  baselines=None, data_home=None, shared_dir=None, n_jobs=1, checkpoint_dir=None,
                  reuse_checkpoint_dirs=None, verbose=True):
    """Evaluate every method on every dataset by repeated stratified cross-validation.

    Parameters
    ----------
    datasets : list of int or str
        OpenML ids or names (see :func:`load_dataset`).
    losses : sequence of str, default=("f1", "reloss_f1")
        Registered loss names (``"reloss_<metric>"`` for a shipped learned
        surrogate); each becomes a method beside the baselines.
    n_repeats, n_splits : int, default=5, 2
        ``RepeatedStratifiedKFold`` (5 x 2 by default).
    target : str, default="f1"
        One of :data:`~sklearn_surrogate.app.TARGETS`: the metric the
        ``+threshold`` baselines tune for, ``auto`` trains for, and whose
        options the losses that have them take
        (:func:`~sklearn_surrogate.app.target_loss_params`). Every target's
        metric is scored whatever the target.
    random_state : int, default=0
        Seeds the folds and every model; the scores are then reproducible
        to the last digit on the same machine and library versions.
    baselines : list of str, default=None
        Names of :data:`~sklearn_surrogate.app.BASELINES`;
        ``default_baselines(target)`` when None (the
        :data:`~sklearn_surrogate.app.DEFAULT_BASELINES`, without the
        ``+threshold`` methods on the targets a threshold does not change).
    data_home, shared_dir : path-like, default=None
        ``fetch_openml``'s cache, and the shared offline copies.
    n_jobs : int, default=1
        Parallel fits (joblib); each uses one torch thread.
    checkpoint_dir : path-like, default=None
        Keep each dataset's rows in ``<checkpoint_dir>/<dataset>.csv``,
        rewritten after every fit, and its settings (seed, folds per repeat,
        target) in ``<dataset>.json``. A later call with the same settings
        reuses every row it needs that is already there, whatever methods
        and repeats the earlier calls ran, and computes only the others: an
        interrupted run resumes where it stopped, and a campaign grows by
        methods (or repeats) across sessions. Rows of methods not asked for
        stay in the file but are not returned. Other settings raise a
        ``ValueError``. Rows check-pointed before the operating-region
        columns existed are returned with those columns missing (NaN), not
        refitted.
    reuse_checkpoint_dirs : list of path-like, default=None
        Checkpoint folders of other campaigns (another target, same seed and
        folds per repeat) to copy rows from instead of fitting again, for
        the methods that do not aim at the target (``hgb``, ``realmlp``,
        ``cross_entropy``, the losses: see
        :func:`~sklearn_surrogate.app._methods.aims_at_target`) and take the
        same options from both targets (``pauc_cvar`` under ``partial_auc``
        and ``tpr_at_fpr`` differ in ``max_fpr``: see
        :func:`~sklearn_surrogate.app.target_loss_params`). Their folds and
        seeds are the same, so the rows are the ones a fit would give; copied
        rows go into ``checkpoint_dir`` like computed ones. A row is copied
        when it holds the target's score, even if it lacks score columns
        added after it was fitted (the report then leaves those columns
        out and names them; delete the copied rows from the new checkpoint
        to have them fitted with every column).
    verbose : bool, default=True
        Progress bar.

    Returns
    -------
    scores : pandas.DataFrame
        One row per dataset, repeat, fold and method (columns ``dataset``,
        ``repeat``, ``fold``, ``method``), with the metrics of
        :func:`score_predictions` (the four general ones, then ``partial_auc``, ``tpr_at_fpr``,
        ``precision_at_k`` and ``neg_expected_cost``); NaN for a method that
        does not apply.
    timings : pandas.DataFrame
        The same keys with ``fit_seconds`` (kept apart: timings are not
        reproducible) and ``environment``: the library versions, CPU
        instruction set and machine the row was fitted with (missing for
        rows check-pointed before it was recorded). Scores reproduce to the
        last digit only within one environment.

    Raises
    ------
    ValueError
        For an unknown loss, baseline or target, a ``+threshold`` method on a
        target a threshold does not change, or a checkpoint computed with
        other settings.
    ImportError
        For the ``realmlp`` methods without pytabkit (the ``benchmark``
        extra).
    TypeError
        For ``auto`` with a ``SurrogateClassifier`` that takes no ``metric``.

    See Also
    --------
    write_report : Tables, tests and plots of the scores.

    Examples
    --------
    The smallest run: one dataset (here a made-up one in a temporary shared
    folder), one surrogate loss against one baseline, one split into 2 folds:

    >>> import tempfile
    >>> from pathlib import Path
    >>> import pandas as pd
    >>> from sklearn.datasets import make_classification
    >>> from sklearn_surrogate.app import run_benchmark
    >>> X, y = make_classification(n_samples=200, n_features=5, weights=[0.7], random_state=0)
    >>> frame = pd.DataFrame(X, columns=["a", "b", "c", "d", "e"]).assign(label=y)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     frame.to_csv(Path(folder) / "toy.csv", index=False)
    ...     _ = (Path(folder) / "MANIFEST.tsv").write_text(
    ...         "name\\topenml_id\\tfile\\ttarget\\ntoy\\t\\ttoy.csv\\tlabel\\n")
    ...     scores, timings = run_benchmark(["toy"], losses=["f1"], baselines=["hgb"], n_repeats=1,
    ...                                     n_splits=2, shared_dir=folder, verbose=False)
    >>> scores.shape, scores["fold"].tolist(), scores["method"].tolist()
    ((4, 13), [0, 0, 1, 1], ['hgb', 'f1', 'hgb', 'f1'])
    >>> list(scores.columns[4:])  # doctest: +NORMALIZE_WHITESPACE
    ['f1', 'roc_auc', 'average_precision', 'balanced_accuracy', 'partial_auc', 'tpr_at_fpr', 'recall_at_precision',
     'precision_at_k', 'neg_expected_cost']
    >>> list(timings.columns[4:])
    ['fit_seconds', 'environment']
    >>> bool(scores["roc_auc"].between(0, 1).all())
    True

    With the shared datasets, ``run_benchmark(["kc2", "diabetes"])`` or
    ``run_benchmark(**QUICK)`` compares the F1 surrogates with every
    default baseline.
    """
    from joblib import Parallel, delayed
    from sklearn.model_selection import RepeatedStratifiedKFold

    from ..losses import get_loss_names

    unknown = [loss for loss in losses if loss not in get_loss_names()]
    if unknown:
        raise ValueError(f"Unknown loss(es) {unknown}; registered: {get_loss_names()}.")
    if baselines is not None and not set(baselines) <= set(BASELINES):
        raise ValueError(f"Unknown baseline(s) {sorted(set(baselines) - set(BASELINES))}; baselines: {list(BASELINES)}.")
    if target not in TARGETS:
        raise ValueError(f"Unknown target {target!r}; targets: {list(TARGETS)}.")
    methods = method_names(losses, default_baselines(target) if baselines is None else baselines)
    for method in methods:  # a missing optional dependency fails now, not after hours of other fits
        make_method(method, target=target)
    settings = {"random_state": int(random_state), "n_splits": int(n_splits), "target": target, "scoring": SCORING}
    environment = _environment()  # now, not at the first row: the commit whose code this process runs
    scores, timings = [], []
    for spec in datasets:
        name, _, X, y = load_dataset(spec, data_home=data_home, shared_dir=shared_dir)
        checkpoint = _Checkpoint(checkpoint_dir, name, settings)
        cv = RepeatedStratifiedKFold(n_splits=n_splits, n_repeats=n_repeats,
                                     random_state=_seed(random_state, name, -1, -1))
        splits = list(cv.split(X, y))
        keys = [(*divmod(i, n_splits), method) for i in range(len(splits)) for method in methods]
        done = checkpoint.done()
        reusable = {key for key in keys if key not in done and not aims_at_target(key[2])}
        copied = _reusable_rows(reuse_checkpoint_dirs, name, settings, reusable, int(y.max()) + 1)
        if copied:
            checkpoint.add(*[{**row, "dataset": name} for row in copied])
            done = done | {(row["repeat"], row["fold"], row["method"]) for row in copied}
        # method by method, so that the checkpoint holds whole methods as early as possible
        tasks = []
        for method in methods:
            for i, (train, test) in enumerate(splits):
                repeat, fold = divmod(i, n_splits)
                if (repeat, fold, method) not in done:
                    seed = _seed(random_state, name, repeat, fold)
                    tasks.append((name, repeat, fold, method, X, y, train, test, seed, target))
        jobs = Parallel(n_jobs=n_jobs, return_as="generator")(delayed(_run_task)(*task) for task in tasks)
        if verbose:
            from tqdm.auto import tqdm

            jobs = tqdm(jobs, total=len(tasks), desc=f"{name}: {len(methods)} methods x {n_repeats * n_splits} folds"
                        + (f" ({len(keys) - len(tasks)} fits checkpointed)" if len(tasks) < len(keys) else ""))
        for row, fit_seconds in jobs:  # the workers are this process or its copies: the same environment
            checkpoint.add({**row, "fit_seconds": fit_seconds, "environment": environment})
        frame = checkpoint.select(keys)
        scores.append(frame.drop(columns=["fit_seconds", "environment"]))
        timings.append(frame[[*_KEYS, "fit_seconds", "environment"]])
    return pd.concat(scores, ignore_index=True), pd.concat(timings, ignore_index=True)
