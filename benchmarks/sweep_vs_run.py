"""What a batched λ sweep costs against one run.

    python benchmarks/sweep_vs_run.py [--preset sine] [--copies 16] [--gpu-copies 256] [--threads N]
    python benchmarks/sweep_vs_run.py --preset digits --end-to-end [--rounds 3]

Per epoch, in this process, on the same preset: one run (the single-run trainer, measured on
its schedule and with the threads its build chose, as `wdtui run` trains it: 1 for the MLPs, one
per idle core for the CNNs), a sweep of K copies as one batched model (measured as often as
`wdtui sweep` does: about 100 times per run), and a loop of K single runs (K × one run, timed
on a few of them). Printed as ratios to one run; the target is ≤ 1.5× for K = 16 on the CPU. With a CUDA
device present, the same for K = 256 there (target ≤ 2×).

``--end-to-end``: the commands as a user types them, each in a fresh process, start-up included:
``wdtui run --preset P --lambdas 0.01`` (one run: the preset alone compares two) against ``wdtui sweep --preset P --lambdas 0 …`` (K λ: 0 and K − 1 from
1e-5 to 0.1, log-spaced; the sweep holds out a validation fifth of the training rows, as it always does), in
alternating rounds; medians of the wall time and of the child's CPU time.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

import torch

from wdtui.engine.config import make_config
from wdtui.engine.experiment import build_experiment, set_threads
from wdtui.engine.lessons.presets import PRESETS
from wdtui.engine.sweeps.sweep import measure_every
from wdtui.engine.training.batched import BatchedTrainer
from wdtui.engine.training.trainer import Trainer, measure_schedule

DEFAULT_EPOCHS = {name: preset.config["epochs"] for name, preset in PRESETS.items()}


CPU_TIMES: dict[str, list[float]] = {"single": [], "sweep": []}  # CPU seconds per epoch, by round


def per_epoch(step, epochs: int, cpu: list[float] | None = None) -> float:
    """Wall seconds per epoch (``cpu`` gets the process's CPU seconds per epoch: all threads')."""
    for _ in range(20):  # warm-up
        step()
    start, start_cpu = time.perf_counter(), time.process_time()
    for _ in range(epochs):
        step()
    if cpu is not None:
        cpu.append((time.process_time() - start_cpu) / epochs)
    return (time.perf_counter() - start) / epochs


def measure(preset: str, copies: int, device: str, epochs: int, rounds: int = 5,
            threads: int | None = None) -> dict[str, float]:
    """Alternating rounds (one run, then the sweep), so that the machine's drift hits both;
    the medians of each are returned. ``threads``: both use that many (default: each as its
    build chooses, which reads the machine's load at that moment)."""
    exp = build_experiment(make_config(preset, device=device, epochs=10**9, threads=threads), check_memory=False)
    single_threads = torch.get_num_threads()  # what the build chose for one run (as `wdtui run` trains)
    lambdas = [10 ** (-5 + 4 * i / (copies - 1)) for i in range(copies)]
    single_trainer = Trainer(exp, lam=lambdas[0])
    sweep_trainer = BatchedTrainer([exp], lambdas)
    sweep_threads = torch.get_num_threads()
    every = measure_every(DEFAULT_EPOCHS[preset], exp)  # as `wdtui sweep` measures
    times: dict[str, list[float]] = {"single": [], "sweep": []}
    for _ in range(rounds):
        set_threads(single_threads)  # a single run's own setting
        times["single"].append(per_epoch(single_trainer.run_epoch, epochs, CPU_TIMES["single"]))
        set_threads(sweep_threads)
        times["sweep"].append(per_epoch(
            lambda: sweep_trainer.run_epoch(measure=sweep_trainer.epoch % every == 0), epochs, CPU_TIMES["sweep"]))
    parts = breakdown(single_trainer, single_threads, sweep_trainer, sweep_threads, rounds)
    parts["every"], parts["single_every"] = every, measure_schedule(exp).every
    set_threads(single_threads)
    loop_sample = min(copies, 4)
    trainers = [Trainer(exp, lam=lam) for lam in lambdas[:loop_sample]]
    loop = per_epoch(lambda: [t.run_epoch() for t in trainers], epochs) * copies / loop_sample
    ratios = [b / a for a, b in zip(times["single"], times["sweep"])]
    cpu_ratios = [b / a for a, b in zip(CPU_TIMES["single"], CPU_TIMES["sweep"])]
    CPU_TIMES["single"].clear()
    CPU_TIMES["sweep"].clear()
    return {"single": statistics.median(times["single"]), "sweep": statistics.median(times["sweep"]),
            "loop": loop, "ratio": statistics.median(ratios), "cpu_ratio": statistics.median(cpu_ratios),
            "threads": sweep_threads, "single_threads": single_threads, **parts}


def breakdown(single: Trainer, single_threads: int, sweep: BatchedTrainer, sweep_threads: int,
              rounds: int) -> dict[str, float]:
    """Where an epoch goes: CPU seconds of one epoch's training and of one measurement, for the
    run and the sweep (alternating rounds, medians)."""
    cpu: dict[str, list[float]] = {"single_train": [], "single_measure": [], "sweep_train": [], "sweep_measure": []}
    calls = {"single_train": single.train_epoch, "single_measure": single.measure,
             "sweep_train": sweep.train_epoch, "sweep_measure": sweep.measure}
    for _ in range(rounds):
        for name, call in calls.items():
            set_threads(single_threads if name.startswith("single") else sweep_threads)
            call()  # warm-up
            start = time.process_time()
            for _ in range(3):
                call()
            cpu[name].append((time.process_time() - start) / 3)
    return {name: statistics.median(values) for name, values in cpu.items()}


def report(label: str, copies: int, t: dict[str, float]) -> None:
    print(f"{label}: one run ({t['single_threads']} threads) {t['single'] * 1e6:.0f} µs/epoch; {copies}-λ sweep ({t['threads']} threads) "
          f"{t['sweep'] * 1e6:.0f} µs/epoch = {t['ratio']:.2f}× one run (median of rounds; CPU time "
          f"{t['cpu_ratio']:.2f}×); a loop of {copies} runs ≈ {t['loop'] / t['single']:.1f}× (the sweep is "
          f"{t['loop'] / t['sweep']:.1f}× faster); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"  CPU time: an epoch's training {t['single_train'] * 1e3:.1f} ms (one run), "
          f"{t['sweep_train'] * 1e3:.1f} ms (sweep) = {t['sweep_train'] / t['single_train']:.2f}×; a measurement "
          f"{t['single_measure'] * 1e3:.1f} ms (one run, every {t['single_every']} epochs), "
          f"{t['sweep_measure'] * 1e3:.1f} ms (sweep, every {t['every']}) = "
          f"{t['sweep_measure'] / t['single_measure']:.2f}×")


def command_seconds(args: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of ``python -m wdtui ARGS --quiet`` in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "wdtui", *args, "--quiet"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def end_to_end(preset: str, copies: int, rounds: int, threads: int | None) -> None:
    extra = [] if threads is None else ["--threads", str(threads)]
    commands = {"run": ["run", "--preset", preset, "--lambdas", "0.01", *extra],  # one λ (the preset compares two)
                "sweep": ["sweep", "--preset", preset, "--lambdas", "0",
                          *(f"{10 ** (-5 + 4 * i / (copies - 2)):.3g}" for i in range(copies - 1)), *extra]}
    command_seconds(commands["run"])  # warm the file cache (imports) before the first timed round
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, args in commands.items():
            times[name].append(command_seconds(args))
    wall = {name: statistics.median(t[0] for t in v) for name, v in times.items()}
    cpu = {name: statistics.median(t[1] for t in v) for name, v in times.items()}
    print(f"{preset}, start-up included (median of {rounds} alternating rounds; threads "
          f"{threads or 'auto'}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    print(f"  wdtui run, one λ     wall {wall['run']:6.2f} s   CPU {cpu['run']:6.2f} s")
    print(f"  wdtui sweep, {copies} λ   wall {wall['sweep']:6.2f} s   CPU {cpu['sweep']:6.2f} s")
    print(f"ratio sweep / run: wall {wall['sweep'] / wall['run']:.2f}x, CPU {cpu['sweep'] / cpu['run']:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="sine")
    parser.add_argument("--copies", type=int, default=16)
    parser.add_argument("--gpu-copies", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=300, help="epochs per timed round")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (medians are printed)")
    parser.add_argument("--threads", type=int, default=None,
                        help="CPU threads for both (default: each as its build chooses)")
    parser.add_argument("--end-to-end", action="store_true",
                        help="time `wdtui run` against `wdtui sweep` as commands, start-up included")
    args = parser.parse_args()
    if args.end_to_end:
        end_to_end(args.preset, args.copies, args.rounds, args.threads)
        return
    report(f"{args.preset}, cpu", args.copies,
           measure(args.preset, args.copies, "cpu", args.epochs, args.rounds, args.threads))
    if torch.cuda.is_available():
        name = torch.cuda.get_device_name()
        report(f"{args.preset}, cuda ({name})", args.gpu_copies,
               measure(args.preset, args.gpu_copies, "cuda", args.epochs))
    else:
        print("no CUDA device here: the GPU figure (K = 256, target ≤ 2×) was not measured")


if __name__ == "__main__":
    main()
