"""Training speed of the app against headless ``wdtui run``, and key latency while training.

    python benchmarks/app_vs_run.py [--preset sine] [--rounds 3]

Speed: the app, run headless through ``wdtui snapshot`` (the same worker, messages and budgeted
redraws as on a terminal), and ``wdtui run``, each in a fresh process at two epoch counts; the
difference divided by the extra epochs is the cost of an epoch, free of start-up. Printed as
epochs/s and as the ratio app / run (≥ 0.9 is the target).

Also printed: how many chart rebuilds per second the app's redraw budget allowed meanwhile.

Latency: while the app trains, ``]`` is pressed 20 times; the time from the key event to the
end of its action (λ changed, shown in the sidebar and status line) is reported.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

SHORT, LONG = 300, 2300


def timed_command(kind: str, preset: str, epochs: int) -> float:
    from wdtui.cli.main import main

    common = ["--preset", preset, "--lambdas", "0.01", "--epochs", str(epochs)]
    with tempfile.TemporaryDirectory() as folder, contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        args = (["run", *common, "--quiet"] if kind == "run"
                else ["snapshot", *common, "--out", os.path.join(folder, "s.svg"), "--size", "120x40"])
        start = time.perf_counter()
        main(args)
        return time.perf_counter() - start


def child(kind: str, preset: str) -> None:
    timed_command(kind, preset, 20)  # warm-up: imports, first-call costs
    builds = _count_chart_builds() if kind == "app" else [0]
    short = timed_command(kind, preset, SHORT)
    before = builds[0]
    long = timed_command(kind, preset, LONG)
    per_epoch = (long - short) / (LONG - SHORT)
    print(json.dumps({"kind": kind, "epochs_per_s": 1.0 / per_epoch,
                      "chart_builds_per_s": (builds[0] - before) / long}))


def _count_chart_builds() -> list[int]:
    """Count chart builds (not cached re-renders) from here on."""
    from wdtui.app.widgets.charts import Chart

    builds = [0]
    render = Chart.render

    def counted(self):
        builds[0] += self.stale
        return render(self)

    Chart.render = counted
    return builds


async def key_latency(preset: str, presses: int = 20) -> list[float]:
    from wdtui.app.app import WdtuiApp
    from wdtui.engine.config import make_config

    class Timed(WdtuiApp):
        answered: list[float] = []

        def action_lambda_up(self) -> None:
            super().action_lambda_up()
            self.answered.append(time.perf_counter())

    app = Timed(make_config(preset, epochs=10**7), deterministic=False)
    sent: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        while app.ready is None:
            await pilot.pause(0.05)
        await pilot.press("space")
        while app.snapshot is None or app.snapshot.records[0].epoch < 50:
            await pilot.pause(0.05)
        for _ in range(presses):
            await pilot.pause(0.2)
            sent.append(time.perf_counter())
            await pilot.press("right_square_bracket")
        training = app.snapshot.running
        await pilot.press("q")
    assert training, "the run must still be training while keys are pressed"
    return [answered - at for at, answered in zip(sent, app.answered)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="sine")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; medians are reported")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.preset)
    speeds: dict[str, list[float]] = {"run": [], "app": []}
    builds = []
    for _ in range(args.rounds):
        for kind in speeds:
            out = subprocess.run([sys.executable, __file__, "--child", kind, "--preset", args.preset],
                                 capture_output=True, text=True, check=True).stdout
            result = json.loads(out.strip().splitlines()[-1])
            speeds[kind].append(result["epochs_per_s"])
            if kind == "app":
                builds.append(result["chart_builds_per_s"])
    run, app = statistics.median(speeds["run"]), statistics.median(speeds["app"])
    latencies = sorted(asyncio.run(key_latency(args.preset)))
    print(f"{args.preset} preset, λ = 0.01, epochs/s (median of {args.rounds}; each: "
          f"{', '.join(f'{k} ' + ' '.join(f'{v:.0f}' for v in vs) for k, vs in speeds.items())})")
    print(f"  wdtui run (headless)           {run:8.0f}")
    print(f"  app via wdtui snapshot 120x40  {app:8.0f}")
    print(f"ratio app / run: {app / run:.2f}x")
    print(f"chart rebuilds in the app: {statistics.median(builds):.1f}/s (frames of the 3 charts, "
          f"about {statistics.median(builds) / 3:.1f} frames/s; the status line every 0.25 s)")
    print(f"key latency while training ({len(latencies)} presses of ]): median "
          f"{1000 * statistics.median(latencies):.1f} ms, max {1000 * latencies[-1]:.1f} ms")


if __name__ == "__main__":
    main()
