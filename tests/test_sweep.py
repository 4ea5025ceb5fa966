"""The λ sweep: each copy is exactly its own run; spec parsing; the U-curve; ``wdtui sweep``."""

import json
import math

import pytest
import torch
from conftest import experiment, trained
from hypothesis import given
from hypothesis import strategies as st

from wdtui.cli.main import main
from wdtui.engine.config import ConfigError, make_config, parse_lambda_spec
from wdtui.engine.experiment import build_experiment
from wdtui.engine.sweeps.sweep import SweepResult
from wdtui.tables import cell
from wdtui.engine.training.batched import MATMUL_FILTERS, BatchedModel, BatchedTrainer, check_batchable, shared_conv

LAMS = [0.0, 0.003, 0.03, 0.3]


def _rel(a, b):
    return abs(a - b) / max(abs(b), 1e-300)


@pytest.mark.parametrize("preset,regularizer,overrides", [
    ("sine", "coupled", {}),
    ("sine", "decoupled", {}),
    ("sine", "l2", {"optimizer": "sgd", "momentum": 0.9, "lr": 0.05}),
    ("d2l", "l2", {}),  # mini-batches
    ("quadratic", "coupled", {}),  # LayerNorm
    ("sparse", "l1", {}),
])
@pytest.mark.parametrize("seeds", [1, 2])
def test_each_copy_equals_a_single_run(preset, regularizer, overrides, seeds):
    exps = [experiment(preset, epochs=15, dtype="float64", seed=s, **overrides) for s in range(seeds)]
    sweep = BatchedTrainer(exps, LAMS, regularizer)
    while not sweep.done:
        record = sweep.run_epoch()
    for s in range(seeds):
        for i, lam in enumerate(LAMS):
            k = s * len(LAMS) + i
            single = trained(exps[s], regularizer, lam).last_record
            assert _rel(record.train_loss[k], single.train_loss) <= 1e-10
            assert _rel(record.test_loss[k], single.test_loss) <= 1e-10
            assert _rel(record.weight_norm[k], single.weight_norm) <= 1e-10
            assert record.zeros[k] == single.zeros
    assert len({round(v, 12) for v in record.weight_norm}) == len(record.weight_norm)  # copies differ


def test_a_diverging_copy_leaves_the_others_alone():
    # lr·λ = 5: w ← −4·w each step overflows float64 within 600 epochs
    exp = experiment("sine", epochs=600, optimizer="sgd", lr=0.01, dtype="float64")
    sweep = BatchedTrainer([exp], [0.0, 500.0], "decoupled")
    while not sweep.done:
        record = sweep.run_epoch()
    assert record.diverged == [False, True]
    assert _rel(record.train_loss[0], trained(exp, "decoupled", 0.0).last_record.train_loss) <= 1e-10


def test_models_that_do_not_batch_are_refused_clearly():
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2), torch.nn.Flatten(),
                                torch.nn.Linear(8, 1))
    with pytest.raises(ConfigError) as err:
        check_batchable(model, "cnn")
    assert err.value.field == "preset" and "BatchNorm2d" in err.value.message


@pytest.mark.parametrize("overrides,seeds", [({}, 1), ({}, 2), ({"model": "mlp"}, 2), ({"regularizer": "decoupled"}, 1),
                                             ({"dropout": 0.5}, 2), ({"model": "mlp", "dropout": 0.3}, 1)])
def test_each_copy_of_a_batched_classifier_equals_its_single_run(overrides, seeds):
    """The digits CNN as grouped convolutions (and the MLP on images), cross-entropy per copy,
    mini-batches, dropout (each copy's masks its lone run's: drawn from its seed's generator):
    each copy's losses and ‖w‖ to 1e-10, its accuracy and zeros exactly."""
    from wdtui.engine.training.trainer import Trainer

    exps = [experiment("digits", device="cpu", epochs=3, n_train=64, n_test=64, batch_size=32, dtype="float64",
                       seed=s, **overrides) for s in range(seeds)]
    lambdas = [0.0, 0.01, 0.1]
    sweep = BatchedTrainer(exps, lambdas)
    while not sweep.done:
        record = sweep.run_epoch()
    for s in range(seeds):
        for i, lam in enumerate(lambdas):
            k = s * len(lambdas) + i
            alone = list(Trainer(exps[s], exps[s].config.regularizer, lam).records())[-1]
            for key in ("train_loss", "test_loss", "weight_norm"):
                assert _rel(getattr(record, key)[k], getattr(alone, key)) <= 1e-10, key
            assert record.test_accuracy[k] == alone.test_accuracy and record.zeros[k] == alone.zeros
    assert record.weight_norm[2] < record.weight_norm[0]


