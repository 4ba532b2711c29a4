import csv, sys, numpy as np
from sklearn.mixture import GaussianMixture
from sklearn.metrics import roc_auc_score
sets = ["mnist","noise","gaussian-noise","constant","fashion-mnist+invert","fashion-mnist+vflip","fashion-mnist+hflip","fashion-mnist+rot90","fashion-mnist+blur=1","fashion-mnist+contrast=0.5","fashion-mnist+pixel-shuffle","fashion-mnist+patch-shuffle=4","fashion-mnist+patch-shuffle=2"]
def load(run, name, cols):
    rows = list(csv.DictReader(open(f"{run}/scores/{name}.csv")))
    return np.array([[float(r[c]) for c in cols] for r in rows])
def study(label, run, cols):
    test = load(run, "fashion-mnist", cols)
    perm = np.random.default_rng(0).permutation(len(test)); fit, ind = test[perm[:5000]], test[perm[5000:]]
    outs = {s: load(run, s, cols) for s in sets}
    mu, sd = fit.mean(0), fit.std(0)
    best = None
    for k in range(1, 9):
        g = GaussianMixture(k, covariance_type="full", random_state=0, reg_covar=1e-4).fit((fit - mu) / sd)
        b = g.bic((fit - mu) / sd)
        if best is None or b < best[0]: best = (b, k, g)
    g = best[2]
    sc = lambda a: -g.score_samples((a - mu) / sd)
    aucs = [roc_auc_score(np.r_[np.zeros(len(ind)), np.ones(len(outs[s]))], np.r_[sc(ind), sc(outs[s])]) for s in sets]
    print("%-34s k=%d" % (label, best[1]), " ".join("%.3f" % a for a in aucs))
print("%-38s" % "", " ".join(s.replace("fashion-mnist+","+")[:5] for s in sets))
V = ["combined:complexity-png","combined:complexity-bzip2","combined:rate","combined:distortion","combined:reconstruction"]
study("vae all", "runs/vae", V)
study("vae no bzip2", "runs/vae", [c for c in V if "bzip2" not in c])
G = ["combined:likelihood","combined:likelihood-ratio","combined:complexity-png","combined:complexity-bzip2","combined:level-1","combined:level-2"]
study("glow all", "runs/glow", G)
study("glow no bzip2", "runs/glow", [c for c in G if "bzip2" not in c])
