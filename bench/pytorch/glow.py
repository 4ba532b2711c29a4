#!/usr/bin/env python3
"""PyTorch reference of densitylab's Glow, for comparing training and scoring speed.

The same model as densitylab-core/src/main/java/densitylab/model/flow (FlowKinds.glow, FlowModel, MultiScaleFlow,
Squeeze, ActNorm, InvConv1x1Lu, AffineCoupling, ConvNet) and the same training recipe as
densitylab-core/src/main/java/densitylab/model/Trainer.java (Adam 0.9/0.999/1e-8, linear warm-up, global-norm clipping,
data-dependent ActNorm initialisation on the first batch):

  x in 0..255 -> y = (x + u) / 256, u ~ U[0,1)            (uniform dequantization)
  -> logit(a + (1 - 2a) y), a = 0.05                       (with its log-det)
  -> per level: squeeze, steps x (ActNorm, LU 1x1 conv, affine channel coupling with sigmoid scale),
     and on every level but the last an exp-scale channel coupling (the learned split prior),
     after which the second half of the channels is factored out
  -> z = concat(flattened factored parts, flattened last output) ~ N(0, I)
  log P(x) = log N(z) + log|det| - D log 256, loss = mean bits/dim.

By default the parameters are initialised exactly as the Java model does for the same seed: a port of
java.util.Random reproduces ParamFactory's draws (the permutations of the 1x1 convolutions and the normal
weights of the coupling networks, in construction order), so both start from the same weights.
--init torch uses torch's generator instead (same distributions).

What the PyTorch side does as a PyTorch user would, by default (each switchable, all recorded in the JSON line):
  - --conv1x1 matmul: the invertible 1x1 convolution as a matrix product over the channel axis (a batched
    W @ x_b on the standard order, one (B*H*W, C) @ W^T on channels-last input); --conv1x1 conv runs F.conv2d,
    for which oneDNN pads the 4 or 8 channels to 16 and reorders (measured in review: about 1.6 ms per call,
    forward and backward, against 0.16 ms as the product).
  - --layout nets-channels-last: the coupling networks and their weights channels-last, converting their input
    and output, the rest of the flow in the standard order (densitylab's layout: MemoryLayout.java,
    ConvNet.java); --layout standard runs everything in PyTorch's default order, --layout channels-last the flow
    channels-last from each squeeze on (densitylab until 2026-11-30). --nets-channels-last and --channels-last
    are the older spellings of the last two.
  - --foreach: torch.optim.Adam(foreach=True), one multi-tensor update instead of torch 1.13's default loop over
    the parameters (--no-foreach); --fused-clip: the global-norm clip from torch._foreach_norm and
    torch._foreach_mul_, with clip_grad_norm_'s rule (scale by clip / (norm + 1e-6) where that is below 1),
    instead of clip_grad_norm_, which loops over the parameters in 1.13 (--no-fused-clip).
  - --streams N (default 1): each batch split into N equal parts whose losses and gradients are computed in N
    threads of max(1, --threads / N) torch threads each (in torch 1.13 set_num_threads sets the calling thread's
    OpenMP team size), each part's loss weighted by its share of the batch, then one clip and Adam step: the
    same gradients as the whole batch (densitylab's gradient workers do the same).
  - gradients zeroed with set_to_none, torch.inference_mode for scoring.
The training loop is pixelcnnpp.timed_training, shared with the other references (throughput from the 5th
step on; --epochs-bpd's scoring is not timed). --self-check runs a few seconds of correctness checks of these
options instead of a benchmark.

Prints ONE JSON line at the end (everything else goes to stderr), with the keys compare.sh reads. Run with a
Python that has torch, e.g. Debian's /usr/bin/python3 with python3-torch (apt-get install python3-torch).
"""

import argparse
import gzip
import json
import math
import os
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

PRESETS = {  # FlowKinds.preset for glow
    "tiny": (2, 2, 16),
    "small": (2, 4, 48),
    "medium": (2, 8, 128),
    "large": (3, 16, 256),
}
LOG_256 = math.log(256.0)


# ----------------------------------------------------------------------------------------------------------
# Initialisation: java.util.Random, so that ParamFactory(seed) is reproduced draw for draw.

