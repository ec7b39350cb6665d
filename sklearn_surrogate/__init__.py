"""sklearn_surrogate: train neural networks for the metric you care about.

Scikit-learn estimators whose network (a skorch net) is trained on a
differentiable surrogate of F1, ROC AUC, balanced accuracy and other metrics,
and scorers that select models on the same metrics.
"""

from ._classifier import SurrogateClassifier
from ._scorer import SurrogateScorer, get_metric_names, make_surrogate_scorer
from .losses import get_loss, get_loss_names, register_loss

__version__ = "0.1.0"

__all__ = [
    "SurrogateClassifier",
    "SurrogateScorer",
    "get_loss",
    "get_loss_names",
    "get_metric_names",
    "make_surrogate_scorer",
    "register_loss",
    "__version__",
]