@pytest.mark.parametrize("conv", [
    {"in_channels": 1, "out_channels": 16, "kernel_size": 3, "padding": 1},  # the digits CNN's first conv
    {"in_channels": 3, "out_channels": 4, "kernel_size": (3, 2), "stride": 2, "padding": (1, 0), "dilation": (1, 2)},
])
def test_a_conv_on_shared_images_as_one_matrix_product_equals_each_copys_conv(conv, monkeypatch):
    """From MATMUL_FILTERS stacked filters the copies' conv on the images they share is patches ×
    filters (batched.shared_conv): each copy's outputs and its filters' and bias's gradients are
    its own conv's, in float64 (to 1e-12 of the largest)."""
    from wdtui.engine.training import batched

    calls = []
    monkeypatch.setattr(batched, "shared_conv", lambda *args: calls.append(1) or shared_conv(*args))
    torch.manual_seed(0)
    layer = torch.nn.Conv2d(**conv).double()
    copies = -(-MATMUL_FILTERS // layer.out_channels)
    lone = [torch.nn.Conv2d(**conv).double() for _ in range(copies)]
    params = {name: torch.stack([getattr(c, name).detach() for c in lone]).requires_grad_()
              for name in ("weight", "bias")}
    model = BatchedModel(torch.nn.Sequential(layer, torch.nn.Flatten()),
                         {f"0.{name}": p for name, p in params.items()})
    x = torch.randn(5, layer.in_channels, 7, 9, dtype=torch.float64)
    x[:, :, :3] = 0.0  # equal patches, as the digits' blank borders
    out = model(x)  # (K, N, C_out·H'·W')
    assert calls == [1]
    probe = torch.randn_like(out)
    (out * probe).sum().backward()
    for k, c in enumerate(lone):
        own = c(x).flatten(1)
        (own * probe[k]).sum().backward()
        assert (out[k] - own).abs().max() <= 1e-12 * own.abs().max()
        for name in ("weight", "bias"):
            mine, theirs = params[name].grad[k], getattr(c, name).grad
            assert (mine - theirs).abs().max() <= 1e-12 * theirs.abs().max(), name


@given(st.integers(-8, 2), st.integers(1, 6), st.integers(2, 40))
def test_range_spec_is_log_spaced_with_both_ends(low, decades, count):
    start, stop = 10.0 ** low, 10.0 ** (low + decades)
    values = parse_lambda_spec([f"{start:g}:{stop:g}:{count}"])
    assert len(values) == count and values[0] == start and values[-1] == stop
    ratios = [b / a for a, b in zip(values, values[1:])]
    assert all(math.isclose(r, ratios[0], rel_tol=1e-9) for r in ratios)


@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=10, unique=True))
def test_list_spec_keeps_the_values(values):
    assert parse_lambda_spec([repr(v) for v in values]) == values


@given(st.floats(allow_nan=True), st.floats(allow_nan=True), st.integers(-5, 40))
def test_range_spec_refuses_what_is_not_allowed(start, stop, count):
    ok = math.isfinite(start) and math.isfinite(stop) and 0 < start < stop and count >= 2
    spec = f"{start!r}:{stop!r}:{count}"
    if ok:
        assert len(parse_lambda_spec([spec])) == count
    else:
        with pytest.raises(ConfigError):
            parse_lambda_spec([spec])


@pytest.mark.parametrize("spec", [["1:0.1:5"], ["1e-5:1e-1:1"], ["1e-5:1e-1:2.5"], ["1e-5:1e-1"],
                                  ["-1", "2"], ["abc"], ["1e-5:1e-1:4", "3"], [":1:3"], ["0:1:3"], ["1", "1"]])
def test_bad_specs_are_refused(spec):
    with pytest.raises(ConfigError):
        parse_lambda_spec(spec)


def test_sine_overfit_u_curve_best_lambda_is_inside_and_norm_falls():
    exp = build_experiment(make_config("sine-overfit"), validation=True)  # 3000 epochs: overfitting takes them
    lambdas = parse_lambda_spec(["1e-6:1:7"])
    sweep, result = BatchedTrainer([exp], lambdas), SweepResult(lambdas, 1, exp.config.epochs)
    while not sweep.done:
        result.add(sweep.run_epoch())
    best = result.best_index
    assert 0 < best < len(lambdas) - 1, result.final()["test_loss"][0]
    norms = result.final()["weight_norm"][0]
    assert all(a > b for a, b in zip(norms, norms[1:]))


