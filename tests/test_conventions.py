"""Decoupled decay's two conventions, l1's two forms, and what the record says about them: each
against a plain-PyTorch reference in float64, batched copies against single runs to 1e-10, and
the trend reader of the (lr, λ) grid."""

import json
import math

import pytest
import torch
from conftest import experiment, max_rel_diff, reference_run, trained

from wdtui.cli.main import main
from wdtui.engine.config import ConfigError, make_config, notices, rule_text
from wdtui.engine.lessons.trends import DIAGONAL, best_lambda_trend, describe
from wdtui.engine.training.batched import BatchedTrainer

LAM = 0.05


def _rel(a, b):
    return abs(a - b) / max(abs(b), 1e-300)


class _PaperAdamW(torch.optim.Adam):
    """The paper's decoupled decay on top of torch.optim.Adam: w ← w·(1 − λ), then Adam's step
    (Loshchilov & Hutter, Algorithm 2, schedule multiplier 1; composer's DecoupledAdamW at a
    constant lr)."""

    def __init__(self, decayed, others, lr, lam):
        super().__init__([{"params": decayed, "lam": lam}, {"params": others, "lam": 0.0}], lr=lr)

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                p.mul_(1 - group["lam"])
        return super().step(closure)


def test_paper_convention_shrinks_by_lambda_independent_of_lr(sine64):
    exp = experiment("sine", epochs=60, dtype="float64", decay_convention="paper")
    ours = trained(exp, "decoupled", 1e-3)
    ref = reference_run(exp, lambda d, o: _PaperAdamW(d, o, lr=0.01, lam=1e-3))
    assert max_rel_diff(ours.model, ref) <= 1e-12
    torch_convention = trained(sine64, "decoupled", 1e-3)
    assert max_rel_diff(ours.model, torch_convention.model) > 1e-4  # a different rule


@pytest.mark.parametrize("lr,lam", [(0.003, 0.1), (0.03, 0.5)])
def test_torch_convention_at_lr_lambda_is_paper_convention_at_lr_times_lambda(lr, lam):
    """The grids of the two conventions are one another sheared along the diagonal: the copy at
    (η, λ) of the torch grid is the copy at (η, η·λ) of the paper grid. So if one convention's best
    λ stays put as lr changes, the other's moves like 1/lr."""
    torch_run = trained(experiment("sine", epochs=40, dtype="float64", lr=lr), "decoupled", lam)
    paper_run = trained(experiment("sine", epochs=40, dtype="float64", lr=lr, decay_convention="paper"),
                        "decoupled", lr * lam)
    assert max_rel_diff(torch_run.model, paper_run.model) <= 1e-12


@pytest.mark.parametrize("preset,regularizer,overrides", [
    ("sine", "decoupled", {"decay_convention": "paper"}),
    ("sine", "decoupled", {"decay_convention": "paper", "optimizer": "sgd", "momentum": 0.9, "lr": 0.05}),
    ("sparse", "l1-subgradient", {}),
    ("d2l", "l1-subgradient", {"optimizer": "adam", "lr": 0.01}),  # mini-batches
])
def test_batched_copies_equal_single_runs(preset, regularizer, overrides):
    lams = [0.0, 0.001, 0.01]
    exps = [experiment(preset, epochs=12, dtype="float64", seed=s, **overrides) for s in range(2)]
    sweep = BatchedTrainer(exps, lams, regularizer)
    while not sweep.done:
        record = sweep.run_epoch()
    for s in range(2):
        for i, lam in enumerate(lams):
            single = trained(exps[s], regularizer, lam).last_record
            k = s * len(lams) + i
            assert _rel(record.train_loss[k], single.train_loss) <= 1e-10
            assert _rel(record.weight_norm[k], single.weight_norm) <= 1e-10
            assert record.zeros[k] == single.zeros
            if single.penalty is not None:
                assert _rel(record.penalty[k], single.penalty) <= 1e-10


