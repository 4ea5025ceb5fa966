"""Per-epoch cost of headless ``wdtui run --preset sine`` against the PyTorch demo's plain loop.

    python benchmarks/run_vs_plain.py [--rounds 3]

Each side runs in a fresh process (so thread settings cannot leak from one to the other) and is
timed at two epoch counts; the difference divided by the extra epochs is the per-epoch cost,
free of start-up (imports, data, model). ``wdtui run`` does more per epoch than the demo: it
evaluates train and test loss after every epoch and records ‖w‖, layer norms and zeros.
The printed ratio is wdtui / plain; ≤ 1.0 means wdtui is not slower.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import time

SHORT, LONG = 200, 1200


def plain(epochs: int, threads: int | None) -> float:
    """The demo: Adam(model.parameters(), lr=0.01, weight_decay=0.01), full batch, loss.item()."""
    import torch
    from torch import nn

    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(0)
    x = torch.linspace(0, 2 * math.pi, 100).unsqueeze(1)
    y = torch.sin(x) + 0.1 * torch.randn_like(x)
    model = nn.Sequential(nn.Linear(1, 64), nn.Tanh(), nn.Linear(64, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=0.01)
    criterion = nn.MSELoss()
    losses = []
    start = time.perf_counter()
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return time.perf_counter() - start


def wdtui_run(epochs: int) -> float:
    """``wdtui run --preset sine --lambdas 0.01 --epochs N --quiet`` in-process, end to end."""
    import contextlib
    import io

    from wdtui.cli.main import main

    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        main(["run", "--preset", "sine", "--lambdas", "0.01", "--epochs", str(epochs), "--quiet"])
    return time.perf_counter() - start


def child(kind: str) -> None:
    measure = {"plain": lambda e: plain(e, None), "plain-1-thread": lambda e: plain(e, 1),
               "wdtui": wdtui_run}[kind]
    measure(50)  # warm-up: first-call costs (allocations, lazy imports) are not per-epoch
    per_epoch = (measure(LONG) - measure(SHORT)) / (LONG - SHORT)
    print(json.dumps({"kind": kind, "us_per_epoch": per_epoch * 1e6}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; medians are reported")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child)
    kinds = ("plain", "plain-1-thread", "wdtui")
    times: dict[str, list[float]] = {k: [] for k in kinds}
    for _ in range(args.rounds):
        for kind in kinds:
            out = subprocess.run([sys.executable, __file__, "--child", kind], capture_output=True,
                                 text=True, check=True).stdout
            times[kind].append(json.loads(out.strip().splitlines()[-1])["us_per_epoch"])
    med = {k: statistics.median(v) for k, v in times.items()}
    import torch

    print(f"sine preset, per epoch (median of {args.rounds}; torch {torch.__version__}, "
          f"{torch.get_num_threads()} default threads)")
    print(f"  plain PyTorch loop (the demo)       {med['plain']:8.0f} µs")
    print(f"  plain loop, torch.set_num_threads(1) {med['plain-1-thread']:7.0f} µs")
    print(f"  wdtui run (headless)                {med['wdtui']:8.0f} µs")
    print(f"ratio wdtui run / plain loop: {med['wdtui'] / med['plain']:.2f}x "
          f"(vs the 1-thread plain loop: {med['wdtui'] / med['plain-1-thread']:.2f}x)")


if __name__ == "__main__":
    main()
