#!/usr/bin/env python3
"""PyTorch reference of densitylab's PixelCNN++, for comparing training and scoring speed.

The same network as densitylab-core/src/main/java/densitylab/model/ar/PixelCnnPlusPlus.java and CausalConv.java, the same
likelihood as LogisticMixturePixels.java and nn/LogisticBins.java, and the same loss and training recipe as
AutoregressiveModel.java and train/Trainer.java with the settings of `densitylab bench` (BenchCommand.java:
Adam 0.9/0.999/1e-8, lr 1e-3 with a linear warm-up over 200 steps, global gradient-norm clipping at 50,
batch 64):

  x in 0..255 (B, C, H, W) -> [x / 127.5 - 1, ones]
  -> u  = shift_down(down_conv 2x3)                                 (the rows above)
     ul = shift_down(down_conv 1x3) + shift_right(down_right_conv 2x1)  (above and to the left)
  -> up pass at H, H/2, H/4: R gated resnet pairs each (u block; ul block reading u), stride-2 shifted
     convolutions between the resolutions; every output is kept for the down pass
  -> down pass at H/4, H/2, H: R, R+1, R+1 pairs reading the kept outputs (u block: the kept u; ul block: the
     new u and the kept ul), shifted transposed convolutions between the resolutions
  -> 1x1 convolution of elu(ul) to K mixture logits, C*K means, C*K log-scales, C(C-1)/2*K coefficients
  log P(x) = sum over pixels of logsumexp_k [log pi_k + sum_c log P_k(x_c)] (discretized logistic bins),
  loss = mean over the batch of -log P(x) / (D log 2) (bits/dim).
  Gated resnet block: c = conv(concat_elu(x)) [+ nin(concat_elu(a))]; x + c1 * sigmoid(c2) with
  (c1, c2) = conv(dropout(concat_elu(c))).

Parameters are created in the Java constructor's order and shapes; by default they are initialised exactly as
densitylab's for the same seed (glow.JavaInit replays ParamFactory's java.util.Random draws), so both start
from the same weights; --init torch draws the same distributions from torch's generator.

What the PyTorch side does as a PyTorch user would (all recorded in the JSON line's "config"):
  - the upsampling is a real nn.ConvTranspose2d. densitylab has no transposed convolution (DJL lacks one) and
    computes the same function class as a stride-1 convolution over the input with zeros interleaved, with the
    flipped kernel as its parameter; the two are the same function when the transposed kernel is
    W.transpose(0, 1).flip(2, 3) of densitylab's (so JavaInit's draws give the same initial function; checked
    by --self-check), but ConvTranspose2d does a quarter of the multiply-adds. (--upsample interleave runs
    densitylab's formulation instead.) In torch 1.13 the CPU ConvTranspose2d runs the native GEMM kernel
    (slow_conv_transpose2d), not oneDNN.
  - convolutions in channels-last memory order (--memory-format; oneDNN reads and writes them without
    reorders), gradients zeroed with set_to_none, foreach Adam, the gradient norm by torch._foreach_norm,
    torch.inference_mode for scoring, flush-to-zero of denormals (--no-flush-denormal turns it off),
    torch.where instead of densitylab's mask multiplications in the likelihood, no Python loop over pixels.
  - the shifted convolutions pad inside the convolution and crop the extra row / column as densitylab does
    (--pad crop, default), or pad explicitly with F.pad first as the authors' code does (--pad explicit).

The likelihood sums logsumexp_k of each pixel's joint over its channels directly; densitylab computes
per-sub-pixel conditionals that telescope to the same sum (for grey images, C = 1, the ops are the same).

Prints ONE JSON line at the end (everything else goes to stderr), with the keys of `densitylab bench
--model pixelcnnpp` and those of glow.py. Run with a Python that has torch, e.g. Debian's /usr/bin/python3 with
python3-torch (apt-get install python3-torch). --self-check runs a few seconds of correctness checks instead.
"""

import argparse
import json
import math
import os
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from glow import JavaInit, TorchInit, default_data_dirs, find_split, read_idx_images  # noqa: E402

