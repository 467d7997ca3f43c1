"""Every CircleCI example is run: each image CircleCI would pull before the job starts is pulled
with podman against the fake, with the snippet's own host, path and credential; each step that
logs in with `docker login` is executed as written with the docker CLI.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from circleci_run import CIRCLECI, pull, run_step

from garauth import sandbox
from garauth.fake import demo, server
from garauth.fake.state import State, repository_name
from garauth.readers import circleci

AVAILABLE, WHY_NOT = sandbox.available()
pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.skipif(not AVAILABLE, reason=f"garauth sandbox cannot run here: {WHY_NOT}"),
    pytest.mark.skipif(shutil.which("podman") is None, reason="podman is not installed"),
]

EXAMPLES = sorted(CIRCLECI.glob("*.yml"))
REPO = repository_name(demo.PROJECT, demo.LOCATION, demo.REPO)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """The demo state, plus the extra image the secondary-container example pulls."""
    root = tmp_path_factory.mktemp("circleci")
    server.prepare(root)
    state = State.load(root)
    digest, media_type, content = state.get_manifest(REPO, "hello", "1.0")
    state.put_manifest(REPO, "test-db", "16", content, media_type)
    state.save(root)
    return root


def ar_pulls(path: Path):
    result = circleci.read(path)
    assert result.errors == [], result.errors
    return [s for s in result.pullspecs if s.image is not None and s.image.ar is not None]


PULLS = [(path, spec) for path in EXAMPLES for spec in ar_pulls(path)]


@pytest.mark.parametrize(
    "path, spec", PULLS, ids=[f"{p.name}:{s.position.line}:{s.context.get('job')}" for p, s in PULLS]
)
def test_image_pulls_as_written(path, spec, workdir):
    result = pull(spec, workdir)
    assert result.ok, result.describe()
    expected = State.load(workdir).get_manifest(
        repository_name(spec.image.ar.project, spec.image.ar.location, spec.image.ar.repository),
        spec.image.ar.image,
        spec.image.reference,
    )
    assert result.proc.stdout.strip() == expected[0]


def test_every_example_is_exercised():
    """An example that pulls nothing from Artifact Registry must at least log in in a step."""
    for path in EXAMPLES:
        steps = [s for s in circleci.run_steps(path) if "docker login" in s.command]
        assert ar_pulls(path) or steps, f"{path.name}: nothing in it is run by the tests"


LOGIN_STEPS = [(p, s) for p in EXAMPLES for s in circleci.run_steps(p) if "docker login" in s.command]


@pytest.mark.skipif(shutil.which("docker") is None, reason="the docker CLI is not installed")
@pytest.mark.parametrize(
    "path, step", LOGIN_STEPS, ids=[f"{p.name}:{s.position.line}" for p, s in LOGIN_STEPS]
)
def test_docker_login_step_runs_as_written(path, step, workdir, tmp_path):
    wd = tmp_path / "wd"
    shutil.copytree(workdir, wd)
    proc = run_step(step.command, wd)
    assert proc.returncode == 0, f"{step.position}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    assert "Login Succeeded" in proc.stdout
    config = json.loads((wd / "home" / ".docker" / "config.json").read_text())
    host = f"{demo.LOCATION}-docker.pkg.dev"
    assert host in config["auths"], f"docker login stored no credential for {host}: {list(config['auths'])}"
    # The stored credential pulls (and, for the writer key, pushes) with another real client.
    image = f"{host}/{demo.PROJECT}/{demo.REPO}/hello:1.0"
    check = sandbox.run(
        ["skopeo", "inspect", "-n", "--authfile", "home/.docker/config.json", f"docker://{image}"],
        wd,
        timeout=120,
    )
    assert check.returncode == 0, check.stderr
    if "docker push" in "\n".join(s.command for s in circleci.run_steps(path)):
        target = f"{host}/{demo.PROJECT}/{demo.REPO}/app:from-circleci-step"
        push = sandbox.run(
            [
                "skopeo",
                "copy",
                "--authfile",
                "home/.docker/config.json",
                f"docker://{image}",
                f"docker://{target}",
            ],
            wd,
            timeout=120,
        )
        assert push.returncode == 0, push.stderr
