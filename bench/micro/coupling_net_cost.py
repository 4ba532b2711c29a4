"""Milliseconds per forward and backward pass of the small Glow's coupling network in PyTorch; the
counterpart of CouplingNetCost.java (same shapes, batch 64, 2 threads). Run with Debian's python3-torch:
    /usr/bin/python3 bench/micro/coupling_net_cost.py
"""
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(2)
torch.set_num_interop_threads(1)
for c, hw in [(2, 14), (4, 7)]:
    x = torch.rand(64, c, hw, hw)
    w1 = (torch.randn(48, c, 3, 3) * .1).requires_grad_()
    b1 = torch.zeros(48, requires_grad=True)
    w2 = (torch.randn(48, 48, 1, 1) * .1).requires_grad_()
    b2 = torch.zeros(48, requires_grad=True)
    w3 = (torch.randn(2 * c, 48, 3, 3) * .1).requires_grad_()
    b3 = torch.zeros(2 * c, requires_grad=True)
    for rep in range(3):
        fwd = bwd = 0.0
        n = 300
        for i in range(n):
            t0 = time.perf_counter()
            h = F.relu(F.conv2d(x, w1, b1, padding=1))
            h = F.relu(F.conv2d(h, w2, b2))
            out = F.conv2d(h, w3, b3, padding=1).sum()
            t1 = time.perf_counter()
            fwd += t1 - t0
            out.backward()
            bwd += time.perf_counter() - t1
            for p in (w1, b1, w2, b2, w3, b3):
                p.grad = None
        print("pytorch %dx%dx%d  forward %.3f ms  backward %.3f ms" % (c, hw, hw, fwd / n * 1e3, bwd / n * 1e3))
