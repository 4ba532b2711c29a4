# Held-out classes: the VAE's 4 statistics alone vs with the posterior mean; fit on half the in-distribution test split.
import csv, glob, numpy as np, sys
from sklearn.mixture import GaussianMixture
from sklearn.metrics import roc_auc_score
def load(f):
    rows=list(csv.reader(open(f))); h=rows[0]; return h,np.array([[float(x) for x in r] for r in rows[1:]])
for K in [0,8]:
    d="runs/vae-no%d/scores/"%K
    h,a=load(d+"fashion-mnist+without-class=%d.csv"%K)
    base=["combined:complexity-png-best","combined:rate","combined:distortion","combined:reconstruction"]
    lat=["combined:latent-%d"%j for j in range(1,33)]
    n=len(a); p=np.random.RandomState(0).permutation(n); F,E=p[:n//2],p[n//2:]
    sets={}
    for f in sorted(glob.glob(d+"*.csv")):
        nm=f.split("/")[-1][:-4]
        if "without-class" in nm: continue
        hh,aa=load(f); sets[nm]=(hh,aa)
    for label,cols in [("4 stats",base),("4 + latents",base+lat),("latents",lat)]:
        X=a[:,[h.index(c) for c in cols]]; mu=X[F].mean(0); sd=X[F].std(0); Z=lambda v:(v-mu)/sd
        best=None
        for k in range(1,17):
            g=GaussianMixture(k,covariance_type="full",random_state=0,reg_covar=1e-6).fit(Z(X[F])); b=g.bic(Z(X[F]))
            if best is None or b<best[0]: best=(b,g,k)
        g=best[1]; si=-g.score_samples(Z(X[E]))
        print("class %d %-12s k=%2d "%(K,label,best[2])+" ".join("%s=%.3f"%(nm.replace("fashion-mnist+",""), roc_auc_score(np.r_[np.zeros(len(si)),np.ones(len(aa))], np.r_[si,-g.score_samples(Z(aa[:,[hh.index(c) for c in cols]]))])) for nm,(hh,aa) in sets.items()))
