"""digits (and dropout) over seeds: the figures the README quoted from seed 0, as means and spread.

python benchmarks/lessons_digits.py [SEEDS] [--dropout] [--first SEED]   (CPU, about 10 s per run here)

``--first`` starts at that seed (seeds SEED … SEED + SEEDS − 1): parts of the seeds can run in
separate processes; every run is seeded, so the parts' lines are those of one long run.
"""

import statistics
import sys

from wdtui.engine.config import make_config
from wdtui.engine.experiment import build_experiment
from wdtui.engine.lessons.presets import preset_runs
from wdtui.engine.training.trainer import Trainer


def main() -> None:
    seeds = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 5
    preset = "dropout" if "--dropout" in sys.argv else "digits"
    first = int(sys.argv[sys.argv.index("--first") + 1]) if "--first" in sys.argv else 0
    rows: dict[str, list[tuple[float, float]]] = {}
    for seed in range(first, first + seeds):
        exp = build_experiment(make_config(preset, seed=seed, device="cpu"))
        for run in preset_runs(preset):
            trainer = Trainer(exp, run.regularizer, run.lam, run.dropout)
            for record in trainer.records():
                pass
            rows.setdefault(run.label(), []).append((record.test_accuracy, record.weight_norm))
            print(f"seed {seed} {run.label()}: test accuracy {100 * record.test_accuracy:.2f} %, "
                  f"‖w‖ {record.weight_norm:.3f}", flush=True)
    for label, values in rows.items():
        acc = [100 * a for a, _ in values]
        norm = [w for _, w in values]
        print(f"{label}: test accuracy {statistics.fmean(acc):.2f} % ± {statistics.stdev(acc):.2f} "
              f"(min {min(acc):.2f}, max {max(acc):.2f}); ‖w‖ {statistics.fmean(norm):.2f} ± "
              f"{statistics.stdev(norm):.2f}  over {len(values)} seeds")
    labels = list(rows)
    diff = [100 * (b[0] - a[0]) for a, b in zip(rows[labels[0]], rows[labels[1]])]
    print(f"paired difference ({labels[1]}) − ({labels[0]}): {statistics.fmean(diff):+.2f} points "
          f"± {statistics.stdev(diff) / len(diff) ** 0.5:.2f} (standard error); "
          f"{sum(d > 0 for d in diff)} of {len(diff)} seeds higher")


if __name__ == "__main__":
    main()
