"""Fixtures for the fake's tests: a demo workdir made once per run (keys generated then, never
committed), copied for each test that runs a fake, so each test may change its state freely."""

from __future__ import annotations

import shutil

import pytest

from garauth.fake import demo
from garauth.fake.server import prepare
from garauth.fake.testing import running_fake

REGISTRY = f"{demo.LOCATION}-docker.pkg.dev"
IMAGE = f"{demo.PROJECT}/{demo.REPO}/hello"


@pytest.fixture(scope="session")
def template_workdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("fake-template")
    prepare(root)
    return root


@pytest.fixture
def workdir(template_workdir, tmp_path):
    target = tmp_path / "fake"
    shutil.copytree(template_workdir, target)
    return target


@pytest.fixture
def fake(workdir):
    """A running fake on a fresh copy of the demo state, with the real hostnames routed to it."""
    with running_fake(workdir) as running, running.route():
        yield running


@pytest.fixture
def client(fake):
    with fake.httpx_client(timeout=10) as c:
        yield c


@pytest.fixture
def reader_key(fake) -> str:
    return fake.key_text("reader")
