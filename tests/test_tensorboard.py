"""``--tensorboard DIR``: event files read back with tensorboardX's own protobufs (TFRecord framing,
CRCs checked), with the expected folders, tags, step counts and values."""

import json
import math
import struct
from collections import defaultdict
from pathlib import Path

import pytest
from tensorboardX.proto.event_pb2 import Event
from tensorboardX.record_writer import masked_crc32c

from wdtui.cli.main import main
from wdtui.engine.tensorboard import HISTOGRAM_POINTS, histogram_due


def read_events(folder: Path) -> list[Event]:
    """Every event in a run folder's event files (each record: length, its CRC, data, its CRC)."""
    events = []
    files = sorted(folder.glob("events.out.tfevents.*"))
    assert files, folder
    for path in files:
        data = path.read_bytes()
        at = 0
        while at < len(data):
            header = data[at:at + 8]
            (length,) = struct.unpack("Q", header)
            assert struct.unpack("I", data[at + 8:at + 12])[0] == masked_crc32c(header)
            body = data[at + 12:at + 12 + length]
            assert struct.unpack("I", data[at + 12 + length:at + 16 + length])[0] == masked_crc32c(body)
            events.append(Event.FromString(body))
            at += 16 + length
    return events


def board(folder: Path) -> tuple[dict[str, dict[int, float]], dict[str, dict[int, object]]]:
    """(scalars, histograms): tag → step → value (a HistogramProto for histograms)."""
    scalars, histograms = defaultdict(dict), defaultdict(dict)
    for event in read_events(folder):
        for value in event.summary.value:
            if value.HasField("histo"):
                histograms[value.tag][event.step] = value.histo
            else:
                scalars[value.tag][event.step] = value.simple_value
    return scalars, histograms


def test_run_writes_one_folder_per_run_with_scalars_per_epoch_and_histograms(tmp_path, capsys):
    out, tb = tmp_path / "runs.json", tmp_path / "tb"
    epochs = 45
    assert main(["run", "--preset", "sine", "--epochs", str(epochs), "--lambdas", "0", "0.01", "--seed", "3",
                 "--regularizer", "decoupled", "--quiet", "--out", str(out), "--tensorboard", str(tb)]) == 0
    assert sorted(p.name for p in tb.iterdir()) == ["decoupled-lambda0-seed3", "decoupled-lambda0.01-seed3"]
    doc = json.loads(out.read_text())
    due = [e for e in range(1, epochs + 1) if histogram_due(epochs)(e)]
    assert len(due) <= HISTOGRAM_POINTS + 1 and due[-1] == epochs
    for run in doc["runs"]:
        scalars, histograms = board(tb / f"decoupled-lambda{run['lambda']:g}-seed3")
        # decoupled minimises no penalty: no penalty points; no accuracy for regression
        assert set(scalars) == {"train_loss", "test_loss", "weight_norm", "lambda", "lr"}
        for tag, values in scalars.items():
            assert sorted(values) == list(range(1, epochs + 1)), tag
        history = run["history"]
        for key in ("train_loss", "test_loss", "weight_norm"):  # float32 in the event file
            assert [scalars[key][e] for e in range(1, epochs + 1)] == pytest.approx(history[key], rel=1e-6)
        assert list(scalars["lambda"].values()) == pytest.approx([run["lambda"]] * epochs, rel=1e-7)
        # the sine MLP's two weight matrices (biases are not histogrammed), and their gradients
        weights = {"weights/0.weight", "weights/2.weight"}
        grads = {"gradients/0.weight", "gradients/2.weight"}
        assert set(histograms) == weights | grads
        for tag in weights | grads:
            assert sorted(histograms[tag]) == due, tag
            last = histograms[tag][epochs]
            assert sum(last.bucket) == 64  # 1×64 and 64×1: every weight (gradient) counted once
            assert len(last.bucket_limit) == len(last.bucket) == 30
            assert last.min < last.bucket_limit[0] and last.bucket_limit[-1] == pytest.approx(last.max)
        # the gradients' own ranges (an all-zero gradient would span the widened [-0.5, 0.5]), not the weights'
        for step in due:
            gradient, weight = histograms["gradients/2.weight"][step], histograms["weights/2.weight"][step]
            assert gradient.max > gradient.min and (gradient.min, gradient.max) != (-0.5, 0.5)
            assert (gradient.min, gradient.max) != (weight.min, weight.max)


def test_penalty_and_accuracy_where_the_run_has_them(tmp_path, capsys):
    tb = tmp_path / "tb"
    assert main(["run", "--preset", "digits", "--model", "mlp", "--epochs", "2", "--n-train", "200", "--n-test", "100",
                 "--lambdas", "0.001", "--regularizer", "l2", "--quiet", "--tensorboard", str(tb)]) == 0
    (folder,) = tb.iterdir()
    assert folder.name == "l2-lambda0.001-seed0"
    scalars, _ = board(folder)
    assert {"penalty", "train_accuracy", "test_accuracy"} <= set(scalars)
    assert all(0 <= v <= 1 for v in scalars["test_accuracy"].values())
    assert all(v > 0 and math.isfinite(v) for v in scalars["penalty"].values())


def test_a_second_command_writes_beside_the_first_never_into_it(tmp_path, capsys):
    tb = tmp_path / "tb"
    for _ in range(2):
        assert main(["run", "--preset", "sine", "--epochs", "2", "--lambdas", "0", "--quiet",
                     "--tensorboard", str(tb)]) == 0
    names = sorted(p.name for p in tb.iterdir())
    assert names == ["coupled-lambda0-seed0", "coupled-lambda0-seed0-2"]
    assert all(len(list((tb / n).iterdir())) == 1 for n in names)


def test_sweep_writes_one_folder_per_copy_with_weight_and_gradient_histograms(tmp_path, capsys):
    tb = tmp_path / "tb"
    assert main(["sweep", "--preset", "sine", "--epochs", "4", "--lambdas", "0.01", "0.1", "--seeds", "2",
                 "--quiet", "--tensorboard", str(tb)]) == 0
    names = sorted(p.name for p in tb.iterdir())
    assert names == sorted(f"coupled-lambda{lam:g}-seed{s}" for lam in (0, 0.01, 0.1) for s in (0, 1))
    scalars, histograms = board(tb / "coupled-lambda0.1-seed1")
    assert {"train_loss", "val_loss", "test_loss", "weight_norm", "penalty", "lambda", "lr"} == set(scalars)
    assert sorted(scalars["val_loss"]) == [1, 2, 3, 4]
    assert set(histograms) == {f"{kind}/{n}.weight" for kind in ("weights", "gradients") for n in (0, 2)}
    for tag, steps in histograms.items():
        assert sorted(steps) == [1, 2, 3, 4], tag
        assert sum(steps[4].bucket) == 64, tag
    assert list(scalars["lambda"].values()) == pytest.approx([0.1] * 4, rel=1e-7)


@pytest.mark.parametrize("target", ["file", "missing_parent_is_fine"])
def test_tensorboard_folder_checked_before_training(tmp_path, capsys, target):
    if target == "file":
        path = tmp_path / "a_file"
        path.write_text("x")
        with pytest.raises(SystemExit) as stop:
            main(["run", "--epochs", "2", "--quiet", "--tensorboard", str(path)])
        assert stop.value.code == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "--tensorboard" in err and "is a file" in err
    else:
        path = tmp_path / "new" / "tb"
        assert main(["run", "--epochs", "2", "--lambdas", "0", "--quiet", "--tensorboard", str(path)]) == 0
        assert (path / "coupled-lambda0-seed0").is_dir()