def test_wdtui_sweep_writes_the_documented_json(tmp_path, capsys):
    out = tmp_path / "sweep.json"
    code = main(["sweep", "--preset", "sine", "--lambdas", "0", "0.01", "1", "--seeds", "2",
                 "--epochs", "5", "--quiet", "--out", str(out)])
    assert code == 0
    doc = json.loads(out.read_text())
    assert doc["lambdas"] == [0.0, 0.01, 1.0] and doc["seeds"] == 2
    for key in ("train_loss", "test_loss", "weight_norm"):
        assert len(doc["final"][key]) == 3 and len(doc["final"]["std"][key]) == 3
        assert len(doc["history"][key]) == 5 and len(doc["history"][key][0]) == 3
    assert doc["history"]["epoch"] == [1, 2, 3, 4, 5]
    assert doc["best_lambda"] in doc["lambdas"]
    assert doc["final"]["weight_norm"][2] < doc["final"]["weight_norm"][0]
    # the mean over seeds is the mean of the two single runs
    runs = [trained(experiment("sine", epochs=5, seed=s), "coupled", 1.0).last_record for s in (0, 1)]
    assert math.isclose(doc["final"]["weight_norm"][2], sum(r.weight_norm for r in runs) / 2, rel_tol=1e-5)
    shown = capsys.readouterr().out
    assert "best" in shown and "± " in shown


