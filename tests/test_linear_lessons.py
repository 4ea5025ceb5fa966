"""The linear lessons (issue 13): Bishop's polynomial (poly), Nakkiran's double descent, and the
exact solver behind them (--solver exact). Each headline is measured over seeds; every number the
two guides state is checked here (double descent at a reduced size, the full size in
benchmarks/linear_lessons.py)."""

from __future__ import annotations

import json
import math
import statistics

import numpy as np
import pytest
import torch
from conftest import experiment, stated, trained
from test_hostile import one_line_error

from wdtui.cli.main import main
from wdtui.engine.config import ConfigError, make_config, parse_n_trains
from wdtui.engine.lessons.presets import DD_LAMBDA_OPT, DD_NOISE, POLY_LAMBDA, POLY_N, PRESETS
from wdtui.engine.sweeps.samples import sample_sweep
from wdtui.engine.training.batched import BatchedTrainer
from wdtui.engine.training.solvers import ExactSolver, make_trainer

E_RMS = lambda half_mse: math.sqrt(2 * half_mse)  # noqa: E731  Bishop's E_RMS from ½·MSE


def _solve(exp, lam: float, regularizer: str = "l2"):
    """The exact solver's one record, and its solver."""
    solver = ExactSolver(exp, regularizer, lam)
    return solver.run_epoch(), solver


def _theta(solver) -> np.ndarray:
    layer = solver.model[0]
    return np.concatenate([[float(layer.bias.detach())], layer.weight.detach().reshape(-1).numpy()])


# --- poly: Bishop §1.1 ------------------------------------------------------------------------


def test_poly_data_is_bishops_and_its_lambda_is_bishops_divided_by_n():
    exp = experiment("poly")
    x = exp.data.x_train
    t = np.linspace(0, 1, POLY_N)
    assert x.shape == (10, 9) and np.allclose(x[:, 0].numpy(), t)
    assert np.allclose(x.numpy(), t[:, None] ** np.arange(1, 10))  # columns x¹…x⁹; x⁰ is the bias
    assert exp.config.decay_all and exp.config.loss == "half_mse" and exp.config.dtype == "float64"
    assert POLY_LAMBDA == pytest.approx(math.exp(-18) / 10)
    stated("poly", "1.5e-9", POLY_LAMBDA)  # "λ = e⁻¹⁸/10 ≈ 1.5e-9"
    # Bishop's E(w) = ½Σ(y − t)² + λ_B/2·‖w‖² (w = (w₀…w₉)) is N × (½·MSE + λ/2·‖w‖²) at λ = λ_B/N …
    record, solver = _solve(exp, POLY_LAMBDA)
    phi = np.hstack([np.ones((10, 1)), x.numpy()])
    y = exp.data.y_train.numpy().reshape(-1)
    w = _theta(solver)
    bishop = 0.5 * np.sum((phi @ w - y) ** 2) + math.exp(-18) / 2 * w @ w
    assert bishop == pytest.approx(POLY_N * (record.train_loss + record.penalty), rel=1e-9)
    # … so the exact solution is his (ΦᵀΦ + λ_B·I)w = Φᵀt (solved here without forming ΦᵀΦ)
    a = np.vstack([phi, math.exp(-9) * np.eye(10)])
    reference = np.linalg.lstsq(a, np.concatenate([y, np.zeros(10)]), rcond=None)[0]
    assert np.allclose(w, reference, rtol=1e-6, atol=1e-6 * np.abs(reference).max())


