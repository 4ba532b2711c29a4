# Which way should the VAE's posterior means enter the combination? Fit on half of FashionMNIST's test split, score the other half and each OOD set.
import csv, glob, numpy as np
from sklearn.mixture import GaussianMixture
from sklearn.metrics import roc_auc_score
def load(f):
    rows=list(csv.reader(open(f))); h=rows[0]; a=np.array([[float(x) for x in r] for r in rows[1:]])
    return h,a
h,ind=load("runs/vae/scores/fashion-mnist.csv")
base=[h.index(c) for c in ["combined:complexity-png-best","combined:rate","combined:distortion","combined:reconstruction"]]
lat=[h.index("combined:latent-%d"%j) for j in range(1,33)]
rng=np.random.RandomState(0); p=rng.permutation(len(ind)); fit=ind[p[:5000]]; ev=ind[p[5000:]]
sets={}
for f in sorted(glob.glob("runs/vae/scores/*.csv")):
    n=f.split("/")[-1][:-4]
    if n in("fashion-mnist",): continue
    hh,a=load(f); sets[n]=a[:, [hh.index(c) for c in h if c in hh and (c.startswith("combined:"))]] if False else a
def gmm_bic(X, maxk=8):
    best=None
    for k in range(1,maxk+1):
        g=GaussianMixture(k,covariance_type="full",random_state=0,reg_covar=1e-6,n_init=1).fit(X)
        b=g.bic(X)
        if best is None or b<best[0]: best=(b,g)
    return best[1]
def evaluate(name, feats):
    mu=feats(fit).mean(0); sd=feats(fit).std(0)+1e-12
    g=gmm_bic((feats(fit)-mu)/sd)
    s_in=-g.score_samples((feats(ev)-mu)/sd)
    out=[]
    for n,a in sets.items():
        s=-g.score_samples((feats(a)-mu)/sd)
        out.append((n, roc_auc_score(np.r_[np.zeros(len(s_in)),np.ones(len(s))], np.r_[s_in,s])))
    print("%-28s k=%d "%(name,g.n_components)+" ".join("%s=%.3f"%(n.replace("fashion-mnist+",""),v) for n,v in out))
evaluate("4 stats", lambda a: a[:,base])
evaluate("4 stats + 32 latents", lambda a: a[:,base+lat])
# latent density as one statistic, cross-fitted on the fit half (two folds)
def latent_stat():
    A=fit[:2500,lat]; B=fit[2500:,lat]
    ga=gmm_bic(A,4); gb=gmm_bic(B,4); gall=gmm_bic(fit[:,lat],4)
    cross=np.r_[-gb.score_samples(A), -ga.score_samples(B)]
    return gall, cross
gall, cross = latent_stat()
print("latent gmm k", gall.n_components)
def feats_lat(a, is_fit=False):
    return np.c_[a[:,base], cross if is_fit else -gall.score_samples(a[:,lat])]
# evaluate with cross-fitted values for the fit set
mu=feats_lat(fit,True).mean(0); sd=feats_lat(fit,True).std(0)
g=gmm_bic((feats_lat(fit,True)-mu)/sd)
s_in=-g.score_samples((feats_lat(ev)-mu)/sd)
res=[]
for n,a in sets.items():
    s=-g.score_samples((feats_lat(a)-mu)/sd)
    res.append((n, roc_auc_score(np.r_[np.zeros(len(s_in)),np.ones(len(s))], np.r_[s_in,s])))
print("%-28s k=%d "%("4 stats + latent density",g.n_components)+" ".join("%s=%.3f"%(n.replace("fashion-mnist+",""),v) for n,v in res))
# latent density alone
s_in=-gall.score_samples(ev[:,lat])
print("latent density alone        " + " ".join("%s=%.3f"%(n.replace("fashion-mnist+",""), roc_auc_score(np.r_[np.zeros(len(s_in)),np.ones(len(a))], np.r_[s_in,-gall.score_samples(a[:,lat])])) for n,a in sets.items()))