PRESETS = {  # ArKinds.preset for pixelcnnpp: resnets, filters, mixture, dropout
    "tiny": (1, 8, 2, 0.0),
    "small": (1, 32, 5, 0.0),
    "medium": (2, 64, 10, 0.0),
}
DOWN = "down"              # CausalConv.Kind.DOWN: rows i-kh+1..i, columns j-(kw-1)/2..j+(kw-1)/2
DOWN_RIGHT = "down_right"  # CausalConv.Kind.DOWN_RIGHT: rows i-kh+1..i, columns j-kw+1..j
MIN_LOG_SCALE = -7.0       # LogisticBins.MIN_LOG_SCALE
TINY_MASS = 1e-5           # LogisticBins.TINY_MASS
LOG_127_5 = math.log(127.5)


class Options:
    """Switches read at forward time (so --self-check can compare them on one model)."""
    channels_last = True
    pad = "crop"            # crop: pad inside the convolution, crop; explicit: F.pad, then an unpadded convolution
    upsample = "deconv"     # deconv: nn.ConvTranspose2d; interleave: densitylab's zeros + convolution


def _layout(x):
    return x.contiguous(memory_format=torch.channels_last) if Options.channels_last else x


def shift_down(x):
    """Row 0 zeros, the last row dropped (CausalConv.shiftDown)."""
    return _layout(F.pad(x[:, :, :-1], (0, 0, 1, 0)))


def shift_right(x):
    """Column 0 zeros, the last column dropped (CausalConv.shiftRight)."""
    return _layout(F.pad(x[:, :, :, :-1], (1, 0, 0, 0)))


def concat_elu(x):
    return F.elu(torch.cat([x, -x], dim=1))


class ShiftedConv(nn.Module):
    """CausalConv, stride 1 or 2: a shifted convolution that sees only the rows above (and the pixel's row)."""

    def __init__(self, kind, cin, cout, kh, kw, init, gain=1.0, stride=1):
        super().__init__()
        if kind == DOWN and kw % 2 == 0:
            raise ValueError(f"a down-shifted convolution needs an odd kernel width, got {kw}")
        self.kind, self.kh, self.kw, self.stride = kind, kh, kw, stride
        self.pad_w = (kw - 1) // 2 if kind == DOWN else kw - 1  # densitylab's symmetric width padding
        self.weight = nn.Parameter(torch.empty(cout, cin, kh, kw))
        self.bias = nn.Parameter(torch.zeros(cout))
        init.normal_(self.weight, gain / math.sqrt(cin * kh * kw))

    def forward(self, x):
        h, w = x.shape[2], x.shape[3]
        if Options.pad == "explicit":  # the output (i, j) window ends at row i; no crop needed
            left = self.pad_w
            right = self.pad_w if self.kind == DOWN else 0
            return F.conv2d(_layout(F.pad(x, (left, right, self.kh - 1, 0))), self.weight, self.bias, self.stride)
        y = F.conv2d(x, self.weight, self.bias, self.stride, (self.kh - 1, self.pad_w))
        oh, ow = (h + 1) // 2 if self.stride == 2 else h, (w + 1) // 2 if self.stride == 2 else w
        return y if (y.shape[2], y.shape[3]) == (oh, ow) else y[:, :, :oh, :ow]


