"""How to batch K copies of the digits CNN on the CPU: grouped convolutions against
``torch.func.vmap`` over ``functional_call``, against K lone models in a loop.

    python benchmarks/cnn_batching.py [--copies 16] [--rounds 5] [--threads 1]

One training step of the digits preset's CNN (Conv 1→16 k3 → ReLU → MaxPool 2 → Conv 16→32 k3 →
ReLU → MaxPool 2 → Flatten → Linear 128→64 → ReLU → Linear 64→10, cross-entropy, SGD) on a
mini-batch of 64 images, for K copies with their own parameters:

- one lone model: the engine's lone forward pass (``models.forward_function``, as ``wdtui run``
  trains one CNN: channels-last layout, each ReLU pooled first); the ratios are to its step;
  beside it ``model(x)``, ``nn.Sequential``'s own forward in the planar layout;
- loop: K such lone models, one after another;
- grouped: one model whose first conv has K·16 output channels (the input is shared), whose
  second is a grouped conv (groups = K), and whose Linear layers are batched matmuls; per-copy
  cross-entropy summed;
- vmap: ``torch.func.vmap(functional_call(model, params_k, x))`` over the stacked parameters;
- engine: ``batched.BatchedModel``, the grouped layout as wdtui trains it: channels-last memory
  layout (max-pooling 8×8 planes one by one is the planar layout's bottleneck), each ReLU
  pooled before it is applied (max commutes with ReLU: the same numbers), and the first conv
  (on the images every copy shares) as patches × stacked filters, one matrix product
  (``batched.shared_conv``);
- engine, oneDNN 1st conv: the same with the first conv as PyTorch's convolution (K·16
  filters stacked, oneDNN's kernel), as the engine did before.

Then one evaluation pass over the digits' 1,797 images: the lone model at once, the engine's K
copies in its chunks of 64 images, both ways (alternating rounds, medians).

FLOPs: a digits CNN's forward pass is 91,776 multiply-adds per image (conv 9,216, conv 73,728,
Linear 8,192 and 640); a training step about 3× that (the first conv has no input gradient), so
K copies do K times the arithmetic of one: the printed GFLOP/s say how close each comes to the
CPU's matrix-multiply rate (also printed).

Each step's time is the median over alternating rounds (CPU time of this process and wall time,
with the load average), printed as a ratio to one lone step. The grouped and vmap copies are
also checked against the lone models in float64 (largest relative difference of the logits and
of the gradients).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, vmap

from wdtui.engine.training import batched
from wdtui.engine.training.batched import BatchedModel
from wdtui.engine.training.models import channels_last, forward_function

FORWARD_MACS = 16 * 9 * 64 + 32 * 16 * 9 * 16 + 128 * 64 + 64 * 10  # per image
STEP_MACS = 3 * FORWARD_MACS - 16 * 9 * 64  # forward, input and weight gradients (none for the input)


def lone_model() -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))


def stacked(models: list[nn.Sequential]) -> dict[str, torch.Tensor]:
    names = [n for n, _ in models[0].named_parameters()]
    return {n: torch.stack([dict(m.named_parameters())[n].detach() for m in models]).requires_grad_()
            for n in names}


def grouped_forward(p: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """(B, 1, 8, 8) shared images → (K, B, 10) logits."""
    k = p["0.weight"].shape[0]
    h = F.conv2d(x, p["0.weight"].flatten(0, 1), p["0.bias"].flatten(), padding=1)  # (B, K·16, 8, 8)
    h = F.max_pool2d(F.relu(h), 2)
    h = F.conv2d(h, p["3.weight"].flatten(0, 1), p["3.bias"].flatten(), padding=1, groups=k)  # (B, K·32, 4, 4)
    h = F.max_pool2d(F.relu(h), 2)  # (B, K·32, 2, 2)
    b = h.shape[0]
    h = h.view(b, k, -1).transpose(0, 1)  # (K, B, 128): each copy's flattened features, in its order
    h = F.relu(torch.baddbmm(p["7.bias"].unsqueeze(1), h, p["7.weight"].transpose(1, 2)))
    return torch.baddbmm(p["9.bias"].unsqueeze(1), h, p["9.weight"].transpose(1, 2))


def copy_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Σ_k mean_b CE(logits[k, b], y[b]): each copy's own mean loss, summed (no interaction)."""
    k, b = logits.shape[:2]
    return F.cross_entropy(logits.reshape(k * b, -1), y.repeat(k), reduction="none").view(k, b).mean(1).sum()


