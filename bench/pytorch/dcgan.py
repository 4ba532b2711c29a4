#!/usr/bin/env python3
"""PyTorch reference of densitylab's DCGAN, for comparing training and scoring speed.

The same networks as densitylab-core/src/main/java/densitylab/model/gan/Dcgan.java (UpNet.java, DownNet.java, BatchNorms.java,
presets of GanKinds.java; the logistic loss, gp=0, spectral=false) and the same training recipe as
train/Trainer.java with two players (discriminator, then generator, on every batch) and the settings of
`densitylab bench`: Adam beta1 0.5 / 0.999 / 1e-8 per player, lr 2e-4 (the GANs' default there) with a linear
warm-up over 200 steps of each player, global gradient-norm clipping of each player's own parameters at 50,
batch 64. (With two gradient workers, its default on 2 threads, densitylab batch-normalises each half batch with
its own statistics; this reference normalises the whole batch: the same work.)

Images (C, H, W) of raw values 0..255; L = 3 stages where H and W are divisible by 8, else 2 (28x28: 2, base
7x7; 32x32: 3, base 4x4); width f, latent size Z.
  G(z), z ~ N(0, I) (B, Z): h = z W^T (no bias), reshaped to (B, f 2^L, H/2^L, W/2^L) -> BatchNorm -> ReLU
    -> per stage but the last: nearest 2x upsampling, 3x3 convolution (no bias) to f 2^(L-1-i), BatchNorm, ReLU
    -> last stage: nearest 2x upsampling, 3x3 convolution with bias to C, tanh: t in [-1, 1] (as pixels
    (t + 1) * 127.5). BatchNorm while training normalises with the batch's statistics (biased variance,
    eps 1e-5) and keeps no running averages (densitylab fixes "standing statistics" after training, for sampling
    only; the discriminator score does not use them). (densitylab has no transposed convolution, DJL lacks one,
    so both sides upsample and convolve.)
  D(v), v in [-1, 1] (real images: v = x / 127.5 - 1 of raw pixels x; fakes: t as they come): per stage i a
    4x4 convolution, stride 2, padding 1, with bias, to f 2^i channels, LeakyReLU(0.2) -> flatten in (C, H, W)
    order -> Linear -> one logit per image.
  Non-saturating losses: discriminator softplus(-D(v_real)).mean() + softplus(D(G(z_d))).mean() with G's output
  detached; generator softplus(-D(G(z_g))).mean(); fresh latents for each.
Score of an image (the discriminator's, Dcgan.discriminatorScore): -log D(x) = softplus(-D(x / 127.5 - 1)), nats,
in batches of 256 (GanParts.BATCH).

Parameters are created in the Java constructor's order and shapes, generator first, then discriminator, from
one ParamFactory; by default they are initialised exactly as densitylab's for the same seed (glow.JavaInit
replays ParamFactory's java.util.Random draws: N(0, 0.02^2) weights; ones and zeros draw nothing), so both start
from the same weights; --init torch draws the same distributions from torch's generator.

What the PyTorch side does as a PyTorch user would (all recorded in the JSON line's "config"):
  - the discriminator step generates its fakes under torch.no_grad() (the detach without building G's graph);
  - the generator step switches off requires_grad of D's parameters, so its backward pass computes no weight
    gradients for D (densitylab computes and discards them; --keep-d-grads does the same here);
  - the discriminator step runs D once on real and fake images concatenated (--d-batch joint, the default;
    D has no normalisation, so it is the same function per image) rather than twice as densitylab does
    (--d-batch separate);
  - BatchNorm via nn.BatchNorm2d(track_running_stats=False), nearest upsampling via F.interpolate, in-place
    ReLU / LeakyReLU, gradients zeroed with set_to_none, foreach Adam, the gradient norm by torch._foreach_norm
    (pixelcnnpp.clip_grad_norm), torch.inference_mode for scoring, flush-to-zero of denormals
    (--no-flush-denormal turns it off), no copies of the data set beyond the batch's gather;
  - --memory-format channels_last (the default) runs the networks channels-last, so oneDNN reads and writes the
    convolutions' activations without reorders. Measured briefly (8-step rounds of training, alternated, and
    passes over 2000 scored images) on 2 threads of the 2-core development machine with torch 1.13.1 (oneDNN
    2.6.3), small preset on 1x28x28, glibc settings of compare_dcgan.sh: channels-last trained at about 800-830
    images/s against 690-700 in the standard order, and scored about 70,000 images/s against 54,000, so it is
    the default; --memory-format standard runs the standard order. Running D once on real and fake together
    (--d-batch joint) and skipping D's weight gradients in the generator step made no difference beyond the
    noise there (a few per cent at most: D is small next to G); they stay as a PyTorch user would write them.

Prints ONE JSON line at the end (everything else goes to stderr), with the keys of `densitylab bench --model
dcgan` and those of pixelcnnpp.py. Run with a Python that has torch, e.g. Debian's /usr/bin/python3 with
python3-torch (apt-get install python3-torch). --self-check runs a few seconds of correctness checks instead.
"""