class ShiftedDeconv(nn.Module):
    """CausalConv with transposed = true: doubles the resolution, output cropped to the waiting skip's size.

    densitylab: y = conv2d(interleave_zeros(x), W, padding (kh - 1, pad_w)) cropped to [0:oh, 0:ow], W of shape
    (out, in, kh, kw). Output (i, j) of that sums W[o, c, a, b] x[c, p, q] over 2p = i + a - (kh - 1),
    2q = j + b - pad_w; with a' = kh - 1 - a, b' = kw - 1 - b that is i = 2p + a', j = 2q + b' - (kw - 1 - pad_w):
    a stride-2 transposed convolution with kernel W.transpose(0, 1).flip(2, 3), padding (0, kw - 1 - pad_w), and
    output_padding chosen so that the output is (2H, 2W) before the crop.
    """

    def __init__(self, kind, cin, cout, kh, kw, init, gain=1.0):
        super().__init__()
        self.kind, self.kh, self.kw = kind, kh, kw
        self.pad_w = (kw - 1) // 2 if kind == DOWN else kw - 1
        pw = kw - 1 - self.pad_w
        oph, opw = 2 - kh, 2 + 2 * pw - kw
        if not (0 <= oph < 2 and 0 <= opw < 2):
            raise ValueError(f"no stride-2 transposed convolution gives (2H, 2W) for a {kh}x{kw} kernel")
        self.deconv = nn.ConvTranspose2d(cin, cout, (kh, kw), stride=2, padding=(0, pw), output_padding=(oph, opw))
        w = torch.empty(cout, cin, kh, kw)  # densitylab's parameter: the equivalent convolution's kernel
        init.normal_(w, gain / math.sqrt(cin * kh * kw))
        with torch.no_grad():
            self.deconv.weight.copy_(w.transpose(0, 1).flip(2, 3))
            self.deconv.bias.zero_()

    def conv_weight(self):
        """The kernel of densitylab's equivalent convolution (out, in, kh, kw)."""
        return self.deconv.weight.transpose(0, 1).flip(2, 3)

    def forward(self, x, oh, ow):
        if Options.upsample == "interleave":  # densitylab's formulation (CausalConv.interleaveZeros)
            b, c, h, w = x.shape
            z = x.new_zeros(b, c, h, 2, w, 2)
            z[:, :, :, 0, :, 0] = x
            z = _layout(z.view(b, c, 2 * h, 2 * w))
            y = F.conv2d(z, self.conv_weight(), self.deconv.bias, 1, (self.kh - 1, self.pad_w))
        else:
            y = _layout(self.deconv(x))  # torch 1.13's CPU kernel may return the standard order
        return y if (y.shape[2], y.shape[3]) == (oh, ow) else y[:, :, :oh, :ow]


class GatedResnet(nn.Module):
    """PixelCnnPlusPlus.Resnet; skip = how many F-channel arrays its skip input concatenates (0: none)."""

    def __init__(self, kind, filters, skip, dropout, init):
        super().__init__()
        kh, kw = (2, 3) if kind == DOWN else (2, 2)
        f = filters
        self.dropout = dropout
        self.conv_in = ShiftedConv(kind, 2 * f, f, kh, kw, init, 1.0)
        if skip > 0:
            self.nin = nn.Conv2d(2 * skip * f, f, 1)
            init.normal_(self.nin.weight, 1.0 / math.sqrt(2.0 * skip * f))
            nn.init.zeros_(self.nin.bias)
        else:
            self.nin = None
        self.conv_out = ShiftedConv(kind, 2 * f, 2 * f, kh, kw, init, 0.1)

    def forward(self, x, a=None):
        c = self.conv_in(concat_elu(x))
        if a is not None:
            c = c + self.nin(concat_elu(a))
        e = concat_elu(c)
        if self.dropout > 0 and self.training:
            e = F.dropout(e, self.dropout, True)
        g1, g2 = self.conv_out(e).chunk(2, dim=1)
        return x + g1 * torch.sigmoid(g2)


def pairs(c):
    return c * (c - 1) // 2


