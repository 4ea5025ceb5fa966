"""Per-epoch cost of headless ``wdtui run --preset sine`` against the PyTorch demo's plain loop.

    python benchmarks/run_vs_plain.py [--rounds 3]

Each side runs in a fresh process (so thread settings cannot leak from one to the other) and is
timed at two epoch counts; the difference divided by the extra epochs is the per-epoch cost,
free of start-up (imports, data, model). ``wdtui run`` does more per epoch than the demo: it
evaluates train and test loss after every epoch and records ‖w‖, layer norms and zeros.
The printed ratio is wdtui / plain; ≤ 1.0 means wdtui is not slower. Wall time is what a user
waits; CPU time (the process's, all threads) is printed beside it because on a shared machine it
moves far less with the other processes' load (``uptime`` is printed with the figures).
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


def clocks() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def since(start: tuple[float, float]) -> tuple[float, float]:
    now = clocks()
    return now[0] - start[0], now[1] - start[1]


def plain(epochs: int, threads: int | None) -> tuple[float, float]:
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
    start = clocks()
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return since(start)


def wdtui_run(epochs: int) -> tuple[float, float]:
    """``wdtui run --preset sine --lambdas 0.01 --epochs N --quiet`` in-process, end to end."""
    import contextlib
    import io

    from wdtui.cli.main import main

    start = clocks()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        main(["run", "--preset", "sine", "--lambdas", "0.01", "--epochs", str(epochs), "--quiet"])
    return since(start)


def child(kind: str) -> None:
    measure = {"plain": lambda e: plain(e, None), "plain-1-thread": lambda e: plain(e, 1),
               "wdtui": wdtui_run}[kind]
    measure(50)  # warm-up: first-call costs (allocations, lazy imports) are not per-epoch
    long, short = measure(LONG), measure(SHORT)
    wall, cpu = ((long[i] - short[i]) / (LONG - SHORT) * 1e6 for i in range(2))
    print(json.dumps({"kind": kind, "us_per_epoch": wall, "cpu_us_per_epoch": cpu}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; medians are reported")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child)
    kinds = ("plain", "plain-1-thread", "wdtui")
    times: dict[str, list[float]] = {k: [] for k in kinds}
    cpu: dict[str, list[float]] = {k: [] for k in kinds}
    for _ in range(args.rounds):
        for kind in kinds:
            out = subprocess.run([sys.executable, __file__, "--child", kind], capture_output=True,
                                 text=True, check=True).stdout
            result = json.loads(out.strip().splitlines()[-1])
            times[kind].append(result["us_per_epoch"])
            cpu[kind].append(result["cpu_us_per_epoch"])
    med = {k: statistics.median(v) for k, v in times.items()}
    med_cpu = {k: statistics.median(v) for k, v in cpu.items()}
    import os

    import torch

    print(f"sine preset, per epoch (median of {args.rounds}; torch {torch.__version__}, "
          f"{torch.get_num_threads()} default threads; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs)")
    print("                                        wall      CPU")
    print(f"  plain PyTorch loop (the demo)       {med['plain']:6.0f} µs {med_cpu['plain']:6.0f} µs")
    print(f"  plain loop, torch.set_num_threads(1) {med['plain-1-thread']:5.0f} µs "
          f"{med_cpu['plain-1-thread']:6.0f} µs")
    print(f"  wdtui run (headless)                {med['wdtui']:6.0f} µs {med_cpu['wdtui']:6.0f} µs")
    for name, m in (("wall", med), ("CPU", med_cpu)):
        print(f"ratio wdtui run / plain loop ({name}): {m['wdtui'] / m['plain']:.2f}x "
              f"(vs the 1-thread plain loop: {m['wdtui'] / m['plain-1-thread']:.2f}x)")
    # each round's own ratios (its children ran one after another): steadier than the ratio of the
    # medians where the machine's speed drifts between rounds
    for name, t in (("wall", times), ("CPU", cpu)):
        plain_ratio = statistics.median(w / p for w, p in zip(t["wdtui"], t["plain"]))
        one_ratio = statistics.median(w / p for w, p in zip(t["wdtui"], t["plain-1-thread"]))
        print(f"median of the rounds' own ratios ({name}): {plain_ratio:.2f}x the plain loop, "
              f"{one_ratio:.2f}x the 1-thread loop")


if __name__ == "__main__":
    main()
