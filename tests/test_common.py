"""scikit-learn's own estimator checks on SurrogateClassifier."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_surrogate import SurrogateClassifier

# Stochastic mini-batch training: with integer sample weights a sample is counted k times
# in the loss of *its* batch, but repeating it k times changes which samples share a batch
# (and the number of optimiser steps), so the two fits agree only in expectation.
_SAMPLE_WEIGHT_REASON = (
    "mini-batch SGD: weighting a sample by k and repeating it k times change the batch "
    "composition and number of optimiser steps, so the fits agree only in expectation"
)
# The sparse variant runs on the dense variant's 15 rows, made CSR, and fails the same way: on data
# that fits in one batch the two fits differ by float32 rounding alone (about 1e-6 relative, above
# the check's float64 tolerance, rtol=1e-7).
_SPARSE_SAMPLE_WEIGHT_REASON = (
    "training runs in float32: on this check's data (a single mini-batch) the fits agree to about 1e-6 "
    "relative, above the check's float64 tolerance (rtol=1e-7)"
)
EXPECTED_FAILED = {
    "check_sample_weight_equivalence_on_dense_data": _SAMPLE_WEIGHT_REASON,
    "check_sample_weight_equivalence_on_sparse_data": _SPARSE_SAMPLE_WEIGHT_REASON,
}


# as scikit-learn says of its own TunedThresholdClassifierCV: predict thresholds the probability at threshold_
_TUNED_THRESHOLD_REASON = (
    "threshold tuned for the metric: predict is predict_proba >= threshold_, not the arg-max of the probabilities "
    "(test_metric_first.py runs this check with threshold=0.5)"
)


def _expected_failed_checks(estimator):
    if estimator.metric is not None and estimator.threshold == "auto":
        return {**EXPECTED_FAILED, "check_classifiers_train": _TUNED_THRESHOLD_REASON,
                "check_class_weight_classifiers": (
                    "metric='f1' tunes its threshold for F1 with sample_weight only (class_weight is a training "
                    "device, as in TunedThresholdClassifierCV): the tuned threshold undoes most of what the class "
                    "weights shift, so the check's balanced-accuracy bar for class_weight is not always met")}
    return EXPECTED_FAILED


@parametrize_with_checks(
    [
        SurrogateClassifier(max_iter=100),
        SurrogateClassifier(loss="f1", max_iter=100),
        SurrogateClassifier(metric="f1", max_iter=100),
    ],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