import argparse
import copy
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from glow import JavaInit, JavaRandom, TorchInit, default_data_dirs, find_split, read_idx_images  # noqa: E402
from pixelcnnpp import NoInit, clip_grad_norm, process_stats, put_stats, setup_torch, timed_training  # noqa: E402

PRESETS = {  # GanKinds.preset: latent, width
    "tiny": (8, 16),
    "small": (64, 32),
    "medium": (100, 64),
}
WEIGHT_STD = 0.02
LEAK = 0.2
BN_EPS = 1e-5


class Options:
    """Switches read at forward time (so --self-check can compare them on one model)."""
    channels_last = True


def _layout(x):
    return x.contiguous(memory_format=torch.channels_last) if Options.channels_last else x


def stages(h, w):
    """L: 3 where H and W are divisible by 8, else 2 (then they must be divisible by 4)."""
    if h % 8 == 0 and w % 8 == 0:
        return 3
    if h % 4 == 0 and w % 4 == 0:
        return 2
    raise ValueError(f"dcgan needs a height and width divisible by 4, got {h}x{w}")


def param_counts(shape, latent, width):
    """(generator, discriminator) parameter counts by the formula of the Java model."""
    c, h, w = shape
    n = stages(h, w)
    base = (h >> n) * (w >> n)
    c0 = width << n
    gen = c0 * base * latent + 2 * c0
    cin = c0
    for i in range(n - 1):
        cout = width << (n - 1 - i)
        gen += cout * cin * 9 + 2 * cout
        cin = cout
    gen += c * cin * 9 + c
    disc = 0
    cin = c
    for i in range(n):
        cout = width << i
        disc += cout * cin * 16 + cout
        cin = cout
    disc += cin * base + 1
    return gen, disc


class Generator(nn.Module):
    """Dcgan's generator (UpNet): z (B, latent) -> images t (B, C, H, W) in [-1, 1]."""

    def __init__(self, shape, latent, width, init):
        super().__init__()
        c, h, w = shape
        n = stages(h, w)
        self.base = (h >> n, w >> n)
        self.c0 = width << n
        # Construction order = the Java draw order: projection weight, BN gamma (ones), BN beta (zeros), then per
        # stage conv weight (+ BN gamma, beta), last stage conv weight and bias (zeros).
        self.proj = nn.Parameter(torch.empty(self.c0 * self.base[0] * self.base[1], latent))
        init.normal_(self.proj, WEIGHT_STD)
        self.bn0 = nn.BatchNorm2d(self.c0, eps=BN_EPS, track_running_stats=False)
        self.convs = nn.ModuleList()
        self.bns = nn.ModuleList()
        cin = self.c0
        for i in range(n - 1):
            cout = width << (n - 1 - i)
            conv = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
            init.normal_(conv.weight, WEIGHT_STD)
            self.convs.append(conv)
            self.bns.append(nn.BatchNorm2d(cout, eps=BN_EPS, track_running_stats=False))
            cin = cout
        self.out = nn.Conv2d(cin, c, 3, padding=1, bias=True)
        init.normal_(self.out.weight, WEIGHT_STD)
        nn.init.zeros_(self.out.bias)

    def forward(self, z):
        h = F.linear(z, self.proj).view(z.shape[0], self.c0, *self.base)
        h = F.relu(self.bn0(_layout(h)), inplace=True)
        for conv, bn in zip(self.convs, self.bns):
            h = F.relu(bn(conv(F.interpolate(h, scale_factor=2, mode="nearest"))), inplace=True)
        return torch.tanh(self.out(F.interpolate(h, scale_factor=2, mode="nearest")))