class PixelCNNpp(nn.Module):
    """PixelCnnPlusPlus with LogisticMixturePixels on (C, H, W) images of raw values 0..255."""

    def __init__(self, shape, resnets, filters, mixture, dropout, init):
        super().__init__()
        if resnets < 1 or filters < 1 or not 0 <= dropout < 1 or mixture < 1:
            raise ValueError(f"pixelcnnpp needs resnets >= 1, filters >= 1, mixture >= 1 and 0 <= dropout < 1; got "
                             f"{resnets}, {filters}, {mixture}, {dropout}")
        c = shape[0]
        self.shape = tuple(shape)
        self.components = mixture
        self.outputs = mixture * (1 + 2 * c + pairs(c))
        f = filters
        # Construction order = densitylab's draw order (PixelCnnPlusPlus constructor).
        self.u_init = ShiftedConv(DOWN, c + 1, f, 2, 3, init)
        self.ul_init_down = ShiftedConv(DOWN, c + 1, f, 1, 3, init)
        self.ul_init_right = ShiftedConv(DOWN_RIGHT, c + 1, f, 2, 1, init)
        self.up = nn.ModuleList()
        self.downsize = nn.ModuleList()
        for s in range(3):
            blocks = nn.ModuleList()
            for _ in range(resnets):
                u_block = GatedResnet(DOWN, f, 0, dropout, init)
                ul_block = GatedResnet(DOWN_RIGHT, f, 1, dropout, init)
                blocks.append(nn.ModuleList([u_block, ul_block]))
            self.up.append(blocks)
            if s < 2:
                u_conv = ShiftedConv(DOWN, f, f, 2, 3, init, stride=2)
                ul_conv = ShiftedConv(DOWN_RIGHT, f, f, 2, 2, init, stride=2)
                self.downsize.append(nn.ModuleList([u_conv, ul_conv]))
        self.down = nn.ModuleList()
        self.upsize = nn.ModuleList()
        for s in range(3):
            blocks = nn.ModuleList()
            for _ in range(resnets + (0 if s == 0 else 1)):
                u_block = GatedResnet(DOWN, f, 1, dropout, init)
                ul_block = GatedResnet(DOWN_RIGHT, f, 2, dropout, init)
                blocks.append(nn.ModuleList([u_block, ul_block]))
            self.down.append(blocks)
            if s < 2:
                u_conv = ShiftedDeconv(DOWN, f, f, 2, 3, init)
                ul_conv = ShiftedDeconv(DOWN_RIGHT, f, f, 2, 2, init)
                self.upsize.append(nn.ModuleList([u_conv, ul_conv]))
        self.out = nn.Conv2d(f, self.outputs, 1)
        init.normal_(self.out.weight, 0.1 / math.sqrt(f))
        nn.init.zeros_(self.out.bias)

    def network(self, x):
        """The mixture's parameters (B, P, H, W) for raw pixels x (B, C, H, W) (PixelCnnPlusPlus.apply)."""
        b, _, h, w = x.shape
        inp = _layout(torch.cat([x / 127.5 - 1.0, x.new_ones(b, 1, h, w)], dim=1))
        us = [shift_down(self.u_init(inp))]
        uls = [shift_down(self.ul_init_down(inp)) + shift_right(self.ul_init_right(inp))]
        for r in range(3):
            for u_block, ul_block in self.up[r]:
                u = u_block(us[-1])
                ul = ul_block(uls[-1], u)
                us.append(u)
                uls.append(ul)
            if r < 2:
                us.append(self.downsize[r][0](us[-1]))
                uls.append(self.downsize[r][1](uls[-1]))
        u = us.pop()
        ul = uls.pop()
        for r in range(3):
            for u_block, ul_block in self.down[r]:
                u = u_block(u, us.pop())
                ul = ul_block(ul, torch.cat([u, uls.pop()], dim=1))
            if r < 2:  # back to the next resolution's size, read from the skip arrays waiting for it
                oh, ow = us[-1].shape[2], us[-1].shape[3]
                u = self.upsize[r][0](u, oh, ow)
                ul = self.upsize[r][1](ul, oh, ow)
        return self.out(F.elu(ul)).contiguous()  # the likelihood slices channels: standard order

    def log_prob_pixels(self, params, x):
        """log P(pixel) in nats (B, H, W) (LogisticMixturePixels; its sub-pixel terms telescope to this)."""
        b, c, h, w = x.shape
        k = self.components
        log_pi = F.log_softmax(params[:, :k], dim=1)                       # (B, K, H, W)
        means = params[:, k:k + c * k].reshape(b, c, k, h, w)
        log_s = params[:, k + c * k:k + 2 * c * k].reshape(b, c, k, h, w)
        x5 = x.unsqueeze(2)                                                 # (B, C, 1, H, W)
        if c > 1:
            coeffs = torch.tanh(params[:, k + 2 * c * k:]).reshape(b, pairs(c), k, h, w)
            scaled = x5 / 127.5 - 1.0
            adjusted = [means[:, 0]]
            for ch in range(1, c):  # channels, not pixels
                m = means[:, ch]
                for prev in range(ch):
                    m = m + coeffs[:, pairs(ch) + prev] * scaled[:, prev]
                adjusted.append(m)
            means = torch.stack(adjusted, dim=1)
        lm = logistic_log_mass(x5, means, log_s)                            # (B, C, K, H, W)
        lm = lm[:, 0] if c == 1 else lm.sum(dim=1)
        return torch.logsumexp(lm + log_pi, dim=1)

    def log_prob(self, x):
        """log P(x) in nats (B,) of raw pixels x (B, C, H, W) as floats 0..255."""
        return self.log_prob_pixels(self.network(x), x).flatten(1).sum(dim=1)

    def loss(self, x):
        """AutoregressiveModel.loss: mean over the batch of -log P(x), in bits/dim."""
        return -self.log_prob(x).mean() / (x[0].numel() * math.log(2))


