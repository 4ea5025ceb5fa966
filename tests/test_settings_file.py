"""Settings as a TOML file: ``--save-config`` writes what ``--config`` replays to the same numbers;
a broken file, an invalid value or an unknown key is one line naming it, exit status 2."""

import json
import math
import re

import pytest
import tomllib

from wdtui.cli.main import main

QUIET = ["--quiet"]


def history_without_timing(doc: dict) -> list[dict]:
    runs = []
    for run in doc["runs"]:
        history = {k: v for k, v in run["history"].items() if k != "epochs_per_s"}
        runs.append({**run, "history": history})
    return runs


def refused(argv: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_run_replayed_from_its_settings_file_gives_the_same_numbers(tmp_path, capsys):
    saved, first, second = tmp_path / "run.toml", tmp_path / "a.json", tmp_path / "b.json"
    assert main(["run", "--preset", "dropout", "--epochs", "3", "--seed", "4", "--width", "16", "--dropout", "0.3",
                 "--n-train", "100", "--n-test", "50", "--batch-size", "20", "--model", "mlp",
                 "--save-config", str(saved), "--out", str(first), *QUIET]) == 0
    settings = tomllib.loads(saved.read_text())
    assert settings["preset"] == "dropout" and settings["seed"] == 4 and settings["epochs"] == 3
    assert settings["batch_size"] == 20 and settings["threads"] == "auto"
    # each run has its p (--dropout the preset's own run's, λ = 0.01, as in the app): the
    # top-level one is left as a comment
    assert [run.get("dropout") for run in settings["runs"]] == [0.5, 0.3] and "dropout" not in settings
    # the preset's comparison as runs, each with its own dropout where it has one
    a = json.loads(first.read_text())
    assert [(r["regularizer"], r["lambda"]) for r in settings["runs"]] == [(r["regularizer"], r["lambda"])
                                                                            for r in a["runs"]]
    assert main(["run", "--config", str(saved), "--out", str(second), *QUIET]) == 0
    b = json.loads(second.read_text())
    assert a["config"] == b["config"]
    assert history_without_timing(a) == history_without_timing(b)
    assert [r["final"] for r in a["runs"]] == [r["final"] for r in b["runs"]]


def test_sweep_replayed_from_its_settings_file_gives_the_same_numbers(tmp_path, capsys):
    saved, first, second = tmp_path / "sweep.toml", tmp_path / "a.json", tmp_path / "b.json"
    assert main(["sweep", "--preset", "sine", "--epochs", "5", "--lambdas", "1e-3:1e-1:3", "--seeds", "2",
                 "--seed", "7", "--save-config", str(saved), "--out", str(first), *QUIET]) == 0
    settings = tomllib.loads(saved.read_text())
    assert settings["lambdas"] == [0.0, 1e-3, 1e-2, 1e-1] and settings["seeds"] == 2 and settings["seed"] == 7
    assert main(["sweep", "--config", str(saved), "--out", str(second), *QUIET]) == 0
    a, b = json.loads(first.read_text()), json.loads(second.read_text())
    assert a["lambdas"] == b["lambdas"] and a["config"] == b["config"]
    assert a["final"] == b["final"]


def test_a_flag_beside_the_file_wins(tmp_path, capsys):
    saved, out = tmp_path / "run.toml", tmp_path / "a.json"
    saved.write_text('preset = "sine"\nepochs = 5\nseed = 2\nruns = [{regularizer = "l2", lambda = 0.5}]\n')
    assert main(["run", "--config", str(saved), "--epochs", "3", "--out", str(out), *QUIET]) == 0
    doc = json.loads(out.read_text())
    assert doc["config"]["epochs"] == 3 and doc["config"]["seed"] == 2
    assert [(r["regularizer"], r["lambda"], r["epochs"]) for r in doc["runs"]] == [("l2", 0.5, 3)]


def test_broken_toml_is_one_line_with_where(tmp_path, capsys):
    saved = tmp_path / "bad.toml"
    saved.write_text('preset = "sine"\nepochs = \n')
    err = refused(["run", "--config", str(saved), *QUIET], capsys)
    assert "--config" in err and "not valid TOML" in err and "line 2" in err


@pytest.mark.parametrize("text, key, allowed", [
    ("batch_size = 0", "batch_size", "an integer ≥ 1 or full"),
    ('optimizer = "rmsprop"', "optimizer", "sgd, adam"),
    ("decay_all = 1", "decay_all", "true or false"),
    ('runs = [{regularizer = "l2"}]', "runs", "must have regularizer and lambda"),
])
def test_invalid_value_names_the_key_and_what_is_allowed(tmp_path, capsys, text, key, allowed):
    saved, out = tmp_path / "bad.toml", tmp_path / "a.json"
    saved.write_text(text + "\n")
    err = refused(["run", "--config", str(saved), "--out", str(out), *QUIET], capsys)
    assert f"key {key}:" in err and allowed in err
    assert not out.exists()


def test_unknown_key_is_refused_with_the_known_keys_named(tmp_path, capsys):
    saved = tmp_path / "bad.toml"
    saved.write_text("learning_rate = 0.1\n")
    err = refused(["sweep", "--config", str(saved), *QUIET], capsys)
    assert "unknown key 'learning_rate'" in err
    known = err.split("known keys: ")[1]
    for key in ("lr", "batch_size", "lambdas", "seeds", "preset"):
        assert key in known.replace(",", " ").split()
    assert "out" not in known.replace(",", " ").split()  # outputs are not settings


def test_a_file_of_another_command_says_which_command_replays_it(tmp_path, capsys):
    """The app's saved settings given to `wdtui run` (its `lambda`), a sweep's to the app (`lrs`)."""
    app_file = tmp_path / "app.toml"
    assert main(["--preset", "sine", "--save-config", str(app_file)]) == 0  # no terminal: saved only
    capsys.readouterr()
    assert "lambda" in tomllib.loads(app_file.read_text())
    err = refused(["run", "--config", str(app_file), *QUIET], capsys)
    assert f"unknown key 'lambda' (a setting of wdtui: replay the file with wdtui --config {app_file})" in err
    sweep_file = tmp_path / "sweep.toml"
    sweep_file.write_text("lrs = [0.01, 0.1]\n")
    err = refused(["--config", str(sweep_file)], capsys)
    assert f"unknown key 'lrs' (a setting of wdtui sweep: replay the file with wdtui sweep --config {sweep_file})" in err
    both = tmp_path / "both.toml"
    both.write_text("lambdas = [0.1]\n")
    assert "unknown key 'lambdas' (a setting of wdtui run and wdtui sweep);" in refused(["--config", str(both)], capsys)


def test_missing_file_and_wrong_suffix(tmp_path, capsys):
    err = refused(["run", "--config", str(tmp_path / "none.toml")], capsys)
    assert "--config" in err and "cannot read" in err
    err = refused(["run", "--save-config", str(tmp_path / "a.json")], capsys)
    assert "--save-config" in err and "FILE.toml" in err


def test_a_value_refused_across_keys_names_the_files_key_not_a_flag_nobody_typed(tmp_path, capsys):
    """A file's depth 0 with dropout 0.5, or a comparison's dropout on a linear model, is refused
    naming the file's key; the same value typed as a flag names the flag."""
    saved = tmp_path / "linear.toml"
    saved.write_text('preset = "sine"\ndepth = 0\ndropout = 0.5\n')
    err = refused(["run", "--config", str(saved), *QUIET], capsys)
    assert f"argument --config: {saved}: key dropout: a linear model (depth 0)" in err and "--dropout" not in err
    err = refused(["run", "--config", str(saved), "--dropout", "0.4", *QUIET], capsys)
    assert "argument --dropout: a linear model" in err
    compared = tmp_path / "compared.toml"
    compared.write_text('preset = "sparse"\ncompare_dropout = 0.5\n')
    err = refused(["--config", str(compared)], capsys)
    assert f"{compared}: key compare_dropout: the comparison cannot train" in err and "--compare-dropout" not in err


# a value other than every preset's, per field that some setting leaves unused
OTHER = {"noise": "0.37", "n_inputs": "7", "modulus": "11", "optimizer": "sgd", "betas": "0.5,0.6",
         "momentum": "0.5", "lr": "0.123", "batch_size": "4", "epochs": "3", "width": "7", "activation": "relu",
         "norm": "layernorm", "dropout": "0.3", "depth": "2", "channels": "4,4", "kernel": "5",
         "decay_convention": "paper", "test_fraction": "0.5"}


def finals(tmp_path, argv: list[str]) -> list[dict] | None:
    """Each run's last measured losses and ‖w‖ (None: the setting is refused, exit status 2)."""
    out = tmp_path / "out.json"
    try:
        assert main(["run", *argv, "--out", str(out), *QUIET]) == 0
    except SystemExit as stop:
        assert stop.code == 2
        return None
    return [run["final"] for run in json.loads(out.read_text())["runs"]]


@pytest.mark.parametrize("argv", [
    ["--preset", "sine", "--epochs", "2", "--n-train", "8", "--n-test", "8"],  # Adam, MLP
    ["--preset", "poly"],  # the exact solver, a linear model
    ["--preset", "digits", "--epochs", "1", "--n-train", "16", "--n-test", "16", "--batch-size", "8",
     "--threads", "1", "--channels", "2,2", "--width", "4"],  # SGD, a CNN on images read from a file
])
def test_what_the_settings_file_calls_unused_changes_no_number(tmp_path, capsys, argv):
    """Every key a settings file writes as a comment ("not used by these runs") is truly unused:
    set to another value it changes no loss and no ‖w‖ (or is refused), and the file itself
    replays to the same numbers."""
    saved = tmp_path / "run.toml"
    base = finals(tmp_path, [*argv, "--save-config", str(saved)])
    text = saved.read_text()
    unused = re.findall(r"^# (\w+) = ", text, re.M)
    assert unused and "Not used by these runs" in text
    assert not set(unused) & set(tomllib.loads(text))  # a commented key is not read back
    refused_keys = []
    for key in unused:
        flag = "--" + key.replace("_", "-")
        argv_other = [a for a in argv if a != flag]
        if flag in argv:  # the test's own value of it, replaced
            del argv_other[argv.index(flag)]
        got = finals(tmp_path, [*argv_other, flag, OTHER[key]])
        # the same numbers; a full batch evaluates the training set apart, which rounds
        # poly's interpolating train loss (~5e-22) otherwise
        assert got is None or all(math.isclose(g[k], b[k], rel_tol=1e-9, abs_tol=1e-12)
                                  for g, b in zip(got, base) for k in b), (key, got, base)
        refused_keys += [key] if got is None else []
    assert len(refused_keys) <= 2, refused_keys  # the data's own inputs, the CNN's norm: most keys are taken
    assert finals(tmp_path, ["--config", str(saved)]) == base


def test_the_settings_file_keeps_what_the_runs_use():
    from wdtui.engine.config import make_config, unused_fields

    sine, digits, poly = make_config("sine"), make_config("digits"), make_config("poly")
    assert {"momentum", "channels", "kernel", "decay_convention"} <= set(unused_fields(sine))
    assert not {"betas", "width", "depth", "activation", "lr"} & set(unused_fields(sine))
    assert "momentum" not in unused_fields(sine, optimizers=["sgd"])  # a comparison trained with SGD
    assert "decay_convention" not in unused_fields(sine, regularizers=["decoupled"])
    assert {"depth", "norm", "noise", "n_inputs", "betas"} <= set(unused_fields(digits))
    assert not {"channels", "kernel", "width", "momentum", "dropout"} & set(unused_fields(digits))
    assert {"lr", "optimizer", "epochs", "width", "activation"} <= set(unused_fields(poly))
    grokking = unused_fields(make_config("grokking"))
    assert "modulus" not in grokking and {"noise", "n_inputs"} <= set(grokking)


def test_true_is_no_number_and_runs_beside_lambdas_in_one_file_is_refused(tmp_path, capsys):
    """TOML's true is Python's 1: `lr = true` had trained at lr 1; a file with runs and lambdas had
    dropped its runs (and their regularizer) without a word."""
    bad = tmp_path / "t.toml"
    bad.write_text('preset = "sine"\nlr = true\nepochs = 5\n')
    err = refused(["run", "--config", str(bad)], capsys)
    assert "key lr: must be what --lr takes, not true or false (got true)" in err
    bad.write_text('preset = "sine"\nchannels = [16, true]\n')
    assert "key channels" in refused(["run", "--config", str(bad)], capsys)
    both = tmp_path / "both.toml"
    both.write_text('preset = "sine"\nlambdas = [0.1]\nruns = [{regularizer = "l2", lambda = 0.3}]\nepochs = 2\n')
    err = refused(["run", "--config", str(both)], capsys)
    assert "key lambdas: the file also gives runs: give one of them" in err
    out = tmp_path / "a.json"  # a flag beside the file wins, as every flag does
    assert main(["run", "--config", str(both), "--lambdas", "0.2", "--out", str(out), *QUIET]) == 0
    assert [r["lambda"] for r in json.loads(out.read_text())["runs"]] == [0.2]


def test_a_list_setting_refused_in_a_file_is_shown_as_a_file_writes_it(tmp_path, capsys):
    """The flag's hint 'e.g. 0.9,0.98' is no TOML: in a file betas is an array."""
    bad = tmp_path / "b.toml"
    bad.write_text('preset = "sine"\nbetas = [0.9]\n')
    assert "key betas: must be two numbers in [0, 1), e.g. [0.9, 0.98] (got [0.9])" in refused(
        ["run", "--config", str(bad)], capsys)


def test_runs_with_their_own_dropout_leave_the_top_level_one_unused_and_say_so(tmp_path, capsys):
    """A run file's top-level dropout = 0.2 beside runs with p 0.5 and 0 had trained neither at
    0.2 while the header said 'dropout 0.2' (review 14b N6): now the header names the layers'
    p per run, the saved file comments the key out, and a value there changes nothing."""
    first, second = tmp_path / "a.toml", tmp_path / "b.toml"
    runs = 'runs = [{regularizer = "none", lambda = 0.0, dropout = 0.5}, {regularizer = "l2", lambda = 0.01, dropout = 0.0}]\n'
    common = 'preset = "sine"\nepochs = 2\nn_train = 8\nn_test = 8\n'
    first.write_text(common + "dropout = 0.2\n" + runs)
    second.write_text(common + "dropout = 0.1\n" + runs)
    assert finals(tmp_path, ["--config", str(first), "--save-config", str(tmp_path / "saved.toml")]) == \
        finals(tmp_path, ["--config", str(second)])
    assert "dropout layers (p per run)" in capsys.readouterr().err
    saved = (tmp_path / "saved.toml").read_text()
    assert "# because every run gives its own dropout p:\n# dropout = " in saved and "dropout" not in tomllib.loads(saved)


def test_a_dropout_preset_sweep_sweeps_its_own_run_without_dropout(tmp_path, capsys):
    """wdtui sweep --preset dropout had trained coupled decay with dropout 0.5: neither of the
    preset's runs (none with p 0.5, coupled with p 0), and not what the app's w sweeps."""
    out = tmp_path / "s.json"
    argv = ["sweep", "--preset", "dropout", "--epochs", "1", "--n-train", "40", "--n-test", "20", "--threads", "1",
            "--batch-size", "8", "--lambdas", "0.01", "--out", str(out), *QUIET]
    assert main(argv) == 0
    assert json.loads(out.read_text())["config"]["dropout"] == 0.0
    assert main([*argv, "--dropout", "0.3"]) == 0  # given: the sweep trains it
    assert json.loads(out.read_text())["config"]["dropout"] == 0.3


def test_dropout_sets_the_same_run_in_wdtui_run_the_app_and_a_sweep():
    """--dropout had set the dropout preset's none run in wdtui run and its λ = 0.01 run in the
    app (review 14d): a flag copied between them trained another experiment."""
    from wdtui.app.session import preset_comparison
    from wdtui.cli.run import build_parser, plan_runs
    from wdtui.engine.config import make_config
    from wdtui.engine.lessons.presets import main_run

    config, runs = plan_runs(build_parser().parse_args(["--preset", "dropout", "--dropout", "0.3"]))
    run, comparison = preset_comparison(make_config("dropout", dropout=0.3), run_dropout=0.3)
    own = main_run("dropout")
    by_setting = {(r.regularizer, r.lam): r.dropout for r in runs}
    assert by_setting[(own.regularizer, own.lam)] == run.dropout == 0.3
    assert by_setting[(comparison.regularizer, comparison.lam)] == comparison.dropout == 0.5
