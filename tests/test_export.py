"""Writing several outputs: all or none, also when a rename fails after another succeeded."""

import errno
import os

import pytest

from wdtui.engine import export
from wdtui.engine.export import Output, OutputError, write_all


def _fail_second_rename(monkeypatch):
    """os.replace as it is, except that the second call fails (disk full)."""
    real, calls = os.replace, []

    def replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(export.os, "replace", replace)
    return calls


def _outputs(tmp_path):
    return [Output("out", tmp_path / "a.json", lambda f: f.write(b"new a")),
            Output("save_model", tmp_path / "b.pt", lambda f: f.write(b"new b"))]


@pytest.mark.parametrize("existed", [False, True])
def test_a_failed_second_rename_rolls_the_first_back(tmp_path, monkeypatch, existed):
    if existed:
        (tmp_path / "a.json").write_bytes(b"old a")
        (tmp_path / "b.pt").write_bytes(b"old b")
    calls = _fail_second_rename(monkeypatch)
    with pytest.raises(OutputError) as error:
        write_all(_outputs(tmp_path))
    assert error.value.field == "save_model" and "b.pt" in str(error.value)
    assert len(calls) >= 2  # the first rename did happen, then was undone
    if existed:  # the previous files, as they were
        assert (tmp_path / "a.json").read_bytes() == b"old a" and (tmp_path / "b.pt").read_bytes() == b"old b"
    assert sorted(p.name for p in tmp_path.iterdir()) == (["a.json", "b.pt"] if existed else [])


def test_all_outputs_written_leave_nothing_else(tmp_path):
    (tmp_path / "a.json").write_bytes(b"old a")
    write_all(_outputs(tmp_path))
    assert (tmp_path / "a.json").read_bytes() == b"new a" and (tmp_path / "b.pt").read_bytes() == b"new b"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "b.pt"]
