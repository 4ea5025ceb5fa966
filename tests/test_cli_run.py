"""``wdtui run`` and ``wdtui presets`` end to end: files written, bad input refused cleanly."""

import csv
import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from wdtui.cli.main import main

SHORT = ["--epochs", "3", "--quiet"]


def run(*args):
    return main(["run", *args])


def test_json_document_has_the_documented_shape(tmp_path, capsys):
    out = tmp_path / "runs.json"
    assert run("--preset", "d2l", "--lambdas", "0", "3", "--seed", "1", "--out", str(out), *SHORT) == 0
    doc = json.loads(out.read_text())
    assert doc["preset"] == "d2l"
    cfg = doc["config"]
    for key in ("loss", "regularizer", "optimizer", "lr", "epochs", "batch_size", "dtype", "device", "seed"):
        assert key in cfg, key
    assert cfg["loss"] == "half_mse" and cfg["regularizer"] == "l2" and cfg["batch_size"] == 5
    assert cfg["seed"] == 1 and cfg["device"] == "cpu" and cfg["lambdas"] == [0.0, 3.0]
    assert [r["lambda"] for r in doc["runs"]] == [0.0, 3.0]
    for r in doc["runs"]:
        assert r["diverged"] is False
        assert r["history"]["epoch"] == [1, 2, 3]
        for key in ("train_loss", "test_loss", "weight_norm", "penalty", "zeros"):
            assert len(r["history"][key]) == 3
            assert r["final"][key] == r["history"][key][-1]
    assert doc["runs"][1]["final"]["weight_norm"] < doc["runs"][0]["final"]["weight_norm"]
    table = capsys.readouterr().out
    assert "train loss" in table and "‖w‖" in table


def test_csv_has_one_row_per_lambda_per_epoch(tmp_path):
    out = tmp_path / "runs.csv"
    assert run("--preset", "sine", "--lambdas", "0", "0.01", "0.1", "--out", str(out), *SHORT) == 0
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 3 * 3
    assert [float(r["run_lambda"]) for r in rows] == [0.0] * 3 + [0.01] * 3 + [0.1] * 3
    assert {r["regularizer"] for r in rows} == {"coupled"}
    assert all(float(r["weight_norm"]) > 0 for r in rows)
    assert {r["diverged"] for r in rows} == {"false"}  # as JSON spells it, not Python's False


def test_csv_marks_a_diverged_run_true(tmp_path):
    out = tmp_path / "runs.csv"
    assert run("--preset", "sine", "--optimizer", "sgd", "--lambdas", "0", "--lr", "1e30", "--out", str(out),
               *SHORT) == 0
    rows = list(csv.DictReader(out.open()))
    assert rows and {r["diverged"] for r in rows} == {"true"}


def test_same_seed_gives_identical_numbers(tmp_path):
    docs = []
    for name in ("a.json", "b.json"):
        run("--preset", "sine", "--lambdas", "0.01", "--seed", "3", "--out", str(tmp_path / name), *SHORT)
        doc = json.loads((tmp_path / name).read_text())
        docs.append([{k: v for k, v in r["history"].items() if k != "epochs_per_s"} for r in doc["runs"]])
    assert docs[0] == docs[1]


def test_save_model_and_data(tmp_path):
    model, data = tmp_path / "m.pt", tmp_path / "d.npz"
    assert run("--preset", "d2l", "--lambdas", "0", "3", "--save-model", str(model), "--save-data", str(data), *SHORT) == 0
    assert model.stat().st_mode & 0o044  # readable like any file the user writes, not 0600
    saved = torch.load(model, weights_only=True)
    assert saved["lambdas"] == [0.0, 3.0] and len(saved["state_dicts"]) == 2
    assert saved["state_dicts"][0]["0.weight"].shape == (1, 200)
    arrays = np.load(data, allow_pickle=False)
    assert sorted(arrays.files) == ["x_test", "x_train", "y_test", "y_train"]
    assert arrays["x_train"].shape == (20, 200) and arrays["y_test"].shape == (100, 1)


def test_several_regularizers_make_one_run_each(tmp_path):
    out = tmp_path / "r.json"
    assert run("--preset", "sparse", "--out", str(out), *SHORT) == 0  # the preset compares l1 with l2
    doc = json.loads(out.read_text())
    assert [(r["regularizer"], r["lambda"]) for r in doc["runs"]] == [("l1", 0.2), ("l2", 0.2)]
    assert doc["config"]["regularizer"] == ["l1", "l2"]