def test_poly_lambda_zero_interpolates_with_huge_weights_and_a_worse_test_error():
    """The headline (and the guide's numbers), over seeds 0–19."""
    rows = []
    for seed in range(20):
        exp = experiment("poly", seed=seed)
        free, _ = _solve(exp, 0.0)
        decayed, _ = _solve(exp, POLY_LAMBDA)
        rows.append((free, decayed))
    free = [r[0] for r in rows]
    decayed = [r[1] for r in rows]
    assert all(E_RMS(r.train_loss) < 1e-6 for r in free)  # "passes through all 10 points"
    ratios = [f.weight_norm / d.weight_norm for f, d in rows]
    stated("poly", "439", ratios[0])  # the shipped seed: "439×"
    assert sum(r >= 100 for r in ratios) == 18  # "18 of 20" (float64; the nearest to 100 are 85 and 111)
    stated("poly", "5", min(ratios))  # "5× at worst"
    assert all(f.test_loss > d.test_loss for f, d in rows)  # "better … on 20 of 20 seeds"
    norms0 = [r.weight_norm for r in free]
    stated("poly", "1.2e4–2.8e6", norms0)
    stated("poly", "8.3e5", statistics.median(norms0))
    norms = [r.weight_norm for r in decayed]
    stated("poly", "260–2,300", norms)
    stated("poly", "930", statistics.median(norms))
    stated("poly", "0.77", statistics.fmean(E_RMS(r.test_loss) for r in free))
    stated("poly", "0.12", statistics.fmean(E_RMS(r.train_loss) for r in decayed))
    stated("poly", "0.40", statistics.fmean(E_RMS(r.test_loss) for r in decayed))


def test_poly_sweep_is_bishops_figure_1_8():
    """Mean test E_RMS over seeds 0–19 against ln λ_B: high at −40, lowest near −8, up again at 0."""
    lns = (-40, -16, -12, -8, -4, 0)
    curves = {ln: ([], []) for ln in lns}
    for seed in range(20):
        solver = ExactSolver(experiment("poly", seed=seed), "l2", 0.0)
        for ln in lns:
            solver.apply({"lam": math.exp(ln) / POLY_N})
            record = solver.run_epoch()
            curves[ln][0].append(E_RMS(record.train_loss))
            curves[ln][1].append(E_RMS(record.test_loss))
    test = {ln: statistics.fmean(curves[ln][1]) for ln in lns}
    train = {ln: statistics.fmean(curves[ln][0]) for ln in lns}
    stated("poly", "0.77", test[-40])
    stated("poly", "0.36", test[-8])
    stated("poly", "0.61", test[0])
    assert min(test, key=test.get) == -8
    assert train[-40] < 1e-3 and all(train[a] < train[b] for a, b in zip(lns, lns[1:]))


def test_poly_gradient_descent_gets_nowhere_near_the_exact_solution():
    """The guide's honest sentence on gradient descent: the preset with --solver gd, seeds 0–4."""
    seeds = range(5)
    exps = [experiment("poly", seed=s, solver="gd") for s in seeds]
    trainer = BatchedTrainer(exps, [0.0, POLY_LAMBDA], "l2")
    while not trainer.done:
        trainer.run_epoch(measure=False)
    rec = trainer.measure()
    assert rec.epoch == 5000 and not any(rec.diverged)
    gd_train = [E_RMS(rec.train_loss[2 * s]) for s in seeds]
    gd_test = [E_RMS(rec.test_loss[2 * s]) for s in seeds]
    # float64 Adam: the ranges to their last digit, with a margin of a tenth of it for rounding
    stated("poly", "0.16–0.26", gd_train, cpu=0.001)  # (exact: below 1e-6 at λ = 0)
    stated("poly", "12.5–44.6", [rec.weight_norm[2 * s] for s in seeds], cpu=0.005)  # (exact: ≥ 1e4)
    stated("poly", "0.26–0.45", gd_test, cpu=0.001)  # "test E_RMS 0.26–0.45"
    assert max(abs(rec.test_loss[2 * s] - rec.test_loss[2 * s + 1]) for s in seeds) < 1e-5  # "changes nothing"
    x = exps[0].data.x_train.numpy()
    stated("poly", "1.5e7", np.linalg.cond(np.hstack([np.ones((10, 1)), x])))


# --- the exact solver -------------------------------------------------------------------------


