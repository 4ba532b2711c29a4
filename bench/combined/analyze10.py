# CIFAR-10 (JPEG copy), 10-minute VAE: which statistics make the combination? Fit on half the in-distribution test split.
import csv, glob, numpy as np
from sklearn.mixture import GaussianMixture
from sklearn.metrics import roc_auc_score
def load(f):
    rows=list(csv.reader(open(f))); h=rows[0]; return h,np.array([[float(x) for x in r] for r in rows[1:]])
d="runs/c-vae/scores/"
files=sorted(glob.glob(d+"*.csv")); ind=[f for f in files if f.endswith("cifar10_test.csv")]
print(ind)
h,a=load(ind[0])
base=["combined:complexity-png-best","combined:rate","combined:distortion","combined:reconstruction"]
lat=[c for c in h if c.startswith("combined:latent-")]
n=len(a); p=np.random.RandomState(0).permutation(n); F,E=p[:n//2],p[n//2:]
sets={f.split("/")[-1][:-4]:load(f) for f in files if f not in ind}
def norm(hh,aa): return np.sqrt((aa[:,[hh.index(c) for c in lat]]**2).sum(1))[:,None]
for label,fn in [("4 stats",lambda hh,aa: aa[:,[hh.index(c) for c in base]]),
                 ("4 + latents",lambda hh,aa: aa[:,[hh.index(c) for c in base+lat]]),
                 ("4 + |mu|",lambda hh,aa: np.c_[aa[:,[hh.index(c) for c in base]], norm(hh,aa)])]:
    X=fn(h,a); mu=X[F].mean(0); sd=X[F].std(0); Z=lambda v:(v-mu)/sd
    best=None
    for k in range(1,17):
        g=GaussianMixture(k,covariance_type="full",random_state=0,reg_covar=1e-6).fit(Z(X[F])); b=g.bic(Z(X[F]))
        if best is None or b<best[0]: best=(b,g,k)
    g=best[1]; si=-g.score_samples(Z(X[E]))
    print("%-12s k=%2d "%(label,best[2])+" ".join("%s=%.3f"%(nm.replace("test+",""), roc_auc_score(np.r_[np.zeros(len(si)),np.ones(len(aa))], np.r_[si,-g.score_samples(Z(fn(hh,aa)))])) for nm,(hh,aa) in sets.items()))