def logistic_log_mass(x, mu, log_scale):
    """LogisticBins.logMass: log of the discretized logistic's mass on raw value x's bin (edges to -inf / +inf)."""
    log_s = torch.clamp(log_scale, min=MIN_LOG_SCALE)
    inv = torch.exp(-log_s)
    centred = (x / 127.5 - 1.0) - mu
    plus = (centred + 1.0 / 255.0) * inv
    minus = (centred - 1.0 / 255.0) * inv
    cdf_delta = torch.sigmoid(plus) - torch.sigmoid(minus)
    mid = centred * inv
    log_pdf_mid = mid - log_s - 2.0 * F.softplus(mid)
    log_mid = torch.where(cdf_delta > TINY_MASS, torch.log(torch.clamp(cdf_delta, min=1e-12)), log_pdf_mid - LOG_127_5)
    return torch.where(x < 0.5, F.logsigmoid(plus), torch.where(x > 254.5, F.logsigmoid(-minus), log_mid))


# ----------------------------------------------------------------------------------------------------------

def timed_training(train, batch_size, seed, seconds, step_fn, profile=None, epoch_end=None):
    """The benchmarks' training loop, as densitylab's Trainer runs it: epochs of batches shuffled with seed + epoch,
    step_fn(x, step number from 1) per batch, until `seconds` have passed. Throughput is timed from the 5th step on
    (warm-up excluded). With profile, torch.profiler records the loop and writes a Chrome trace there. With
    epoch_end, epoch_end(epoch number from 1) runs after each full epoch (glow.py --epochs-bpd scores there); its time
    counts neither toward `seconds` nor in the throughput.
    Returns (steps, images, seconds, images per second), seconds without epoch_end's time."""
    prof = None
    if profile:
        prof = torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU])
        prof.__enter__()
    n = train.shape[0]
    step = images_all = images_timed = 0
    t_timed = None
    paused = paused_timed = 0.0  # epoch_end's seconds, in all and after t_timed
    start = time.perf_counter()
    epoch = 0
    done = False
    while not done:
        order = torch.randperm(n, generator=torch.Generator().manual_seed(seed + epoch))
        for i in range(0, n, batch_size):
            x = train[order[i:i + batch_size]].float()
            step_fn(x, step + 1)
            step += 1
            images_all += x.shape[0]
            if step == 5:
                t_timed = time.perf_counter()
            elif step > 5:
                images_timed += x.shape[0]
            if time.perf_counter() - start - paused >= seconds:
                done = True
                break
        else:
            epoch += 1
            if epoch_end is not None:
                t0 = time.perf_counter()
                epoch_end(epoch)
                dt = time.perf_counter() - t0
                paused += dt
                if t_timed is not None:
                    paused_timed += dt
    end = time.perf_counter()
    if prof is not None:
        prof.__exit__(None, None, None)
        prof.export_chrome_trace(profile)
    train_seconds = end - start - paused
    ips = (images_timed / (end - t_timed - paused_timed) if t_timed is not None and images_timed > 0
           else images_all / train_seconds)
    return step, images_all, train_seconds, ips