@pytest.mark.parametrize("regularizer", ["l2", "coupled"])
def test_exact_solver_is_where_gradient_descent_converges(regularizer):
    # every parameter decays: curvature between λ = 3 and ~19, (1 − 0.05·3)^400 ≈ 1e-28 is left
    exp = experiment("d2l", dtype="float64", init="zero", batch_size="full", lr=0.05, epochs=400,
                     decay_all=True)
    record, solver = _solve(exp, 3.0, regularizer)
    learned = trained(exp, regularizer, 3.0)
    for name in ("weight", "bias"):
        assert torch.allclose(getattr(solver.model[0], name), getattr(learned.model[0], name), rtol=0, atol=1e-10)
    assert record.epoch == 1 and record.test_loss == pytest.approx(learned.last_record.test_loss, rel=1e-6)


def test_exact_solver_at_lambda_zero_is_the_minimum_norm_least_squares_fit():
    exp = experiment("sparse", dtype="float64")  # 40 examples, 50 inputs: many interpolants
    record, solver = _solve(exp, 0.0, "none")
    xa = torch.cat([exp.data.x_train, torch.ones(40, 1, dtype=torch.float64)], dim=1)
    theta = (torch.linalg.pinv(xa) @ exp.data.y_train.reshape(-1)).numpy()  # numpy's threads crawl when busy
    assert np.allclose(_theta(solver), np.concatenate([theta[-1:], theta[:-1]]), atol=1e-10)
    assert record.train_loss < 1e-20


def test_exact_solver_solves_again_when_lambda_changes():
    solver = make_trainer(experiment("poly"))
    assert isinstance(solver, ExactSolver) and solver.epochs == 1
    first = list(solver.records())
    solver.apply({"lam": 0.0, "epochs": 500})
    second = list(solver.records())
    assert [r.epoch for r in first + second] == [1, 2]
    assert second[0].weight_norm > 100 * first[0].weight_norm
    assert not isinstance(make_trainer(experiment("poly", solver="gd")), ExactSolver)