def test_paper_convention_grid_copies_equal_single_runs():
    lrs, lams = [0.002, 0.02], [0.0, 0.001]
    exps = [experiment("sine", epochs=10, dtype="float64", decay_convention="paper")]
    grid = BatchedTrainer(exps, lams, "decoupled", lrs=lrs)
    while not grid.done:
        record = grid.run_epoch()
    for r, lr in enumerate(lrs):
        for i, lam in enumerate(lams):
            single = trained(experiment("sine", epochs=10, dtype="float64", decay_convention="paper", lr=lr),
                             "decoupled", lam).last_record
            assert _rel(record.train_loss[r * 2 + i], single.train_loss) <= 1e-10
            assert _rel(record.weight_norm[r * 2 + i], single.weight_norm) <= 1e-10


def test_l1_subgradient_is_autograd_of_lambda_times_l1_norm(sine64):
    ours = trained(sine64, "l1-subgradient", LAM)
    ref = reference_run(sine64, lambda d, o: torch.optim.Adam(d + o, lr=0.01),
                        penalty=lambda params: LAM * sum(p.abs().sum() for p in params))
    assert max_rel_diff(ours.model, ref) <= 1e-12
    record = ours.last_record
    l1 = sum(float(p.detach().abs().sum()) for p in ours.decayed)
    assert math.isclose(record.penalty, LAM * l1, rel_tol=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_on_sparse_subgradient_has_no_exact_zeros_and_proximal_has_many(seed):
    exp = experiment("sparse", seed=seed, epochs=300)
    proximal = trained(exp, "l1", 0.2).last_record
    subgradient = trained(exp, "l1-subgradient", 0.2).last_record
    assert proximal.zeros >= 30
    assert subgradient.zeros == 0


def test_decoupled_penalty_is_null_in_records_and_json(tmp_path):
    exp = experiment("sine", epochs=3)
    assert trained(exp, "decoupled", 0.01).last_record.penalty is None
    assert trained(exp, "coupled", 0.01).last_record.penalty > 0
    out = tmp_path / "runs.json"
    assert main(["run", "--epochs", "2", "--quiet", "--regularizer", "decoupled", "coupled",
                 "--lambdas", "0.01", "--out", str(out)]) == 0
    runs = json.loads(out.read_text())["runs"]
    assert runs[0]["final"]["penalty"] is None and runs[0]["history"]["penalty"] == [None, None]
    assert runs[1]["final"]["penalty"] > 0
    angles = runs[0]["history"]["angular_update"]  # per weight matrix, per epoch (radians)
    assert set(angles) == {"0.weight", "2.weight"} and all(len(v) == 2 and v[1] > 0 for v in angles.values())


def test_decay_convention_is_a_config_field_flag_and_json_key(tmp_path, capsys):
    assert make_config("sine").decay_convention == "torch"
    with pytest.raises(ConfigError) as error:
        make_config("sine", decay_convention="composer")
    assert error.value.field == "decay_convention" and "torch, paper" in error.value.message
    out = tmp_path / "runs.json"
    assert main(["run", "--epochs", "2", "--quiet", "--regularizer", "decoupled", "--lambdas", "1e-3",
                 "--decay-convention", "paper", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["config"]["decay_convention"] == "paper"
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        main(["run", "--decay-convention", "tensorflow"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--decay-convention" in err[0] and "torch, paper" in err[0]


def test_rule_text_says_what_each_convention_and_l1_with_adam_mean():
    assert "η·λ" in rule_text("decoupled", "adam", "torch") and "lr" in rule_text("decoupled", "adam", "torch")
    paper = rule_text("decoupled", "adam", "paper")
    assert "w·(1 − λ)" in paper and "independent of lr" in paper
    assert "not the Lasso" in rule_text("l1", "adam") and "ISTA" in rule_text("l1", "sgd")
    assert "sign(w)" in rule_text("l1-subgradient")


def test_l1_with_adam_gets_a_notice_on_stderr(capsys):
    assert notices(make_config("sparse", optimizer="adam", lr=0.01)) != []
    assert notices(make_config("sparse")) == []  # SGD: the Lasso
    assert notices(make_config("sparse", regularizer="l1-subgradient", optimizer="adam")) == []
    assert main(["run", "--preset", "sparse", "--optimizer", "adam", "--lr", "0.01", "--epochs", "2",
                 "--quiet", "--regularizer", "l1", "--lambdas", "0.2"]) == 0
    err = capsys.readouterr().err
    assert "notice: l1 with adam" in err and "not the Lasso" in err


def test_trend_reads_a_diagonal_a_flat_band_and_the_range_ends():
    lrs = [1e-3, 1e-2, 1e-1]
    lambdas = [0.0, 1e-4, 1e-3, 1e-2, 1e-1, 1.0]

    def grid(best_of_row):  # a bowl around each row's best λ (columns by index)
        return [[abs(i - best) + 1.0 for i in range(len(lambdas))] for best in best_of_row]

    diagonal = best_lambda_trend(lrs, lambdas, grid([4, 3, 2]))  # 0.1, 0.01, 0.001: ∝ 1/lr
    assert diagonal.kind == "diagonal" and math.isclose(diagonal.slope, -1.0)
    assert diagonal.best == (0.1, 0.01, 1e-3) and not any(diagonal.at_edge)
    assert "a diagonal" in describe("decoupled", diagonal)
    flat = best_lambda_trend(lrs, lambdas, grid([3, 3, 3]))
    assert flat.kind == "flat" and flat.slope == 0.0 and "stays put" in describe("coupled", flat)
    edge = best_lambda_trend(lrs, lambdas, grid([5, 5, 0]))  # λ = 1 (top end) and λ = 0
    assert edge.at_edge == (True, True, True) and edge.kind == "unclear" and edge.slope is None
    rising = best_lambda_trend(lrs, lambdas, grid([2, 3, 4]))
    assert rising.kind == "between" and math.isclose(rising.slope, 1.0)
    # up then down: the least-squares slope of 1e-3, 1e-2, 1e-4 is −1.0, yet it is no diagonal
    # (the sine grid's decoupled hint read "a diagonal" from these three rows)
    app_lambdas = [1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0]  # the app's grid (g): 1e-4 is inside its range
    zigzag = best_lambda_trend([1e-2, 3e-2, 1e-1], app_lambdas, grid([2, 3, 1]))
    assert zigzag.slope < DIAGONAL and zigzag.kind == "scattered"
    assert "no trend readable (the best λ per lr jumps" in describe("decoupled", zigzag)
    assert best_lambda_trend(lrs, app_lambdas, grid([1, 3, 1])).kind == "scattered"  # slope 0 over 2 decades
    assert best_lambda_trend(lrs, app_lambdas, grid([2, 3, 2])).kind == "flat"  # within one decade
    # a one-step wiggle on a sloped line is still the line (R² 0.94)
    wiggle = best_lambda_trend([1e-3, 3e-3, 1e-2, 3e-2, 1e-1], lambdas, grid([4, 4, 3, 3, 2]))
    assert wiggle.kind == "diagonal"
    nan = float("nan")
    diverged = best_lambda_trend(lrs, lambdas, [[nan] * 6, *grid([3, 2])])
    assert diverged.best[0] is None and diverged.kind == "unclear"  # two rows: any two points make a line
    assert "fewer than 3 lr rows" in describe("coupled", diverged)
    diverged = best_lambda_trend([1e-4, *lrs], lambdas, [[nan] * 6, *grid([4, 3, 2])])
    assert diverged.best[0] is None and diverged.kind == "diagonal"


def test_with_seeds_a_cell_within_two_paired_standard_errors_of_the_best_ties_and_one_seed_reads_no_trend():
    from wdtui.engine.lessons.trends import read_grid
    from wdtui.engine.sweeps.sweep import GridResult
    from wdtui.engine.training.batched import SweepRecord

    lrs, lambdas = [1e-3, 1e-2, 1e-1], [1e-5, 1e-4, 1e-3, 1e-2, 1e-1]

    def result(per_seed):  # copies k = (s·R + r)·L + l
        values = [v for grid in per_seed for row in grid for v in row]
        k = len(values)
        record = SweepRecord(epoch=5, train_loss=values, test_loss=values, weight_norm=[1.0] * k,
                             penalty=[0.0] * k, zeros=[0] * k, diverged=[False] * k, val_loss=values)
        return GridResult("decoupled", lrs, lambdas, len(per_seed), record)

    bowl = lambda best, noise: [[abs(l - b) * 0.1 + 1.0 + noise * (l % 2) for l in range(5)]  # noqa: E731
                                for b in best]
    # three seeds agree: each row's best beats its neighbours by 0.1 every seed: a diagonal
    clear = read_grid(result([bowl([3, 2, 1], 0.0), bowl([3, 2, 1], 0.001), bowl([3, 2, 1], -0.001)]))
    assert clear.kind == "diagonal" and not any(clear.tied)
    # lr 1e-2: λ 1e-3 beats λ 1e-2 on the mean (0.99 against 1.0) but loses for one seed of three:
    # their paired difference (0.05, 0.05, −0.07) is within 2 SE of 0, so they tie and the row
    # leaves the slope (two rows are left: no trend)
    seeds = [bowl([3, 2, 1], 0.0) for _ in range(3)]
    for grid, d in zip(seeds, (-0.05, -0.05, 0.07)):
        grid[1][:] = [1.2, 1.1, 1.0 + d, 1.0, 1.1]
    noisy = read_grid(result(seeds))
    assert noisy.best[1] == 1e-3 and noisy.tied[1] == (1e-3, 1e-2) and noisy.kind == "unclear"
    # one seed: the per-lr bests are listed, no trend is read
    one = read_grid(result([bowl([3, 2, 1], 0.0)]))
    text = describe("decoupled", one)
    assert one.kind == "one seed" and "no trend read from one seed" in text and "lr 0.01: 1e-3," in text


def test_a_row_whose_best_ties_with_other_cells_has_no_one_best_lambda():
    """The app's sine grid at 30 epochs: lr 1e-3 read 0.228 at λ 1e-5 … 1e-2 and its 'best λ'
    (1e-3, a rounding winner) entered the slope."""
    lrs = [1e-3, 3e-3, 1e-2, 1e-1]
    lambdas = [1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0]
    rows = [[0.2281, 0.2282, 0.2279, 0.2283, 0.24, 0.248],  # 0.228 four times
            [0.176, 0.1762, 0.1758, 0.177, 0.187, 0.196],  # 0.176 three times
            [0.2, 0.19, 0.15, 0.17, 0.2, 0.3], [0.2, 0.17, 0.18, 0.19, 0.2, 0.3]]
    trend = best_lambda_trend(lrs, lambdas, rows)
    assert trend.tied[:2] == ((1e-5, 1e-4, 1e-3, 1e-2), (1e-5, 1e-4, 1e-3)) and trend.tied[2:] == (None, None)
    assert trend.slope is None and trend.kind == "unclear"  # two rows with one best λ left
    text = describe("coupled", trend)
    assert "lr 0.001: 1e-5…1e-2≈" in text and "≈ λs tied for best" in text
    # a tie with a gap (1e-3 is worse) is not a range: each tied λ is named
    gap = best_lambda_trend(lrs[:1], lambdas, [[0.2281, 0.25, 0.26, 0.2283, 0.24, 0.248]])
    assert gap.tied == ((1e-5, 1e-2),) and "lr 0.001: 1e-5, 1e-2≈" in describe("coupled", gap)
    assert "one best λ" in text


@pytest.mark.parametrize("decay_all", [False, True])
@pytest.mark.parametrize("loss", ["mse", "half_mse"])
def test_ridge_path_equals_the_closed_form_and_converged_training(decay_all, loss):
    from wdtui.engine.lessons.closed_form import ridge_path, ridge_weights

    exp = experiment("d2l", dtype="float64", decay_all=decay_all, loss=loss)
    path = ridge_path(exp)
    for lam in (0.1, 3.0, 10.0):
        w, _ = ridge_weights(exp, lam)
        assert torch.allclose(torch.tensor(path.weights(lam), dtype=torch.float64), w, rtol=0, atol=1e-12)
    # full-batch gradient descent on the penalised loss converges to it
    exp = experiment("d2l", dtype="float64", decay_all=decay_all, loss=loss, init="zero", batch_size="full",
                     lr=0.05, epochs=3000)
    learned = trained(exp, "l2", 3.0).model[0].weight.detach().reshape(-1)
    assert torch.allclose(learned, torch.tensor(path.weights(3.0), dtype=torch.float64), rtol=0, atol=1e-8)


def test_the_weights_view_gets_the_ridge_reference_for_linear_presets_only():
    from wdtui.app.session import data_view
    from wdtui.engine.lessons.closed_form import ridge_weights

    exp = experiment("d2l", dtype="float64")
    view = data_view(exp)
    w, _ = ridge_weights(exp, 3.0)
    assert torch.allclose(torch.tensor(view.ridge.weights(3.0), dtype=torch.float64), w, rtol=0, atol=1e-12)
    assert data_view(experiment("sine", epochs=1)).ridge is None
    assert data_view(experiment("d2l", depth=1, epochs=1)).ridge is None  # not linear any more


def test_wdtui_sweep_grid_says_what_its_grid_shows(capsys):
    assert main(["sweep", "--preset", "sine-overfit", "--lrs", "0.003", "0.03", "--lambdas", "1e-4", "1e-2",
                 "--epochs", "3", "--quiet", "--decay-convention", "paper"]) == 0
    out = capsys.readouterr().out
    assert "coupled: " in out and "decoupled (paper): " in out and "best λ per lr 0.003" in out
    assert "one seed" in out and "Loshchilov" not in out


def test_a_row_where_lambda_made_no_difference_is_left_out_of_the_slope():
    """quadratic's coupled row at lr 1e-3 read 1.08e+04 in every cell, yet its 'best λ' entered
    the slope: such a row is marked '=' and left out."""
    lrs = [1e-4, 1e-3, 1e-2, 1e-1]
    lambdas = [0.0, 1e-4, 1e-3, 1e-2, 1e-1, 1.0]
    stuck = [10800.0, 10799.99, 10800.01, 10800.0, 10800.0, 10800.0]
    bowl = lambda best: [abs(i - best) + 1.0 for i in range(len(lambdas))]  # noqa: E731
    trend = best_lambda_trend(lrs, lambdas, [stuck, bowl(4), bowl(3), bowl(2)])
    assert trend.same == (True, False, False, False) and math.isclose(trend.slope, -1.0)  # the learned rows
    text = describe("coupled", trend)
    assert "lr 0.0001: =" in text and "= λ moved the loss by under 0.1% (or not in 3 digits)" in text and "left out of the slope" in text
    lrs = lrs[1:]
    # cells 0.7 % apart that the grid prints alike (1.08e+04) show no difference either
    printed_alike = [10760.0, 10840.0, 10810.0, 10790.0, 10800.0, 10830.0]
    assert best_lambda_trend(lrs, lambdas, [printed_alike, bowl(3), bowl(2)]).same == (True, False, False)
    assert best_lambda_trend(lrs, lambdas, [[10760.0, 10900.0, *printed_alike[2:]], bowl(3), bowl(2)]).same[0] is False


def test_an_exact_solve_is_described_by_what_it_solves_not_by_an_update():
    """poly's sidebar had shown 'w ← w − η·opt(g + λ·w)' under 'optimizer, lr … are not used'.
    The objective named is the one solvers.exact_solution minimises (tests of the ridge path)."""
    for name in ("l2", "coupled"):
        text = rule_text(name, "adam", "torch", "exact")
        assert text.startswith(f"{name} (exact): w = argmin loss + λ/2·‖w‖²") and "η·opt" not in text
    assert "minimum-norm least-squares" in rule_text("none", "adam", "torch", "exact")
    assert rule_text("decoupled", "adam", "torch", "exact") == rule_text("decoupled", "adam", "torch")