def add_run_args(p):
    """The flags of a timed run that every reference here shares (vae.py imports this): batch, threads, the Adam
    recipe of densitylab's bench, time budget, scoring and seed."""
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--warmup", type=int, default=200, help="linear warm-up steps (bench: 200)")
    p.add_argument("--clip", type=float, default=50.0, help="global gradient-norm clip (0: off; bench: 50)")
    p.add_argument("--seconds", type=float, default=120.0, help="training time budget")
    p.add_argument("--score-images", type=int, default=2000, help="test images to score")
    p.add_argument("--score-passes", type=int, default=3,
                   help="timed passes over the score images after an untimed warm-up on the first 256; the median "
                        "pass's images/s is reported, the lower middle one for an even count (as densitylab bench)")
    p.add_argument("--seed", type=int, default=0)


def setup_torch(args):
    """Threads, seed and numerics of a run, as densitylab runs: one inter-op thread, denormals flushed unless
    --no-flush-denormal, oneDNN on, anomaly detection off."""
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(args.seed)
    torch.set_flush_denormal(not args.no_flush_denormal)
    torch.backends.mkldnn.enabled = True
    torch.autograd.set_detect_anomaly(False)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", metavar="DIR", help="folder with FashionMNIST IDX files (default: densitylab's cache, "
                   "then /usr/share/datasets/fashion-mnist)")
    p.add_argument("--preset", choices=sorted(PRESETS), default="small")
    p.add_argument("--resnets", type=int)
    p.add_argument("--filters", type=int)
    p.add_argument("--mixture", type=int)
    p.add_argument("--dropout", type=float)
    add_run_args(p)
    p.add_argument("--score-batch", type=int, default=64, help="scoring batch (densitylab: at most 64)")
    p.add_argument("--init", choices=["java", "torch"], default="java",
                   help="java: the Java model's exact initial weights for the seed (default); torch: torch's generator")
    p.add_argument("--memory-format", choices=["channels_last", "standard"], default="channels_last",
                   help="memory order of the network's activations (default channels_last)")
    p.add_argument("--pad", choices=["crop", "explicit"], default="crop",
                   help="shifted convolutions: pad inside the convolution and crop (densitylab's way, default) or "
                        "F.pad first (the authors' way)")
    p.add_argument("--upsample", choices=["deconv", "interleave"], default="deconv",
                   help="deconv: nn.ConvTranspose2d (default); interleave: densitylab's zeros + convolution")
    p.add_argument("--no-flush-denormal", action="store_true", help="keep denormal floats (default: flush to zero)")
    p.add_argument("--profile", metavar="FILE",
                   help="record the training's ops with torch.profiler and write a Chrome trace to FILE "
                        "(bench/profile_compare.py); slows every op down, use a short --seconds")
    p.add_argument("--self-check", action="store_true",
                   help="no training: check the parameter count, shapes, the transposed convolution against "
                        "densitylab's formulation, the layout/padding options against each other, and causality")
    args = p.parse_args(argv)
    if args.score_passes < 1:
        p.error(f"--score-passes must be >= 1, got {args.score_passes}")
    return args


def score(model, images, batch):
    """Bits/dim of each image (uint8 (N, C, H, W)), in batches (AutoregressiveModel.logProb)."""
    d = images[0].numel()
    out = []
    with torch.inference_mode():
        for i in range(0, images.shape[0], batch):
            out.append(-model.log_prob(images[i:i + batch].float()) / (d * math.log(2)))
    return torch.cat(out)


def clip_grad_norm(grads, max_norm):
    """Trainer.adamStep's clipping: if the global norm exceeds max_norm, scale by max_norm / (norm + 1e-6)."""
    norms = torch._foreach_norm(grads) if hasattr(torch, "_foreach_norm") else [g.norm() for g in grads]
    total = torch.stack(norms).norm().item()
    if total > max_norm:
        torch._foreach_mul_(grads, max_norm / (total + 1e-6))
    return total


def process_stats():
    """Minor page faults and system CPU seconds so far (densitylab's ProcessStats)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_minflt, r.ru_stime


def put_stats(out, phase, before):
    faults, sys_s = process_stats()
    out[phase + "_minor_faults"] = faults - before[0]
    out[phase + "_system_seconds"] = sys_s - before[1]


class NoInit:
    """Leaves torch's default values (for counting parameters)."""

    def normal_(self, tensor, std):
        pass