def test_wdtui_run_exact_writes_one_record_per_run(tmp_path, capsys):
    out = tmp_path / "runs.json"
    assert main(["run", "--preset", "poly", "--quiet", "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["config"]["solver"] == "exact"
    free, decayed = doc["runs"]
    assert free["epochs"] == decayed["epochs"] == 1 and free["history"]["epoch"] == [1]
    assert free["final"]["weight_norm"] >= 100 * decayed["final"]["weight_norm"]
    err = capsys.readouterr().err
    assert "exact (closed-form ridge" in err and "features x¹…x⁹ (bias = w₀)" in err


def test_wdtui_sweep_exact_is_each_lambdas_exact_solution(tmp_path, capsys):
    out = tmp_path / "sweep.json"
    assert main(["sweep", "--preset", "poly", "--lambdas", "1e-9", "1e-3", "--quiet", "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    exp = experiment("poly")
    for lam, test_loss in zip(doc["lambdas"], doc["final"]["test_loss"]):
        assert test_loss == pytest.approx(_solve(exp, lam)[0].test_loss, rel=1e-9)
    assert doc["lambdas"] == [0.0, 1e-9, 1e-3]
    assert "exact solutions (closed form)" in capsys.readouterr().out


@pytest.mark.parametrize("argv, option, says", [
    (["run", "--solver", "newton"], "--solver", "allowed: gd, exact"),
    (["run", "--preset", "poly", "--depth", "1"], "--solver", "linear model"),
    (["run", "--preset", "poly", "--regularizer", "l1"], "--solver", "no closed form"),
    (["run", "--preset", "poly", "--regularizer", "decoupled"], "--solver", "depends on the optimizer"),
    (["run", "--preset", "digits", "--solver", "exact"], "--solver", "linear model"),
    (["sweep", "--preset", "poly", "--lrs", "0.1", "0.2"], "--lrs", "no learning rate"),
    (["sweep", "--preset", "d2l", "--n-trains", "10", "20"], "--n-trains", "--solver exact"),
    (["sweep", "--preset", "double-descent", "--n-trains", "1", "20"], "--n-trains", "integers ≥ 2"),
    (["sweep", "--preset", "double-descent", "--n-trains", "30:10:5"], "--n-trains", "start < stop"),
])
def test_bad_solver_input_is_one_line(capsys, argv, option, says):
    line = one_line_error(capsys, *argv, "--quiet")
    assert f"argument {option}:" in line and says in line, line


def test_n_trains_spec():
    assert parse_n_trains(["10:30:10"]) == [10, 20, 30]
    assert parse_n_trains(["40", "10", "20"]) == [10, 20, 40]
    with pytest.raises(ConfigError):
        parse_n_trains(["10", "10"])
    with pytest.raises(ConfigError):
        make_config("double-descent", solver="exact", regularizer="l1")


# --- double descent: Nakkiran et al. 2020 -----------------------------------------------------


def test_double_descent_lambda_opt_in_the_projects_convention():
    """λ_N in Σ(y − x̃ᵀθ)² + λ_N·‖θ‖² is the project's l2 at λ = 2·λ_N/n (MSE)."""
    exp = experiment("double-descent", n_inputs=20, n_train=30, n_test=50)
    n, lam_n = 30, 20 * DD_NOISE ** 2  # d·σ²/‖β*‖²
    _, solver = _solve(exp, 2 * lam_n / n)
    xa = np.hstack([np.ones((n, 1)), exp.data.x_train.numpy()])  # the bias decays too (decay_all)
    theta = np.linalg.solve(xa.T @ xa + lam_n * np.eye(21), xa.T @ exp.data.y_train.numpy().reshape(-1))
    assert np.allclose(_theta(solver), theta, atol=1e-10)
    assert DD_LAMBDA_OPT == 2 * DD_NOISE ** 2 and PRESETS["double-descent"].config["lam"] == DD_LAMBDA_OPT
    beta = exp.data.true_weights
    assert float(beta.norm()) == pytest.approx(1.0)


def test_double_descent_lambda_zero_peaks_at_n_equal_d_and_the_best_lambda_removes_the_peak():
    """The headline at d = 20 (the default d = 100 is in benchmarks/linear_lessons.py), 30 draws."""
    d = 20
    n_trains = [4, 8, 12, 16, 19, 20, 21, 22, 25, 30, 40, 60]
    base = make_config("double-descent", n_inputs=d, n_test=200)
    lam_opt = 2 * DD_NOISE ** 2  # λ_opt at n = d in the project's convention
    result = sample_sweep(base, n_trains, [0.0, 0.05, lam_opt, 5.0], seeds=30)
    free = result.curve(0)
    assert result.peak(0) in (d, d + 1, d + 2)  # the interpolation threshold n = d + 1 (the bias)
    assert max(free) > 10 * free[n_trains.index(12)] and max(free) > 10 * free[-1]
    best = result.curve(2)
    rise, _ = result.largest_rise(2)
    assert rise < 0.15 and result.peak(2) == n_trains[0]  # no peak: falls within noise (3 % here)
    assert best[-1] < best[n_trains.index(d)] < best[0]
    at_peak = [row[:] for row in result.table()][n_trains.index(d + 1)]
    assert min(range(4), key=lambda j: at_peak[j]) == 2  # λ_opt is the best of the ladder at n = d + 1
    assert result.curve(3)[-1] > best[-1] + 0.2  # λ = 5: no peak, but biased
    assert min(min(c) for c in (free, best)) > DD_NOISE ** 2  # the noise floor σ²
    assert "highest at n = " in result.summary()[0]


def test_wdtui_sweep_double_descent_writes_the_n_by_lambda_table(tmp_path, capsys):
    out = tmp_path / "dd.json"
    assert main(["sweep", "--preset", "double-descent", "--n-inputs", "10", "--n-test", "50",
                 "--n-trains", "5", "11", "30", "--seeds", "2", "--quiet", "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["mode"] == "n_trains" and doc["n_trains"] == [5, 11, 30] and doc["seeds"] == 2
    assert doc["lambdas"] == [0.0, 0.005, 0.05, 0.5, 5.0] and doc["config"]["n_inputs"] == 10
    table = doc["final"]["test_loss"]
    assert len(table) == 3 and all(len(row) == 5 for row in table)
    per_seed = doc["final"]["per_seed"]["test_loss"]
    assert table[1][0] == pytest.approx((per_seed[0][1][0] + per_seed[1][1][0]) / 2)
    assert doc["peak_n"][0] == 11
    printed = capsys.readouterr().out
    assert "n_train" in printed and "λ = 0: test loss" in printed


# --- the app's n_train sweep (key d) ----------------------------------------------------------


async def test_app_n_train_sweep_shows_the_peak_and_goes_back():
    import time

    from wdtui.app.app import WdtuiApp
    from wdtui.app.samples_view import SamplesChart, SamplesScreen

    async def until(pilot, condition):
        deadline = time.monotonic() + 120  # generous: the machine may be shared; ~2 s when idle
        while not condition():
            assert time.monotonic() < deadline
            await pilot.pause(0.05)

    a = WdtuiApp(make_config("double-descent", n_inputs=200, n_test=2000), deterministic=True)
    async with a.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: a.ready is not None)
        # a big sweep (d = 200), cancelled once its screen has the keys: it stops between
        # experiments and says so
        await pilot.press("d")
        await until(pilot, lambda: isinstance(a.screen, SamplesScreen))
        assert a.check_action("toggle", ()) is False and a.check_action("quit", ()) is True  # run keys off
        await pilot.press("x")
        await until(pilot, lambda: a.screen.snapshot.cancelled)
        assert "cancelled after" in str(a.screen.query_one("#samples-status").render())
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(a.screen, SamplesScreen))
        a.config = a.config.with_changes(n_inputs=10, n_test=50)
        await pilot.press("d")
        await until(pilot, lambda: isinstance(a.screen, SamplesScreen) and a.screen.snapshot.finished)
        screen = a.screen
        status = str(screen.query_one("#samples-status").render())
        assert "d = 10 inputs" in status and "λ = 0: test loss" in status
        assert "highest at n = 11" in status  # the threshold: 10 weights and the bias
        chart = screen.query_one(SamplesChart)
        assert chart.data.test_loss is not None and len(chart.data.test_loss) == len(chart.data.n_trains)
        assert "n = d = 10" in str(chart.render())
        assert screen.check_action("cancel", ()) is False  # done: x cancels nothing, the footer drops it
        await pilot.pause(0.1)
        assert "cancel" not in "".join(str(key.render()) for key in screen.query("FooterKey"))
        await pilot.resize_terminal(80, 24)  # small: a line per λ, so that the chart keeps its rows
        await pilot.pause(0.2)
        lines = str(screen.query_one("#samples-status").render()).rstrip("\n").split("\n")
        assert len(lines) == 1 + 5 and all(len(line) <= 80 for line in lines), lines
        assert lines[1].startswith("λ = 0: ") and "highest" in lines[1] and "at n = 11" in lines[1]
        assert chart.size.height >= 14  # was 9: a 4-row plot with every λ on one row
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(a.screen, SamplesScreen))
        a.config = a.config.with_changes(solver="gd")
        await pilot.press("d")
        await pilot.pause(0.2)
        assert not isinstance(a.screen, SamplesScreen)  # refused with a notice: not the exact solver


def test_the_n_train_sweep_says_its_eta_while_solving():
    from wdtui.app.samples_view import SamplesSnapshot, status_text

    solving = SamplesSnapshot((10, 20), (0.0, 0.5), 5, 10, done=3, total=10, eta=75.0)
    assert "solving: 3/10 experiments · ETA 1 min 15 s · x cancels" in status_text(solving)
