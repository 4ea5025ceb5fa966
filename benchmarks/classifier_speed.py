"""Epochs per second of a classification preset (default: the digits CNN) on each device.

    python benchmarks/classifier_speed.py [--device cpu cuda] [--epochs 30] [--rounds 5] [--preset digits]
    python benchmarks/classifier_speed.py --preset cifar10 --data-dir ~/data/cifar-10-batches-py --epochs 1 --rounds 1

For each device it times, after one warm-up epoch, (a) training epochs alone, (b) training
epochs measured on the run's schedule (``Trainer.run_epoch``: what ``wdtui run`` does; the
digits CNN every epoch up to 10, then every 6th) and (c) training epochs each followed by a
measurement (train and test loss and accuracy, ‖w‖). Mini-batches are slices of a shuffled
index tensor made on the device; nothing is copied from the host per batch.

On the CPU each mode runs with the trainer's forward pass (``models.forward_function``:
convolutions in the channels-last layout, each ReLU before a max-pool applied after it) and,
for comparison, with the model's own ``model(x)`` (the planar layout ``nn.Sequential`` runs),
at the build's automatic thread choice and at one thread; all in alternating rounds, medians
printed (wall epochs/s and the process's CPU ms per epoch), with the load average. With two
devices it prints the ratio of the second to the first (the issue's target: the digits CNN ≥ 5×
faster on a GPU than on the CPU).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch

from wdtui.engine.config import make_config
from wdtui.engine.experiment import build_experiment, set_threads
from wdtui.engine.training.trainer import Trainer

MODES = ("training only", "on the schedule", "measured every epoch")


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def trainer_for(preset: str, device: str, epochs: int, threads: int | None, planar: bool, **extra) -> Trainer:
    # room for the warm-up and every round's epochs: the last epoch is always measured
    exp = build_experiment(make_config(preset, device=device, epochs=1_000_000, **extra))
    if threads is not None:
        set_threads(threads)
    trainer = Trainer(exp)
    if planar:
        trainer._forward = trainer.model  # nn.Sequential's own forward: planar, ReLU before pooling
    trainer.run_epoch()  # warm-up: kernels, allocator, first-use costs
    return trainer


def timed(trainer: Trainer, mode: str, epochs: int) -> tuple[float, float]:
    """(epochs/s wall, CPU ms per epoch) of ``epochs`` epochs in ``mode``."""
    sync(trainer.experiment.device)
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(epochs):
        if mode == "training only":
            trainer.train_epoch()
        elif mode == "on the schedule":
            trainer.run_epoch()
        else:
            trainer.train_epoch()
            trainer.measure()
    sync(trainer.experiment.device)
    return epochs / (time.perf_counter() - start), (time.process_time() - cpu) / epochs * 1e3


def load() -> str:
    return f"load average {os.getloadavg()[0]:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="digits")
    parser.add_argument("--data-dir")
    parser.add_argument("--device", nargs="+", default=["cpu"] + (["cuda"] if torch.cuda.is_available() else []))
    parser.add_argument("--epochs", type=int, default=30, help="epochs per timing")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds; medians are printed")
    args = parser.parse_args()
    extra = {"data_dir": args.data_dir} if args.data_dir else {}
    results = {}
    print(f"start: {load()}")
    for device in args.device:
        # (label, threads, planar): the engine's forward at the automatic and one thread, and model(x)
        variants = [("engine", None, False), ("engine", 1, False)]
        if device == "cpu":
            variants += [("model(x), planar", None, True), ("model(x), planar", 1, True)]
        trainers = {}
        for label, threads, planar in variants:
            trainer = trainer_for(args.preset, device, args.epochs, threads, planar, **extra)
            trainers[label, threads] = (trainer, torch.get_num_threads())
        times: dict[tuple, list[tuple[float, float]]] = {}
        for _ in range(args.rounds):
            for (label, threads), (trainer, count) in trainers.items():
                set_threads(count)
                for mode in MODES:
                    times.setdefault((label, threads, mode), []).append(timed(trainer, mode, args.epochs))
        name = (f"{device} (automatic: {trainers['engine', None][1]} thread(s))" if device == "cpu"
                else torch.cuda.get_device_name(torch.device(device)))
        print(f"{args.preset} on {name}, {args.epochs} epochs × {args.rounds} rounds, medians:")
        for (label, threads, mode), values in times.items():
            rate = statistics.median(v[0] for v in values)
            cpu = statistics.median(v[1] for v in values)
            count = "auto" if threads is None else f"{threads}"
            print(f"  {label:17s} threads {count:4s} {mode:21s} {rate:8.1f} epochs/s  {cpu:7.2f} ms CPU/epoch")
            if (label, threads) == ("engine", None) and mode == "on the schedule":
                results[device] = rate
        if device == "cpu":
            for threads in (None, 1):
                count = "auto" if threads is None else f"{threads}"
                ratios = []
                for mode in MODES:
                    planar = [v[1] for v in times["model(x), planar", threads, mode]]
                    engine = [v[1] for v in times["engine", threads, mode]]
                    ratios.append(f"{mode} {statistics.median(p / e for p, e in zip(planar, engine)):.2f}×")
                print(f"  engine against model(x), threads {count}, CPU time per round: faster by " + ", ".join(ratios))
    print(f"end: {load()}")
    if len(args.device) > 1:
        first, second = args.device[0], args.device[1]
        print(f"ratio {second} / {first} (on the schedule): {results[second] / results[first]:.2f}×")


if __name__ == "__main__":
    main()