class Discriminator(nn.Module):
    """Dcgan's discriminator (DownNet): images v (B, C, H, W) in [-1, 1] -> one logit per image (B,)."""

    def __init__(self, shape, width, init):
        super().__init__()
        c, h, w = shape
        n = stages(h, w)
        self.convs = nn.ModuleList()
        cin = c
        for i in range(n):
            cout = width << i
            conv = nn.Conv2d(cin, cout, 4, stride=2, padding=1, bias=True)
            init.normal_(conv.weight, WEIGHT_STD)
            nn.init.zeros_(conv.bias)
            self.convs.append(conv)
            cin = cout
        self.out = nn.Linear(cin * (h >> n) * (w >> n), 1)
        init.normal_(self.out.weight, WEIGHT_STD)
        nn.init.zeros_(self.out.bias)

    def forward(self, v):
        h = _layout(v)
        for conv in self.convs:
            h = F.leaky_relu(conv(h), LEAK, inplace=True)
        return self.out(h.flatten(1)).squeeze(1)  # flatten(1) reads (C, H, W) order whatever the memory order


class Dcgan(nn.Module):
    def __init__(self, shape, latent, width, init):
        super().__init__()
        if latent < 1 or width < 1:
            raise ValueError(f"dcgan needs latent >= 1 and width >= 1, got {latent}, {width}")
        self.shape = tuple(shape)
        self.latent = latent
        self.generator = Generator(shape, latent, width, init)      # one ParamFactory: generator first,
        self.discriminator = Discriminator(shape, width, init)      # then the discriminator

    def score(self, x):
        """-log D(x) = softplus(-D(x)) in nats, (B,), of raw pixels x (B, C, H, W) 0..255."""
        return F.softplus(-self.discriminator(scaled(x)))


def scaled(x):
    """Raw pixels 0..255 to [-1, 1] (GanParts.scaled)."""
    return x / 127.5 - 1.0


class Trainer:
    """One batch = one discriminator step, then one generator step, each with its own Adam, warm-up and clip."""

    def __init__(self, model, lr, warmup, clip, d_batch="joint", keep_d_grads=False):
        self.model = model
        self.clip = clip
        self.d_batch = d_batch
        self.keep_d_grads = keep_d_grads
        self.d_params = list(model.discriminator.parameters())
        self.g_params = list(model.generator.parameters())
        self.d_opt = torch.optim.Adam(self.d_params, lr=lr, betas=(0.5, 0.999), eps=1e-8, foreach=True)
        self.g_opt = torch.optim.Adam(self.g_params, lr=lr, betas=(0.5, 0.999), eps=1e-8, foreach=True)

        def ramp(k):  # Trainer.adamStep: lr * min(1, step / warmup), step counting from 1
            return min(1.0, (k + 1) / warmup) if warmup > 0 else 1.0

        self.d_sched = torch.optim.lr_scheduler.LambdaLR(self.d_opt, ramp)
        self.g_sched = torch.optim.lr_scheduler.LambdaLR(self.g_opt, ramp)

    def d_loss(self, batch):
        """Of a batch of raw pixels (float)."""
        g, d = self.model.generator, self.model.discriminator
        b = batch.shape[0]
        real = scaled(batch)
        with torch.no_grad():  # = G(z_d).detach(), without recording G's graph
            fake = g(torch.randn(b, self.model.latent))
        if self.d_batch == "joint":
            logits = d(torch.cat([real, fake]))
            return F.softplus(-logits[:b]).mean() + F.softplus(logits[b:]).mean()
        return F.softplus(-d(real)).mean() + F.softplus(d(fake)).mean()

    def g_loss(self, b):
        return F.softplus(-self.model.discriminator(self.model.generator(torch.randn(b, self.model.latent)))).mean()

    def step(self, batch):
        """One batch of raw pixels (float); returns the (discriminator, generator) loss tensors."""
        self.d_opt.zero_grad(set_to_none=True)
        d_loss = self.d_loss(batch)
        d_loss.backward()
        if self.clip > 0:
            clip_grad_norm([p.grad for p in self.d_params], self.clip)
        self.d_opt.step()
        self.d_sched.step()

        self.g_opt.zero_grad(set_to_none=True)
        if not self.keep_d_grads:
            for p in self.d_params:
                p.requires_grad_(False)
        try:
            g_loss = self.g_loss(batch.shape[0])
            g_loss.backward()
        finally:
            if not self.keep_d_grads:
                for p in self.d_params:
                    p.requires_grad_(True)
        if self.keep_d_grads:  # densitylab zeroes every player's gradients after a step
            for p in self.d_params:
                p.grad = None
        if self.clip > 0:
            clip_grad_norm([p.grad for p in self.g_params], self.clip)
        self.g_opt.step()
        self.g_sched.step()
        return d_loss.detach(), g_loss.detach()


