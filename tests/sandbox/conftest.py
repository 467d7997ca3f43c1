"""Fixtures for the real-client tests: one workdir seeded by the fake per session, copied per
module (tests that only read) or per test (tests that change the state or log in)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

# sandboxkit.py (the helpers these tests share) imports by name (pytest runs in importlib mode).
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sandboxkit import AVAILABLE, WHY_NOT, describe, sh  # noqa: E402


@pytest.fixture(scope="session")
def seeded(tmp_path_factory):
    """A workdir the fake has seeded (state.json, ca.pem, keys/): never used directly by a test."""
    if not AVAILABLE:
        pytest.skip(f"garauth sandbox cannot run here: {WHY_NOT}")
    workdir = tmp_path_factory.mktemp("seeded") / "w"
    proc = sh(workdir, "test -s ca.pem && test -s keys/reader.json")
    assert proc.returncode == 0, describe(proc)
    return workdir


def _copy(seeded, dest):
    shutil.copytree(seeded, dest, symlinks=True)
    return dest


@pytest.fixture(scope="module")
def shared(seeded, tmp_path_factory):
    """A copy of the seeded workdir for one module's read-only tests."""
    return _copy(seeded, tmp_path_factory.mktemp("shared") / "w")


@pytest.fixture
def workdir(seeded, tmp_path):
    """A copy of the seeded workdir for one test, which may change it."""
    return _copy(seeded, tmp_path / "w")
