#!/usr/bin/env python3
"""PyTorch reference of densitylab's DDPM, for comparing training and scoring speed.

The same model as `densitylab bench --model ddpm` with its default parameters, preset small unless --preset says
otherwise (densitylab-core/src/main/java/densitylab/model/diffusion: UNet.java, Ddpm.java, NoiseSchedule.java,
DiffusionKind.java), the same training loss, the same variational bound as the score with the same passes, and the
same training recipe as train/Trainer.java with the settings of `densitylab bench` (BenchCommand.java: Adam
0.9/0.999/1e-8, lr 1e-3 (ModelKind's default) with a linear warm-up over 200 steps, global gradient-norm clipping
at 50, batch 64). Images (C, H, W) of raw values 0..255, x_0 = x / 127.5 - 1; presets (DiffusionKind.presets):
tiny width 8, levels 1,2; small width 32, levels 1,2,2, blocks 1, no attention; medium width 64, levels 1,2,2,
blocks 2, attention. Defaults: T = 1000 timesteps, linear schedule, objective simple, bound-steps 16.

  schedule: linear (Ho et al.: betas 1e-4 to 0.02 for T = 1000, scaled by 1000 / T; the default) or cosine
    (Nichol & Dhariwal, offset 0.008, betas clipped at 0.999); abar_t the cumulative product of 1 - beta in
    float64 (NoiseSchedule.of), the per-timestep coefficients computed in float64 and rounded to float32 as
    Ddpm's.
  eps_theta(x_t, t), the U-Net (UNet.java), width w, temb = 4w:
    time embedding: t (float) -> w sinusoids, sin(t f_k) then cos(t f_k), f_k = exp(-ln(10000) k / max(1, w/2 - 1)),
      k < w/2 -> Linear(w, 4w), SiLU, Linear(4w, 4w)
    conv_in 3x3 C -> w; down: per level i (channels w mults[i]) `blocks` Res blocks, then (not on the last level) a
      3x3 stride-2 convolution (padding 1); middle: Res, [Attention], Res; up: per level from the last, blocks + 1
      Res blocks each on concat(h, the matching skip) along channels, then (level > 0) nearest 2x upsampling and a
      3x3 convolution; out: GroupNorm, SiLU, 3x3 convolution to C, zero at start.
    Res(in, out): h = conv3x3(SiLU(GN(x))) + Linear(SiLU(temb))[:, :, None, None]; h = conv3x3(SiLU(GN(h)))
      (zero at start); x (or its 1x1 convolution when in != out) + h.
    Attention (medium): GN, 1x1 convolution to q, k, v, single-head softmax(q^T k / sqrt(C)), 1x1 projection
      (zero at start), residual.
    GroupNorm: min(32, max(1, C / 8)) groups, eps 1e-5, a scale (ones) and shift (zeros) per channel.
  loss, objective simple (default): t uniform in 1..T per image, eps ~ N(0, I), x_t = sqrt(abar_t) x_0 +
    sqrt(1 - abar_t) eps, loss = mean (eps_theta(x_t, t) - eps)^2. Objective vlb: T x the term of the drawn t plus
    the prior term, in bits/dim (Ddpm.loss).
  score (logProb, the bench's test_bpd): the variational bound in bits/dim (Ddpm.boundNats) with bound-steps (16)
    timesteps per image, one drawn uniformly in each of NoiseSchedule.strata(16)'s geometric strata and weighted
    by the stratum's width; terms as Ddpm.termNats: for t >= 2 KL(q(x_{t-1}|x_t,x_0) || p(x_{t-1}|x_t)) with the
    reverse variance beta_t, |mu~ - mu_theta|^2 from |eps - eps_theta|^2; for t = 1 Ho et al.'s discretized Gaussian
    decoder (tanh approximation of the normal CDF, bins of 2/255, outer bins to infinity, masses floored at
    1e-12) with variance posteriorVariance(2); plus the prior KL(q(x_T|x_0) || N(0, I)) in float64. The
    (image, timestep) rows run in passes of Ddpm.PASS_PIXELS / (H W) = 32 rows (on 28x28), as densitylab's.
Preset small on 1x28x28: 1,045,729 parameters, as densitylab's log line "ddpm: 1045729 parameters" (--self-check).

Parameters are created in UNet.java's order and shapes (t1w, t1b, t2w, t2b, conv_in, then each block's n1 scale
and shift, c1 weight and bias, ew, eb, n2, c2, skip; ...); by default they are initialised exactly as densitylab's
for the same seed (glow.JavaInit replays ParamFactory's java.util.Random draws in creation order: N(0, 1 / (in k k))
convolution weights, N(0, 1 / w) for t1w, N(0, 1 / 4w) for t2w and every ew, zeros for the biases, the zero-started
convolutions and the norms' shifts, ones for the norms' scales, which draw nothing), so both start from the same
weights; --init torch draws the same distributions from torch's generator. The norms' scale and shift are
nn.GroupNorm's (C,) vectors where densitylab's are (1, C, 1, 1): the same values, the same count.

What the PyTorch side does as a PyTorch user would (all recorded in the JSON line's "config"):
  - nn.GroupNorm (F.group_norm, one fused op with the scale and shift) where densitylab runs libtorch's layer norm
    over each group's values, then multiplies and adds its (1, C, 1, 1) scale and shift; F.silu where densitylab
    multiplies x by sigmoid(x); F.interpolate (nearest) for the upsampling; F.mse_loss for the simple loss;
  - SiLU(temb) computed once per forward pass and shared by the blocks (densitylab applies it in each block; the
    same values);
  - the t = 1 decoder term of the bound computed on the rows whose timestep is 1 only (densitylab computes it on
    every row of a pass that has one and selects with where; the same values);
  - --memory-format channels_last (default) or standard: the weights and activations channels-last, the grey
    input given channels-last strides explicitly (vae.py's channels_last); nn.GroupNorm, torch.cat and
    F.interpolate keep the layout in torch 1.13. Measured on the bench machine (2026-12-07, one thread, min of 15
    interleaved tries, another job on the second core): a training step of 64 images the same either way (0.54 s),
    a scoring pass of 32 rows 10-13% faster channels-last (0.080-0.084 s against 0.092-0.093 s);
  - gradients zeroed with set_to_none, foreach Adam, the gradient norm by torch._foreach_norm
    (pixelcnnpp.clip_grad_norm), torch.inference_mode for scoring, flush-to-zero of denormals
    (--no-flush-denormal turns it off), no Python loop in a pass (only over the layers and the scoring passes).
Not mirrored: densitylab draws each image's bound timesteps and noise from a seed of its pixel values
(SplittableRandom, Ddpm.Draws) and its training noise from (seed, epoch, batch, part) seeds; here torch's
generator draws them (scoring seeded by --seed, the same for every pass), so the bound's value agrees only up to
the estimate's noise. densitylab skips an update whose gradient is not finite; here a non-finite loss stops the
run. Two gradient workers with one thread each (densitylab's default on 2 threads) versus one process with
--threads intra-op threads here, as in vae.py and pixelcnnpp.py. Sampling, DDIM and the own scores (noise norms,
reconstructions) are not part of the bench and not here.

Scoring is slow by nature: bound-steps (16) network passes per image, the bench's default --score-images 2000
with 3 passes and a 256-image warm-up takes minutes on each side (densitylab's bound ran at about 15 images/s on
2 cores), so bench/compare.sh scores 500 images for ddpm unless SCORE_IMAGES says otherwise. Run both sides
with the same glibc settings (bench/compare.sh exports the launcher's: MALLOC_ARENA_MAX=2 MALLOC_MMAP_MAX_=0
MALLOC_TRIM_THRESHOLD_=68719476736 MALLOC_TOP_PAD_=134217728).

  OMP_NUM_THREADS=2 /usr/bin/python3 bench/pytorch/ddpm.py --seconds 60 --score-images 200 --score-passes 1
  # against: DENSITYLAB_THREADS=2 ./densitylab bench --model ddpm --param preset=small --seconds 60 \\
  #          --score-images 200 --score-passes 1
  /usr/bin/python3 bench/pytorch/ddpm.py --self-check      # correctness checks, one thread (about 5-10 s)

Prints ONE JSON line at the end (everything else goes to stderr), with the keys of `densitylab bench --model ddpm`
and those of vae.py / glow.py. Run with a Python that has torch, e.g. Debian's /usr/bin/python3 with
python3-torch (apt-get install python3-torch).
"""

