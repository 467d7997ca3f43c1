"""The kit's pytest fixtures and hooks (loaded by tests/conftest.py as a plugin).

    workdir     a seeded workdir for one test (kit.workdir.Workdir); the shared sandbox is reset
                for it (kit.live.Shared.reset: the fake serves the seed's state again), so a test
                may change the state freely
    fake        the shared, live fake (kit.fake.LiveFake), reset for this test

The shared sandbox and fake (kit.live) start when a test first needs them and stop at the end of
the run. PlatformSuite classes (kit.suite) get their parameters here too.
"""

from __future__ import annotations

import pytest

from kit import live, suite
from kit.availability import AVAILABLE, WHY_NOT
from kit.workdir import Workdir, copy_seed


@pytest.fixture(scope="session")
def seed():
    """The run's seeded workdir (kit.live.seed): never used directly by a test."""
    return live.seed()


@pytest.fixture
def workdir(seed, tmp_path) -> Workdir:
    """A seeded workdir for this test; the shared fake, if running, serves the seed's state again."""
    if not AVAILABLE:
        pytest.skip(f"garauth sandbox cannot run here: {WHY_NOT}")
    wd = Workdir(copy_seed(seed, tmp_path / "w"))
    if live.started():
        live.shared().reset()
    return wd


@pytest.fixture
def fake(workdir):
    """The live fake, serving the seed's state for this test."""
    return workdir.fake


def pytest_generate_tests(metafunc):
    suite.generate(metafunc)


def pytest_sessionfinish(session, exitstatus):
    live.stop()