# ----------------------------------------------------------------------------------------------------------

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", metavar="DIR", help="folder with FashionMNIST IDX files (default: densitylab's cache, "
                   "then /usr/share/datasets/fashion-mnist)")
    p.add_argument("--preset", choices=sorted(PRESETS), default="small")
    p.add_argument("--latent", type=int)
    p.add_argument("--width", type=int)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--warmup", type=int, default=200, help="linear warm-up steps of each player (bench: 200)")
    p.add_argument("--clip", type=float, default=50.0,
                   help="global gradient-norm clip of each player's parameters (0: off; bench: 50)")
    p.add_argument("--seconds", type=float, default=120.0, help="training time budget")
    p.add_argument("--score-images", type=int, default=2000, help="test images to score")
    p.add_argument("--score-batch", type=int, default=256, help="scoring batch")
    p.add_argument("--score-passes", type=int, default=3,
                   help="timed passes over the score images after an untimed warm-up on the first 256; the median "
                        "pass's images/s is reported, the lower middle one for an even count (as densitylab bench)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--init", choices=["java", "torch"], default="java",
                   help="java: the Java model's exact initial weights for the seed (default); torch: torch's generator")
    p.add_argument("--memory-format", choices=["channels_last", "standard"], default="channels_last",
                   help="memory order of the networks' activations (default channels_last: the faster one here)")
    p.add_argument("--d-batch", choices=["joint", "separate"], default="joint",
                   help="discriminator step: one D pass over real and fake concatenated (default) or two passes")
    p.add_argument("--keep-d-grads", action="store_true",
                   help="compute (and discard) D's weight gradients in the generator step, as densitylab does "
                        "(default: D's parameters do not require grad during that step)")
    p.add_argument("--no-flush-denormal", action="store_true", help="keep denormal floats (default: flush to zero)")
    p.add_argument("--profile", metavar="FILE",
                   help="record the training's ops with torch.profiler and write a Chrome trace to FILE "
                        "(bench/profile_compare.py); slows every op down, use a short --seconds")
    p.add_argument("--self-check", action="store_true",
                   help="no training: check the parameter counts, shapes, the Java initialisation, the options "
                        "against each other, finite losses, and that 50 steps on a toy set lower D's loss")
    args = p.parse_args(argv)
    if args.score_passes < 1:
        p.error(f"--score-passes must be >= 1, got {args.score_passes}")
    return args


def score(model, images, batch):
    """-log D(x) in nats of each image (uint8 (N, C, H, W)), in batches."""
    out = []
    with torch.inference_mode():
        for i in range(0, images.shape[0], batch):
            out.append(model.score(images[i:i + batch].float()))
    return torch.cat(out)


