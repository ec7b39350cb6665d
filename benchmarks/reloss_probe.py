"""Probe of learned F1/AUC/balanced-accuracy surrogates (issue 4, work in progress).

Learns set-level (with and without the gradient penalty) and per-sample surrogates, prints their
held-out Spearman on fresh prediction sets, then trains SurrogateClassifier with the F1 surrogates on
kc1 and pc3 (3 stratified splits) against cross-entropy and the AnyLoss F1 loss. About 15 minutes on
one thread. Usage: ``python benchmarks/reloss_probe.py``.
"""
import time, torch, numpy as np; torch.set_num_threads(1)
from sklearn_surrogate.learned import learn_surrogate
from sklearn_surrogate import SurrogateClassifier
from sklearn_surrogate.datasets import load_shared, make_preprocessor
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.pipeline import make_pipeline
from sklearn.metrics import f1_score
losses = {}
for metric in ["f1", "roc_auc", "balanced_accuracy"]:
    for arch in ["set", "per_sample"]:
        for gp in [0.0, 10.0]:
            if arch == "per_sample" and gp: continue
            t = time.time()
            l = learn_surrogate(metric, architecture=arch, steps=800, n_train_sets=2048, n_test_sets=512, gradient_penalty=gp, verbose=False)
            print(metric, arch, "gp", gp, "held-out spearman", round(l.info_["held_out_spearman"], 3), round(time.time()-t), "s", flush=True)
            losses[(metric, arch, gp)] = l
for ds in ["kc1", "pc3"]:
    X, y, _ = load_shared(ds); y = np.asarray(y)
    res = {}
    for rep, (tr, te) in enumerate(StratifiedShuffleSplit(3, test_size=0.3, random_state=0).split(X, y)):
        for name, loss in [("cross_entropy", "cross_entropy"), ("anyloss_f1", "f1"), ("reloss_f1_set_gp0", losses[("f1","set",0.0)]), ("reloss_f1_set_gp10", losses[("f1","set",10.0)]), ("reloss_f1_per_sample", losses[("f1","per_sample",0.0)])]:
            m = make_pipeline(make_preprocessor(X.iloc[tr]), SurrogateClassifier(loss=loss, random_state=rep)).fit(X.iloc[tr], y[tr])
            res.setdefault(name, []).append(f1_score(y[te], m.predict(X.iloc[te]), pos_label=m[-1].classes_[1]))
    for k, v in res.items(): print(ds, k, round(np.mean(v), 3), np.round(v, 3), flush=True)
