"""Epochs per second of a classification preset (default: the digits CNN) on each device.

    python benchmarks/classifier_speed.py [--device cpu cuda] [--epochs 30] [--preset digits]
    python benchmarks/classifier_speed.py --preset cifar10 --data-dir ~/data/cifar-10-batches-py --epochs 1

For each device it times, after one warm-up epoch, (a) training epochs alone and (b) training
epochs each followed by wdtui's measurement (train and test loss and accuracy, ‖w‖: what
``wdtui run`` does every epoch). Mini-batches are slices of a shuffled index tensor made on the
device; nothing is copied from the host per batch. With two devices it prints the ratio of the
second to the first (the issue's target: the digits CNN ≥ 5× faster on a GPU than on the CPU).
Also on the CPU: one thread against torch's default, to check wdtui's automatic choice.
"""

from __future__ import annotations

import argparse
import time

import torch

from wdtui.engine.config import make_config
from wdtui.engine.experiment import build_experiment, set_threads
from wdtui.engine.training.trainer import Trainer


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def epochs_per_s(preset: str, device: str, epochs: int, measure: bool, threads: int | None, **extra) -> tuple[float, str]:
    exp = build_experiment(make_config(preset, device=device, epochs=epochs + 1, **extra))
    if threads is not None:
        set_threads(threads)
    trainer = Trainer(exp)
    trainer.run_epoch()  # warm-up: kernels, allocator, first-use costs
    sync(exp.device)
    start = time.perf_counter()
    for _ in range(epochs):
        if measure:
            trainer.run_epoch()
        else:
            trainer.train_epoch()
    sync(exp.device)
    return epochs / (time.perf_counter() - start), f"{exp.device} ({torch.get_num_threads()} thread(s))" \
        if exp.device.type == "cpu" else str(torch.cuda.get_device_name(exp.device))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="digits")
    parser.add_argument("--data-dir")
    parser.add_argument("--device", nargs="+", default=["cpu"] + (["cuda"] if torch.cuda.is_available() else []))
    parser.add_argument("--epochs", type=int, default=30)
    args = parser.parse_args()
    extra = {"data_dir": args.data_dir} if args.data_dir else {}
    results = {}
    for device in args.device:
        train, name = epochs_per_s(args.preset, device, args.epochs, False, None, **extra)
        full, _ = epochs_per_s(args.preset, device, args.epochs, True, None, **extra)
        results[device] = full
        print(f"{args.preset} on {name}: {train:8.1f} epochs/s training only, {full:8.1f} epochs/s with "
              f"per-epoch measurement")
        if device == "cpu":
            one, name = epochs_per_s(args.preset, device, args.epochs, True, 1, **extra)
            print(f"{args.preset} on {name}: {one:8.1f} epochs/s with measurement "
                  f"(automatic choice above: {full / one:.2f}× this)")
    if len(args.device) > 1:
        first, second = args.device[0], args.device[1]
        print(f"ratio {second} / {first}: {results[second] / results[first]:.2f}×")


if __name__ == "__main__":
    main()