def self_check():
    torch.manual_seed(0)
    ok = True

    def report(name, good, detail):
        nonlocal ok
        ok = ok and good
        print(f"{'ok  ' if good else 'FAIL'} {name}: {detail}")

    # Parameter counts: the modules against the formula, every preset on both shapes; small on 1x28x28 by hand:
    # G 128*49*64 + 2*128 + 64*128*9 + 2*64 + 1*64*9 + 1 = 476097, D 32*16 + 32 + 64*32*16 + 64 + 64*49 + 1 = 36513.
    for shape in ((1, 28, 28), (3, 32, 32)):
        for preset, (latent, width) in sorted(PRESETS.items()):
            m = Dcgan(shape, latent, width, NoInit())
            g = sum(p.numel() for p in m.generator.parameters())
            d = sum(p.numel() for p in m.discriminator.parameters())
            want = param_counts(shape, latent, width)
            if shape == (1, 28, 28) and preset == "small":
                want_ok = want == (476097, 36513)
            else:
                want_ok = True
            report(f"parameter count, {preset} on {'x'.join(map(str, shape))}", (g, d) == want and want_ok,
                   f"total {g + d} (generator {g}, discriminator {d}; formula {want[0] + want[1]})")

    # Shapes: G (B, Z) -> (B, C, H, W) in [-1, 1]; D -> (B,); the stage channels of the spec.
    for shape, l_want, g_ch, d_ch in (((1, 28, 28), 2, [128, 64, 1], [32, 64]),
                                      ((3, 32, 32), 3, [256, 128, 64, 3], [32, 64, 128])):
        m = Dcgan(shape, 64, 32, TorchInit(1))
        z = torch.randn(5, 64)
        with torch.no_grad():
            x = m.generator(z)
            logit = m.discriminator(x)
        chans = [m.generator.c0] + [c.out_channels for c in m.generator.convs] + [m.generator.out.out_channels]
        dch = [c.out_channels for c in m.discriminator.convs]
        good = (x.shape == (5, *shape) and logit.shape == (5,) and -1.0 <= x.min().item() and x.max().item() <= 1.0
                and stages(*shape[1:]) == l_want and chans == g_ch and dch == d_ch)
        report(f"shapes {'x'.join(map(str, shape))}", good,
               f"L {stages(*shape[1:])}, base {m.generator.base}, G channels {chans}, D channels {dch}, "
               f"G(z) {tuple(x.shape)} in [{x.min().item():.2f}, {x.max().item():.2f}], D {tuple(logit.shape)}")

    # JavaInit: the same seed gives the same weights twice, another seed others; one generator, G's draws first.
    a = Dcgan((1, 28, 28), 16, 8, JavaInit(7))
    b = Dcgan((1, 28, 28), 16, 8, JavaInit(7))
    c = Dcgan((1, 28, 28), 16, 8, JavaInit(8))
    same = all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    other = any(not torch.equal(p, q) for p, q in zip(a.parameters(), c.parameters()))
    rng = JavaRandom(7)
    g_weights = (a.generator.proj, *(cv.weight for cv in a.generator.convs), a.generator.out.weight)
    g_draws = sum(p.numel() for p in g_weights)
    first_g = float(torch.tensor(WEIGHT_STD * rng.next_gaussian(), dtype=torch.float32))
    for _ in range(g_draws - 1):
        rng.next_gaussian()
    first_d = float(torch.tensor(WEIGHT_STD * rng.next_gaussian(), dtype=torch.float32))
    order = (a.generator.proj[0, 0].item() == first_g and a.discriminator.convs[0].weight[0, 0, 0, 0].item() == first_d
             and a.generator.bn0.weight.eq(1).all().item() and a.generator.out.bias.eq(0).all().item())
    r0 = JavaRandom(0).next_gaussian()  # java: new Random(0).nextGaussian() == 0.8025330637390305
    report("JavaInit reproducible", same and other and order and r0 == 0.8025330637390305,
           f"seed 7 twice identical {same}, seed 8 differs {other}, G's first draw first and D's after G's "
           f"{g_draws} {order}, Random(0).nextGaussian() {r0!r}")

    # Options: channels-last and the standard order, joint and separate D passes give the same function.
    chosen = Options.channels_last
    for shape in ((1, 28, 28), (3, 32, 32)):
        m = Dcgan(shape, 16, 8, TorchInit(3))
        z = torch.randn(6, 16)
        real = torch.rand(6, *shape) * 255
        with torch.no_grad():
            Options.channels_last = False
            x0, s0 = m.generator(z), m.score(real)
            Options.channels_last = True
            x1, s1 = m.generator(z), m.score(real)
        Options.channels_last = chosen
        tr = Trainer(m, 2e-4, 0, 0)
        torch.manual_seed(5)
        tr.d_batch = "joint"
        lj = tr.d_loss(real).item()
        torch.manual_seed(5)
        tr.d_batch = "separate"
        ls = tr.d_loss(real).item()
        err = max((x1 - x0).abs().max().item(), (s1 - s0).abs().max().item())
        report(f"options agree {'x'.join(map(str, shape))}", err < 1e-5 and abs(lj - ls) < 1e-5,
               f"channels_last vs standard max |diff| {err:.1e}, D loss joint {lj:.6f} separate {ls:.6f}")

    # The optimised step (no_grad fakes, one joint D pass, no D weight gradients in G's step) against the
    # textbook one (G(z).detach(), two D passes, D's gradients computed in G's step and dropped): same update.
    m = Dcgan((1, 28, 28), 16, 8, TorchInit(6))
    m2 = copy.deepcopy(m)
    real = torch.rand(8, 1, 28, 28) * 255
    fast = Trainer(m, 2e-4, 10, 0.005)  # a clip this low clips both players' gradients
    torch.manual_seed(21)
    fd, fg = fast.step(real)
    ref = Trainer(m2, 2e-4, 10, 0.005)
    torch.manual_seed(21)
    ref.d_opt.zero_grad(set_to_none=True)
    fake = m2.generator(torch.randn(8, 16)).detach()
    rd = F.softplus(-m2.discriminator(real / 127.5 - 1)).mean() + F.softplus(m2.discriminator(fake)).mean()
    rd.backward()
    d_norm = clip_grad_norm([p.grad for p in ref.d_params], ref.clip)
    ref.d_opt.step()
    ref.g_opt.zero_grad(set_to_none=True)
    rg = F.softplus(-m2.discriminator(m2.generator(torch.randn(8, 16)))).mean()
    rg.backward()
    g_norm = clip_grad_norm([p.grad for p in ref.g_params], ref.clip)
    ref.g_opt.step()
    diff = max((p - q).abs().max().item() for p, q in zip(m.parameters(), m2.parameters()))
    start = Dcgan((1, 28, 28), 16, 8, TorchInit(6))
    moved = max((p - q).abs().max().item() for p, q in zip(m2.parameters(), start.parameters()))
    report("optimised step = textbook step", diff < 1e-7 and abs(fd.item() - rd.item()) < 1e-6
           and abs(fg.item() - rg.item()) < 1e-6 and moved > 0 and min(d_norm, g_norm) > ref.clip,
           f"max |parameter diff| {diff:.1e} after one step that moved them by up to {moved:.1e} (lr 2e-4 / 10), "
           f"losses D {fd.item():.6f} / {rd.item():.6f}, G {fg.item():.6f} / {rg.item():.6f}, gradient norms "
           f"before clipping D {d_norm:.2f}, G {g_norm:.2f}")

    # Training on a toy set: finite losses, D's loss falls within 50 steps (D learns the real images' look).
    torch.manual_seed(4)
    yy, xx = torch.meshgrid(torch.arange(16), torch.arange(16), indexing="ij")
    square = ((yy - 7.5).abs() < 4) & ((xx - 7.5).abs() < 4)
    toy = (square.float() * 220 + torch.rand(64, 1, 16, 16) * 30).clamp(0, 255)  # bright square on black, noise
    m = Dcgan((1, 16, 16), 16, 8, JavaInit(0))
    tr = Trainer(m, 2e-4, 0, 50.0)  # the bench recipe without the warm-up

    def fixed_d_loss():  # on all 64 toy images against the same 64 latents, before and after
        torch.manual_seed(9)
        with torch.no_grad():
            return tr.d_loss(toy).item()

    before = fixed_d_loss()
    d_losses, g_losses = [], []
    for _ in range(50):
        d_l, g_l = tr.step(toy[torch.randperm(64)[:32]])
        d_losses.append(d_l.item())
        g_losses.append(g_l.item())
    after = fixed_d_loss()
    finite = all(math.isfinite(v) for v in d_losses + g_losses + [before, after])
    report("toy training, 50 steps", finite and after < before - 0.005,
           f"losses finite {finite}; D loss on the toy set {before:.4f} (2 log 2 = {2 * math.log(2):.4f}) -> "
           f"{after:.4f}; step losses D {d_losses[0]:.4f} -> {d_losses[-1]:.4f}, G {g_losses[0]:.4f} -> "
           f"{g_losses[-1]:.4f}")
    print("self-check " + ("passed" if ok else "FAILED"))
    return 0 if ok else 1


