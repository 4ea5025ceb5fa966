"""Data read from disk: the CIFAR-10 folder (restricted unpickler), your own .npz/.csv, digits."""

import pickle

import numpy as np
import pytest
import torch
from cifar_files import CLASS_NAMES, malicious_batch, py2_dumps, write_cifar

from wdtui.cli.main import main
from wdtui.engine.config import ConfigError, make_config
from wdtui.engine.data.cifar10 import RefusedPickle, load_plain
from wdtui.engine.experiment import build_experiment
from wdtui.engine.training.trainer import Trainer


def one_line_error(capsys, *args) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main(["run", *args, "--quiet"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    return err


# --- CIFAR-10 -------------------------------------------------------------------------------------


def test_a_cifar_build_reports_each_file_and_stops_when_asked(tmp_path):
    from wdtui.engine.experiment import BuildStopped

    write_cifar(tmp_path / "cifar", per_batch=2, test=2)
    config = make_config("cifar10", data_dir=str(tmp_path / "cifar"), device="cpu")
    steps = []
    build_experiment(config, progress=lambda what, share: steps.append((what, share)))
    loading = [share for what, share in steps if what == "loading CIFAR-10"]
    assert loading == [i / 6 for i in range(6)]  # before each of the six batch files
    assert [what for what, _ in steps][-3:] == ["building the model", "moving the data to cpu as float32", "built"]
    told = []
    with pytest.raises(BuildStopped):  # stop is asked before each step: here after two of them
        build_experiment(config, progress=lambda what, share: told.append(share), stop=lambda: len(told) == 2)
    assert told == [0.0, 1 / 6]  # the second batch file was the last one read


def test_real_format_cifar_folder_loads_with_the_tutorial_network(tmp_path):
    train, labels = write_cifar(tmp_path / "cifar", per_batch=8, test=10)
    exp = build_experiment(make_config("cifar10", data_dir=str(tmp_path / "cifar"), device="cpu"))
    data = exp.data
    assert data.x_train.shape == (40, 3, 32, 32) and data.x_test.shape == (10, 3, 32, 32)
    assert data.classes == tuple(n.decode() for n in CLASS_NAMES)
    # pixel order: 1024 red, 1024 green, 1024 blue per image, scaled to [0, 1]
    expected = torch.from_numpy(train.reshape(-1, 3, 32, 32).astype(np.float32) / 255)
    assert torch.allclose(data.x_train, expected)
    assert data.y_train.tolist() == labels.tolist()
    assert exp.config.n_train == 40 and exp.config.n_test == 10  # "all" resolved
    shapes = [tuple(p.shape) for p in exp.base_model.parameters()]
    assert shapes == [(32, 3, 5, 5), (32,), (32, 32, 5, 5), (32,), (64, 32, 5, 5), (64,),
                      (64, 1024), (64,), (10, 64), (10,)]
    record = Trainer(exp).run_epoch()
    assert 0 <= record.test_accuracy <= 1 and record.train_loss > 0


def test_numpy_one_pickles_and_python_three_pickles_load_the_same():
    array = np.arange(12, dtype=np.uint8).reshape(3, 4)
    for blob in (py2_dumps({b"data": array}), pickle.dumps({b"data": array}, protocol=2),
                 pickle.dumps({b"data": array}, protocol=5)):
        assert np.array_equal(load_plain(blob)[b"data"], array)


def test_pickle_that_runs_code_is_refused_and_nothing_runs(tmp_path, capsys):
    folder = tmp_path / "cifar"
    write_cifar(folder)
    marker = tmp_path / "ran.txt"
    (folder / "data_batch_2").write_bytes(malicious_batch(marker))
    with pytest.raises(RefusedPickle):
        load_plain((folder / "data_batch_2").read_bytes())
    err = one_line_error(capsys, "--preset", "cifar10", "--data-dir", str(folder), "--epochs", "1")
    assert "data_batch_2" in err and "refused" in err and "builtin__.exec" in err  # protocol 2 name
    assert not marker.exists()
    # the same file through plain pickle would have run the code: the test's payload is real
    pickle.loads((folder / "data_batch_2").read_bytes())
    assert marker.read_text() == "code ran"


def test_object_arrays_inside_a_pickle_are_refused():
    blob = pickle.dumps({b"data": np.array([1, "x"], dtype=object)}, protocol=2)
    with pytest.raises(RefusedPickle, match="objects"):
        load_plain(blob)


@pytest.mark.parametrize("remove", ["data_batch_3", "test_batch", "batches.meta"])
def test_incomplete_cifar_folder_names_what_is_missing(tmp_path, capsys, remove):
    folder = tmp_path / "cifar"
    write_cifar(folder)
    (folder / remove).unlink()
    err = one_line_error(capsys, "--preset", "cifar10", "--data-dir", str(folder))
    assert f"lacks {remove}" in err and "--data-dir" in err and "data_batch_1…data_batch_5" in err


def test_missing_cifar_folder_and_missing_flag(tmp_path, capsys):
    err = one_line_error(capsys, "--preset", "cifar10", "--data-dir", str(tmp_path / "nope"))
    assert "is not a folder" in err and str(tmp_path / "nope") in err
    err = one_line_error(capsys, "--preset", "cifar10")
    assert "--data-dir" in err and "batches.meta" in err


def test_a_batch_that_is_not_cifar_is_refused(tmp_path, capsys):
    folder = tmp_path / "cifar"
    write_cifar(folder)
    (folder / "test_batch").write_bytes(py2_dumps({b"data": np.zeros((2, 5), np.uint8), b"labels": [0, 1]}))
    err = one_line_error(capsys, "--preset", "cifar10", "--data-dir", str(folder))
    assert "test_batch is not a CIFAR-10 batch" in err and "(N, 3072)" in err
    (folder / "test_batch").write_bytes(b"\x80\x02garbage")
    err = one_line_error(capsys, "--preset", "cifar10", "--data-dir", str(folder))
    assert "not a readable pickle" in err


# --- your own data --------------------------------------------------------------------------------


def test_object_array_npz_is_refused(tmp_path, capsys):
    path = tmp_path / "objects.npz"
    np.savez(path, x_train=np.array([[1.0], [2.0]]), y_train=np.array([1, "a"], dtype=object),
             x_test=np.array([[1.0]]), y_test=np.array([1]))
    err = one_line_error(capsys, "--data", str(path))
    assert "y_train is an array of Python objects" in err and "never unpickled" in err


def write_npz(path, x, y, xt, yt):
    np.savez(path, x_train=x, y_train=y, x_test=xt, y_test=yt)
    return str(path)


def test_npz_task_follows_the_targets_type(tmp_path):
    rng = np.random.default_rng(0)
    x, xt = rng.normal(size=(30, 4)), rng.normal(size=(10, 4))
    classes = write_npz(tmp_path / "c.npz", x, rng.integers(0, 3, 30), xt, rng.integers(0, 3, 10))
    exp = build_experiment(make_config("custom", data=classes, device="cpu"))
    assert exp.config.task == "classification" and exp.config.loss == "cross_entropy"
    assert exp.data.classes == ("0", "1", "2") and exp.fit == "classes"
    assert exp.base_model[-1].out_features == 3
    regression = write_npz(tmp_path / "r.npz", x, rng.normal(size=30), xt, rng.normal(size=(10, 1)))
    exp = build_experiment(make_config("custom", data=regression, device="cpu"))
    assert exp.config.task == "regression" and exp.config.loss == "mse" and exp.fit == "target"
    assert exp.data.y_train.shape == (30, 1) and exp.config.n_train == 30 and exp.config.n_test == 10
    forced = build_experiment(make_config("custom", data=classes, task="regression", device="cpu"))
    assert forced.config.loss == "mse" and forced.data.y_train.is_floating_point() and forced.fit == "target"


def test_npz_images_train_with_the_cnn(tmp_path):
    rng = np.random.default_rng(1)
    path = write_npz(tmp_path / "img.npz", rng.random((20, 8, 8)), rng.integers(0, 2, 20),
                     rng.random((6, 8, 8)), rng.integers(0, 2, 6))
    exp = build_experiment(make_config("custom", data=path, model="cnn", channels="4,8", kernel=3,
                                       batch_size=10, epochs=2, device="cpu"))
    assert exp.data.input_shape == (1, 8, 8)
    records = list(Trainer(exp).records())
    assert len(records) == 2 and records[-1].train_accuracy is not None


@pytest.mark.parametrize("arrays, message", [
    (dict(x_train=np.zeros((4, 2)), y_train=np.zeros(3), x_test=np.zeros((2, 2)), y_test=np.zeros(2)),
     "x_train must have shape (N, features…) with N = len(y_train) = 3"),
    (dict(x_train=np.zeros((4, 2)), y_train=np.zeros(4), x_test=np.zeros((2, 3)), y_test=np.zeros(2)),
     "they must match"),
    (dict(x_train=np.zeros((4, 2)), y_train=np.zeros(4), x_test=np.zeros((2, 2))),
     "lacks y_test"),
    (dict(x_train=np.full((4, 2), np.nan), y_train=np.zeros(4), x_test=np.zeros((2, 2)), y_test=np.zeros(2)),
     "NaN or infinite"),
    (dict(x_train=np.zeros((4, 2)), y_train=np.array([0, 1, -1, 2]), x_test=np.zeros((2, 2)), y_test=np.zeros(2, int)),
     "class labels must be integers in 0…999"),
])
def test_npz_that_does_not_fit_is_refused(tmp_path, capsys, arrays, message):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    err = one_line_error(capsys, "--data", str(path), "--batch-size", "full")
    assert message in err


def test_cnn_on_tabular_data_says_it_needs_images(tmp_path, capsys):
    path = write_npz(tmp_path / "t.npz", np.zeros((8, 5)), np.zeros(8), np.zeros((2, 5)), np.zeros(2))
    err = one_line_error(capsys, "--data", path, "--model", "cnn", "--batch-size", "full")
    assert "--model" in err and "a CNN needs images" in err and "(N, 5)" in err


def test_csv_with_header_is_split_by_test_fraction(tmp_path):
    rng = np.random.default_rng(2)
    rows = ["a,b,target"] + [f"{u:.4f},{v:.4f},{2 * u - v:.4f}" for u, v in rng.normal(size=(50, 2))]
    path = tmp_path / "data.csv"
    path.write_text("\n".join(rows) + "\n")
    exp = build_experiment(make_config("custom", data=str(path), test_fraction=0.3, batch_size="full", device="cpu"))
    assert (exp.config.n_train, exp.config.n_test) == (35, 15) and exp.config.task == "regression"
    values = np.loadtxt(path, delimiter=",", skiprows=1)
    together = torch.cat([exp.data.x_train, exp.data.x_test]).numpy()
    assert np.allclose(np.sort(together[:, 0]), np.sort(values[:, 0]), atol=1e-6)  # a split, nothing lost
    labels = tmp_path / "labels.csv"
    labels.write_text("\n".join(f"{u:.3f},{int(u > 0)}" for u in rng.normal(size=20)) + "\n")
    exp = build_experiment(make_config("custom", data=str(labels), batch_size="full", device="cpu"))
    assert exp.config.task == "classification" and exp.data.classes == ("0", "1")


def test_csv_with_a_word_in_it_names_the_cell(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("1,2,3\n4,five,6\n7,8,9\n1,1,1\n")
    err = one_line_error(capsys, "--data", str(path))
    assert "row 2, column 2: 'five' is not a number" in err


def test_data_flag_checks_suffix_and_existence(tmp_path, capsys):
    assert "FILE.npz or FILE.csv" in one_line_error(capsys, "--data", str(tmp_path / "x.txt"))
    assert "is not a file" in one_line_error(capsys, "--data", str(tmp_path / "x.npz"))
    assert "give a FILE.npz" in one_line_error(capsys, "--preset", "custom")


def test_task_is_for_your_own_data(capsys):
    err = one_line_error(capsys, "--preset", "digits", "--task", "regression")
    assert "--task" in err and "preset digits is classification" in err


def test_all_is_only_for_data_read_from_disk():
    with pytest.raises(ConfigError, match="all is for data read from a file"):
        make_config("sine", n_train="all")
    assert make_config("digits", n_test="all").n_test is None


# --- digits ---------------------------------------------------------------------------------------


def test_digits_split_is_seeded_and_disjoint():
    a = build_experiment(make_config("digits", device="cpu", n_train=100, n_test=50))
    b = build_experiment(make_config("digits", device="cpu", n_train=100, n_test=50))
    c = build_experiment(make_config("digits", device="cpu", n_train=100, n_test=50, seed=1))
    assert torch.equal(a.data.x_train, b.data.x_train) and not torch.equal(a.data.x_train, c.data.x_train)
    assert a.data.x_train.shape == (100, 1, 8, 8) and float(a.data.x_train.max()) == 1.0
    rest = build_experiment(make_config("digits", device="cpu"))
    assert rest.config.n_test == 1797 - 300
    train = {tuple(x.reshape(-1).tolist()) for x in rest.data.x_train}
    # optdigits has a few duplicate images; the split itself shares no index, so overlap stays tiny
    assert sum(tuple(x.reshape(-1).tolist()) in train for x in rest.data.x_test) < 10


def test_digits_too_many_examples_is_refused(capsys):
    err = one_line_error(capsys, "--preset", "digits", "--n-train", "1500", "--n-test", "400")
    assert "1797" in err and "--n-train" in err


def test_asking_for_more_than_a_split_set_holds_is_refused(tmp_path, capsys):
    write_cifar(tmp_path / "cifar", per_batch=8, test=10)
    err = one_line_error(capsys, "--preset", "cifar10", "--data-dir", str(tmp_path / "cifar"), "--n-test", "11")
    assert "--n-test" in err and "must be at most 10" in err
    path = write_npz(tmp_path / "n.npz", np.zeros((6, 2)), np.zeros(6), np.zeros((3, 2)), np.zeros(3))
    err = one_line_error(capsys, "--data", path, "--n-train", "7", "--batch-size", "full")
    assert "--n-train" in err and "must be at most 6" in err
    exp = build_experiment(make_config("custom", data=path, n_train=4, batch_size="full", device="cpu"))
    assert (exp.config.n_train, exp.config.n_test) == (4, 3)


@pytest.mark.parametrize("n_train,n_test,field,says", [
    (5000, None, "n_train", "n_train must be 2 to 1796 (the rest is the test set); asked for 5000"),
    (None, 1797, "n_test", "n_test must be 1 to 1795 (the rest is the training set); asked for 1797"),
    (300, 5000, "n_test", "n_train + n_test ≤ 1797; asked for 300 + 5000"),
    (1000, 900, "n_train", "n_train + n_test ≤ 1797; asked for 1000 + 900"),
])
def test_a_split_too_large_says_what_was_asked_and_what_is_allowed(n_train, n_test, field, says):
    from wdtui.engine.config import ConfigError
    from wdtui.engine.data.dataset import split

    with pytest.raises(ConfigError) as error:
        split(1797, n_train, n_test, seed=0, source="the digits data set")
    assert error.value.field == field and says in error.value.message and "-" not in error.value.message
