import numpy as np
exec(open("analyze4.py").read().split("evaluate(\"4 stats\"")[0])
from sklearn.mixture import GaussianMixture
def bic_gmm(X, ks=range(1,17)):
    best=None
    for k in ks:
        g=GaussianMixture(k,covariance_type="full",random_state=0,reg_covar=1e-6).fit(X); b=g.bic(X)
        if best is None or b<best[0]: best=(b,g)
    return best[1]
def std(cols): 
    mu=fit[:,cols].mean(0); sd=fit[:,cols].std(0); return lambda a:(a[:,cols]-mu)/sd
S=std(base); L=std(lat)
gs=bic_gmm(S(fit)); gl=bic_gmm(L(fit))
print("k stats",gs.n_components,"k latent",gl.n_components)
def auc(si,so): return roc_auc_score(np.r_[np.zeros(len(si)),np.ones(len(so))], np.r_[si,so])
for label,f in [("product", lambda a: -gs.score_samples(S(a))-gl.score_samples(L(a))),
                ("stats only", lambda a: -gs.score_samples(S(a))),
                ("latent only", lambda a: -gl.score_samples(L(a)))]:
    si=f(ev); print(label," ".join("%s=%.3f"%(n.replace("fashion-mnist+",""),auc(si,f(a))) for n,a in sets.items() if n!="hflip"))
# rank fusion: max of the two empirical tail probabilities (on fit set)
fs=-gs.score_samples(S(fit)); fl=-gl.score_samples(L(fit))
def pv(ref,v): return np.searchsorted(np.sort(ref), v)/len(ref)
f=lambda a: np.maximum(pv(fs,-gs.score_samples(S(a))), pv(fl,-gl.score_samples(L(a)))) + 1e-9*(-gs.score_samples(S(a)))
si=f(ev); print("max-pvalue"," ".join("%s=%.3f"%(n.replace("fashion-mnist+",""),auc(si,f(a))) for n,a in sets.items() if n!="hflip"))
