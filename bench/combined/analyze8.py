# Does the VAE's view of the image turned half a turn help? Index-paired sets S and S+vflip+hflip; fit on half the in-distribution test split.
import csv, numpy as np
from sklearn.mixture import GaussianMixture
from sklearn.metrics import roc_auc_score
def load(f):
    rows=list(csv.reader(open(f))); h=rows[0]; return h,np.array([[float(x) for x in r] for r in rows[1:]])
SETS=["mnist","noise","gaussian-noise","constant","fashion-mnist+invert","fashion-mnist+vflip","fashion-mnist+rot90","fashion-mnist+blur=1","fashion-mnist+contrast=0.5","fashion-mnist+pixel-shuffle","fashion-mnist+patch-shuffle=4","fashion-mnist+patch-shuffle=2"]
def feats(name):
    h,a=load("runs/vae/scores/%s.csv"%name); ht,t=load("runs/vae/scores/%s+vflip+hflip.csv"%name)
    g=lambda hh,aa,c: aa[:,hh.index(c)]
    base=np.c_[g(h,a,"combined:complexity-png-best"),g(h,a,"rate"),g(h,a,"distortion"),g(h,a,"reconstruction")]
    lat=np.c_[[g(h,a,"combined:latent-%d"%j) for j in range(1,33)]].T
    turned=np.c_[g(ht,t,"rate"),g(ht,t,"distortion")]
    return base,lat,turned
ind=feats("fashion-mnist"); p=np.random.RandomState(0).permutation(10000); F,E=p[:5000],p[5000:]
outs={n:feats(n) for n in SETS}
def run(label, pick):
    X=pick(*ind); mu=X[F].mean(0); sd=X[F].std(0); Z=lambda a:(a-mu)/sd
    best=None
    for k in range(1,17):
        g=GaussianMixture(k,covariance_type="full",random_state=0,reg_covar=1e-6).fit(Z(X[F])); b=g.bic(Z(X[F]))
        if best is None or b<best[0]: best=(b,g,k)
    g=best[1]; si=-g.score_samples(Z(X[E]))
    res=[(n, roc_auc_score(np.r_[np.zeros(len(si)),np.ones(10000)], np.r_[si,-g.score_samples(Z(pick(*o)))])) for n,o in outs.items()]
    print("%-24s k=%2d min=%.3f "%(label,best[2],min(v for _,v in res))+" ".join("%s=%.3f"%(n.replace("fashion-mnist+",""),v) for n,v in res))
run("4 stats", lambda b,l,t: b)
run("4 stats + turned", lambda b,l,t: np.c_[b,t])
run("4 + latents", lambda b,l,t: np.c_[b,l])
run("4 + turned + latents", lambda b,l,t: np.c_[b,t,l])
run("turned - own (elbo diff)", lambda b,l,t: np.c_[b, (t[:,0]+t[:,1])-(b[:,1]+b[:,2])])