import argparse
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
from pixelcnnpp import (NoInit, add_run_args, clip_grad_norm, process_stats, put_stats,  # noqa: E402
                        setup_torch, timed_training)
from vae import channels_last  # noqa: E402

DEFAULTS = {  # DiffusionKind.defaults (the ones the bench uses)
    "timesteps": 1000,
    "schedule": "linear",  # densitylab's default since 2026-12-07 (cosine before)
    "objective": "simple",
    "bound-steps": 16,
}
PRESETS = {  # DiffusionKind.presets: width, levels, blocks, attention
    "tiny": (8, (1, 2), 1, False),
    "small": (32, (1, 2, 2), 1, False),
    "medium": (64, (1, 2, 2), 2, True),
}
JAVA_SMALL_PARAMS = 1045729   # densitylab's log line "ddpm: 1045729 parameters" for preset small on 1x28x28
PASS_PIXELS = 32 * 28 * 28    # Ddpm.PASS_PIXELS: pixels of one scoring pass
GROUP_CHANNELS = 8            # UNet.GROUP_CHANNELS
LOG_2 = math.log(2)


class Options:
    """Switches read at forward time (so --self-check can compare them on one model)."""
    channels_last = False


def _layout(x):
    return channels_last(x) if Options.channels_last else x


# ----------------------------------------------------------------------------------------------------------
# The forward process (NoiseSchedule.java), in float64.

class NoiseSchedule:
    def __init__(self, name, steps):
        if steps < 2:
            raise ValueError(f"a diffusion needs at least 2 steps, got {steps}")
        b = [0.0] * (steps + 1)
        if name == "cosine":
            s = 0.008

            def f(u):
                c = math.cos((u + s) / (1 + s) * math.pi / 2)
                return c * c

            for t in range(1, steps + 1):
                b[t] = min(0.999, 1 - f(t / steps) / f((t - 1) / steps))
        elif name == "linear":
            scale = 1000.0 / steps
            lo, hi = scale * 1e-4, min(0.999, scale * 0.02)
            for t in range(1, steps + 1):
                b[t] = lo + (hi - lo) * (t - 1) / (steps - 1)
        else:
            raise ValueError(f"unknown noise schedule '{name}'; known: cosine, linear")
        self.name = name
        self.steps = steps
        self.beta = b
        ab = [1.0] * (steps + 1)
        for t in range(1, steps + 1):
            ab[t] = ab[t - 1] * (1 - b[t])
        self.alpha_bar = ab

    def alpha(self, t):
        return 1 - self.beta[t]

    def posterior_variance(self, t):
        return (1 - self.alpha_bar[t - 1]) / (1 - self.alpha_bar[t]) * self.beta[t]

    def reverse_variance(self, t):
        return self.posterior_variance(2) if t == 1 else self.beta[t]

    def strata(self, k):
        """NoiseSchedule.strata: k + 1 boundaries of geometric strata of 1..T (stratum i: b[i] <= t < b[i+1])."""
        steps = self.steps
        if k < 1 or k > steps:
            raise ValueError(f"the bound takes between 1 and {steps} timesteps per image, got {k}")
        b = [0] * (k + 1)
        b[0] = 1
        b[k] = steps + 1
        for i in range(1, k):
            geometric = java_round(math.pow(steps + 1, i / k))
            b[i] = max(b[i - 1] + 1, min(steps + 1 - (k - i), geometric))
        return b