def self_check():
    torch.manual_seed(0)
    ok = True

    def report(name, good, detail):
        nonlocal ok
        ok = ok and good
        print(f"{'ok  ' if good else 'FAIL'} {name}: {detail}")

    small = PixelCNNpp((1, 28, 28), *PRESETS["small"], NoInit())
    n = sum(p.numel() for p in small.parameters())
    report("parameter count, small on 1x28x28", n == 572847, f"{n} (densitylab 572847)")

    # The transposed convolution against densitylab's formulation, output cropped (4x4 -> 8x8 and 7x7).
    for kind, kh, kw in ((DOWN, 2, 3), (DOWN_RIGHT, 2, 2)):
        d = ShiftedDeconv(kind, 5, 4, kh, kw, TorchInit(1))
        x = torch.randn(2, 5, 4, 4)
        for oh, ow in ((8, 8), (7, 7)):
            z = torch.zeros(2, 5, 8, 8)
            z[:, :, ::2, ::2] = x
            ref = F.conv2d(z, d.conv_weight(), d.deconv.bias, 1, (kh - 1, d.pad_w))[:, :, :oh, :ow]
            with torch.no_grad():
                Options.upsample = "deconv"
                got = d(x, oh, ow)
                Options.upsample = "interleave"
                got2 = d(x, oh, ow)
            Options.upsample = "deconv"
            err = max((got - ref).abs().max().item(), (got2 - ref).abs().max().item())
            report(f"transposed {kind} {kh}x{kw} -> {oh}x{ow}", got.shape == ref.shape and err < 1e-5,
                   f"shape {tuple(got.shape)}, max |diff| {err:.2e}")

    # Tiny networks on 2 random 8x8 images, grey and RGB: shapes, finite loss and gradients, option agreement.
    for c in (1, 3):
        model = PixelCNNpp((c, 8, 8), 1, 8, 2, 0.0, TorchInit(2))
        x = torch.randint(0, 256, (2, c, 8, 8)).float()
        params = model.network(x)
        loss = model.loss(x)
        loss.backward()
        grads_finite = all(p.grad is not None and torch.isfinite(p.grad).all().item() for p in model.parameters())
        report(f"forward/backward C={c}", params.shape == (2, 2 * (1 + 2 * c + pairs(c)), 8, 8)
               and math.isfinite(loss.item()) and grads_finite,
               f"output {tuple(params.shape)}, loss {loss.item():.4f} bits/dim, gradients finite {grads_finite}")
        with torch.no_grad():
            base = model.log_prob(x)
            diffs = []
            for cl, pad, up in ((False, "crop", "deconv"), (True, "explicit", "deconv"), (True, "crop", "interleave")):
                Options.channels_last, Options.pad, Options.upsample = cl, pad, up
                diffs.append((model.log_prob(x) - base).abs().max().item())
            Options.channels_last, Options.pad, Options.upsample = True, "crop", "deconv"
        report(f"options agree C={c}", max(diffs) < 1e-3 * base.abs().max().item(),
               f"log P {[round(v, 3) for v in base.tolist()]} nats, max |diff| standard/explicit/interleave "
               f"{', '.join(f'{v:.1e}' for v in diffs)}")

    # Causality: image b's gradient of its output at pixel b (raster order) must vanish at pixels >= b.
    model = PixelCNNpp((1, 8, 8), 1, 8, 2, 0.0, TorchInit(3))
    x = (torch.rand(1, 1, 8, 8) * 255).expand(64, 1, 8, 8).clone().requires_grad_(True)
    out = model.network(x)
    idx = torch.arange(64)
    out[idx, :, idx // 8, idx % 8].sum().backward()
    g = x.grad.abs().reshape(64, 64)  # (output pixel, input pixel)
    later = torch.triu(torch.ones(64, 64, dtype=torch.bool))  # input pixel >= output pixel
    leak = g[later].max().item()
    reads = (g[~later] > 0).float().mean().item()
    report("causality 8x8", leak == 0.0 and reads > 0,
           f"max |grad| at or after the pixel {leak}, share of earlier pixels read {reads:.3f}, "
           f"last pixel reads all 63 before it {g[63, :63].gt(0).all().item()}")
    print("self-check " + ("passed" if ok else "FAILED"))
    return 0 if ok else 1


def main(argv=None):
    args = parse_args(argv)
    setup_torch(args)
    Options.channels_last = args.memory_format == "channels_last"
    Options.pad = args.pad
    Options.upsample = args.upsample
    if args.self_check:
        return self_check()

    resnets, filters, mixture, dropout = PRESETS[args.preset]
    given = {"preset": args.preset}
    for key in ("resnets", "filters", "mixture", "dropout"):
        if getattr(args, key) is not None:
            given[key] = str(getattr(args, key))
    resnets = args.resnets if args.resnets is not None else resnets
    filters = args.filters if args.filters is not None else filters
    mixture = args.mixture if args.mixture is not None else mixture
    dropout = args.dropout if args.dropout is not None else dropout

    dirs = [args.data] if args.data else default_data_dirs()
    train = read_idx_images(find_split(dirs, "train-images-idx3-ubyte"))
    test = read_idx_images(find_split(dirs, "t10k-images-idx3-ubyte"))[:args.score_images]

    init = JavaInit(args.seed) if args.init == "java" else TorchInit(args.seed)
    model = PixelCNNpp(tuple(train.shape[1:]), resnets, filters, mixture, dropout, init)
    if Options.channels_last:
        model = model.to(memory_format=torch.channels_last)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"pixelcnnpp: {n_params} parameters (resnets {resnets}, filters {filters}, mixture {mixture}, dropout "
          f"{dropout}), torch {torch.__version__}, {torch.get_num_threads()} threads", file=sys.stderr)

    params = list(model.parameters())
    opt = torch.optim.Adam(params, lr=args.lr, betas=(0.9, 0.999), eps=1e-8, foreach=True)
    warm = args.warmup
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: min(1.0, (k + 1) / warm) if warm > 0 else 1.0)

    losses = []

    def one_step(x, step):
        opt.zero_grad(set_to_none=True)
        loss = model.loss(x)
        loss.backward()
        if args.clip > 0:
            clip_grad_norm([p.grad for p in params], args.clip)
        opt.step()
        sched.step()
        value = loss.item()
        if not math.isfinite(value):
            raise SystemExit(f"loss became {value} at step {step}")
        losses.append(value)

    model.train()
    before_training = process_stats()
    step, images_all, train_seconds, train_ips = timed_training(train, args.batch_size, args.seed, args.seconds,
                                                               one_step, args.profile)

    out = {
        "impl": "pytorch",
        "model": "pixelcnnpp",
        "torch": torch.__version__,
        "params": given,
        "preset": args.preset if len(given) == 1 else "custom",
        "config": {"resnets": resnets, "filters": filters, "mixture": mixture, "dropout": dropout, "init": args.init,
                   "memory_format": args.memory_format, "pad": args.pad, "upsample": args.upsample,
                   "flush_denormal": not args.no_flush_denormal, "score_batch": args.score_batch,
                   "warmup": args.warmup, "clip": args.clip, "lr": args.lr},
        "param_count": n_params,
        "threads": torch.get_num_threads(),
        "batch": args.batch_size,
        "train_seconds": train_seconds,
    }
    put_stats(out, "train", before_training)

    # Scoring (BenchCommand): an untimed warm-up on the first 256 images, then --score-passes timed passes over
    # all score images; the median pass counts.
    model.eval()
    score(model, test[:256], args.score_batch)
    rates = []
    before_scoring = process_stats()
    for _ in range(args.score_passes):
        t0 = time.perf_counter()
        bpd = score(model, test, args.score_batch)
        rates.append(bpd.numel() / (time.perf_counter() - t0))
    tail = losses[-50:]
    out.update({
        "score_images_per_s": sorted(rates)[(len(rates) - 1) // 2],
        "score_images_per_s_passes": rates,
        "test_bpd": bpd.mean().item(),
    })
    put_stats(out, "score", before_scoring)
    out.update({
        "train_images_per_s": train_ips,
        "train_images_per_s_all": images_all / train_seconds,
        "steps": step,
        "train_steps": step,
        "final_train_bpd": sum(tail) / len(tail),
        "score_images": bpd.numel(),
        "seed": args.seed,
    })
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
