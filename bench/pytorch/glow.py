#!/usr/bin/env python3
"""PyTorch reference of densitylab's Glow, for comparing training and scoring speed.

The same model as src/main/java/densitylab/model/flow (FlowKinds.glow, FlowModel, MultiScaleFlow,
Squeeze, ActNorm, InvConv1x1Lu, AffineCoupling, ConvNet) and the same training recipe as
src/main/java/densitylab/model/Trainer.java (Adam 0.9/0.999/1e-8, linear warm-up, global-norm clipping,
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

Prints ONE JSON line at the end (everything else goes to stderr). Run with a Python that has torch,
e.g. Debian's /usr/bin/python3 with python3-torch (apt-get install python3-torch).
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

class Squeeze(nn.Module):
    """Space-to-depth (C, H, W) -> (4C, H/2, W/2), in Squeeze.java's order; volume-preserving."""

    def forward(self, x):
        b, c, h, w = x.shape
        if ConvNet.channels_last:  # the same values, copied in channels-last order as Squeeze.java did until 2026-11-30
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
        c = x.shape[1]
        y = F.conv2d(x, self.weight().view(c, c, 1, 1))
        logdet = (self.log_s.sum() * (x.shape[2] * x.shape[3])).expand(x.shape[0])
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

    channels_last = False  # --channels-last: the flow channels-last from each squeeze on (densitylab until 2026-11-30)
    nets_channels_last = False  # --nets-channels-last: only these networks channels-last (densitylab's ConvNet.java)

    def forward(self, x):
        if ConvNet.channels_last or ConvNet.nets_channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        out = self.conv3(F.relu(self.conv2(F.relu(self.conv1(x)))))
        return out.contiguous() if ConvNet.nets_channels_last else out


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
    p.add_argument("--channels-last", action="store_true",
                   help="run the flow in channels-last memory order from each squeeze on, as densitylab did until "
                        "2026-11-30")
    p.add_argument("--nets-channels-last", action="store_true",
                   help="run only the coupling networks in channels-last order, converting their input and output, "
                        "as densitylab does (MemoryLayout.java, ConvNet.java)")
    p.add_argument("--profile", metavar="FILE",
                   help="record the training's ops with torch.profiler and write a Chrome trace to FILE "
                        "(bench/profile_compare.py); slows every op down, use a short --seconds")
    p.add_argument("--epochs-bpd", action="store_true",
                   help="after each full epoch print the test bits/dim to stderr (not counted in the timings)")
    args = p.parse_args(argv)
    if args.score_passes < 1:
        p.error(f"--score-passes must be >= 1, got {args.score_passes}")
    if args.channels_last and args.nets_channels_last:
        p.error("--channels-last already runs the coupling networks channels-last; give one of the two")
    return args


def score(model, images, batch, seed):
    """Bits/dim of each image (uint8 (N, C, H, W)), with seeded dequantization noise."""
    gen = torch.Generator().manual_seed(seed)
    d = images[0].numel()
    out = []
    with torch.no_grad():
        for i in range(0, images.shape[0], batch):
            x = images[i:i + batch].float()
            y = (x + torch.rand(x.shape, generator=gen)) / 256.0
            out.append(-model.log_prob_dequantized(y) / (d * math.log(2)))
    return torch.cat(out)


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(args.seed)
    ConvNet.channels_last = args.channels_last
    ConvNet.nets_channels_last = args.nets_channels_last

    levels, steps, hidden = PRESETS[args.preset]
    levels = args.levels if args.levels is not None else levels
    steps = args.steps if args.steps is not None else steps
    hidden = args.hidden if args.hidden is not None else hidden

    dirs = [args.data] if args.data else default_data_dirs()
    train = read_idx_images(find_split(dirs, "train-images-idx3-ubyte"))
    test = read_idx_images(find_split(dirs, "t10k-images-idx3-ubyte"))[:args.score_images]

    init = JavaInit(args.seed) if args.init == "java" else TorchInit(args.seed)
    model = Glow(tuple(train.shape[1:]), levels, steps, hidden, args.alpha, init)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"glow: {n_params} parameters (levels {levels}, steps {steps}, hidden {hidden}), "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads", file=sys.stderr)

    params = list(model.parameters())
    opt = torch.optim.Adam(params, lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
    warm = args.warmup
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: min(1.0, (k + 1) / warm) if warm > 0 else 1.0)

    n, bs = train.shape[0], args.batch_size
    losses = []
    step = 0
    images_all = 0
    images_timed = 0
    t_timed = None
    eval_seconds = 0.0
    initialized = False
    prof = None
    if args.profile:
        prof = torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU])
        prof.__enter__()
    start = time.perf_counter()
    epoch = 0
    done = False
    while not done:
        order = torch.randperm(n, generator=torch.Generator().manual_seed(args.seed + epoch))
        for i in range(0, n, bs):
            x = train[order[i:i + bs]].float()
            if not initialized:
                model.initialize(x)
                initialized = True
            loss = model.loss(x)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if args.clip > 0:
                nn.utils.clip_grad_norm_(params, args.clip)
            opt.step()
            sched.step()
            value = loss.item()
            if not math.isfinite(value):
                raise SystemExit(f"loss became {value} at step {step + 1}")
            losses.append(value)
            step += 1
            images_all += x.shape[0]
            if step == 5:
                t_timed = time.perf_counter()
            elif step > 5:
                images_timed += x.shape[0]
            if time.perf_counter() - start - eval_seconds >= args.seconds:
                done = True
                break
        else:
            epoch += 1
            if args.epochs_bpd:
                t0 = time.perf_counter()
                bpd = score(model, test, args.score_batch, args.seed).mean().item()
                print(f"epoch {epoch}: train {sum(losses[-(n // bs):]) / len(losses[-(n // bs):]):.4f} bits/dim, "
                      f"test {bpd:.4f} bits/dim", file=sys.stderr)
                eval_seconds += time.perf_counter() - t0
    end = time.perf_counter()
    if prof is not None:
        prof.__exit__(None, None, None)
        prof.export_chrome_trace(args.profile)
    train_seconds = end - start - eval_seconds
    if t_timed is not None and images_timed > 0:
        # eval_seconds only accrue after whole epochs (>= 5 steps), i.e. after t_timed
        train_ips = images_timed / (end - t_timed - eval_seconds)
    else:
        train_ips = images_all / train_seconds

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
        "torch": torch.__version__,
        "preset": args.preset if (args.levels, args.steps, args.hidden) == (None, None, None) else "custom",
        "config": {"levels": levels, "steps": steps, "hidden": hidden, "alpha": args.alpha, "init": args.init,
                   "channels_last": args.channels_last, "nets_channels_last": args.nets_channels_last},
        "params": n_params,
        "param_count": n_params,
        "train_images_per_s": train_ips,
        "train_images_per_s_all": images_all / train_seconds,
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


if __name__ == "__main__":
    main()