def java_round(v):
    """Math.round(double): floor(v + 0.5)."""
    return int(math.floor(v + 0.5))


# ----------------------------------------------------------------------------------------------------------
# The U-Net (UNet.java). Each layer is created, and initialised, in the Java constructor's order.

def groups_of(channels):
    return min(32, max(1, channels // GROUP_CHANNELS))


def make_conv(init, cin, cout, k, zero, stride=1):
    conv = nn.Conv2d(cin, cout, k, stride=stride, padding=1 if k == 3 else 0)
    if zero:
        nn.init.zeros_(conv.weight)
    else:
        init.normal_(conv.weight, math.sqrt(1.0 / (cin * k * k)))
    nn.init.zeros_(conv.bias)
    return conv


def make_linear(init, cin, cout):
    lin = nn.Linear(cin, cout)
    init.normal_(lin.weight, math.sqrt(1.0 / cin))
    nn.init.zeros_(lin.bias)
    return lin


def make_norm(channels):
    return nn.GroupNorm(groups_of(channels), channels, eps=1e-5)  # weight ones, bias zeros: no draws


class Res(nn.Module):
    def __init__(self, init, cin, cout, temb):
        super().__init__()
        self.n1 = make_norm(cin)
        self.c1 = make_conv(init, cin, cout, 3, False)
        self.emb = make_linear(init, temb, cout)  # ew (out, temb), std sqrt(1 / temb); eb
        self.n2 = make_norm(cout)
        self.c2 = make_conv(init, cout, cout, 3, True)
        self.skip = None if cin == cout else make_conv(init, cin, cout, 1, False)

    def forward(self, x, silu_e):
        h = self.c1(F.silu(self.n1(x)))
        h = h + self.emb(silu_e)[:, :, None, None]
        h = self.c2(F.silu(self.n2(h)))
        return (x if self.skip is None else self.skip(x)) + h


class Attention(nn.Module):
    def __init__(self, init, channels):
        super().__init__()
        self.channels = channels
        self.norm = make_norm(channels)
        self.qkv = make_conv(init, channels, 3 * channels, 1, False)
        self.proj = make_conv(init, channels, channels, 1, True)

    def forward(self, x):
        b, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(b, 3 * c, h * w).chunk(3, dim=1)  # each (B, C, N)
        a = torch.softmax(torch.bmm(q.transpose(1, 2), k) * (1.0 / math.sqrt(c)), dim=2)  # (B, N, N)
        out = torch.bmm(v, a.transpose(1, 2)).reshape(b, c, h, w)  # (a v^T)^T = v a^T
        return x + self.proj(_layout(out))


class Down(nn.Module):
    """The stride-2 3x3 convolution between levels."""

    def __init__(self, init, ch):
        super().__init__()
        self.conv = make_conv(init, ch, ch, 3, False, stride=2)

    def forward(self, x):
        return self.conv(x)


class Up(nn.Module):
    """Nearest-neighbour 2x upsampling and a 3x3 convolution."""

    def __init__(self, init, ch):
        super().__init__()
        self.conv = make_conv(init, ch, ch, 3, False)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2, mode="nearest"))  # keeps x's memory order


class UNet(nn.Module):
    def __init__(self, channels, width, mults, blocks, attention, init):
        super().__init__()
        if width % GROUP_CHANNELS != 0:
            raise ValueError(f"the U-Net's width must be a multiple of {GROUP_CHANNELS}, got {width}")
        if len(mults) < 1 or blocks < 1:
            raise ValueError("the U-Net needs at least one level and one block per level")
        self.width = width
        temb = 4 * width
        self.t1 = make_linear(init, width, temb)
        self.t2 = make_linear(init, temb, temb)
        self.conv_in = make_conv(init, channels, width, 3, False)
        skips = [width]
        ch = width
        down = []
        for level, m in enumerate(mults):
            for _ in range(blocks):
                down.append(Res(init, ch, width * m, temb))
                ch = width * m
                skips.append(ch)
            if level < len(mults) - 1:
                down.append(Down(init, ch))
                skips.append(ch)
        self.down = nn.ModuleList(down)
        middle = [Res(init, ch, ch, temb)]
        if attention:
            middle.append(Attention(init, ch))
        middle.append(Res(init, ch, ch, temb))
        self.middle = nn.ModuleList(middle)
        up = []
        for level in range(len(mults) - 1, -1, -1):
            for _ in range(blocks + 1):
                up.append(Res(init, ch + skips.pop(), width * mults[level], temb))
                ch = width * mults[level]
            if level > 0:
                up.append(Up(init, ch))
        self.up = nn.ModuleList(up)
        self.out_norm = make_norm(ch)
        self.out = make_conv(init, ch, channels, 3, True)
        half = width // 2
        freqs = [math.exp(-math.log(10000) * k / max(1, half - 1)) for k in range(half)]
        self.register_buffer("freqs", torch.tensor(freqs, dtype=torch.float64), persistent=False)

    def time_embedding(self, t):
        """UNet.timeEmbedding: (B, width), sines then cosines, computed in float64 and rounded, as densitylab's."""
        arg = t.to(torch.float64)[:, None] * self.freqs
        return torch.cat([torch.sin(arg), torch.cos(arg)], dim=1).to(torch.float32)

    def forward(self, x, t):
        """eps_theta(x, t) for x (B, C, H, W) on the [-1, 1] scale and integer timesteps t (B,)."""
        e = self.t2(F.silu(self.t1(self.time_embedding(t))))
        se = F.silu(e)  # every block's time projection starts with SiLU(e): once here
        h = self.conv_in(_layout(x))
        hs = [h]
        for layer in self.down:
            h = layer(h, se) if isinstance(layer, Res) else layer(h)
            hs.append(h)
        for layer in self.middle:
            h = layer(h, se) if isinstance(layer, Res) else layer(h)
        for layer in self.up:
            h = layer(torch.cat([h, hs.pop()], dim=1), se) if isinstance(layer, Res) else layer(h)
        return self.out(F.silu(self.out_norm(h)))