def sgd_(params, lr: float = 0.01) -> None:
    with torch.no_grad():
        grads = [p.grad for p in params]
        torch._foreach_add_(list(params), grads, alpha=-lr)
        for p in params:
            p.grad = None


def onednn_shared_conv(x: torch.Tensor, layer: nn.Conv2d, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """The first conv as the engine ran it before ``batched.shared_conv``: PyTorch's convolution."""
    return F.conv2d(channels_last(x), weight.flatten(0, 1), bias.flatten(), layer.stride, layer.padding,
                    layer.dilation)


MATMUL_SHARED_CONV = batched.shared_conv


def first_conv(way: str) -> None:
    """The engine's first conv from now on: "matmul" (its own) or "onednn"."""
    batched.shared_conv = MATMUL_SHARED_CONV if way == "matmul" else onednn_shared_conv


def timed(f) -> float:
    """CPU seconds of one call (after one call to warm up)."""
    f()
    start = time.process_time()
    f()
    return time.process_time() - start


def check(copies: int) -> tuple[float, float]:
    """Largest relative difference (logits, gradients) of grouped and vmap copies vs lone models, float64."""
    torch.manual_seed(0)
    models = [lone_model().double() for _ in range(copies)]
    x, y = torch.randn(64, 1, 8, 8, dtype=torch.float64), torch.randint(0, 10, (64,))
    lone_logits, lone_grads = [], []
    for m in models:
        out = m(x)
        F.cross_entropy(out, y).backward()
        lone_logits.append(out.detach())
        lone_grads.append({n: p.grad.clone() for n, p in m.named_parameters()})
    worst = []
    base = lone_model().double()
    for forward in ("grouped", "vmap", "engine"):
        p = stacked(models)
        if forward == "grouped":
            logits = grouped_forward(p, x)
        elif forward == "engine":
            logits = BatchedModel(base, p)(x)
        else:
            logits = vmap(lambda params: functional_call(base, params, (x,)))(p)
        copy_loss(logits, y).backward()
        rel_out = max(((logits[k] - lone_logits[k]).abs().max() / lone_logits[k].abs().max()).item()
                      for k in range(copies))
        rel_grad = max(((p[n].grad[k] - g[n]).abs().max() / g[n].abs().max().clamp_min(1e-300)).item()
                       for k, g in enumerate(lone_grads) for n in g)
        worst.append(max(rel_out, rel_grad))
    return worst[0], worst[1], worst[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20, help="steps per timing")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    k = args.copies
    torch.manual_seed(0)
    models = [lone_model() for _ in range(k)]
    x, y = torch.randn(64, 1, 8, 8), torch.randint(0, 10, (64,))
    grouped_p, vmap_p, engine_p = stacked(models), stacked(models), stacked(models)
    base = lone_model()
    batched_call = vmap(lambda params: functional_call(base, params, (x,)))
    engine = BatchedModel(base, engine_p)

    forwards = {id(m): forward_function(m) for m in models}

    def lone_step(m=models[0]):
        F.cross_entropy(forwards[id(m)](x), y).backward()
        sgd_(list(m.parameters()))

    def planar_step(m=models[0]):
        F.cross_entropy(m(x), y).backward()
        sgd_(list(m.parameters()))

    def loop_step():
        for m in models:
            lone_step(m)

    def grouped_step():
        copy_loss(grouped_forward(grouped_p, x), y).backward()
        sgd_(list(grouped_p.values()))

    def vmap_step():
        copy_loss(batched_call(vmap_p), y).backward()
        sgd_(list(vmap_p.values()))

    def engine_step():
        first_conv("matmul")
        copy_loss(engine(x, train=True), y).backward()
        sgd_(list(engine_p.values()))

    def onednn_step():
        first_conv("onednn")
        copy_loss(engine(x, train=True), y).backward()
        sgd_(list(engine_p.values()))

    steps = {"one lone model": lone_step, "one model(x), planar": planar_step, f"loop of {k}": loop_step, f"grouped conv, K = {k}": grouped_step,
             f"vmap, K = {k}": vmap_step, f"engine, K = {k}": engine_step,
             "engine, oneDNN 1st conv": onednn_step}
    cpu: dict[str, list[float]] = {name: [] for name in steps}
    wall: dict[str, list[float]] = {name: [] for name in steps}
    for step in steps.values():  # warm-up
        for _ in range(3):
            step()
    for _ in range(args.rounds):
        for name, step in steps.items():
            c, w = time.process_time(), time.perf_counter()
            for _ in range(args.steps):
                step()
            cpu[name].append((time.process_time() - c) / args.steps)
            wall[name].append((time.perf_counter() - w) / args.steps)
    one_cpu, one_wall = statistics.median(cpu["one lone model"]), statistics.median(wall["one lone model"])
    print(f"digits CNN, one SGD step on 64 images ({args.threads} thread(s); median of {args.rounds} "
          f"alternating rounds; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    a, b2 = torch.randn(1024, 1024), torch.randn(1024, 1024)
    gemm = min(timed(lambda: a @ b2) for _ in range(5))
    print(f"  (a 1024² matrix product: {2 * 1024 ** 3 / gemm / 1e9:.0f} GFLOP/s on this CPU)")
    for name in steps:
        c, w = statistics.median(cpu[name]), statistics.median(wall[name])
        flops = 2 * STEP_MACS * len(x) * (1 if name.startswith("one") else k)
        print(f"  {name:22s} CPU {c * 1e6:8.0f} µs ({c / one_cpu:5.2f}x one)   wall {w * 1e6:8.0f} µs "
              f"({w / one_wall:5.2f}x one)   {flops / c / 1e9:5.1f} GFLOP/s")
    images = torch.randn(1797, 1, 8, 8)
    evals: dict[str, list[float]] = {"lone": [], "planar": [], "matmul": [], "onednn": []}
    with torch.no_grad():
        for _ in range(args.rounds):
            evals["lone"].append(timed(lambda: forwards[id(models[0])](images)))
            evals["planar"].append(timed(lambda: models[0](images)))
            for way in ("matmul", "onednn"):
                first_conv(way)
                evals[way].append(timed(lambda: [engine(c) for c in images.split(4096 // (4 * k))]))
    first_conv("matmul")
    lone_eval, planar_eval, engine_eval, onednn_eval = (statistics.median(evals[w])
                                                        for w in ("lone", "planar", "matmul", "onednn"))
    flops = 2 * FORWARD_MACS * len(images)
    print(f"  evaluating 1,797 images: one lone model {lone_eval * 1e3:.1f} ms ({flops / lone_eval / 1e9:.1f} "
          f"GFLOP/s; model(x), planar: {planar_eval * 1e3:.1f} ms), engine K = {k} {engine_eval * 1e3:.1f} ms = {engine_eval / lone_eval:.2f}x one "
          f"({k * flops / engine_eval / 1e9:.1f} GFLOP/s), with the oneDNN 1st conv {onednn_eval * 1e3:.1f} ms "
          f"= {onednn_eval / lone_eval:.2f}x one  (CPU time)")
    grouped, vmapped, engined = check(4)
    print(f"float64, 4 copies against their lone models, largest relative difference of logits and "
          f"gradients: grouped {grouped:.1e}, vmap {vmapped:.1e}, engine {engined:.1e}")


if __name__ == "__main__":
    main()