class JavaRandom:
    """java.util.Random (48-bit LCG), with the legacy nextInt(bound) and polar-method nextGaussian."""

    _MULT = 0x5DEECE66D
    _MASK = (1 << 48) - 1

    def __init__(self, seed):
        self._seed = (seed ^ self._MULT) & self._MASK
        self._next_gaussian = None

    def _next(self, bits):
        self._seed = (self._seed * self._MULT + 0xB) & self._MASK
        r = self._seed >> (48 - bits)
        return r - (1 << bits) if bits == 32 and r >= 1 << 31 else r

    def next_int(self, bound):
        r = self._next(31)
        m = bound - 1
        if bound & m == 0:
            return (bound * r) >> 31
        u = r
        r = u % bound
        while u - r + m >= 1 << 31:  # int overflow in Java: u - r + m < 0
            u = self._next(31)
            r = u % bound
        return r

    def next_double(self):
        return ((self._next(26) << 27) + self._next(27)) * (1.0 / (1 << 53))

    def next_gaussian(self):
        if self._next_gaussian is not None:
            g, self._next_gaussian = self._next_gaussian, None
            return g
        while True:
            v1 = 2 * self.next_double() - 1
            v2 = 2 * self.next_double() - 1
            s = v1 * v1 + v2 * v2
            if 0 < s < 1:
                break
        mul = math.sqrt(-2 * math.log(s) / s)
        self._next_gaussian = v2 * mul
        return v1 * mul


class JavaInit:
    """ParamFactory of the Java model: normal weights and permutations from one java.util.Random(seed)."""

    def __init__(self, seed):
        self.rng = JavaRandom(seed)

    def normal_(self, tensor, std):
        values = [std * self.rng.next_gaussian() for _ in range(tensor.numel())]
        with torch.no_grad():  # float64 -> float32 rounds to nearest, as Java's (float) cast
            tensor.copy_(torch.tensor(values, dtype=torch.float64).view_as(tensor))

    def permutation(self, n):
        p = list(range(n))
        for i in range(n - 1, 0, -1):
            j = self.rng.next_int(i + 1)
            p[i], p[j] = p[j], p[i]
        return p


class TorchInit:
    """The same distributions from torch's generator."""

    def __init__(self, seed):
        self.gen = torch.Generator().manual_seed(seed)

    def normal_(self, tensor, std):
        with torch.no_grad():
            tensor.normal_(0.0, std, generator=self.gen)

    def permutation(self, n):
        return torch.randperm(n, generator=self.gen).tolist()


# ----------------------------------------------------------------------------------------------------------
# Layers. Each forward(x) returns (y, log|det|) with log|det| of shape (B,).

LAYOUTS = ("nets-channels-last", "standard", "channels-last")
CONV1X1 = ("matmul", "conv")


class Options:
    """Switches read at forward time (so --self-check can compare them on one model)."""
    layout = "nets-channels-last"  # --layout
    conv1x1 = "matmul"             # --conv1x1