def main(argv=None):
    args = parse_args(argv)
    setup_torch(args)
    Options.channels_last = args.memory_format == "channels_last"
    if args.self_check:
        return self_check()

    latent, width = PRESETS[args.preset]
    given = {"preset": args.preset}
    for key in ("latent", "width"):
        if getattr(args, key) is not None:
            given[key] = str(getattr(args, key))
    latent = args.latent if args.latent is not None else latent
    width = args.width if args.width is not None else width

    dirs = [args.data] if args.data else default_data_dirs()
    train = read_idx_images(find_split(dirs, "train-images-idx3-ubyte"))
    test = read_idx_images(find_split(dirs, "t10k-images-idx3-ubyte"))[:args.score_images]

    init = JavaInit(args.seed) if args.init == "java" else TorchInit(args.seed)
    model = Dcgan(tuple(train.shape[1:]), latent, width, init)
    if Options.channels_last:
        model = model.to(memory_format=torch.channels_last)
    n_gen = sum(p.numel() for p in model.generator.parameters())
    n_disc = sum(p.numel() for p in model.discriminator.parameters())
    n_params = n_gen + n_disc
    print(f"dcgan: {n_params} parameters (generator {n_gen}, discriminator {n_disc}; latent {latent}, width "
          f"{width}, {stages(*train.shape[2:])} stages), torch {torch.__version__}, {torch.get_num_threads()} threads",
          file=sys.stderr)

    trainer = Trainer(model, args.lr, args.warmup, args.clip, args.d_batch, args.keep_d_grads)
    d_losses, g_losses = [], []

    def one_step(x, step):
        d_loss, g_loss = trainer.step(x)
        d_value, g_value = d_loss.item(), g_loss.item()
        if not (math.isfinite(d_value) and math.isfinite(g_value)):
            raise SystemExit(f"losses became {d_value} (discriminator), {g_value} (generator) at step {step}")
        d_losses.append(d_value)
        g_losses.append(g_value)

    model.train()
    before_training = process_stats()
    step, images_all, train_seconds, train_ips = timed_training(train, args.batch_size, args.seed, args.seconds,
                                                               one_step, args.profile)

    out = {
        "impl": "pytorch",
        "model": "dcgan",
        "torch": torch.__version__,
        "params": given,
        "preset": args.preset if len(given) == 1 else "custom",
        "config": {"latent": latent, "width": width, "stages": stages(*train.shape[2:]), "init": args.init,
                   "memory_format": args.memory_format, "d_batch": args.d_batch, "keep_d_grads": args.keep_d_grads,
                   "flush_denormal": not args.no_flush_denormal, "score_batch": args.score_batch,
                   "warmup": args.warmup, "clip": args.clip, "lr": args.lr, "betas": [0.5, 0.999]},
        "param_count": n_params,
        "generator_param_count": n_gen,
        "discriminator_param_count": n_disc,
        "threads": torch.get_num_threads(),
        "batch": args.batch_size,
        "train_seconds": train_seconds,
    }
    put_stats(out, "train", before_training)

    # Scoring (as BenchCommand): an untimed warm-up on the first 256 images, then --score-passes timed passes
    # over all score images; the median pass counts.
    model.eval()  # no effect on the discriminator (no normalisation, no dropout); as a user would
    score(model, test[:256], args.score_batch)
    rates = []
    before_scoring = process_stats()
    for _ in range(args.score_passes):
        t0 = time.perf_counter()
        s = score(model, test, args.score_batch)
        rates.append(s.numel() / (time.perf_counter() - t0))
    out.update({
        "score_images_per_s": sorted(rates)[(len(rates) - 1) // 2],
        "score_images_per_s_passes": rates,
        "test_mean_discriminator_score": s.mean().item(),  # densitylab bench's key
    })
    put_stats(out, "score", before_scoring)
    d_tail, g_tail = d_losses[-100:], g_losses[-100:]
    out.update({
        "train_images_per_s": train_ips,
        "train_images_per_s_all": images_all / train_seconds,
        "steps": step,
        "train_steps": step,
        "final_discriminator_loss": sum(d_tail) / len(d_tail),
        "final_generator_loss": sum(g_tail) / len(g_tail),
        "score_images": s.numel(),
        "seed": args.seed,
    })
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
