import csv, sys, numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.mixture import GaussianMixture
sets = ["mnist","noise","gaussian-noise","constant","fashion-mnist+invert","fashion-mnist+vflip","fashion-mnist+hflip","fashion-mnist+rot90","fashion-mnist+blur=1","fashion-mnist+contrast=0.5","fashion-mnist+pixel-shuffle","fashion-mnist+patch-shuffle=4","fashion-mnist+patch-shuffle=2"]
def load(run, name, cols):
    rows = list(csv.DictReader(open(f"{run}/scores/{name}.csv")))
    return np.array([[float(r[c]) for c in cols] for r in rows])
G = ["combined:likelihood","combined:likelihood-ratio","combined:complexity-png","combined:complexity-bzip2","combined:level-1","combined:level-2"]
def derived(a):  # bpd, IC png, IC bzip2, LR, level-1, level-2, level-1 - png, level-2 - png
    bpd, lr, cp, cb, l1, l2 = a.T
    return np.c_[bpd, bpd - cp, bpd - cb, lr, l1, l2, l1 - cp, l2 - cp]
names = ["bpd","ic-png","ic-bz","lr","l1","l2","l1-png","l2-png"]
test = derived(load("runs/glow", "fashion-mnist", G))
rng = np.random.default_rng(0)
perm = rng.permutation(len(test)); fit, ind = test[perm[:5000]], test[perm[5000:]]
outs = {s: derived(load("runs/glow", s, G)) for s in sets}
def twosided_logp(fitcol, x):
    s = np.sort(fitcol); n = len(s)
    r = np.searchsorted(s, x, side="right") / (n + 1.0)
    l = (np.searchsorted(s, x, side="left") + 1) / (n + 1.0)
    p = np.minimum(1.0, 2 * np.minimum(np.maximum(r, 1.0/(n+1)), np.maximum(1 - l + 1.0/(n+1), 1.0/(n+1))))
    return np.log(np.clip(p, 1.0/(n+1), 1))
def report(name, scorer):
    aucs = [roc_auc_score(np.r_[np.zeros(len(ind)), np.ones(len(outs[s]))], np.r_[scorer(ind), scorer(outs[s])]) for s in sets]
    print("%-22s" % name, " ".join("%.3f" % a for a in aucs), " min(-hflip) %.3f" % min(a for s, a in zip(sets, aucs) if s != "fashion-mnist+hflip"))
print("%-22s" % "", " ".join(s.replace("fashion-mnist+","+")[:5] for s in sets))
for j, n in enumerate(names):
    report("alone " + n, lambda a, j=j: np.maximum(0, 0) - twosided_logp(fit[:, j], a[:, j]))
def fisher(cols):
    return lambda a: -sum(twosided_logp(fit[:, j], a[:, j]) for j in cols)
def minp(cols):
    return lambda a: -np.min(np.stack([twosided_logp(fit[:, j], a[:, j]) for j in cols]), axis=0)
allc = list(range(len(names)))
report("fisher all", fisher(allc)); report("minp all", minp(allc))
report("fisher ic,lr,l2", fisher([1,2,3,5])); report("minp ic,lr,l2", minp([1,2,3,5]))
report("fisher ic-png,l2-png,lr", fisher([1,3,7])); report("minp ic-png,l2-png,lr", minp([1,3,7]))
mu, sd = fit.mean(0), fit.std(0)
for k in [1, 4]:
    g = GaussianMixture(k, covariance_type="full", random_state=0, reg_covar=1e-4).fit((fit - mu) / sd)
    report(f"gmm k={k}", lambda a: -g.score_samples((a - mu) / sd))