class Squeeze(nn.Module):
    """Space-to-depth (C, H, W) -> (4C, H/2, W/2), in Squeeze.java's order; volume-preserving."""

    def forward(self, x):
        b, c, h, w = x.shape
        if Options.layout == "channels-last":  # the same values, in channels-last order (densitylab until 2026-11-30)
            y = x.reshape(b, c, h // 2, 2, w // 2, 2).permute(0, 2, 4, 1, 3, 5).reshape(b, h // 2, w // 2, 4 * c)
            y = y.permute(0, 3, 1, 2)
        else:
            y = x.reshape(b, c, h // 2, 2, w // 2, 2).permute(0, 1, 3, 5, 2, 4).reshape(b, 4 * c, h // 2, w // 2)
        return y, x.new_zeros(b)


class ActNorm(nn.Module):
    """y = (x + b) * exp(s) per channel; on the first batch b = -mean, s = -log(std + 1e-6)."""

    def __init__(self, channels):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.log_scale = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.initialized = False

    @torch.no_grad()
    def _initialize(self, x):
        flat = x.transpose(0, 1).reshape(x.shape[1], -1)
        mean = flat.mean(dim=1)
        std = (flat - mean[:, None]).square().mean(dim=1).sqrt() + 1e-6  # population std, as ActNorm.java
        self.bias.copy_(-mean.view_as(self.bias))
        self.log_scale.copy_(-std.log().view_as(self.log_scale))
        self.initialized = True

    def forward(self, x):
        if not self.initialized:
            self._initialize(x)
        y = (x + self.bias) * self.log_scale.exp()
        logdet = (self.log_scale.sum() * (x.shape[2] * x.shape[3])).expand(x.shape[0])
        return y, logdet


class InvConv1x1LU(nn.Module):
    """Invertible 1x1 convolution W = P (L + I) (U + diag(sign * exp(log_s))), P a fixed permutation.

    As in InvConv1x1Lu.java, L and U are full (C, C) parameters of which only the strict lower / upper
    parts are used (masks), so the parameter count is the same as the Java model's.
    """

    def __init__(self, channels, init):
        super().__init__()
        c = channels
        p = init.permutation(c)
        perm = torch.zeros(c, c)
        perm[torch.arange(c), torch.tensor(p)] = 1.0  # P[i, p[i]] = 1
        self.register_buffer("perm", perm)
        self.register_buffer("lower_mask", torch.tril(torch.ones(c, c), -1))
        self.register_buffer("upper_mask", torch.triu(torch.ones(c, c), 1))
        self.register_buffer("eye", torch.eye(c))
        self.register_buffer("sign", torch.ones(c))
        self.lower = nn.Parameter(torch.zeros(c, c))
        self.upper = nn.Parameter(torch.zeros(c, c))
        self.log_s = nn.Parameter(torch.zeros(c))

    def weight(self):
        l = self.lower * self.lower_mask + self.eye
        u = self.upper * self.upper_mask + torch.diag(self.sign * self.log_s.exp())
        return self.perm @ (l @ u)

    def forward(self, x):
        b, c, h, w = x.shape
        weight = self.weight()
        if Options.conv1x1 == "conv":
            # oneDNN pads 4 or 8 channels to 16 and reorders in and out (the review measured 10x the product's time)
            y = F.conv2d(x, weight.view(c, c, 1, 1))
        elif x.is_contiguous():
            # standard order: each image is a (C, H*W) matrix, y_b = W x_b (one batched product, no copies)
            y = torch.matmul(weight, x.reshape(b, c, h * w)).view(b, c, h, w)
        else:
            # channels-last (or other strides): the pixels are the rows of a (B*H*W, C) matrix, y = x W^T (one
            # product; a view for channels-last input, whose order the output keeps)
            y = (x.permute(0, 2, 3, 1).reshape(b * h * w, c) @ weight.t()).view(b, h, w, c).permute(0, 3, 1, 2)
        logdet = (self.log_s.sum() * (h * w)).expand(b)
        return y, logdet


class ConvNet(nn.Module):
    """conv3x3 - ReLU - conv1x1 - ReLU - conv3x3 (zero-initialised), as ConvNet.java."""

    def __init__(self, cin, hidden, cout, init):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, hidden, 3, padding=1)
        self.conv2 = nn.Conv2d(hidden, hidden, 1)
        self.conv3 = nn.Conv2d(hidden, cout, 3, padding=1)
        # Same draw order as the Java constructor: w1, (b1 zero), w2, (b2 zero), zero w3 and b3.
        init.normal_(self.conv1.weight, math.sqrt(2.0 / (cin * 9)) * 0.5)
        nn.init.zeros_(self.conv1.bias)
        init.normal_(self.conv2.weight, math.sqrt(2.0 / hidden) * 0.5)
        nn.init.zeros_(self.conv2.bias)
        nn.init.zeros_(self.conv3.weight)
        nn.init.zeros_(self.conv3.bias)

    def forward(self, x):
        # --layout nets-channels-last (densitylab's ConvNet.java): channels-last inside, the standard order out;
        # channels-last: the flow is channels-last from each squeeze on (its channel halves are not: a copy here)
        if Options.layout != "standard":
            x = x.contiguous(memory_format=torch.channels_last)
        out = self.conv3(F.relu(self.conv2(F.relu(self.conv1(x)))))
        return out.contiguous() if Options.layout == "nets-channels-last" else out


class AffineCoupling(nn.Module):
    """Channel coupling: the first half conditions t and s for the second, y2 = x2 * s + t.

    scale "sigmoid": s = sigmoid(raw + 2) (Glow's coupling); "exp": s = exp(raw) (the learned conditional
    Gaussian prior of the half factored out next). The network output splits as [t, raw], in that order.
    """

    def __init__(self, channels, hidden, scale, init):
        super().__init__()
        if channels < 2 or channels % 2:
            raise ValueError(f"channel coupling needs an even number of channels >= 2, got {channels}")
        self.scale = scale
        self.net = ConvNet(channels // 2, hidden, channels, init)

    def forward(self, x):
        cond, other = x.chunk(2, dim=1)  # parity 0: the first half conditions
        t, raw = self.net(cond).chunk(2, dim=1)
        log_s = raw if self.scale == "exp" else F.logsigmoid(raw + 2.0)
        y = torch.cat([cond, other * log_s.exp() + t], dim=1)
        return y, log_s.flatten(1).sum(dim=1)


class Level(nn.Module):
    """Transforms in order (CompositeTransform.java); log-determinants add up."""

    def __init__(self, layers):
        super().__init__()
        self.layers = nn.ModuleList(layers)

    def forward(self, x):
        logdet = x.new_zeros(x.shape[0])
        for layer in self.layers:
            x, ld = layer(x)
            logdet = logdet + ld
        return x, logdet


class Glow(nn.Module):
    """Multi-scale Glow on (C, H, W) images in [0, 1) (after dequantization), with the logit preprocessing."""

    def __init__(self, shape, levels, steps, hidden, alpha=0.05, init=None):
        super().__init__()
        init = init if init is not None else JavaInit(0)
        self.shape = tuple(shape)
        self.alpha = alpha
        c, h, w = shape
        lv = []
        for level in range(levels):
            if h % 2 or w % 2:
                raise ValueError(f"squeeze needs even height and width, got {c}x{h}x{w}; use fewer levels")
            c, h, w = 4 * c, h // 2, w // 2
            layers = [Squeeze()]
            for _ in range(steps):
                layers.append(ActNorm(c))
                layers.append(InvConv1x1LU(c, init))
                layers.append(AffineCoupling(c, hidden, "sigmoid", init))
            if level < levels - 1:
                layers.append(AffineCoupling(c, hidden, "exp", init))  # learned split prior
                c //= 2
            lv.append(Level(layers))
        self.levels = nn.ModuleList(lv)

    def flow(self, x):
        """The multi-scale flow (MultiScaleFlow.java): z of shape (B, D) and log|det| of shape (B,)."""
        b = x.shape[0]
        parts = []
        logdet = None
        for i, level in enumerate(self.levels):
            x, ld = level(x)
            logdet = ld if logdet is None else logdet + ld
            if i < len(self.levels) - 1:
                keep, out = x.chunk(2, dim=1)
                parts.append(out.reshape(b, -1))
                x = keep
        parts.append(x.reshape(b, -1))
        return torch.cat(parts, dim=1), logdet

    def log_prob_dequantized(self, y):
        """log P(x) in nats for dequantized y in [0, 1) of shape (B, C, H, W) (FlowModel.logProbOfDequantized)."""
        a = self.alpha
        d = y[0].numel()
        s = y * (1 - 2 * a) + a
        log_s = s.log()
        log_1ms = (1 - s).log()
        pre_logdet = -(log_s + log_1ms).flatten(1).sum(dim=1) + d * math.log(1 - 2 * a)
        z, logdet = self.flow(log_s - log_1ms)
        log_n = -0.5 * z.square().sum(dim=1) - 0.5 * d * math.log(2 * math.pi)
        return log_n + logdet + pre_logdet - d * LOG_256

    def loss(self, x):
        """Mean bits/dim of a batch of 0..255 float images, with fresh dequantization noise."""
        y = (x + torch.rand_like(x)) / 256.0
        d = x[0].numel()
        return -self.log_prob_dequantized(y).mean() / (d * math.log(2))

    @torch.no_grad()
    def initialize(self, x):
        """Data-dependent ActNorm initialisation on one batch (FlowModel.initialize: its own noise)."""
        self.log_prob_dequantized((x + torch.rand_like(x)) / 256.0)


# ----------------------------------------------------------------------------------------------------------
# Data: FashionMNIST IDX files.

def read_idx_images(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic, n, rows, cols = struct.unpack(">IIII", data[:16])
    if magic != 0x803:
        raise ValueError(f"{path}: not an IDX image file (magic {magic:#x})")
    if len(data) != 16 + n * rows * cols:
        raise ValueError(f"{path}: {len(data)} bytes, expected {16 + n * rows * cols}")
    return torch.frombuffer(bytearray(data[16:]), dtype=torch.uint8).view(n, 1, rows, cols)


def default_data_dirs():
    env = os.environ.get("DENSITYLAB_DATA")
    if env:
        base = env
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = os.path.join(xdg if xdg else os.path.join(os.path.expanduser("~"), ".cache"), "densitylab")
    return [os.path.join(base, "fashion-mnist"), "/usr/share/datasets/fashion-mnist"]


def find_split(dirs, stem):
    for d in dirs:
        for name in (stem, stem + ".gz"):
            p = os.path.join(d, name)
            if os.path.isfile(p):
                return p
    raise FileNotFoundError(f"no {stem}[.gz] in {', '.join(dirs)} (run `./densitylab data fashion-mnist` or pass --data)")


# ----------------------------------------------------------------------------------------------------------

class _LayoutAlias(argparse.Action):
    """--nets-channels-last / --channels-last: the old flags, now aliases of --layout."""

    def __call__(self, parser, namespace, values, option_string=None):
        namespace.layout_aliases = (namespace.layout_aliases or []) + [(option_string, self.const)]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", metavar="DIR", help="folder with FashionMNIST IDX files (default: densitylab's cache, "
                   "then /usr/share/datasets/fashion-mnist)")
    p.add_argument("--preset", choices=sorted(PRESETS), default="small")
    p.add_argument("--levels", type=int)
    p.add_argument("--steps", type=int)
    p.add_argument("--hidden", type=int)
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--warmup", type=int, default=200, help="linear warm-up steps")
    p.add_argument("--clip", type=float, default=50.0, help="global gradient-norm clip (0: off)")
    p.add_argument("--seconds", type=float, default=120.0, help="training time budget")
    p.add_argument("--score-images", type=int, default=2000, help="test images to score")
    p.add_argument("--score-batch", type=int, default=256)
    p.add_argument("--score-passes", type=int, default=3,
                   help="timed passes over the score images after one untimed warm-up batch; the median pass's "
                        "images/s is reported, the lower middle one for an even count (as densitylab bench "
                        "--score-passes)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--init", choices=["java", "torch"], default="java",
                   help="java: the Java model's exact initial weights for the seed (default); torch: torch's generator")
    p.add_argument("--layout", choices=LAYOUTS, default=None,
                   help="memory order: nets-channels-last (default; densitylab's: the coupling networks and their "
                        "weights channels-last, converting their input and output, the rest in the standard order), "
                        "standard (PyTorch's default order everywhere), channels-last (the flow channels-last from "
                        "each squeeze on, as densitylab until 2026-11-30)")
    p.add_argument("--nets-channels-last", dest="layout_aliases", nargs=0, action=_LayoutAlias,
                   const="nets-channels-last", help="= --layout nets-channels-last")
    p.add_argument("--channels-last", dest="layout_aliases", nargs=0, action=_LayoutAlias, const="channels-last",
                   help="= --layout channels-last")
    p.add_argument("--conv1x1", choices=CONV1X1, default="matmul",
                   help="the invertible 1x1 convolution as a matrix product over the channel axis (default) or as "
                        "F.conv2d (oneDNN pads to 16 channels and reorders; the review measured 10x slower per call)")
    p.add_argument("--foreach", action=argparse.BooleanOptionalAction, default=True,
                   help="Adam over all parameters at once (torch.optim.Adam(foreach=True); default) or torch 1.13's "
                        "default loop over the parameters (--no-foreach)")
    p.add_argument("--fused-clip", action=argparse.BooleanOptionalAction, default=True,
                   help="the global-norm clip with torch._foreach_norm / torch._foreach_mul_ (default) or "
                        "torch.nn.utils.clip_grad_norm_, which loops over the parameters in 1.13 (--no-fused-clip)")
    p.add_argument("--streams", type=int, default=1,
                   help="split each training batch into N equal parts whose losses and gradients are computed in "
                        "N threads of max(1, threads / N) torch threads each, then one optimizer step (default 1)")
    p.add_argument("--profile", metavar="FILE",
                   help="record the training's ops with torch.profiler and write a Chrome trace to FILE "
                        "(bench/profile_compare.py); slows every op down, use a short --seconds")
    p.add_argument("--epochs-bpd", action="store_true",
                   help="after each full epoch print the test bits/dim to stderr (not counted in the timings)")
    p.add_argument("--self-check", action="store_true",
                   help="no training: check the 1x1 convolution's matmul against conv, the layouts against each "
                        "other, --streams against one stream, the fused clip against clip_grad_norm_ (seconds)")
    args = p.parse_args(argv)
    if args.score_passes < 1:
        p.error(f"--score-passes must be >= 1, got {args.score_passes}")
    if args.streams < 1:
        p.error(f"--streams must be >= 1, got {args.streams}")
    given = ([("--layout", args.layout)] if args.layout else []) + (args.layout_aliases or [])
    if len({v for _, v in given}) > 1:
        p.error("conflicting layouts: " + ", ".join(f"{o} ({v})" for o, v in given))
    args.layout = given[0][1] if given else "nets-channels-last"
    return args


def score(model, images, batch, seed):
    """Bits/dim of each image (uint8 (N, C, H, W)), with seeded dequantization noise."""
    gen = torch.Generator().manual_seed(seed)
    d = images[0].numel()
    out = []
    with torch.inference_mode():
        for i in range(0, images.shape[0], batch):
            x = images[i:i + batch].float()
            y = (x + torch.rand(x.shape, generator=gen)) / 256.0
            out.append(-model.log_prob_dequantized(y) / (d * math.log(2)))
    return torch.cat(out)


def clip_grad_norm_fused(grads, max_norm):
    """torch.nn.utils.clip_grad_norm_'s rule (norm 2) without its Python loops: the global norm of all gradients from
    torch._foreach_norm, then all gradients scaled by max_norm / (norm + 1e-6) where that is below 1 (clip_grad_norm_
    multiplies by it clamped to 1, i.e. by 1 otherwise). Returns the norm."""
    total = torch.stack(torch._foreach_norm(grads)).norm()
    coef = max_norm / (total.item() + 1e-6)
    if coef < 1:
        torch._foreach_mul_(grads, coef)
    return total


class Streams:
    """--streams N: the gradients of a batch from N threads, each on an equal part of it (the first in the calling
    thread). Each part's mean loss is weighted by its share of the batch before its backward pass, so the gradients
    accumulated in .grad are those of the whole batch's mean loss (AccumulateGrad locks each parameter's .grad
    while it adds). Each thread runs its ops on `per_thread` torch threads: in torch 1.13 (OpenMP backend)
    torch.set_num_threads sets the calling thread's OpenMP thread count, and the count a thread starts with is the
    last one set by any thread; so the pool's threads set it when they start and the caller sets its own
    (main() does, for the training, and restores it for the scoring)."""

    def __init__(self, n, per_thread):
        self.n = n
        self.per_thread = per_thread
        self.pool = None
        if n > 1:
            from concurrent.futures import ThreadPoolExecutor
            self.pool = ThreadPoolExecutor(n - 1, thread_name_prefix="stream",
                                           initializer=torch.set_num_threads, initargs=(per_thread,))

    def backward(self, loss_fn, x):
        """loss_fn(part) -> mean loss of the part; accumulates the whole batch's gradients; returns its loss."""
        if self.n == 1:
            loss = loss_fn(x)
            loss.backward()
            return loss.item()
        total = x.shape[0]
        parts = [part for part in x.tensor_split(self.n) if part.shape[0] > 0]

        def run(part):
            loss = loss_fn(part) * (part.shape[0] / total)
            loss.backward()
            return loss.item()

        futures = [self.pool.submit(run, part) for part in parts[1:]]
        value = run(parts[0])
        return value + sum(f.result() for f in futures)

    def close(self):
        if self.pool is not None:
            self.pool.shutdown()


def self_check():
    """Correctness of the speed options on tiny models and random data (a few seconds)."""
    torch.manual_seed(0)
    ok = True

    def report(name, good, detail):
        nonlocal ok
        ok = ok and good
        print(f"{'ok  ' if good else 'FAIL'} {name}: {detail}", flush=True)

    def tiny(seed):
        model = Glow((1, 8, 8), 2, 2, 8, init=TorchInit(seed))
        with torch.no_grad():  # nonzero last convolutions and LU factors, so that every part of the flow matters
            for m in model.modules():
                if isinstance(m, ConvNet):
                    m.conv3.weight.normal_(0.0, 0.05)
                    m.conv3.bias.normal_(0.0, 0.05)
                if isinstance(m, InvConv1x1LU):
                    m.lower.normal_(0.0, 0.3)
                    m.upper.normal_(0.0, 0.3)
                    m.log_s.normal_(0.0, 0.3)
        return model

    def with_options(layout, conv1x1, fn):
        saved = Options.layout, Options.conv1x1
        Options.layout, Options.conv1x1 = layout, conv1x1
        try:
            return fn()
        finally:
            Options.layout, Options.conv1x1 = saved

    x = torch.randint(0, 256, (6, 1, 8, 8)).float()
    y = (x + torch.rand_like(x)) / 256.0
    d = y[0].numel()
    model = tiny(1)
    model.initialize(x)

    # The 1x1 convolution alone: matmul against conv, standard and channels-last input, output and gradients.
    layer = model.levels[0].layers[2]
    for fmt in (torch.contiguous_format, torch.channels_last):
        inp = torch.randn(5, 4, 6, 6).contiguous(memory_format=fmt).requires_grad_(True)
        res = {}
        for mode in CONV1X1:
            layer.zero_grad(set_to_none=True)
            inp.grad = None
            out, ld = with_options("standard", mode, lambda: layer(inp))
            (out * torch.linspace(-1, 1, out.numel()).view_as(out)).sum().backward()
            res[mode] = (out.detach(), ld.detach(), inp.grad, layer.lower.grad, layer.log_s.grad)
        err = max((a - b).abs().max().item() for a, b in zip(res["matmul"], res["conv"]))
        name = "standard" if fmt is torch.contiguous_format else "channels-last"
        report(f"1x1 convolution, {name} input: matmul = conv", err < 1e-5,
               f"max |diff| of output, log-det and gradients {err:.1e}; output channels-last "
               f"{res['matmul'][0].is_contiguous(memory_format=torch.channels_last)}")

    # The whole flow: z and log P for every layout and 1x1 convolution against standard + conv (before #20).
    def flow_and_log_p():
        return model.flow(y - 0.5)[0], model.log_prob_dequantized(y)

    with torch.no_grad():
        ref_z, ref = with_options("standard", "conv", flow_and_log_p)
        for layout in LAYOUTS:
            for mode in CONV1X1:
                z, got = with_options(layout, mode, flow_and_log_p)
                err_z = (z - ref_z).abs().max().item()
                err = (got - ref).abs().max().item()
                good = (err_z < 1e-5 * max(1.0, ref_z.abs().max().item())
                        and err < 1e-5 * max(1.0, ref.abs().max().item()))
                report(f"z and log P, {layout} + {mode}", good,
                       f"max |diff| z {err_z:.1e} (of {ref_z.abs().max().item():.1f}), "
                       f"log P {err:.1e} nats (of {ref.abs().max().item():.1f})")

    # --streams: the same gradients as one stream (fixed dequantization, so only the split differs).
    def grads_of(streams, batch_y, per_thread=1):
        model.zero_grad(set_to_none=True)
        s = Streams(streams, per_thread)
        try:
            value = s.backward(lambda part: -model.log_prob_dequantized(part).mean() / (d * math.log(2)), batch_y)
        finally:
            s.close()
        return value, [p.grad.clone() for p in model.parameters()]

    y7 = torch.cat([y, y[:1] * 0.5])  # 7 images: unequal parts
    for batch_y in (y, y7):
        loss1, g1 = grads_of(1, batch_y)
        scale = max(g.abs().max().item() for g in g1)
        for n in (2, 3):
            loss_n, gn = grads_of(n, batch_y)
            err = max((a - b).abs().max().item() for a, b in zip(g1, gn))
            report(f"--streams {n} on a batch of {batch_y.shape[0]}",
                   err < 1e-5 * scale and abs(loss_n - loss1) < 1e-5 * abs(loss1),
                   f"loss {loss_n:.6f} vs {loss1:.6f}, max |grad diff| {err:.1e} (largest |grad| {scale:.2e})")

    # The fused clip against clip_grad_norm_: one case clipping, one not.
    _, g = grads_of(1, y)
    norm = torch.stack([t.norm() for t in g]).norm().item()
    for max_norm in (norm / 3, norm * 3):
        a = [t.clone() for t in g]
        b = [t.clone() for t in g]
        params_b = [nn.Parameter(torch.zeros_like(t)) for t in b]
        for p_, t in zip(params_b, b):
            p_.grad = t
        na = clip_grad_norm_fused(a, max_norm).item()
        nb = nn.utils.clip_grad_norm_(params_b, max_norm).item()
        err = max((u - v.grad).abs().max().item() for u, v in zip(a, params_b))
        report(f"fused clip at {max_norm / norm:.2f} x the norm", abs(na - nb) < 1e-5 * nb and err < 1e-7,
               f"norm {na:.6f} vs {nb:.6f}, max |grad diff| {err:.1e}")
    print("self-check " + ("passed" if ok else "FAILED"), flush=True)
    return 0 if ok else 1


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(args.seed)
    Options.layout = args.layout
    Options.conv1x1 = args.conv1x1
    if args.self_check:
        return self_check()
    # Imported here, not at the top: pixelcnnpp imports this file (as the module glow, a second copy beside
    # __main__), and a top-level import would be circular.
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from pixelcnnpp import timed_training

    levels, steps, hidden = PRESETS[args.preset]
    levels = args.levels if args.levels is not None else levels
    steps = args.steps if args.steps is not None else steps
    hidden = args.hidden if args.hidden is not None else hidden

    dirs = [args.data] if args.data else default_data_dirs()
    train = read_idx_images(find_split(dirs, "train-images-idx3-ubyte"))
    test = read_idx_images(find_split(dirs, "t10k-images-idx3-ubyte"))[:args.score_images]

    init = JavaInit(args.seed) if args.init == "java" else TorchInit(args.seed)
    model = Glow(tuple(train.shape[1:]), levels, steps, hidden, args.alpha, init)
    if args.layout != "standard":  # the coupling networks' weights in the order their convolutions run in
        for m in model.modules():
            if isinstance(m, ConvNet):
                m.to(memory_format=torch.channels_last)
    n_params = sum(p.numel() for p in model.parameters())
    per_stream = max(1, args.threads // args.streams)
    print(f"glow: {n_params} parameters (levels {levels}, steps {steps}, hidden {hidden}), "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads, layout {args.layout}, 1x1 convolution "
          f"{args.conv1x1}, foreach Adam {args.foreach}, fused clip {args.fused_clip}, {args.streams} stream(s)"
          + (f" of {per_stream} thread(s)" if args.streams > 1 else ""), file=sys.stderr)

    params = list(model.parameters())
    opt = torch.optim.Adam(params, lr=args.lr, betas=(0.9, 0.999), eps=1e-8, foreach=args.foreach)
    warm = args.warmup
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: min(1.0, (k + 1) / warm) if warm > 0 else 1.0)
    streams = Streams(args.streams, per_stream)

    n, bs = train.shape[0], args.batch_size
    losses = []

    def one_step(x, step):
        if step == 1:
            model.initialize(x)  # data-dependent ActNorm initialisation on the whole first batch
        opt.zero_grad(set_to_none=True)
        value = streams.backward(model.loss, x)
        if args.clip > 0:
            if args.fused_clip:
                clip_grad_norm_fused([p.grad for p in params], args.clip)
            else:
                nn.utils.clip_grad_norm_(params, args.clip)
        opt.step()
        sched.step()
        if not math.isfinite(value):
            raise SystemExit(f"loss became {value} at step {step}")
        losses.append(value)

    def epoch_end(epoch):
        if args.epochs_bpd:
            torch.set_num_threads(args.threads)
            bpd = score(model, test, args.score_batch, args.seed).mean().item()
            torch.set_num_threads(per_stream if args.streams > 1 else args.threads)
            last = losses[-(n // bs):]
            print(f"epoch {epoch}: train {sum(last) / len(last):.4f} bits/dim, test {bpd:.4f} bits/dim",
                  file=sys.stderr)

    if args.streams > 1:
        torch.set_num_threads(per_stream)  # this thread computes the first part
    try:
        step, images_all, train_seconds, train_ips = timed_training(
            train, bs, args.seed, args.seconds, one_step, args.profile, epoch_end if args.epochs_bpd else None)
    finally:
        streams.close()
        torch.set_num_threads(args.threads)

    # Scoring: one untimed warm-up batch (as the Java bench), then --score-passes timed passes over all score
    # images; the median pass counts.
    score(model, test[:args.score_batch], args.score_batch, args.seed)
    rates = []
    for _ in range(args.score_passes):
        t0 = time.perf_counter()
        bpd = score(model, test, args.score_batch, args.seed)
        rates.append(bpd.numel() / (time.perf_counter() - t0))
    score_ips = sorted(rates)[(len(rates) - 1) // 2]

    tail = losses[-50:]
    out = {
        "impl": "pytorch",
        "model": "glow",
        "torch": torch.__version__,
        "preset": args.preset if (args.levels, args.steps, args.hidden) == (None, None, None) else "custom",
        "config": {"levels": levels, "steps": steps, "hidden": hidden, "alpha": args.alpha, "init": args.init,
                   "layout": args.layout, "conv1x1": args.conv1x1, "foreach": args.foreach,
                   "fused_clip": args.fused_clip, "streams": args.streams,
                   "threads_per_stream": per_stream if args.streams > 1 else args.threads,
                   "channels_last": args.layout == "channels-last",
                   "nets_channels_last": args.layout == "nets-channels-last",
                   "score_batch": args.score_batch, "score_mode": "inference_mode",
                   "warmup": args.warmup, "clip": args.clip, "lr": args.lr},
        "conv1x1": args.conv1x1,
        "foreach": args.foreach,
        "fused_clip": args.fused_clip,
        "layout": args.layout,
        "streams": args.streams,
        "params": n_params,
        "param_count": n_params,
        "train_images_per_s": train_ips,
        "train_images_per_s_all": images_all / train_seconds,
        "steps": step,
        "train_steps": step,
        "train_seconds": train_seconds,
        "score_images_per_s": score_ips,
        "score_images_per_s_passes": rates,
        "final_train_bpd": sum(tail) / len(tail),
        "test_bpd": bpd.mean().item(),
        "score_images": bpd.numel(),
        "threads": torch.get_num_threads(),
        "batch": bs,
        "seed": args.seed,
    }
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
