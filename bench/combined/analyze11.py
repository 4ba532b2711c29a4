# The posterior mean as one statistic: its Mahalanobis distance under a Gaussian fitted on the fitting half (both tails
# then count in the combination), against its 32 raw coordinates; FashionMNIST held-out classes and CIFAR-10.
import csv, glob, numpy as np
from sklearn.mixture import GaussianMixture
from sklearn.metrics import roc_auc_score
def load(f):
    rows=list(csv.reader(open(f))); h=rows[0]; return h,np.array([[float(x) for x in r] for r in rows[1:]])
def study(title, d, inname):
    files=sorted(f for f in glob.glob(d+"*.csv"))
    h,a=load(d+inname)
    pre="combined:"
    base=[pre+c for c in ["complexity-png-best","rate","distortion","reconstruction"]]
    lat=[c for c in h if c.startswith(pre+"latent-")]
    n=len(a); p=np.random.RandomState(0).permutation(n); F,E=p[:n//2],p[n//2:]
    L=a[:,[h.index(c) for c in lat]]; m=L[F].mean(0); C=np.cov(L[F].T)+1e-6*np.eye(len(lat)); P=np.linalg.inv(C)
    def maha(hh,aa):
        Z=aa[:,[hh.index(c) for c in lat]]-m; return np.sqrt(np.einsum("ij,jk,ik->i",Z,P,Z))[:,None]
    sets={f.split("/")[-1][:-4]:load(f) for f in files if not f.endswith(inname) and "+vflip+hflip" not in f}
    for label,fn in [("4 stats",lambda hh,aa: aa[:,[hh.index(c) for c in base]]),
                     ("4 + latents",lambda hh,aa: aa[:,[hh.index(c) for c in base+lat]]),
                     ("4 + mahalanobis",lambda hh,aa: np.c_[aa[:,[hh.index(c) for c in base]], maha(hh,aa)]),
                     ("4 + lat + maha",lambda hh,aa: np.c_[aa[:,[hh.index(c) for c in base+lat]], maha(hh,aa)]),
                     ("4 + lat + log maha",lambda hh,aa: np.c_[aa[:,[hh.index(c) for c in base+lat]], np.log(maha(hh,aa))])]:
        X=fn(h,a); mu=X[F].mean(0); sd=X[F].std(0); Z=lambda v:(v-mu)/sd
        best=None
        for k in range(1,17):
            g=GaussianMixture(k,covariance_type="full",random_state=0,reg_covar=1e-6).fit(Z(X[F])); b=g.bic(Z(X[F]))
            if best is None or b<best[0]: best=(b,g,k)
        g=best[1]; si=-g.score_samples(Z(X[E]))
        print("%s %-16s k=%2d "%(title,label,best[2])+" ".join("%s=%.3f"%(nm.replace("_work_data_cifar10_test+","").replace("fashion-mnist+",""), roc_auc_score(np.r_[np.zeros(len(si)),np.ones(len(aa))], np.r_[si,-g.score_samples(Z(fn(hh,aa)))])) for nm,(hh,aa) in sets.items()))
study("fm-no0", "runs/vae-no0/scores/", "fashion-mnist+without-class=0.csv")
study("fm-no8", "runs/vae-no8/scores/", "fashion-mnist+without-class=8.csv")
study("cifar", "runs/c-vae/scores/", "_work_data_cifar10_test.csv")