def test_a_diverging_run_is_marked_and_the_others_go_on(tmp_path, capsys):
    out = tmp_path / "r.json"
    # decoupled SGD with lr·λ = 1e28: w ← w·(1 − 1e28) − …, whose loss is inf (> 3.4e38 in float32)
    # at once; λ = 0 trains normally. (A blow-up that stays finite: tests/test_hostile.py.)
    code = run("--preset", "sine", "--optimizer", "sgd", "--lr", "0.01", "--regularizer", "decoupled",
               "--lambdas", "1e30", "0", "--epochs", "300", "--quiet", "--out", str(out))
    assert code == 0
    runs = json.loads(out.read_text())["runs"]
    assert runs[0]["diverged"] is True and runs[0]["epochs"] < 300
    assert runs[0]["final"]["train_loss"] is None  # NaN/inf are written as null
    assert runs[1]["diverged"] is False and runs[1]["epochs"] == 300
    captured = capsys.readouterr()
    assert "diverged" in captured.err and "λ=1e+30" in captured.err


BAD = [
    (["--lambdas", "-1"], "--lambdas"),
    (["--lambdas", "nan"], "--lambdas"),
    (["--lambdas", "inf"], "--lambdas"),
    (["--lambdas", "abc"], "--lambdas"),
    (["--lr", "0"], "--lr"),
    (["--lr", "-0.1"], "--lr"),
    (["--epochs", "0"], "--epochs"),
    (["--epochs", "2.5"], "--epochs"),
    (["--epochs", "ten"], "--epochs"),
    (["--preset", "mnist"], "--preset"),
    (["--regularizer", "l3"], "--regularizer"),
    (["--optimizer", "lbfgs"], "--optimizer"),
    (["--device", "tpu"], "--device"),
    (["--device", "cuda:7"] if not torch.cuda.is_available() else ["--device", "cuda:99"], "--device"),
    (["--batch-size", "0"], "--batch-size"),
    (["--preset", "d2l", "--batch-size", "21"], "--batch-size"),
    (["--out", "runs.txt"], "--out"),
    (["--out", "missing-folder/runs.json"], "--out"),
    (["--save-model", "m.pth"], "--save-model"),
    (["--regularizer", "none", "--lambdas", "0.1"], "--lambdas"),
    (["--momentum", "1"], "--momentum"),
]


@pytest.mark.parametrize("args,flag", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_is_one_line_exit_2_and_no_file(args, flag, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        run(*args, "--out", "ok.json", *SHORT) if "--out" not in args else run(*args, *SHORT)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert flag in lines[0] and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # nothing written, nothing half-written


def test_bad_input_in_a_real_process_has_no_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "wdtui", "run", "--lambdas", "1e999"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "--lambdas" in proc.stderr and "≥ 0" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_json_says_which_epochs_were_measured(tmp_path):
    out = tmp_path / "digits.json"
    assert run("--preset", "digits", "--lambdas", "0.01", "--n-train", "64", "--n-test", "200",
               "--epochs", "12", "--out", str(out), "--quiet") == 0
    entry = json.loads(out.read_text())["runs"][0]
    assert entry["measured_epochs"] == {"every_epoch_to": 10, "then_every": 5}
    assert entry["history"]["epoch"] == [*range(1, 11), 12] and entry["epochs"] == 12
    assert len(entry["history"]["test_accuracy"]) == 11


def test_equilibrium_runs_keep_their_step_angles(tmp_path, capsys):
    """The equilibrium preset's runs (LayerNorm layers trained in mini-batches) record the angle
    per step, which only a lone trainer measures: its λ list must not lose them to batching."""
    out = tmp_path / "eq.json"
    assert run("--preset", "equilibrium", "--lambdas", "0.02", "0.05", "--n-train", "100",
               "--epochs", "2", "--quiet", "--out", str(out)) == 0
    doc = json.loads(out.read_text())
    assert "batched" not in capsys.readouterr().err
    for r in doc["runs"]:
        angles = r["history"]["step_angular_update"]
        assert sorted(angles) == ["1.weight", "4.weight"]
        assert all(len(v) == 2 and all(a > 0 for a in v) for v in angles.values())


def test_lambdas_alone_on_a_preset_that_compares_with_none_train_the_regularizer_that_has_a_lambda():
    """wdtui run --preset dropout --lambdas 0 0.01 had refused 'λ = 0.01 has no effect with
    regularizer none', a regularizer the user never chose (the preset's comparison's)."""
    from wdtui.cli.run import build_parser, plan_runs

    _, runs = plan_runs(build_parser().parse_args(["--preset", "dropout", "--lambdas", "0", "0.01"]))
    assert [(r.regularizer, r.lam) for r in runs] == [("coupled", 0.0), ("coupled", 0.01)]
    _, runs = plan_runs(build_parser().parse_args(["--preset", "sparse", "--lambdas", "0.1"]))
    assert [(r.regularizer, r.lam) for r in runs] == [("l1", 0.1), ("l2", 0.1)]  # both have a λ
