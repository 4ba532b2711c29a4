# Offline: the audit classifier's statistics joined with the 10-minute VAE's score files (1,000 images per set; fit on half of the in-distribution rows).
# Run classifier.py first (writes clfstats.npz); paths as in run_v4.sh.
import csv, numpy as np
from sklearn.mixture import GaussianMixture
from sklearn.metrics import roc_auc_score
C=np.load('clfstats.npz'); d='runs/vae/scores/'
def load(f):
    rows=list(csv.reader(open(f))); h=rows[0]; return h,np.array([[float(x) for x in r] for r in rows[1:]])
h,a=load(d+'fashion-mnist.csv'); ix=a[:,0].astype(int)
base=['combined-full:complexity-png-best','combined-full:rate','combined-full:distortion','combined-full:reconstruction']
lat=['combined-full:latent-%d'%j for j in range(1,33)]
def X(h,a,cols,clf,name):
    M=a[:,[h.index(c) for c in cols]]; i=a[:,0].astype(int)
    extra=[C[name+'_'+k][i][:,None] for k in clf]
    return np.hstack([M]+extra)
n=len(a); p=np.random.RandomState(0).permutation(n); Fi,Ei=p[:n//2],p[n//2:]
for label,cols,clf in [('4',base,[]),('4+maha',base,['maha']),('4+maha+energy',base,['maha','energy']),('4+lat',base+lat,[]),('4+lat+maha',base+lat,['maha']),('4+lat+maha+energy',base+lat,['maha','energy'])]:
    A=X(h,a,cols,clf,'test'); mu,sd=A[Fi].mean(0),A[Fi].std(0); Z=lambda v:(v-mu)/sd
    g=min((GaussianMixture(k,covariance_type='full',random_state=0,reg_covar=1e-6).fit(Z(A[Fi])) for k in range(1,9)),key=lambda g:g.bic(Z(A[Fi])))
    si=-g.score_samples(Z(A[Ei])); out=[]
    for nm in ['mnist','invert','vflip','hflip','rot90']:
        f='fashion-mnist+%s.csv'%nm if nm!='mnist' else 'mnist.csv'
        hh,aa=load(d+f); so=-g.score_samples(Z(X(hh,aa,cols,clf,nm)))
        out.append('%s=%.3f'%(nm,roc_auc_score(np.r_[np.zeros(len(si)),np.ones(len(so))],np.r_[si,so])))
    print('%-20s k=%d '%(label,g.n_components)+' '.join(out))
