# Offline check: does the audit classifier's feature space (Lee et al. 2018 Mahalanobis; max softmax; energy) flag
# FashionMNIST's transforms? Same architecture as densitylab.audit.Classifier, trained 3 epochs on training minus holdout.
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F, sys, time
from sklearn.metrics import roc_auc_score
from sklearn.mixture import GaussianMixture
torch.manual_seed(0); torch.set_num_threads(2)
def idx(p):
    b=open(p,'rb').read(); n=int.from_bytes(b[4:8],'big')
    if b[3]==3: return np.frombuffer(b,np.uint8,offset=16).reshape(n,28,28)
    return np.frombuffer(b,np.uint8,offset=8)
D='/root/.cache/densitylab/'
Xtr=idx(D+'fashion-mnist/train-images-idx3-ubyte'); Ytr=idx(D+'fashion-mnist/train-labels-idx1-ubyte')
Xte=idx(D+'fashion-mnist/t10k-images-idx3-ubyte'); Yte=idx(D+'fashion-mnist/t10k-labels-idx1-ubyte')
Mte=idx(D+'mnist/t10k-images-idx3-ubyte')
without=int(sys.argv[1]) if len(sys.argv)>1 else -1
hold=slice(55000,60000); trn=slice(0,55000)
Xt,Yt=Xtr[trn],Ytr[trn]; Xh,Yh=Xtr[hold],Ytr[hold]
if without>=0:
    Xt,Yt=Xt[Yt!=without],Yt[Yt!=without]; Xh=Xh[Yh!=without]; Xcls=Xte[Yte==without]; Xte=Xte[Yte!=without]
    Yt=np.where(Yt>without,Yt-1,Yt)
C=int(Yt.max())+1
class Net(nn.Module):
    def __init__(s):
        super().__init__(); s.c1=nn.Conv2d(1,16,3,padding=1); s.c2=nn.Conv2d(16,32,3,padding=1); s.f=nn.Linear(32*49,128); s.o=nn.Linear(128,C)
    def feat(s,x):
        x=F.max_pool2d(F.relu(s.c1(x)),2); x=F.max_pool2d(F.relu(s.c2(x)),2); return F.relu(s.f(x.flatten(1)))
    def forward(s,x): return s.o(s.feat(x))
net=Net(); opt=torch.optim.Adam(net.parameters(),1e-3)
T=lambda a: torch.tensor(a,dtype=torch.float32).unsqueeze(1)/255.
t0=time.time()
for ep in range(int(sys.argv[2]) if len(sys.argv)>2 else 3):
    p=np.random.permutation(len(Xt))
    for i in range(0,len(p),128):
        b=p[i:i+128]; opt.zero_grad(); l=F.cross_entropy(net(T(Xt[b])),torch.tensor(Yt[b],dtype=torch.long)); l.backward(); opt.step()
print('trained %.0fs'%(time.time()-t0))
@torch.no_grad()
def out(X):
    fs=[];ls=[]
    for i in range(0,len(X),1000):
        f=net.feat(T(X[i:i+1000])); fs.append(f.numpy()); ls.append(net.o(f).numpy())
    return np.concatenate(fs),np.concatenate(ls)
ftr,ltr=out(Xt)
print('test acc', (out(Xte)[1].argmax(1)==(np.where(Yte[Yte!=without]>without,Yte[Yte!=without]-1,Yte[Yte!=without]) if without>=0 else Yte)).mean())
mus=np.stack([ftr[Yt==k].mean(0) for k in range(C)]); cen=ftr-mus[Yt]; cov=cen.T@cen/len(cen)+1e-3*np.eye(128); P=np.linalg.inv(cov)
def stats(X):
    f,l=out(X)
    d=np.stack([np.einsum('ij,jk,ik->i',f-m,P,f-m) for m in mus],1).min(1)
    sm=np.exp(l-l.max(1,keepdims=True)); sm/=sm.sum(1,keepdims=True)
    lse=np.log(np.exp(l-l.max(1,keepdims=True)).sum(1))+l.max(1)
    return dict(maha=d, msp=-sm.max(1), energy=-lse, fnorm=-np.linalg.norm(f,axis=1)), f
rng=np.random.RandomState(0)
def blur(X,s=1.0):
    r=3; k=np.exp(-np.arange(-r,r+1)**2/(2*s*s)); k/=k.sum(); Y=X.astype(float)
    Y=np.pad(Y,((0,0),(r,r),(0,0)),mode='edge'); Y=sum(k[i]*Y[:,i:i+28] for i in range(2*r+1))
    Y=np.pad(Y,((0,0),(0,0),(r,r)),mode='edge'); Y=sum(k[i]*Y[:,:,i:i+28] for i in range(2*r+1)); return np.rint(Y).astype(np.uint8)
def pshuf(X,n):
    b=28//n; Y=X.reshape(len(X),n,b,n,b).transpose(0,1,3,2,4).reshape(len(X),n*n,b,b)
    Y=np.stack([y[rng.permutation(n*n)] for y in Y]).reshape(len(X),n,n,b,b).transpose(0,1,3,2,4).reshape(len(X),28,28); return Y
sets={'mnist':Mte,'noise':rng.randint(0,256,(10000,28,28)).astype(np.uint8),
 'gauss':np.clip(rng.normal(128,64,(10000,28,28)),0,255).astype(np.uint8),'constant':np.repeat(rng.randint(0,256,10000),784).reshape(10000,28,28).astype(np.uint8),
 'invert':255-Xte,'vflip':Xte[:,::-1],'hflip':Xte[:,:,::-1],'rot90':np.rot90(Xte,1,(1,2)),'blur':blur(Xte),'contrast':(Xte.astype(float)*0.5+64).astype(np.uint8),
 'pixel':pshuf(Xte,28),'patch4':pshuf(Xte,4),'patch2':pshuf(Xte,2)}
if without>=0: sets={'class%d'%without:Xcls, **sets}
Sh,fh=stats(Xh); Se,fe=stats(Xte)
# GMM over the 4 statistics fitted on holdout
keys=['maha','msp','energy','fnorm']
H=np.stack([Sh[k] for k in keys],1); mu,sd=H.mean(0),H.std(0)
best=min((GaussianMixture(k,covariance_type='full',random_state=0).fit((H-mu)/sd) for k in range(1,9)),key=lambda g:g.bic((H-mu)/sd))
print('%-9s'%'set'+''.join('%8s'%k for k in keys+['gmm4']))
for nm,X in sets.items():
    So,fo=stats(np.ascontiguousarray(X)); y=np.r_[np.zeros(len(Xte)),np.ones(len(X))]
    r=[roc_auc_score(y,np.r_[Se[k],So[k]]) for k in keys]
    g=lambda S:-best.score_samples((np.stack([S[k] for k in keys],1)-mu)/sd)
    r.append(roc_auc_score(y,np.r_[g(Se),g(So)]))
    print('%-9s'%nm+''.join('%8.3f'%v for v in r))
np.savez('clfstats%s.npz'%('' if without<0 else without), **{'test_'+k:v for k,v in Se.items()}, **{'%s_%s'%(nm,k):v for nm in ['vflip','rot90','hflip','mnist','invert'] for k,v in stats(np.ascontiguousarray(sets[nm]))[0].items()})