# ----------------------------------------------------------------------------------------------------------
# The DDPM (Ddpm.java).

def approx_cdf(x):
    """Ddpm.approxCdf: 0.5 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    return 0.5 * (1.0 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x * x * x)))


def decoder_nll(x0, mean, sigma):
    """Ddpm.decoderNll: -log p(x0 | mean, sigma) in nats per row, Ho et al.'s discretized Gaussian."""
    centred = x0 - mean
    cdf_plus = approx_cdf((centred + 1.0 / 255) / sigma)
    cdf_min = approx_cdf((centred - 1.0 / 255) / sigma)
    log_cdf_plus = torch.log(torch.clamp(cdf_plus, min=1e-12))
    log_one_minus_cdf_min = torch.log(torch.clamp(1.0 - cdf_min, min=1e-12))
    log_delta = torch.log(torch.clamp(cdf_plus - cdf_min, min=1e-12))
    lp = torch.where(x0 < -0.999, log_cdf_plus, torch.where(x0 > 0.999, log_one_minus_cdf_min, log_delta))
    return -lp.reshape(x0.shape[0], -1).sum(dim=1)


class Ddpm(nn.Module):
    def __init__(self, shape, width, mults, blocks, attention, timesteps, schedule, objective, bound_steps, init):
        super().__init__()
        c, h, w = shape
        down = 1 << (len(mults) - 1)
        if h % down or w % down:
            raise ValueError(f"a U-Net of {len(mults)} levels needs height and width divisible by {down}, "
                             f"got {h}x{w}")
        if objective not in ("simple", "vlb"):
            raise ValueError(f"unknown objective '{objective}'; known: simple, vlb")
        self.shape = tuple(shape)
        self.objective = objective
        self.schedule = NoiseSchedule(schedule, timesteps)
        self.schedule.strata(bound_steps)  # checks the range
        self.bound_steps = bound_steps
        self.net = UNet(c, width, mults, blocks, attention, init)
        s = self.schedule
        T = s.steps
        # Per-timestep coefficients (index t = 0..T), float64 -> float32 as Ddpm's (float) casts.
        sa = [math.sqrt(s.alpha_bar[t]) for t in range(T + 1)]
        s1a = [math.sqrt(1 - s.alpha_bar[t]) for t in range(T + 1)]
        scale = [0.0] * (T + 1)
        const = [0.0] * (T + 1)
        d = self.dims()
        for t in range(2, T + 1):
            beta = s.beta[t]
            sigma2 = s.reverse_variance(t)
            post = s.posterior_variance(t)
            scale[t] = beta * beta / (2 * sigma2 * s.alpha(t) * (1 - s.alpha_bar[t]))
            const[t] = 0.5 * d * (math.log(sigma2 / post) + post / sigma2 - 1)
        f32 = torch.float32
        self.register_buffer("sqrt_ab", torch.tensor(sa, dtype=torch.float64).to(f32), persistent=False)
        self.register_buffer("sqrt_1m_ab", torch.tensor(s1a, dtype=torch.float64).to(f32), persistent=False)
        self.register_buffer("kl_scale", torch.tensor(scale, dtype=torch.float64).to(f32), persistent=False)
        self.register_buffer("kl_const", torch.tensor(const, dtype=torch.float64).to(f32), persistent=False)
        # decoder at t = 1: mean = (x_t - pred beta_1 / sqrt(1 - abar_1)) / sqrt(alpha_1), sigma^2 = post. var.(2)
        self.dec_pred = float(torch.tensor(s.beta[1] / math.sqrt(1 - s.alpha_bar[1]), dtype=f32))
        self.dec_div = float(torch.tensor(math.sqrt(s.alpha(1)), dtype=f32))
        self.dec_sigma = float(torch.tensor(math.sqrt(s.reverse_variance(1)), dtype=f32))

    def dims(self):
        return self.shape[0] * self.shape[1] * self.shape[2]

    def pass_rows(self):
        """Ddpm.passImages: rows (image, timestep) per scoring pass."""
        return max(1, PASS_PIXELS // (self.shape[1] * self.shape[2]))

    def noised(self, x0, eps, t):
        """x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps, each row at its own timestep."""
        return x0 * self.sqrt_ab[t][:, None, None, None] + eps * self.sqrt_1m_ab[t][:, None, None, None]

    def term_nats(self, x0, xt, eps, pred, t):
        """Ddpm.termNats: each row's term of the bound in nats (KL for t >= 2, the decoder's NLL for t = 1)."""
        b = t.shape[0]
        sq = (pred - eps).square().reshape(b, -1).sum(dim=1)
        terms = sq * self.kl_scale[t] + self.kl_const[t]
        first = (t == 1).nonzero().squeeze(1)
        if first.numel() == 0:
            return terms
        # the decoder only on the rows at t = 1 (densitylab: on all rows, then where)
        x0f, xtf, pf = x0.index_select(0, first), xt.index_select(0, first), pred.index_select(0, first)
        mean = (xtf - pf * self.dec_pred) / self.dec_div
        return terms.index_copy(0, first, decoder_nll(x0f, mean, self.dec_sigma))

    def prior_nats(self, x0):
        """Ddpm.priorNats: KL(q(x_T | x_0) || N(0, I)) per image in float64, rounded to float32 as densitylab's."""
        ab = self.schedule.alpha_bar[self.schedule.steps]
        v = 1 - ab
        x = x0.to(torch.float64).reshape(x0.shape[0], -1)
        kl = 0.5 * (ab * x.square() + v - 1 - math.log(v))
        return kl.sum(dim=1).to(torch.float32).to(torch.float64)

    def loss(self, x, t=None, eps=None):
        """Ddpm.loss for a batch of raw pixels (B, C, H, W); t and eps drawn unless given (tests)."""
        b = x.shape[0]
        T = self.schedule.steps
        if t is None:
            t = torch.randint(1, T + 1, (b,))
        x0 = x / 127.5 - 1.0
        if eps is None:
            eps = torch.randn_like(x0)
        xt = self.noised(x0, eps, t)
        pred = self.net(xt, t)
        if self.objective == "simple":
            return F.mse_loss(pred, eps)
        terms = self.term_nats(x0, xt, eps, pred, t) * T
        total = terms + self.prior_nats(x0).to(torch.float32)
        return (total / (self.dims() * LOG_2)).mean()


def score(model, images, k, seed, pass_rows=None):
    """Ddpm.boundNats in bits/dim of each image (uint8 (N, C, H, W)) with k timesteps per image, one per stratum:
    rows (image, stratum) in order, pass_rows (default Ddpm's, 32 on 28x28) per network pass, the timesteps and
    the noise from a generator seeded with seed."""
    gen = torch.Generator().manual_seed(seed)
    n = images.shape[0]
    d = model.dims()
    rows_per_pass = pass_rows or model.pass_rows()
    strata = model.schedule.strata(k)
    lo = torch.tensor(strata[:-1], dtype=torch.int64)
    width = torch.tensor([strata[i + 1] - strata[i] for i in range(k)], dtype=torch.int64)
    with torch.inference_mode():
        u = torch.rand(n, k, dtype=torch.float64, generator=gen)
        t_all = (lo + torch.minimum(width - 1, (u * width).to(torch.int64))).reshape(-1)
        w_all = width.to(torch.float64).repeat(n)
        x0_all = images.to(torch.float32) / 127.5 - 1.0
        out = torch.zeros(n, dtype=torch.float64)
        total = n * k
        for start in range(0, total, rows_per_pass):
            end = min(total, start + rows_per_pass)
            img = torch.arange(start, end) // k
            x0 = x0_all.index_select(0, img)
            t = t_all[start:end]
            eps = torch.randn(x0.shape, generator=gen)
            xt = model.noised(x0, eps, t)
            terms = model.term_nats(x0, xt, eps, model.net(xt, t), t)
            out.index_add_(0, img, terms.to(torch.float64) * w_all[start:end])
        out += model.prior_nats(x0_all)
    return (out / (d * LOG_2)).to(torch.float32)


def prepare(model):
    """The weights' memory order for the chosen layout (a PyTorch user's model.to(memory_format=...))."""
    model.to(memory_format=torch.channels_last if Options.channels_last else torch.contiguous_format)
    return model


class Step:
    """One Trainer step: the batch's loss and gradient in one pass, clipping, Adam with warm-up."""

    def __init__(self, model, lr, warmup, clip):
        self.model = model
        self.clip = clip
        self.params = list(model.parameters())
        self.opt = torch.optim.Adam(self.params, lr=lr, betas=(0.9, 0.999), eps=1e-8, foreach=True)

        def ramp(k):  # Trainer.adamStep: lr * min(1, step / warmup), step counting from 1
            return min(1.0, (k + 1) / warmup) if warmup > 0 else 1.0

        self.sched = torch.optim.lr_scheduler.LambdaLR(self.opt, ramp)

    def __call__(self, x):
        self.opt.zero_grad(set_to_none=True)
        loss = self.model.loss(x)
        loss.backward()
        if self.clip > 0:
            clip_grad_norm([p.grad for p in self.params], self.clip)
        self.opt.step()
        self.sched.step()
        return loss.detach()


def build(shape, args, init):
    return Ddpm(shape, args.width, args.levels, args.blocks, args.attention, args.timesteps, args.schedule,
                args.objective, args.bound_steps, init)


# ----------------------------------------------------------------------------------------------------------

def _levels(s):
    try:
        v = tuple(int(p.strip()) for p in s.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"levels takes channel multipliers like 1,2,2, got '{s}'")
    if not v or min(v) < 1:
        raise argparse.ArgumentTypeError(f"levels takes multipliers >= 1, got '{s}'")
    return v


def _bool(s):
    if s not in ("true", "false"):
        raise argparse.ArgumentTypeError(f"attention is true or false, got '{s}'")
    return s == "true"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", metavar="DIR", help="folder with FashionMNIST IDX files (default: densitylab's cache, "
                   "then /usr/share/datasets/fashion-mnist)")
    p.add_argument("--preset", choices=sorted(PRESETS), default="small", help="DiffusionKind's presets (default small)")
    p.add_argument("--width", type=int, help="channels of the first level (small: 32)")
    p.add_argument("--levels", type=_levels, help="channel multipliers per level (small: 1,2,2)")
    p.add_argument("--blocks", type=int, help="residual blocks per level going down (small: 1)")
    p.add_argument("--attention", type=_bool, help="true/false: self-attention in the middle (small: false)")
    p.add_argument("--timesteps", type=int, help=f"T (default {DEFAULTS['timesteps']})")
    p.add_argument("--schedule", choices=["cosine", "linear"], help=f"noise schedule (default {DEFAULTS['schedule']})")
    p.add_argument("--objective", choices=["simple", "vlb"], help=f"training loss (default {DEFAULTS['objective']})")
    p.add_argument("--bound-steps", type=int,
                   help=f"timesteps per image of the scored bound (default {DEFAULTS['bound-steps']})")
    add_run_args(p)
    p.add_argument("--init", choices=["java", "torch"], default="java",
                   help="java: the Java model's exact initial weights for the seed (default); torch: torch's generator")
    p.add_argument("--memory-format", choices=["channels_last", "standard"], default="channels_last",
                   help="memory order of the network's weights and activations (default channels_last: training "
                        "as fast as standard, scoring 10%% faster on the bench machine)")
    p.add_argument("--pass-rows", type=int,
                   help="(image, timestep) rows per scoring pass (default: densitylab's, 32 on 28x28)")
    p.add_argument("--no-flush-denormal", action="store_true", help="keep denormal floats (default: flush to zero)")
    p.add_argument("--profile", metavar="FILE",
                   help="record the training's ops with torch.profiler and write a Chrome trace to FILE "
                        "(bench/profile_compare.py); slows every op down, use a short --seconds")
    p.add_argument("--self-check", action="store_true",
                   help="no training run: check the parameter count, the Java initialisation, the layouts against "
                        "each other, the schedule and strata, the bound, and that a few steps lower the loss")
    args = p.parse_args(argv)
    if args.score_passes < 1:
        p.error(f"--score-passes must be >= 1, got {args.score_passes}")
    if args.pass_rows is not None and args.pass_rows < 1:
        p.error(f"--pass-rows must be >= 1, got {args.pass_rows}")
    width, levels, blocks, attention = PRESETS[args.preset]
    args.given = {}  # as `densitylab bench --param KEY=VALUE`
    for key, value in (("width", width), ("levels", levels), ("blocks", blocks), ("attention", attention),
                       *DEFAULTS.items()):
        attr = key.replace("-", "_")
        if getattr(args, attr) is None:
            setattr(args, attr, value)
        else:
            v = getattr(args, attr)
            args.given[key] = (",".join(map(str, v)) if isinstance(v, tuple)
                               else str(v).lower() if isinstance(v, bool) else str(v))
    return args


def self_check(args):
    torch.set_num_threads(1)
    torch.manual_seed(0)
    ok = True
    t_start = time.perf_counter()

    def report(name, good, detail):
        nonlocal ok
        ok = ok and good
        print(f"{'ok  ' if good else 'FAIL'} {name}: {detail}", flush=True)

    def make(preset="small", shape=(1, 28, 28), init=None, **kw):
        width, levels, blocks, attention = PRESETS[preset]
        o = dict(timesteps=1000, schedule=DEFAULTS["schedule"], objective="simple", bound_steps=16)
        o.update(kw)
        return Ddpm(shape, width, levels, blocks, attention, o["timesteps"], o["schedule"], o["objective"],
                    o["bound_steps"], init or NoInit())

    # Parameter count against densitylab's log line for preset small on 1x28x28.
    m = make()
    n = sum(p.numel() for p in m.parameters())
    report("parameter count, small 1x28x28", n == JAVA_SMALL_PARAMS, f"{n} (densitylab: {JAVA_SMALL_PARAMS})")

    # JavaInit: every random weight in creation order is the next run of ParamFactory's draws.
    m = make(init=JavaInit(0))
    rng = JavaRandom(0)
    good = True
    drawn = 0
    for name, p in m.named_parameters():
        if p.dim() < 2 or not p.abs().sum().item():  # biases, norms and zero-started weights draw nothing
            continue
        fan = p.shape[1] * (p.shape[2] * p.shape[3] if p.dim() == 4 else 1)
        std = math.sqrt(1.0 / fan)
        first = float(torch.tensor(std * rng.next_gaussian(), dtype=torch.float32))
        for _ in range(p.numel() - 2):
            rng.next_gaussian()
        last = float(torch.tensor(std * rng.next_gaussian(), dtype=torch.float32))
        flat = p.detach().flatten()
        good = good and flat[0].item() == first and flat[-1].item() == last
        drawn += p.numel()
    zeros = [name for name, p in m.named_parameters() if p.dim() >= 2 and not p.abs().sum().item()]
    report("JavaInit order and scales", good and len(zeros) == 12,
           f"{drawn} drawn values, each weight's first and last the next draws: {good}; zero-started weights "
           f"{len(zeros)} (11 blocks' c2 and the output)")

    # The schedules and strata against values computed by hand from NoiseSchedule's formulas.
    s = NoiseSchedule("cosine", 1000)
    lin = NoiseSchedule("linear", 1000)
    strata = s.strata(16)
    report("schedules and strata", strata[:4] == [1, 2, 3, 4] and strata[-1] == 1001 and len(strata) == 17
           and abs(s.beta[1000] - 0.999) < 1e-12 and 0 < s.alpha_bar[1000] < 1e-6
           and abs(lin.beta[1] - 1e-4) < 1e-15 and abs(lin.beta[1000] - 0.02) < 1e-15 and lin.strata(16) == strata,
           f"strata(16) {strata}; cosine beta_1 {s.beta[1]:.3e}, beta_T {s.beta[1000]}, abar_T "
           f"{s.alpha_bar[1000]:.3e}; linear beta_1 {lin.beta[1]:.1e}, beta_T {lin.beta[1000]:.3f}, abar_T "
           f"{lin.alpha_bar[1000]:.3e}")

    # Layouts agree; an untrained network predicts zero noise.
    torch.manual_seed(1)
    m = make("tiny", shape=(1, 8, 8), init=TorchInit(3))
    with torch.no_grad():
        for p in m.parameters():  # make the zero-started weights non-zero too
            p.add_(0.05 * torch.randn_like(p))
    x = torch.rand(5, 1, 8, 8) * 2 - 1
    t = torch.tensor([1, 7, 100, 500, 1000])
    vals = []
    with torch.no_grad():
        for cl in (False, True):
            Options.channels_last = cl
            vals.append(prepare(m).net(x, t))
    Options.channels_last = args.memory_format == "channels_last"
    err = (vals[0] - vals[1]).abs().max().item()
    with torch.no_grad():
        zero = make(init=JavaInit(0)).net(torch.rand(2, 1, 28, 28), torch.tensor([3, 900])).abs().max().item()
    report("layouts agree, zero at start", err < 1e-5 and zero == 0.0,
           f"max |standard - channels_last| {err:.1e}; untrained small |eps_theta| max {zero}")

    # The bound with k = T = 10 timesteps is the exact sum; recomputed term by term with the same draws.
    m = make("tiny", shape=(1, 8, 8), init=TorchInit(4), timesteps=10, bound_steps=10)
    with torch.no_grad():
        for p in m.parameters():
            p.add_(0.02 * torch.randn_like(p))
    imgs = torch.randint(0, 256, (3, 1, 8, 8), dtype=torch.uint8)
    bpd = score(m, imgs, 10, 7, pass_rows=4)
    same = score(m, imgs, 10, 7, pass_rows=30)
    gen = torch.Generator().manual_seed(7)
    torch.rand(3, 10, dtype=torch.float64, generator=gen)  # the timesteps (one per stratum of width 1)
    sch = m.schedule
    want = []
    with torch.no_grad():
        x0s = imgs.double() / 127.5 - 1
        totals = [0.0] * 3
        for row in range(30):
            i, tt = row // 10, row % 10 + 1
            eps = torch.randn(1, 1, 8, 8, generator=gen).double()
            x0 = x0s[i:i + 1]
            ab = sch.alpha_bar[tt]
            xt = math.sqrt(ab) * x0 + math.sqrt(1 - ab) * eps
            pred = m.net(xt.float(), torch.tensor([tt])).double()
            if tt == 1:
                mean = (xt - pred * sch.beta[1] / math.sqrt(1 - sch.alpha_bar[1])) / math.sqrt(sch.alpha(1))
                term = decoder_nll(x0, mean, math.sqrt(sch.posterior_variance(2))).item()
            else:  # KL of two Gaussians with means mu~(x_t, x_0) and mu_theta(x_t, eps_theta), per coordinate
                post_mean = (math.sqrt(sch.alpha_bar[tt - 1]) * sch.beta[tt] / (1 - ab) * x0
                             + math.sqrt(sch.alpha(tt)) * (1 - sch.alpha_bar[tt - 1]) / (1 - ab) * xt)
                mu = (xt - pred * sch.beta[tt] / math.sqrt(1 - ab)) / math.sqrt(sch.alpha(tt))
                v1, v2 = sch.posterior_variance(tt), sch.beta[tt]
                term = (0.5 * (math.log(v2 / v1) + (v1 + (post_mean - mu).square()) / v2 - 1)).sum().item()
            totals[i] += term
        for i in range(3):
            v = 1 - sch.alpha_bar[10]
            prior = (0.5 * (sch.alpha_bar[10] * x0s[i].square() + v - 1 - math.log(v))).sum().item()
            want.append((totals[i] + prior) / (64 * LOG_2))
    err = max(abs(a - b) for a, b in zip(bpd.tolist(), want))
    diff = (bpd - same).abs().max().item()
    scale = max(abs(w) for w in want)
    report("bound = exact sum at k = T", err < 1e-5 * scale and diff < 1e-6 * scale,
           f"{[round(v, 4) for v in bpd.tolist()]} vs by hand {[round(v, 4) for v in want]} bits/dim; passes of "
           f"4 and 30 rows (the same draws) differ by {diff:.1e}")

    # vlb loss: averaged over t, T x term + prior is the bound (here the loss of every t for one image).
    mv = make("tiny", shape=(1, 8, 8), init=TorchInit(4), timesteps=10, bound_steps=10, objective="vlb")
    mv.load_state_dict(m.state_dict())
    eps = torch.randn(10, 1, 8, 8)
    with torch.no_grad():
        x = imgs[:1].float().expand(10, 1, 8, 8)
        per_t = [mv.loss(x[j:j + 1], torch.tensor([j + 1]), eps[j:j + 1]).item() for j in range(10)]
    report("vlb loss finite", all(math.isfinite(v) for v in per_t),
           f"loss at t = 1..10 {[round(v, 3) for v in per_t]} bits/dim, mean {sum(per_t) / 10:.4f}")

    # Training: 12 steps of preset small (Java init, seed 0) on 32 FashionMNIST training images (a toy set where
    # none is found), batch 8, lr 1e-3 without warm-up: the simple loss on fixed (t, eps) goes down.
    try:
        dirs = [args.data] if args.data else default_data_dirs()
        images = read_idx_images(find_split(dirs, "train-images-idx3-ubyte"))[:32].float()
        source = "FashionMNIST"
    except FileNotFoundError:
        images = (torch.rand(32, 1, 28, 28) * 255).floor()
        source = "toy"
    torch.manual_seed(0)
    m = prepare(make(init=JavaInit(0)))
    t_fix = torch.randint(1, 1001, (32,))
    e_fix = torch.randn(32, 1, 28, 28)

    def fixed_loss():
        with torch.no_grad():
            return m.loss(images, t_fix, e_fix).item()

    before = fixed_loss()
    step = Step(m, 1e-3, 0, 50.0)
    losses = [step(images[(s % 4) * 8:(s % 4) * 8 + 8]).item() for s in range(12)]
    after = fixed_loss()
    report("training, 12 steps", all(math.isfinite(v) for v in losses) and after < before,
           f"{source} 32 images: simple loss {before:.4f} -> {after:.4f} (fixed t, eps); step losses "
           f"{losses[0]:.4f}, {losses[1]:.4f} ... {losses[-1]:.4f}")
    print(f"self-check {'passed' if ok else 'FAILED'} ({time.perf_counter() - t_start:.1f} s)")
    return 0 if ok else 1


def main(argv=None):
    args = parse_args(argv)
    setup_torch(args)
    Options.channels_last = args.memory_format == "channels_last"
    if args.self_check:
        return self_check(args)

    dirs = [args.data] if args.data else default_data_dirs()
    train = read_idx_images(find_split(dirs, "train-images-idx3-ubyte"))
    test = read_idx_images(find_split(dirs, "t10k-images-idx3-ubyte"))[:args.score_images]

    init = JavaInit(args.seed) if args.init == "java" else TorchInit(args.seed)
    model = prepare(build(tuple(train.shape[1:]), args, init))
    n_params = sum(p.numel() for p in model.parameters())
    pass_rows = args.pass_rows or model.pass_rows()
    step_fn = Step(model, args.lr, args.warmup, args.clip)
    print(f"ddpm: {n_params} parameters (width {args.width}, levels {','.join(map(str, args.levels))}, blocks "
          f"{args.blocks}, attention {str(args.attention).lower()}, T {args.timesteps} {args.schedule}, objective "
          f"{args.objective}, bound-steps {args.bound_steps}), memory format {args.memory_format}, torch "
          f"{torch.__version__}, {torch.get_num_threads()} threads", file=sys.stderr)

    losses = []

    def one_step(x, step):
        value = step_fn(x).item()
        if not math.isfinite(value):
            raise SystemExit(f"loss became {value} at step {step}")
        losses.append(value)

    model.train()
    before_training = process_stats()
    step, images_all, train_seconds, train_ips = timed_training(train, args.batch_size, args.seed, args.seconds,
                                                               one_step, args.profile)
    config = {"width": args.width, "levels": list(args.levels), "blocks": args.blocks, "attention": args.attention,
              "timesteps": args.timesteps, "schedule": args.schedule, "objective": args.objective,
              "bound_steps": args.bound_steps, "pass_rows": pass_rows, "init": args.init,
              "memory_format": args.memory_format, "group_norm": "nn.GroupNorm", "silu": "F.silu",
              "silu_temb_once": True, "upsample": "interpolate", "decoder_rows": "t=1 only",
              "foreach": True, "set_to_none": True, "score_mode": "inference_mode",
              "flush_denormal": not args.no_flush_denormal, "warmup": args.warmup, "clip": args.clip,
              "lr": args.lr, "betas": [0.9, 0.999]}
    out = {
        "impl": "pytorch",
        "model": "ddpm",
        "torch": torch.__version__,
        "params": args.given,
        "preset": args.preset if not args.given else "custom",
        "config": config,
        "param_count": n_params,
        "threads": torch.get_num_threads(),
        "batch": args.batch_size,
        "train_seconds": train_seconds,
    }
    put_stats(out, "train", before_training)

    # Scoring (as BenchCommand): an untimed warm-up on the first 256 images, then --score-passes timed passes
    # over all score images; the median pass counts. The score is the bound with bound-steps timesteps per image.
    model.eval()
    score(model, test[:256], args.bound_steps, args.seed, pass_rows)
    rates = []
    before_scoring = process_stats()
    for _ in range(args.score_passes):
        t0 = time.perf_counter()
        bpd = score(model, test, args.bound_steps, args.seed, pass_rows)
        rates.append(bpd.numel() / (time.perf_counter() - t0))
    out.update({
        "score_images_per_s": sorted(rates)[(len(rates) - 1) // 2],
        "score_images_per_s_passes": rates,
        "test_bpd": bpd.mean().item(),
    })
    put_stats(out, "score", before_scoring)
    tail = losses[-50:]
    out.update({
        "train_images_per_s": train_ips,
        "train_images_per_s_all": images_all / train_seconds,
        "steps": step,
        "train_steps": step,
        "final_train_loss": sum(tail) / len(tail),
        "score_images": bpd.numel(),
        "seed": args.seed,
    })
    if args.objective == "vlb":
        out["final_train_bpd"] = out["final_train_loss"]
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
