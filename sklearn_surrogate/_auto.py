"""``loss="auto"``: the training loss chosen for the metric and the data.

:func:`choose_loss` is the rule that ``SurrogateClassifier(metric=...)``
follows, derived from ``benchmarks/auto_design.py`` (results in
``benchmarks/results/auto_design*.csv``; summary in the user guide's
"Choosing a surrogate"). Measured inside the cross-fitted ensemble with a
tuned decision rule, on 17 binary OpenML datasets of at most 5,404 rows (3
folds), cross-entropy against the AUC-margin loss, the best surrogate of
the earlier single-network runs on small imbalanced data:

- **F1:** cross-entropy had the better mean F1 (0.630 vs 0.625) and mean
  rank; AUC-margin won on 5 datasets, tied on 4 and lost on 8.
- **Balanced accuracy:** cross-entropy again (mean 0.830 vs 0.828; 10
  datasets to 5).

(Before the piecewise-linear encoding was centred, AUC-margin had won the F1
comparison: the uncentred encoding slowed cross-entropy, not the other way
round.) With a tuned threshold on out-of-fold predictions, cross-entropy's
probabilities are what the Bayes-optimal rule for F1-like metrics thresholds,
and no measured case favoured a surrogate, so the rule is cross-entropy for
every metric and data size. The function stays the one place the rule lives:
metrics that no threshold of a probability optimises (partial AUC, precision
at k, costs) are where a surrogate has to earn a place here.

For those metrics (issue 19) the measurements so far keep cross-entropy too:

- Single networks, 22 binary shared datasets, 5 x 2 folds: every loss built
  for the top of the ranking loses to cross-entropy alone (partial AUC:
  ``pauc_kl`` 2 wins / 5 losses, ``pauc_cvar`` 3 / 7; TPR at FPR 0.05:
  ``np_tpr_at_fpr`` 0 / 10; precision at 5 %: ``precision_at_k`` 0 / 12;
  average precision: ``soap`` 0 / 10). With a cross-entropy term
  (``ce_weight=1``, the ``*_ce`` variants) they become level with it or
  slightly ahead (see the user guide's ranking-loss page).
- Inside the cross-fitted ensemble (4 members, the default then; the same 22 datasets and folds, metric
  ``partial_auc`` at FPR 0.1), the losses with that term against the
  ensemble's cross-entropy on partial AUC: ``pauc_kl_ce`` 1 win, 21 ties,
  0 losses (mean +0.0005), ``pauc_cvar_ce`` 3 / 16 / 3 (+0.0013; it loses on
  jm1, bank-marketing and adult). Level: the rule stays cross-entropy
  (rows in ``benchmarks/results/ensemble_top_of_ranking.csv``).
- **Label smoothing for multiclass decisions.** Cross-entropy with label
  smoothing 0.1 (RealMLP's default for classifiers, Holzmüller et al., 2024)
  against plain cross-entropy inside ``metric="f1_macro"``, on the 12
  multiclass shared datasets (5 x 2 folds): mean macro F1 0.747 vs 0.741,
  5 wins, 7 ties, 0 losses, better on 9 of 12 (letter +0.020, vehicle
  +0.021, optdigits +0.008; cmc -0.005 the largest loss, not significant),
  balanced accuracy 0.750 vs 0.746, but macro ROC AUC 0.918 vs 0.923 (the
  smoothed logits rank less well). On the six multiclass datasets outside the
  shared folder (``benchmarks/outside_datasets.py``, 5 x 2): level, 0.833 vs
  0.833, 0 / 6 / 0. So the rule smooths for multiclass metrics of decisions
  (macro F1, accuracy, balanced accuracy...), where the class offsets tuned on
  out-of-fold predictions set the decisions; not for ranking metrics (ROC
  AUC lost), nor for costs, which decide from the probabilities (not
  measured), nor for binary problems (see ``choose_loss``). Rows:
  ``benchmarks/results/label_smoothing_f1_macro.csv`` and
  ``label_smoothing_outside_f1_macro.csv``.
- **Macro F1** (multiclass): the shipped learned macro-F1 surrogate inside
  the 8-member ensemble with its tuned class offsets, against cross-entropy
  there, on 11 of the 12 multiclass shared datasets (5 x 2 folds): 0 wins,
  8 ties, 3 losses (mean 0.718 vs 0.722); the rule stays cross-entropy
  (``benchmarks/results/learned_in_auto_f1_macro.csv``).
"""

__all__ = ["LABEL_SMOOTHING", "choose_loss"]

#: label smoothing of the cross-entropy that ``loss="auto"`` trains multiclass decision metrics with
LABEL_SMOOTHING = 0.1


def choose_loss(scorer, class_counts):
    """The registered loss and its hyper-parameters that ``loss="auto"`` trains with.

    Parameters
    ----------
    scorer : SurrogateScorer or None
        The estimator's ``metric`` (None: no metric named).
    class_counts : ndarray of int, shape (n_classes,)
        Training rows per class.

    Returns
    -------
    name : str
        ``"cross_entropy"``: the measured choice for every metric and data
        size so far (see the module notes).
    params : dict
        Its hyper-parameters: ``{"label_smoothing": 0.1}`` for a metric of
        decisions (not of scores, not a cost) on more than two classes, else
        empty. ``loss__*`` parameters the user sets override them.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_surrogate import make_surrogate_scorer
    >>> from sklearn_surrogate._auto import choose_loss
    >>> choose_loss(None, np.array([900, 100]))
    ('cross_entropy', {})
    >>> choose_loss(make_surrogate_scorer("f1"), np.array([900, 100]))
    ('cross_entropy', {})
    >>> choose_loss(make_surrogate_scorer("f1"), np.array([300, 200, 100]))  # macro F1 on three classes
    ('cross_entropy', {'label_smoothing': 0.1})
    >>> choose_loss(make_surrogate_scorer("roc_auc"), np.array([300, 200, 100]))
    ('cross_entropy', {})
    """
    multiclass = len(class_counts) > 2
    if scorer is None or not multiclass or not scorer._rates_decisions:
        return "cross_entropy", {}
    return "cross_entropy", {"label_smoothing": LABEL_SMOOTHING}
