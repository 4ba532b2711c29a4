import csv, sys, numpy as np
from sklearn.mixture import GaussianMixture
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import KernelDensity
from sklearn.svm import OneClassSVM
run = sys.argv[1]
prefix = sys.argv[2] if len(sys.argv) > 2 else "combined:"
sets = ["mnist","noise","gaussian-noise","constant","fashion-mnist+invert","fashion-mnist+vflip","fashion-mnist+hflip","fashion-mnist+rot90","fashion-mnist+blur=1","fashion-mnist+contrast=0.5","fashion-mnist+pixel-shuffle","fashion-mnist+patch-shuffle=4","fashion-mnist+patch-shuffle=2"]
def load(name):
    rows = list(csv.DictReader(open(f"{run}/scores/{name}.csv")))
    cols = [c for c in rows[0] if c.startswith(prefix)]
    return cols, np.array([[float(r[c]) for c in cols] for r in rows])
cols, test = load("fashion-mnist")
print(cols)
rng = np.random.default_rng(0)
perm = rng.permutation(len(test)); fit, ind = test[perm[:5000]], test[perm[5000:]]
mu, sd = fit.mean(0), fit.std(0)
z = lambda a: (a - mu) / sd
outs = {s: load(s)[1] for s in sets}
def report(name, scorer):
    aucs = []
    for s in sets:
        a = roc_auc_score(np.r_[np.zeros(len(ind)), np.ones(len(outs[s]))], np.r_[scorer(ind), scorer(outs[s])])
        aucs.append(a)
    print("%-28s" % name, " ".join("%.3f" % a for a in aucs), " min %.3f" % min(a for s, a in zip(sets, aucs) if s != "fashion-mnist+hflip"))
print("%-28s" % "", " ".join(s.replace("fashion-mnist+","+")[:5] for s in sets))
for k in [1, 2, 4, 8]:
    g = GaussianMixture(k, covariance_type="full", random_state=0, reg_covar=1e-4).fit(z(fit))
    report(f"gmm k={k} bic={g.bic(z(fit)):.0f}", lambda a: -g.score_samples(z(a)))
# per-statistic 1-D KDE, summed (DoSE_KDE)
kdes = [KernelDensity(bandwidth=0.2).fit(z(fit)[:, [j]]) for j in range(len(cols))]
report("dose-kde sum", lambda a: -sum(k.score_samples(z(a)[:, [j]]) for j, k in enumerate(kdes)))
kd = KernelDensity(bandwidth=0.3).fit(z(fit))
report("kde joint bw .3", lambda a: -kd.score_samples(z(a)))
svm = OneClassSVM(gamma="scale", nu=0.05).fit(z(fit))
report("ocsvm", lambda a: -svm.decision_function(z(a)))
