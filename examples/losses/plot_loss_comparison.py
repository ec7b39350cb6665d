"""
Comparing the surrogate losses on an imbalanced OpenML dataset
==============================================================

Every registered binary loss trains the same network on ``pc4`` (OpenML 1049,
NASA software modules, 12 % defective), shipped with the package. For each
loss we report the metric it targets and where it lands on F1, ROC AUC and
balanced accuracy. One split and default settings: a first look, not a
benchmark (:doc:`/user_guide/choosing` has the evidence over 22 datasets).
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import balanced_accuracy_score, f1_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_surrogate import SurrogateClassifier
from sklearn_surrogate.datasets import load_shipped
from sklearn_surrogate.losses import get_loss, get_loss_names

X, y, info = load_shipped()
y = np.asarray(y)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)

# %%
# Train one network per binary loss (Z-loss needs three classes and is skipped).
results = {}
for name in get_loss_names():
    if not get_loss(name).supports_binary:
        continue
    model = make_pipeline(StandardScaler(), SurrogateClassifier(loss=name, max_iter=60, n_threads=1, random_state=0))
    model.fit(X_train, y_train)
    positive = model[-1].classes_[1]
    pred, proba = model.predict(X_test), model.predict_proba(X_test)[:, 1]
    results[name] = (
        f1_score(y_test, pred, pos_label=positive),
        roc_auc_score(y_test == positive, proba),
        balanced_accuracy_score(y_test, pred),
        model[-1].loss_.target_metric or "accuracy",
    )
for name, (f1, auc, bacc, target) in sorted(results.items(), key=lambda item: -item[1][0]):
    print(f"{name:18s} targets {target:17s} F1 {f1:.3f}  AUC {auc:.3f}  balanced acc. {bacc:.3f}")

# %%
# F1 against ROC AUC: confusion-matrix losses (F1, balanced accuracy, G-mean, MCC) move
# the threshold towards the minority class; AUC losses rank well but their 0.5
# threshold is not tuned for F1.
fig, ax = plt.subplots(figsize=(6.5, 4.5))
for name, (f1, auc, bacc, target) in results.items():
    ax.scatter(auc, f1, color="C3" if name == "cross_entropy" else "C0")
    ax.annotate(name, (auc, f1), fontsize=7, xytext=(3, 3), textcoords="offset points")
ax.set_xlabel("test ROC AUC")
ax.set_ylabel("test F1 (threshold 0.5)")
ax.set_title(f"{info['name']} (OpenML {info['openml_id']}): one network, many losses")
fig.tight_layout()
plt.show()
