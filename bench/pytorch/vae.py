#!/usr/bin/env python3
"""PyTorch reference of densitylab's VAE, for comparing training and scoring speed.

The same model as `densitylab bench --model vae` with its default parameters (densitylab-core/src/main/java/densitylab/model/vae:
ConvVae.java, VaeKind.java, Categorical256.java, DiscretizedLogistic.java, Bernoulli.java; nn/MemoryLayout.java,
nn/Resampling.java, nn/LogisticBins.java), the same objectives, the same IWAE scoring with the same chunking, and
the same training recipe as train/Trainer.java with the settings of `densitylab bench` (BenchCommand.java: Adam
0.9/0.999/1e-8, lr 1e-3 (ModelKind's default) with a linear warm-up over 200 steps, global gradient-norm clipping
at 50, batch 64). Images (C, H, W) of raw values 0..255, H and W divisible by 4; width f, latent size L:

  encoder q(z|x): x / 255 - 0.5 -> 4x4 convolution, stride 2, padding 1, to f channels, ReLU -> the same to 2f,
    ReLU -> flatten in (C, H, W) order -> Linear to 2L -> (mu, logvar), split in that order
  decoder p(x|z): Linear L -> 2f (H/4) (W/4), ReLU, reshaped to (2f, H/4, W/4) -> nearest 2x upsampling, 3x3
    convolution (padding 1) to f, ReLU -> nearest 2x upsampling, 3x3 convolution to f, ReLU -> 1x1 convolution
    to the pixel distribution's parameters: categorical (default) 256 C logits (channel c's are outputs
    256c..256c+255), logistic 3 K C (per channel K weight logits, K means, K log-scales; a mixture of K = 5
    discretized logistics), bernoulli C logits (of the image binarised at 127.5)
  prior N(0, I); q = N(mu, exp(logvar)); z = mu + exp(logvar / 2) eps.
  objective elbo (default): loss = -mean_x [log p(x|z) - KL(q || prior)] / (D log 2) with one sample and the
    analytic KL (bits/dim);
  objective forward-kl: reweighted wake-sleep with K = samples (default 5) detached samples z_k ~ q and weights
    w = softmax_k(log p(x, z_k) - log q(z_k|x)) (no gradient): value the IWAE bound in bits/dim, gradient that
    of -sum_k w_k (log p(x|z_k) + log p(z_k) + log q(z_k|x)) / (D log 2).
  score (logProb, the bench's test_bpd): the IWAE estimate log (1/K) sum_k p(x, z_k) / q(z_k|x) with K =
    eval-samples (default 100), in bits/dim.
Default sizes on 1x28x28: f = 32, L = 32, categorical decoder: 373,792 parameters (see param_count).

Chunking as ConvVae: one chunk holds at most CHUNK_FLOATS = 4 Mi floats of decoder output, i.e. 20 decodes of
256 x 28 x 28 logits (decodes_per_chunk). Scoring batches max(1, min(256, 20 // K)) images (1 for K = 100) and
decodes each image's K samples in chunks of max(1, 20 // images) (5 chunks of 20), concatenating the chunks'
log-weights; the image is encoded once. Training splits a batch into passes of at most maxImagesPerLoss =
2 * 20 / (decodes per image) images (40 for the ELBO, 8 for forward-kl with K = 5) whose gradients accumulate,
each pass weighted by its share of the batch; here the batch is cut into ceil(B / limit) near-equal passes, which
for batch 64 are the passes densitylab's two gradient workers run (ELBO: 2 x 32, forward-kl: 8 x 8).
--max-images-per-loss 0 trains on the whole batch in one pass instead (as a PyTorch user might);
--chunk-floats changes the chunk for both.

Parameters are created in the Java constructor's order and shapes (ew1, eb1, ew2, eb2, ewl, ebl, dwl, dbl, dw1,
db1, dw2, db2, dw3, db3); by default they are initialised exactly as densitylab's for the same seed (glow.JavaInit
replays ParamFactory's java.util.Random draws: N(0, 2 / fan_in) convolution weights, N(0, 1 / flat) encoder
linear, N(0, 2 / L) decoder linear, N(0, 1 / f) head, zero biases), so both start from the same weights;
--init torch draws the same distributions from torch's generator.

What the PyTorch side does as a PyTorch user would (all recorded in the JSON line's "config"):
  - the encoder's and decoder's 4x4 / 3x3 convolutions run channels-last and the 1x1 head in the standard order,
    as densitylab's (--memory-format standard runs everything in the standard order). For a grey image
    x.contiguous(memory_format=channels_last) is a no-op whose convolution comes out in the standard order, so
    the input gets channels-last strides explicitly, as MemoryLayout.channelsLast gives it;
  - the decoder converts its small (2f, H/4, W/4) array to channels-last before the first upsampling and
    upsamples with F.interpolate (nearest), which keeps the layout; densitylab upsamples with a broadcast
    (Resampling.nearest2x, a strided sum in the backward pass) and converts the 4x larger result
    (--upsample broadcast runs densitylab's formulation);
  - the categorical likelihood is F.cross_entropy over the 256 logits (log-softmax and NLL in one call);
    --categorical gather runs densitylab's log_softmax + gather; the logistic likelihood is
    pixelcnnpp.logistic_log_mass (LogisticBins.logMass with torch.where), the Bernoulli one
    F.binary_cross_entropy_with_logits;
  - in-place ReLU, gradients zeroed with set_to_none, foreach Adam, the gradient norm by torch._foreach_norm
    (pixelcnnpp.clip_grad_norm), torch.inference_mode for scoring, flush-to-zero of denormals
    (--no-flush-denormal turns it off), no Python loop in a pass (only over the passes and scoring chunks).
Not mirrored: densitylab draws each image's scoring noise from a seed of its pixel values (SplittableRandom) and
its training noise from (seed, epoch, batch, part) seeds; here torch's generator draws them (scoring seeded by
--seed, the same for every pass). densitylab skips an update whose gradient is not finite; here a non-finite
loss stops the run. Two gradient workers with one thread each (densitylab's default on 2 threads) versus one
process with --threads intra-op threads here, as in the other references.

Scoring is slow by nature: K = 100 decodes per image, about 20-25 images/s on 2 cores; the bench's default
--score-images 2000 with 3 passes and a 256-image warm-up then takes several minutes on each side (the docs
measure with --score-images 200 or 300). Run both sides with the same glibc settings (bench/compare_*.sh export
the launcher's: MALLOC_ARENA_MAX=2 MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=68719476736
MALLOC_TOP_PAD_=134217728), or large tensors are unmapped and page-faulted in again on every use.

  OMP_NUM_THREADS=2 /usr/bin/python3 bench/pytorch/vae.py --seconds 45 --score-images 300 --score-passes 1
  # against: DENSITYLAB_THREADS=2 ./densitylab bench --model vae --seconds 45 --score-images 300 --score-passes 1
  /usr/bin/python3 bench/pytorch/vae.py --self-check      # about 10-20 s of correctness checks, one thread

Prints ONE JSON line at the end (everything else goes to stderr), with the keys of `densitylab bench --model vae`
and those of glow.py / pixelcnnpp.py. Run with a Python that has torch, e.g. Debian's /usr/bin/python3 with
python3-torch (apt-get install python3-torch).
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
from pixelcnnpp import (NoInit, add_run_args, clip_grad_norm, logistic_log_mass, process_stats,  # noqa: E402
                        put_stats, setup_torch, timed_training)

DEFAULTS = {  # VaeKind.defaultParams
    "latent": 32,
    "width": 32,
    "decoder": "categorical",
    "mixture": 5,
    "objective": "elbo",
    "samples": 5,
    "eval-samples": 100,
}
PRESETS = ("default",)     # the VAE has no presets; --preset default is accepted for the scripts' sake
CHUNK_FLOATS = 4 << 20     # ConvVae.CHUNK_FLOATS: decoder-output floats of one scoring chunk
MAX_DECODES = 512          # ConvVae.decodesPerChunk's upper bound
LOG_2PI = math.log(2 * math.pi)
LOG_2 = math.log(2)


class Options:
    """Switches read at forward time (so --self-check can compare them on one model)."""
    channels_last = True
    upsample = "interpolate"     # interpolate: F.interpolate; broadcast: densitylab's Resampling.nearest2x
    categorical = "cross_entropy"  # cross_entropy: F.cross_entropy; gather: densitylab's log_softmax + gather


def channels_last(x):
    """MemoryLayout.channelsLast: the same (B, C, H, W) values with channels-last strides, also for C = 1 (where
    x.contiguous(memory_format=torch.channels_last) returns x with its standard strides, and a convolution of it
    comes out in the standard order)."""
    y = x.contiguous(memory_format=torch.channels_last)
    if y.shape[1] == 1 and y.stride(1) != 1:  # no copy: the same memory, strides (HW, 1, W, 1)
        b, _, h, w = y.shape
        y = y.reshape(b, h, w, 1).permute(0, 3, 1, 2)
    return y


def _layout(x):
    return channels_last(x) if Options.channels_last else x


def upsample2x(h):
    """Nearest-neighbour 2x upsampling (B, C, h, w) -> (B, C, 2h, 2w)."""
    if Options.upsample == "broadcast":  # Resampling.nearest2x, then MemoryLayout.channelsLast as ConvVae.decode
        b, c, hh, ww = h.shape
        up = h.reshape(b, c, hh, 1, ww, 1).expand(b, c, hh, 2, ww, 2).reshape(b, c, 2 * hh, 2 * ww)
        return _layout(up)
    return F.interpolate(h, scale_factor=2, mode="nearest")  # keeps h's memory order


# ----------------------------------------------------------------------------------------------------------
# Pixel decoders: log p(x | params) in nats per example, params (N, outputs(C), H, W), x raw values 0..255 as
# floats (N, C, H, W).

class Categorical256:
    name = "categorical"

    @staticmethod
    def outputs(c):
        return 256 * c

    @staticmethod
    def log_likelihood(params, x):
        n, c, h, w = x.shape
        if Options.categorical == "gather":  # Categorical256.logLikelihood
            logp = F.log_softmax(params.reshape(n, c, 256, h, w), dim=2)
            return logp.gather(2, x.long().reshape(n, c, 1, h, w)).reshape(n, -1).sum(dim=1)
        nll = F.cross_entropy(params.reshape(n * c, 256, h, w), x.long().reshape(n * c, h, w), reduction="none")
        return -nll.reshape(n, -1).sum(dim=1)


class DiscretizedLogistic:
    name = "logistic"

    def __init__(self, components):
        if components < 1:
            raise ValueError(f"a logistic mixture needs at least one component, got {components}")
        self.k = components

    def outputs(self, c):
        return 3 * self.k * c

    def log_likelihood(self, params, x):
        n, c, h, w = x.shape
        k = self.k
        p = params.reshape(n, c, 3 * k, h, w)
        logp = logistic_log_mass(x.unsqueeze(2), p[:, :, k:2 * k], p[:, :, 2 * k:])  # (N, C, K, H, W)
        if k == 1:
            per_pixel = logp.squeeze(2)
        else:
            per_pixel = torch.logsumexp(logp + F.log_softmax(p[:, :, :k], dim=2), dim=2)
        return per_pixel.reshape(n, -1).sum(dim=1)


class Bernoulli:
    name = "bernoulli"

    @staticmethod
    def outputs(c):
        return c

    @staticmethod
    def log_likelihood(params, x):
        on = (x > 127.5).to(params.dtype)
        nll = F.binary_cross_entropy_with_logits(params, on, reduction="none")
        return -nll.reshape(x.shape[0], -1).sum(dim=1)


def make_decoder(name, mixture):
    if name == "categorical":
        return Categorical256()
    if name == "logistic":
        return DiscretizedLogistic(mixture)
    if name == "bernoulli":
        return Bernoulli()
    raise ValueError(f"unknown decoder '{name}'; known: categorical, logistic, bernoulli")


def param_count(shape, latent, width, outputs):
    """The Java model's parameter count, from ConvVae's shapes."""
    c, h, w = shape
    flat = 2 * width * (h // 4) * (w // 4)
    return (width * c * 16 + width                   # ew1, eb1
            + 2 * width * width * 16 + 2 * width     # ew2, eb2
            + 2 * latent * flat + 2 * latent         # ewl, ebl
            + flat * latent + flat                   # dwl, dbl
            + width * 2 * width * 9 + width          # dw1, db1
            + width * width * 9 + width              # dw2, db2
            + outputs * width + outputs)             # dw3, db3


def log_std_normal(z):
    """ConvVae.logStdNormal: log N(z; 0, I) summed over the last axis."""
    return -0.5 * z.square().sum(dim=-1) - 0.5 * z.shape[-1] * LOG_2PI


def log_normal(z, mu, logvar):
    """ConvVae.logNormal: log N(z; mu, exp(logvar)) summed over the last axis."""
    q = (z - mu).square() * torch.exp(-logvar) + logvar
    return -0.5 * q.sum(dim=-1) - 0.5 * z.shape[-1] * LOG_2PI


class ConvVae(nn.Module):
    """ConvVae on (C, H, W) images of raw values 0..255."""

    def __init__(self, shape, latent, width, decoder, objective, samples, eval_samples, init,
                 chunk_floats=CHUNK_FLOATS):
        super().__init__()
        c, h, w = shape
        if h % 4 or w % 4:
            raise ValueError(f"the VAE needs height and width divisible by 4, got {h}x{w}")
        if objective not in ("elbo", "forward-kl"):
            raise ValueError(f"unknown objective '{objective}'; known: elbo, forward-kl")
        if latent < 1 or width < 1 or samples < 1 or eval_samples < 1:
            raise ValueError("latent, width, samples and eval-samples must be >= 1")
        self.shape = tuple(shape)
        self.latent = latent
        self.width = width
        self.decoder = decoder
        self.objective = objective
        self.samples = samples
        self.eval_samples = eval_samples
        self.chunk_floats = chunk_floats
        self.base = (h // 4, w // 4)
        flat = 2 * width * self.base[0] * self.base[1]
        out = decoder.outputs(c)
        # Construction order = the Java draw order: ew1, ew2, ewl, dwl, dw1, dw2, dw3 (biases are zeros, no draws).
        self.enc1 = nn.Conv2d(c, width, 4, stride=2, padding=1)
        self.enc2 = nn.Conv2d(width, 2 * width, 4, stride=2, padding=1)
        self.enc_out = nn.Linear(flat, 2 * latent)
        self.dec_in = nn.Linear(latent, flat)
        self.dec1 = nn.Conv2d(2 * width, width, 3, padding=1)
        self.dec2 = nn.Conv2d(width, width, 3, padding=1)
        self.head = nn.Conv2d(width, out, 1)
        for layer, std in ((self.enc1, math.sqrt(2.0 / (c * 16))),
                           (self.enc2, math.sqrt(2.0 / (width * 16))),
                           (self.enc_out, math.sqrt(1.0 / flat)),
                           (self.dec_in, math.sqrt(2.0 / latent)),
                           (self.dec1, math.sqrt(2.0 / (2 * width * 9))),
                           (self.dec2, math.sqrt(2.0 / (width * 9))),
                           (self.head, math.sqrt(1.0 / width))):
            init.normal_(layer.weight, std)
            nn.init.zeros_(layer.bias)

    def dims(self):
        return self.shape[0] * self.shape[1] * self.shape[2]

    def decodes_per_chunk(self):
        """ConvVae.decodesPerChunk: decodes whose output stays within chunk_floats (1..512)."""
        per_decode = self.decoder.outputs(self.shape[0]) * self.shape[1] * self.shape[2]
        return max(1, min(MAX_DECODES, self.chunk_floats // per_decode))

    def max_images_per_loss(self):
        """ConvVae.maxImagesPerLoss: two chunks of decodes per training pass."""
        per_image = self.samples if self.objective == "forward-kl" else 1
        return max(1, 2 * self.decodes_per_chunk() // per_image)

    def scoring_images(self, k):
        """ConvVae.perImage's batch: images scored together with k samples each."""
        return max(1, min(256, self.decodes_per_chunk() // max(1, k)))

    def encode(self, x):
        """q(z|x) as (mu, logvar), each (B, L), for raw pixels x (B, C, H, W)."""
        h = _layout(x / 255.0 - 0.5)
        h = F.relu(self.enc1(h), inplace=True)
        h = F.relu(self.enc2(h), inplace=True)
        return self.enc_out(h.flatten(1)).chunk(2, dim=1)  # flatten(1): (C, H, W) order whatever the memory order

    def decode(self, z):
        """Decoder outputs (N, outputs, H, W), standard order, for latents z (N, L)."""
        h = F.relu(self.dec_in(z), inplace=True).view(z.shape[0], 2 * self.width, *self.base)
        if Options.upsample != "broadcast":
            h = _layout(h)  # the small array; interpolate and the convolutions keep the layout
        h = F.relu(self.dec1(upsample2x(h)), inplace=True)
        h = F.relu(self.dec2(upsample2x(h)), inplace=True)
        return self.head(h.contiguous())  # the 1x1 head reads the standard order, as densitylab's

    def log_weights(self, x, mu, logvar, eps, detach=False):
        """ConvVae.samples: (log p(x|z_k), log p(z_k), log q(z_k|x)), each (B, K), for z = mu + sigma eps,
        eps (B, K, L); z detached when detach is set."""
        b, k = eps.shape[0], eps.shape[1]
        mu, logvar = mu.unsqueeze(1), logvar.unsqueeze(1)
        z = eps * torch.exp(0.5 * logvar) + mu
        if detach:
            z = z.detach()
        xs = x if k == 1 else x.unsqueeze(1).expand(b, k, *x.shape[1:]).reshape(b * k, *x.shape[1:])
        log_lik = self.decoder.log_likelihood(self.decode(z.reshape(b * k, self.latent)), xs).view(b, k)
        return log_lik, log_std_normal(z), log_normal(z, mu, logvar)

    def elbo(self, x, eps):
        """The ELBO per example in nats with one sample (eps (B, L)) and the analytic KL."""
        mu, logvar = self.encode(x)
        z = eps * torch.exp(0.5 * logvar) + mu
        rec = self.decoder.log_likelihood(self.decode(z), x)
        kl = 0.5 * (mu.square() + logvar.exp() - 1.0 - logvar).sum(dim=1)
        return rec - kl

    def iwae(self, x, eps):
        """The IWAE estimate of log p(x) per example in nats, eps (B, K, L): the image(s) encoded once, the K
        samples decoded in chunks of at most decodes_per_chunk decodes (ConvVae.iwae)."""
        b, k = eps.shape[0], eps.shape[1]
        per = max(1, self.decodes_per_chunk() // b)
        mu, logvar = self.encode(x)
        parts = []
        for i in range(0, k, per):
            log_lik, log_prior, log_q = self.log_weights(x, mu, logvar, eps[:, i:i + per])
            parts.append(log_lik + log_prior - log_q)
        log_w = parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)
        return torch.logsumexp(log_w, dim=1) - math.log(k)

    def loss(self, x, eps=None):
        """ConvVae.loss: the training loss of a batch of raw pixels in bits/dim (noise drawn unless given:
        (B, L) for the ELBO, (B, K, L) for forward-kl)."""
        to_bpd = -1.0 / (self.dims() * LOG_2)
        b = x.shape[0]
        if self.objective == "elbo":
            if eps is None:
                eps = torch.randn(b, self.latent)
            return self.elbo(x, eps).mean() * to_bpd
        if eps is None:
            eps = torch.randn(b, self.samples, self.latent)
        mu, logvar = self.encode(x)
        log_lik, log_prior, log_q = self.log_weights(x, mu, logvar, eps, detach=True)
        log_w = log_lik + log_prior - log_q
        w = torch.softmax(log_w.detach(), dim=1)
        surrogate = (w * (log_lik + log_prior + log_q)).sum(dim=1).mean()
        bound = (torch.logsumexp(log_w, dim=1) - math.log(self.samples)).mean().detach()
        # value: the IWAE bound in bits/dim; gradient: the reweighted wake-sleep update
        return (bound + (surrogate - surrogate.detach())) * to_bpd


def build(shape, args, init):
    decoder = make_decoder(args.decoder, args.mixture)
    return ConvVae(shape, args.latent, args.width, decoder, args.objective, args.samples, args.eval_samples, init,
                   args.chunk_floats)


def prepare(model):
    """The weights' memory order for the chosen layout: channels-last for the 4x4 and 3x3 convolutions, as a
    PyTorch user's model.to(memory_format=torch.channels_last) would; the 1x1 head's weight stays in the standard
    order (converted, (out, in, 1, 1) takes strides that make the convolution write a channels-last output)."""
    fmt = torch.channels_last if Options.channels_last else torch.contiguous_format
    for conv in (model.enc1, model.enc2, model.dec1, model.dec2):
        conv.to(memory_format=fmt)
    model.head.to(memory_format=torch.contiguous_format)
    return model


class Step:
    """One Trainer step: the batch in passes whose gradients accumulate, clipping, Adam with warm-up."""

    def __init__(self, model, lr, warmup, clip, max_images):
        self.model = model
        self.clip = clip
        self.max_images = max_images  # 0: the whole batch in one pass
        self.params = list(model.parameters())
        self.opt = torch.optim.Adam(self.params, lr=lr, betas=(0.9, 0.999), eps=1e-8, foreach=True)

        def ramp(k):  # Trainer.adamStep: lr * min(1, step / warmup), step counting from 1
            return min(1.0, (k + 1) / warmup) if warmup > 0 else 1.0

        self.sched = torch.optim.lr_scheduler.LambdaLR(self.opt, ramp)

    def passes(self, b):
        return 1 if self.max_images <= 0 else -(-b // self.max_images)

    def __call__(self, x, eps=None):
        """The batch's mean loss (a 0-dim tensor); eps: per-pass noise (tests)."""
        self.opt.zero_grad(set_to_none=True)
        b = x.shape[0]
        n = self.passes(b)
        if n == 1:
            loss = self.model.loss(x, None if eps is None else eps[0])
            loss.backward()
            total = loss.detach()
        else:
            total = 0.0
            for j, part in enumerate(torch.tensor_split(x, n)):
                loss = self.model.loss(part, None if eps is None else eps[j])
                (loss * (part.shape[0] / b)).backward()
                total = total + loss.detach() * (part.shape[0] / b)
        if self.clip > 0:
            clip_grad_norm([p.grad for p in self.params], self.clip)
        self.opt.step()
        self.sched.step()
        return total


def score(model, images, k, seed):
    """Bits/dim of each image (uint8 (N, C, H, W)) from the IWAE estimate with k samples, in ConvVae's batches
    and chunks, noise from a generator seeded with seed."""
    gen = torch.Generator().manual_seed(seed)
    batch = model.scoring_images(k)
    to_bpd = -1.0 / (images[0].numel() * LOG_2)
    out = []
    with torch.inference_mode():
        for i in range(0, images.shape[0], batch):
            x = images[i:i + batch].float()
            eps = torch.randn(x.shape[0], k, model.latent, generator=gen)
            out.append(model.iwae(x, eps) * to_bpd)
    return torch.cat(out)


# ----------------------------------------------------------------------------------------------------------

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", metavar="DIR", help="folder with FashionMNIST IDX files (default: densitylab's cache, "
                   "then /usr/share/datasets/fashion-mnist)")
    p.add_argument("--preset", choices=PRESETS, default="default", help="the VAE has no presets: default only")
    p.add_argument("--latent", type=int, help=f"latent size (VaeKind: {DEFAULTS['latent']})")
    p.add_argument("--width", type=int, help=f"channels f (VaeKind: {DEFAULTS['width']})")
    p.add_argument("--decoder", choices=["categorical", "logistic", "bernoulli"],
                   help=f"pixel distribution (VaeKind: {DEFAULTS['decoder']})")
    p.add_argument("--mixture", type=int, help=f"logistic mixture components (VaeKind: {DEFAULTS['mixture']})")
    p.add_argument("--objective", choices=["elbo", "forward-kl"],
                   help=f"training objective (VaeKind: {DEFAULTS['objective']})")
    p.add_argument("--samples", type=int, help=f"K of forward-kl training (VaeKind: {DEFAULTS['samples']})")
    p.add_argument("--eval-samples", type=int,
                   help=f"K of the IWAE score (VaeKind: {DEFAULTS['eval-samples']})")
    add_run_args(p)
    p.add_argument("--init", choices=["java", "torch"], default="java",
                   help="java: the Java model's exact initial weights for the seed (default); torch: torch's generator")
    p.add_argument("--memory-format", choices=["channels_last", "standard"], default="channels_last",
                   help="channels_last (default): the 4x4 and 3x3 convolutions channels-last, the 1x1 head standard, "
                        "as densitylab; standard: everything in the standard order")
    p.add_argument("--upsample", choices=["interpolate", "broadcast"], default="interpolate",
                   help="interpolate: F.interpolate (default); broadcast: densitylab's reshape-broadcast-reshape")
    p.add_argument("--categorical", choices=["cross_entropy", "gather"], default="cross_entropy",
                   help="categorical likelihood by F.cross_entropy (default) or densitylab's log_softmax + gather")
    p.add_argument("--max-images-per-loss", type=int,
                   help="training passes of at most this many images, gradients accumulated (default: densitylab's "
                        "ConvVae.maxImagesPerLoss, 40 for the ELBO, 8 for forward-kl with K = 5; 0: the whole batch)")
    p.add_argument("--chunk-floats", type=int, default=CHUNK_FLOATS,
                   help="decoder-output floats per scoring chunk (ConvVae.CHUNK_FLOATS, 4 Mi); sets the scoring "
                        "batch, the chunk and the default training pass")
    p.add_argument("--no-flush-denormal", action="store_true", help="keep denormal floats (default: flush to zero)")
    p.add_argument("--profile", metavar="FILE",
                   help="record the training's ops with torch.profiler and write a Chrome trace to FILE "
                        "(bench/profile_compare.py); slows every op down, use a short --seconds")
    p.add_argument("--self-check", action="store_true",
                   help="no training run: check parameter counts, the Java initialisation, the options against "
                        "each other, chunking and passes, forward-kl's gradient, that 20 steps on 256 images lower "
                        "the loss, and that the IWAE bound is above the ELBO (one thread, 10-20 s)")
    args = p.parse_args(argv)
    if args.score_passes < 1:
        p.error(f"--score-passes must be >= 1, got {args.score_passes}")
    if args.chunk_floats < 1:
        p.error(f"--chunk-floats must be >= 1, got {args.chunk_floats}")
    args.given = {}  # as `densitylab bench --param KEY=VALUE`
    for key, value in DEFAULTS.items():
        attr = key.replace("-", "_")
        if getattr(args, attr) is None:
            setattr(args, attr, value)
        else:
            args.given[key] = str(getattr(args, attr))
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

    def tiny(shape=(1, 8, 8), decoder=None, objective="elbo", init=None, chunk_floats=CHUNK_FLOATS):
        return prepare(ConvVae(shape, 4, 4, decoder or Categorical256(), objective, 3, 7,
                               init or TorchInit(1), chunk_floats))

    # Parameter counts. Default on 1x28x28 by hand (f = L = 32, flat = 2*32*7*7 = 3136): ew1 32*1*4*4 + 32 = 544,
    # ew2 64*32*16 + 64 = 32832, ewl 64*3136 + 64 = 200768, dwl 3136*32 + 3136 = 103488, dw1 32*64*9 + 32 = 18464,
    # dw2 32*32*9 + 32 = 9248, dw3 256*32 + 256 = 8448: 373792.
    by_hand = 544 + 32832 + 200768 + 103488 + 18464 + 9248 + 8448
    for shape in ((1, 28, 28), (3, 32, 32)):
        for dec in (Categorical256(), DiscretizedLogistic(5), Bernoulli()):
            m = ConvVae(shape, 32, 32, dec, "elbo", 5, 100, NoInit())
            n = sum(p.numel() for p in m.parameters())
            want = param_count(shape, 32, 32, dec.outputs(shape[0]))
            good = n == want and (by_hand == 373792 == want if shape == (1, 28, 28) and dec.name == "categorical"
                                  else True)
            report(f"parameter count, {dec.name} on {'x'.join(map(str, shape))}", good,
                   f"{n} (formula {want}" + (f", by hand {by_hand})" if shape == (1, 28, 28)
                                             and dec.name == "categorical" else ")"))

    # JavaInit: ParamFactory's draw order (ew1, ew2, ewl, dwl, dw1, dw2, dw3) and standard deviations.
    m = ConvVae((1, 28, 28), 32, 32, Categorical256(), "elbo", 5, 100, JavaInit(0))
    rng = JavaRandom(0)
    firsts = []
    for layer, std in ((m.enc1, math.sqrt(2 / 16)), (m.enc2, math.sqrt(2 / (32 * 16))),
                       (m.enc_out, math.sqrt(1 / 3136)), (m.dec_in, math.sqrt(2 / 32)),
                       (m.dec1, math.sqrt(2 / (64 * 9))), (m.dec2, math.sqrt(2 / (32 * 9))),
                       (m.head, math.sqrt(1 / 32))):
        first = float(torch.tensor(std * rng.next_gaussian(), dtype=torch.float32))
        for _ in range(layer.weight.numel() - 1):
            rng.next_gaussian()
        firsts.append(layer.weight.flatten()[0].item() == first and layer.bias.eq(0).all().item())
    stds = [round(layer.weight.std().item() / s, 3) for layer, s in
            ((m.enc_out, math.sqrt(1 / 3136)), (m.dec_in, math.sqrt(2 / 32)), (m.dec1, math.sqrt(2 / 576)))]
    report("JavaInit order and scales", all(firsts) and all(abs(s - 1) < 0.05 for s in stds),
           f"each weight's first value the next draw, biases zero: {firsts}; std / intended of ewl, dwl, dw1 {stds}")

    # Layouts: channels-last where densitylab has it (also for C = 1), the head's output standard.
    x = torch.rand(6, 1, 28, 28) * 255
    m = prepare(m)
    with torch.no_grad():
        h1 = m.enc1(_layout(x / 255.0 - 0.5))
        mu, _ = m.encode(x)
        z = torch.randn(6, 32)
        h = F.relu(m.dec_in(z)).view(6, 64, 7, 7)
        up = upsample2x(_layout(h))
        d1 = m.dec1(up)
        out = m.decode(z)
    cl = torch.channels_last
    layouts = [h1.is_contiguous(memory_format=cl) and not h1.is_contiguous(),
               up.is_contiguous(memory_format=cl) and not up.is_contiguous(),
               d1.is_contiguous(memory_format=cl) and not d1.is_contiguous(), out.is_contiguous()]
    report("memory order", all(layouts), f"enc1 output, upsampled, dec1 output channels-last, head output standard: "
           f"{layouts}; shapes mu {tuple(mu.shape)}, decoder {tuple(out.shape)}")

    # Options agree: layouts, upsampling, categorical formulation; all three decoders, grey and RGB.
    for shape in ((1, 8, 8), (3, 8, 12)):
        for dec in (Categorical256(), DiscretizedLogistic(3), DiscretizedLogistic(1), Bernoulli()):
            m = ConvVae(shape, 4, 4, dec, "elbo", 3, 7, TorchInit(2))
            xb = torch.randint(0, 256, (5, *shape)).float()
            eps = torch.randn(5, 4)
            vals = []
            with torch.no_grad():
                for cl_, up_, cat in ((False, "broadcast", "gather"), (True, "interpolate", "cross_entropy"),
                                      (True, "broadcast", "cross_entropy"), (False, "interpolate", "gather")):
                    Options.channels_last, Options.upsample, Options.categorical = cl_, up_, cat
                    vals.append(prepare(m).elbo(xb, eps))
            Options.channels_last, Options.upsample, Options.categorical = True, "interpolate", "cross_entropy"
            err = max((v - vals[0]).abs().max().item() for v in vals[1:])
            report(f"options agree, {dec.name}{dec.k if dec.name == 'logistic' else ''} "
                   f"{'x'.join(map(str, shape))}", err < 1e-4 * vals[0].abs().max().item() and
                   bool(torch.isfinite(vals[0]).all()), f"ELBO {vals[0][0].item():.3f} nats, max |diff| {err:.1e}")

    # Chunked IWAE = one-chunk IWAE for the same noise; K = 1 IWAE = single-sample ELBO estimate.
    big = tiny()
    small = copy.deepcopy(big)
    small.chunk_floats = 3 * 256 * 64  # 3 decodes per chunk
    xb = torch.randint(0, 256, (2, 1, 8, 8)).float()
    eps = torch.randn(2, 7, 4)
    with torch.no_grad():
        a, b_ = big.iwae(xb, eps), small.iwae(xb, eps)
        mu, logvar = big.encode(xb)
        ll, lp, lq = big.log_weights(xb, mu, logvar, eps[:, :1])
        one = big.iwae(xb, eps[:, :1])
    report("IWAE chunking", (a - b_).abs().max().item() < 1e-4 and (one - (ll + lp - lq)[:, 0]).abs().max() < 1e-4
           and big.decodes_per_chunk() == 256 and small.decodes_per_chunk() == 3,
           f"{[round(v, 4) for v in a.tolist()]} one chunk vs {[round(v, 4) for v in b_.tolist()]} in chunks of "
           f"{max(1, small.decodes_per_chunk() // 2)} samples")

    # Default sizes (ConvVae): 20 decodes per chunk, passes of 40 (elbo) and 8 (forward-kl), scoring one image
    # with 5 chunks of 20 decodes at K = 100.
    d = ConvVae((1, 28, 28), 32, 32, Categorical256(), "elbo", 5, 100, NoInit())
    f = ConvVae((1, 28, 28), 32, 32, Categorical256(), "forward-kl", 5, 100, NoInit())
    sizes = (d.decodes_per_chunk(), d.max_images_per_loss(), f.max_images_per_loss(), d.scoring_images(100),
             d.scoring_images(10), d.scoring_images(1))
    report("chunk sizes", sizes == (20, 40, 8, 1, 2, 20),
           f"decodes per chunk, ELBO pass, forward-kl pass, scoring images at K 100 / 10 / 1: {sizes}")

    # Passes: a batch in 3 passes gives the gradient and loss of one pass over it with the same noise.
    for objective in ("elbo", "forward-kl"):
        m1 = tiny(objective=objective, init=TorchInit(4))
        m2 = copy.deepcopy(m1)
        xb = torch.randint(0, 256, (9, 1, 8, 8)).float()
        eps = torch.randn(9, 4) if objective == "elbo" else torch.randn(9, 3, 4)
        s1, s2 = Step(m1, 1e-3, 0, 0, 0), Step(m2, 1e-3, 0, 0, 3)
        l1 = s1(xb, [eps])
        l2 = s2(xb, list(torch.tensor_split(eps, 3)))
        g = max((p.grad - q.grad).abs().max().item() / (p.grad.abs().max().item() + 1e-12)
                for p, q in zip(m1.parameters(), m2.parameters()))
        report(f"passes, {objective}", abs(l1.item() - l2.item()) < 1e-5 and g < 1e-4 and s2.passes(9) == 3,
               f"loss {l1.item():.5f} in one pass, {l2.item():.5f} in 3; max relative gradient diff {g:.1e}")

    # forward-kl: value = -IWAE bound (K = samples) in bits/dim; decoder gradient = the IWAE bound's with z detached;
    # encoder gradient = that of -sum_k w_k log q(z_k|x) (wake-sleep), not the IWAE bound's.
    m = tiny(objective="forward-kl", init=TorchInit(5))
    xb = torch.randint(0, 256, (4, 1, 8, 8)).float()
    eps = torch.randn(4, 3, 4)
    to_bpd = -1.0 / (64 * LOG_2)
    loss = m.loss(xb, eps)
    g_fkl = torch.autograd.grad(loss, list(m.parameters()))
    mu, logvar = m.encode(xb)
    ll, lp, lq = m.log_weights(xb, mu, logvar, eps, detach=True)
    bound = (torch.logsumexp(ll + lp - lq, 1) - math.log(3)).mean()
    g_dec = torch.autograd.grad(bound * to_bpd, [p for n, p in m.named_parameters() if not n.startswith("enc")],
                                retain_graph=True)
    w = torch.softmax((ll + lp - lq).detach(), 1)
    g_enc = torch.autograd.grad((w * lq).sum(1).mean() * to_bpd, [p for n, p in m.named_parameters()
                                                                   if n.startswith("enc")])
    grads = dict(zip([n for n, _ in m.named_parameters()], g_fkl))
    dec_names = [n for n, _ in m.named_parameters() if not n.startswith("enc")]
    enc_names = [n for n, _ in m.named_parameters() if n.startswith("enc")]
    dec_err = max((grads[n] - g).abs().max().item() for n, g in zip(dec_names, g_dec))
    enc_err = max((grads[n] - g).abs().max().item() for n, g in zip(enc_names, g_enc))
    report("forward-kl loss and gradient", abs(loss.item() - bound.item() * to_bpd) < 1e-5 and dec_err < 1e-5
           and enc_err < 1e-5, f"loss {loss.item():.5f} = -IWAE_3 {bound.item() * to_bpd:.5f} bits/dim; decoder "
           f"gradient vs the IWAE bound's {dec_err:.1e}, encoder gradient vs wake-sleep's {enc_err:.1e}")

    # Training: 20 steps of the default model (Java init, seed 0) on 256 FashionMNIST training images (a toy set
    # where none is found), batch 32, the bench recipe (lr 1e-3, warm-up 200, clip 50, Java's passes).
    try:
        dirs = [args.data] if args.data else default_data_dirs()
        images = read_idx_images(find_split(dirs, "train-images-idx3-ubyte"))[:256].float()
        source = "FashionMNIST"
    except FileNotFoundError:
        yy, xx = torch.meshgrid(torch.arange(28), torch.arange(28), indexing="ij")
        blob = (((yy - 13.5).abs() < 9) & ((xx - 13.5).abs() < 6)).float()
        images = (blob * 180 + torch.rand(256, 1, 28, 28) * 60).clamp(0, 255).floor()
        source = "toy"
    torch.manual_seed(0)
    m = prepare(ConvVae((1, 28, 28), 32, 32, Categorical256(), "elbo", 5, 100, JavaInit(0)))
    fixed = torch.randn(256, 32)

    def elbo_bpd():  # all 256 images, the same noise before and after
        with torch.no_grad():
            return (m.elbo(images, fixed) * (-1.0 / (784 * LOG_2))).mean().item()

    before = elbo_bpd()
    step = Step(m, 1e-3, 200, 50.0, m.max_images_per_loss())
    losses = []
    for s in range(20):
        order = torch.randperm(256, generator=torch.Generator().manual_seed(s // 8))
        i = (s % 8) * 32
        losses.append(step(images[order[i:i + 32]]).item())
    after = elbo_bpd()
    report("training, 20 steps", all(math.isfinite(v) for v in losses) and after < before - 0.1,
           f"{source} 256 images: ELBO {before:.4f} -> {after:.4f} bits/dim (fixed noise); step losses "
           f"{losses[0]:.4f}, {losses[1]:.4f} ... {losses[-2]:.4f}, {losses[-1]:.4f} (lr ramps to 1e-4 by step 20)")

    # IWAE (K = 100, ConvVae's chunks) >= ELBO: on 16 of the images after the 20 steps; ELBO averaged over 10 draws.
    xs = images[:16]
    with torch.no_grad():
        elbos = torch.stack([m.elbo(xs, torch.randn(16, 32)) for _ in range(10)]).mean(0)
    iwae = score(m, xs.to(torch.uint8), 100, 0) * (-784 * LOG_2)
    gap = iwae - elbos
    report("IWAE_100 >= ELBO", gap.mean().item() > 0,
           f"mean over 16 images: IWAE {iwae.mean().item():.2f} nats, ELBO {elbos.mean().item():.2f} nats, gap "
           f"{gap.mean().item():.2f} nats ({gap.mean().item() / (784 * LOG_2):.4f} bits/dim), IWAE above on "
           f"{int((gap > 0).sum())} of 16 images")
    print(f"self-check {'passed' if ok else 'FAILED'} ({time.perf_counter() - t_start:.1f} s)")
    return 0 if ok else 1


def main(argv=None):
    args = parse_args(argv)
    setup_torch(args)
    Options.channels_last = args.memory_format == "channels_last"
    Options.upsample = args.upsample
    Options.categorical = args.categorical
    if args.self_check:
        return self_check(args)

    dirs = [args.data] if args.data else default_data_dirs()
    train = read_idx_images(find_split(dirs, "train-images-idx3-ubyte"))
    test = read_idx_images(find_split(dirs, "t10k-images-idx3-ubyte"))[:args.score_images]

    init = JavaInit(args.seed) if args.init == "java" else TorchInit(args.seed)
    model = prepare(build(tuple(train.shape[1:]), args, init))
    n_params = sum(p.numel() for p in model.parameters())
    max_images = model.max_images_per_loss() if args.max_images_per_loss is None else args.max_images_per_loss
    step_fn = Step(model, args.lr, args.warmup, args.clip, max_images)
    print(f"vae: {n_params} parameters (latent {args.latent}, width {args.width}, decoder {args.decoder}, objective "
          f"{args.objective}), {step_fn.passes(args.batch_size)} pass(es) per batch, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads", file=sys.stderr)

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
    config = {"latent": args.latent, "width": args.width, "decoder": args.decoder, "objective": args.objective,
              "samples": args.samples, "eval_samples": args.eval_samples, "init": args.init,
              "memory_format": args.memory_format, "upsample": args.upsample, "categorical": args.categorical,
              "max_images_per_loss": max_images, "loss_passes": step_fn.passes(args.batch_size),
              "chunk_floats": args.chunk_floats, "decodes_per_chunk": model.decodes_per_chunk(),
              "score_batch": model.scoring_images(args.eval_samples),
              "flush_denormal": not args.no_flush_denormal, "warmup": args.warmup, "clip": args.clip,
              "lr": args.lr, "betas": [0.9, 0.999]}
    if args.decoder == "logistic":
        config["mixture"] = args.mixture
    out = {
        "impl": "pytorch",
        "model": "vae",
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
    # over all score images; the median pass counts. The score is the IWAE estimate with eval-samples samples.
    model.eval()
    score(model, test[:256], args.eval_samples, args.seed)
    rates = []
    before_scoring = process_stats()
    for _ in range(args.score_passes):
        t0 = time.perf_counter()
        bpd = score(model, test, args.eval_samples, args.seed)
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
        "final_train_bpd": sum(tail) / len(tail),
        "score_images": bpd.numel(),
        "seed": args.seed,
    })
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
