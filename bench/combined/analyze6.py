import numpy as np
exec(open("analyze4.py").read().split("evaluate(\"4 stats\"")[0])
from sklearn.mixture import GaussianMixture
gh,gind=load("runs/glow/scores/fashion-mnist.csv")
gcols=[gh.index(c) for c in ["combined:likelihood","combined:likelihood-ratio","combined:level-1","combined:level-2"]]
gsets={}
for n in sets:
    hh,a=load("runs/glow/scores/%s.csv"%n); gsets[n]=a[:,[hh.index(c) for c in ["combined:likelihood","combined:likelihood-ratio","combined:level-1","combined:level-2"]]]
G=gind[:,gcols]; gfit=G[p[:5000]]; gev=G[p[5000:]]
def run(label, F, Fev, Fsets, ks=range(1,17)):
    mu=F.mean(0); sd=F.std(0)
    best=None
    for k in ks:
        g=GaussianMixture(k,covariance_type="full",random_state=0,reg_covar=1e-6).fit((F-mu)/sd); b=g.bic((F-mu)/sd)
        if best is None or b<best[0]: best=(b,g,k)
    g=best[1]; s_in=-g.score_samples((Fev-mu)/sd)
    print(label,"k=%d"%best[2]," ".join("%s=%.3f"%(n.replace("fashion-mnist+",""), roc_auc_score(np.r_[np.zeros(len(s_in)),np.ones(len(a))], np.r_[s_in,-g.score_samples((a-mu)/sd)])) for n,a in Fsets.items() if n!="hflip"))
run("vae4+lat (bic<=16)", fit[:,base+lat], ev[:,base+lat], {n:a[:,base+lat] for n,a in sets.items()})
run("vae4+lat+glow4", np.c_[fit[:,base+lat],gfit], np.c_[ev[:,base+lat],gev], {n:np.c_[a[:,base+lat],gsets[n]] for n,a in sets.items()})
run("vae4+glow4", np.c_[fit[:,base],gfit], np.c_[ev[:,base],gev], {n:np.c_[a[:,base],gsets[n]] for n,a in sets.items()})
