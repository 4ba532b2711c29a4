import numpy as np, sys
exec(open("analyze4.py").read().split("evaluate(\"4 stats\"")[0])
from sklearn.mixture import GaussianMixture
def gm(X,k,cov): return GaussianMixture(k,covariance_type=cov,random_state=0,reg_covar=1e-6).fit(X)
for cols,label in [(lat,"latents"),(base+lat,"4+latents")]:
    mu=fit[:,cols].mean(0); sd=fit[:,cols].std(0)
    Z=lambda a:(a[:,cols]-mu)/sd
    for cov in ["full"]:
        for k in [8,12,16,24]:
            g=gm(Z(fit),k,cov); s_in=-g.score_samples(Z(ev))
            print(label,cov,k,"bic=%.0f"%g.bic(Z(fit))," ".join("%s=%.3f"%(n.replace("fashion-mnist+",""), roc_auc_score(np.r_[np.zeros(len(s_in)),np.ones(len(a))], np.r_[s_in,-g.score_samples(Z(a))])) for n,a in sets.items() if n!="hflip"))