@pytest.mark.parametrize("args,flag", [
    (["--lambdas", "1:0.1:5"], "--lambdas"),
    (["--lambdas", "1e-5:1e-1"], "--lambdas"),
    (["--lambdas", "1e-5:1e-1:x"], "--lambdas"),
    (["--lambdas", "-0.1"], "--lambdas"),
    (["--seeds", "0"], "--seeds"),
    (["--out", "s.csv"], "--out"),
    (["--regularizer", "none", "--lambdas", "0.1"], "--regularizer"),
    (["--regularizer", "none"], "--regularizer"),  # it had blamed --lambdas, which nobody typed
])
def test_sweep_bad_input_is_one_line_exit_2(args, flag, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(["sweep", "--epochs", "2", "--quiet", *args])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and flag in err[0]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("regularizer", ["coupled", "decoupled", "l1"])
@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_each_grid_copy_equals_a_single_run_at_its_lr_and_lambda(regularizer, optimizer):
    lrs, lams = [0.002, 0.02], [0.0, 0.05]
    momentum = 0.9 if optimizer == "sgd" else 0.0
    exps = [experiment("sine", epochs=12, dtype="float64", seed=s, optimizer=optimizer, momentum=momentum)
            for s in range(2)]
    grid = BatchedTrainer(exps, lams, regularizer, lrs=lrs)
    while not grid.done:
        record = grid.run_epoch()
    for s in range(2):
        for r, lr in enumerate(lrs):
            for i, lam in enumerate(lams):
                k = (s * len(lrs) + r) * len(lams) + i
                single = trained(experiment("sine", epochs=12, dtype="float64", seed=s, optimizer=optimizer,
                                            momentum=momentum, lr=lr), regularizer, lam).last_record
                assert _rel(record.train_loss[k], single.train_loss) <= 1e-10
                assert _rel(record.weight_norm[k], single.weight_norm) <= 1e-10


def test_wdtui_sweep_grid_writes_both_regularizers(tmp_path, capsys):
    out = tmp_path / "grid.json"
    code = main(["sweep", "--preset", "sine", "--lrs", "1e-3:1e-1:3", "--lambdas", "0", "0.01",
                 "--epochs", "4", "--quiet", "--out", str(out)])
    assert code == 0
    doc = json.loads(out.read_text())
    assert doc["mode"] == "grid" and doc["regularizers"] == ["coupled", "decoupled"]
    assert doc["lrs"] == [1e-3, 1e-2, 1e-1] and doc["lambdas"] == [0.0, 0.01]
    for name in ("coupled", "decoupled"):
        grid = doc["grids"][name]
        assert len(grid["test_loss"]) == 3 and all(len(row) == 2 for row in grid["test_loss"])
        assert len(grid["val_loss"]) == 3 and all(len(row) == 2 for row in grid["val_loss"])
        flat = [(v, r, c) for r, row in enumerate(grid["val_loss"]) for c, v in enumerate(row)]
        v, r, c = min(flat)  # chosen on the validation loss; its test loss reported beside
        assert grid["best"] == {"lr": doc["lrs"][r], "lambda": doc["lambdas"][c], "val_loss": v,
                                "test_loss": grid["test_loss"][r][c]}
    # at λ = 0 both regularizers are the same training
    assert [row[0] for row in doc["grids"]["coupled"]["test_loss"]] == \
        [row[0] for row in doc["grids"]["decoupled"]["test_loss"]]
    shown = capsys.readouterr().out
    assert "coupled: best lr" in shown and "decoupled: best lr" in shown
    # piped output has no colour: the best cell is marked in text, and no colour is named
    assert "green" not in shown and shown.count("*: best") == 2
    assert "coupled: validation loss, epoch 4" in shown  # a title on one line, however narrow the table
    best = doc["grids"]["coupled"]["best"]["val_loss"]
    assert f"{cell(best)}*" in shown


def test_grid_refuses_a_non_positive_learning_rate(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["sweep", "--lrs", "0", "0.1", "--quiet"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--lrs" in err[0] and "> 0" in err[0]


def test_a_digits_sweep_is_measured_as_sparsely_as_its_runs(tmp_path):
    """Measuring 264 images costs more than training on about 52: every ⌈264/52⌉ = 6th epoch, and the last."""
    out = tmp_path / "sweep.json"
    assert main(["sweep", "--preset", "digits", "--lambdas", "0", "0.01", "--n-train", "64", "--n-test", "200",
                 "--epochs", "14", "--quiet", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["history"]["epoch"] == [6, 12, 14]


def test_a_best_lambda_at_the_top_of_the_sweep_is_said_to_be_its_end(capsys):
    """d2l: the loss still falls at the largest λ swept (10); "best λ 10" read as an optimum."""
    assert main(["sweep", "--preset", "d2l", "--lambdas", "1e-2:10:4", "--seeds", "2", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "best λ by val loss: 10 (" in out and "the largest λ swept: a larger one may do better)" in out, out
    assert main(["sweep", "--preset", "sine", "--lambdas", "1e-4:1:5", "--seeds", "2", "--epochs", "100",
                 "--quiet"]) == 0
    out = capsys.readouterr().out  # sine: decay does not help, the best is λ = 0, no such words
    assert "best λ by val loss: 0 (" in out and "the largest λ swept" not in out, out


def test_the_grid_help_says_the_heatmap_is_the_validation_loss_the_best_is_chosen_on(capsys):
    """It said "shows test loss as a heatmap": the one thing the grid is built not to choose on."""
    with pytest.raises(SystemExit):
        main(["sweep", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "shows the validation loss as a heatmap, the best cell chosen on it" in text and "test loss as a heatmap" not in text


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_the_grid_says_when_coupled_and_decoupled_are_one_update(momentum, tmp_path, capsys):
    """Plain SGD: w − η·(g + λ·w) = w·(1 − η·λ) − η·g, so the two tables agree and the grid says
    why (a learner had read it as 'decoupling does nothing'); with momentum they differ and it
    says nothing of the kind."""
    out = tmp_path / "g.json"
    assert main(["sweep", "--preset", "d2l", "--epochs", "20", "--n-train", "10", "--n-test", "10",
                 "--optimizer", "sgd", "--momentum", str(momentum), "--dtype", "float64", "--lrs", "0.01", "0.05",
                 "--lambdas", "0.1", "1", "--quiet", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    grids = json.loads(out.read_text())["grids"]
    pairs = [(a, b) for ra, rb in zip(grids["coupled"]["val_loss"], grids["decoupled"]["val_loss"])
             for a, b in zip(ra, rb)]
    agree = all(math.isclose(a, b, rel_tol=1e-9) for a, b in pairs)
    assert agree == (momentum == 0)
    assert ("plain SGD: coupled and decoupled (torch) are one update" in printed) == (momentum == 0)


def test_a_grid_over_seeds_writes_each_seeds_grid_whose_means_are_the_table(tmp_path):
    """The tie rule pairs cells seed by seed: the JSON holds each seed's grid (review 14a M10)."""
    out = tmp_path / "grid.json"
    assert main(["sweep", "--preset", "sine", "--lrs", "1e-2", "1e-1", "--lambdas", "0.01", "--seeds", "2",
                 "--epochs", "3", "--n-train", "10", "--n-test", "10", "--quiet", "--out", str(out)]) == 0
    grid = json.loads(out.read_text())["grids"]["coupled"]
    seeds = grid["per_seed"]["val_loss"]
    assert len(seeds) == 2 and all(len(g) == 2 and all(len(row) == 2 for row in g) for g in seeds)
    for r in range(2):
        for c in range(2):
            assert math.isclose(grid["val_loss"][r][c], (seeds[0][r][c] + seeds[1][r][c]) / 2, rel_tol=1e-12)
    assert seeds[0] != seeds[1]  # two seeds: other data, other numbers
