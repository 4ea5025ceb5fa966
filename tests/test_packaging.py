"""The package as a user installs it: a wheel that carries its data and licence, an sdist that
carries its tests, and the digits preset running from an unrelated folder."""

import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import wdtui

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "MANIFEST.in", "wdtui", "tests", "assets", "benchmarks")
BUILD = """
import sys
from setuptools import build_meta
out = sys.argv[1]
names = [build_meta.build_wheel(out), build_meta.build_sdist(out)]
print("BUILT", *names)
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The wheel and the sdist, built by setuptools from a copy of the source tree (so the
    checkout gets no build/ or .egg-info)."""
    tmp = tmp_path_factory.mktemp("build")
    source = tmp / "source"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", "*.egg-info")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=ignore)
        else:
            shutil.copy2(path, source / name)
    dist = tmp / "dist"
    dist.mkdir()
    done = subprocess.run([sys.executable, "-c", BUILD, str(dist)], cwd=source,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    wheel_name, sdist_name = done.stdout.splitlines()[-1].split()[1:]
    return dist / wheel_name, dist / sdist_name


def test_wheel_carries_the_code_its_data_and_the_licence(built):
    wheel, _ = built
    names = set(zipfile.ZipFile(wheel).namelist())
    version = wdtui.__version__
    info = f"wdtui-{version}.dist-info"
    modules = {str(p.relative_to(ROOT)) for p in (ROOT / "wdtui").rglob("*.py")}
    assert modules <= names, sorted(modules - names)
    assert {"wdtui/data/digits.npz", "wdtui/app/app.tcss", f"{info}/licenses/LICENSE"} <= names
    assert not any(n.startswith(("tests/", "assets/", "benchmarks/")) for n in names)
    metadata = zipfile.ZipFile(wheel).read(f"{info}/METADATA").decode()
    assert re.search(r"^License-Expression: MIT$", metadata, re.M)
    assert re.search(rf"^Version: {re.escape(version)}$", metadata, re.M)
    entry_points = zipfile.ZipFile(wheel).read(f"{info}/entry_points.txt").decode()
    assert "wdtui = wdtui.cli.main:main" in entry_points
    packed = zipfile.ZipFile(wheel).read("wdtui/data/digits.npz")
    assert packed == (ROOT / "wdtui" / "data" / "digits.npz").read_bytes()


def test_sdist_carries_what_its_tests_need(built):
    _, sdist = built
    with tarfile.open(sdist) as archive:
        names = {n.split("/", 1)[1] for n in archive.getnames() if "/" in n}
    tests = {str(p.relative_to(ROOT)) for p in (ROOT / "tests").rglob("*")
             if p.is_file() and "__pycache__" not in p.parts}
    assert tests <= names, sorted(tests - names)
    assets = {str(p.relative_to(ROOT)) for p in (ROOT / "assets").iterdir()}
    assert assets <= names, sorted(assets - names)
    assert {"LICENSE", "README.md", "pyproject.toml", "wdtui/data/digits.npz"} <= names


def test_installed_wheel_runs_digits_from_another_folder(built, tmp_path):
    """Unpacked as pip installs it, first on the path, run from a folder that holds nothing:
    the digits data comes from the package."""
    wheel, _ = built
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    where = subprocess.run([sys.executable, "-c", "import wdtui; print(wdtui.__file__)"],
                           cwd=elsewhere, env=env, capture_output=True, text=True, timeout=60)
    assert where.stdout.strip() == str(site / "wdtui" / "__init__.py")
    done = subprocess.run([sys.executable, "-m", "wdtui", "run", "--preset", "digits", "--epochs", "1",
                           "--n-train", "64", "--n-test", "64", "--quiet", "--threads", "1"],
                          cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "test acc" in done.stdout
    assert list(elsewhere.iterdir()) == []
    version = subprocess.run([sys.executable, "-m", "wdtui", "--version"], cwd=elsewhere, env=env,
                             capture_output=True, text=True, timeout=60)
    assert version.stdout.strip() == f"wdtui {wdtui.__version__}"
