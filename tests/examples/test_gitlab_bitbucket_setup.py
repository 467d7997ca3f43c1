"""The guide's Workload Identity set-ups for GitLab and Bitbucket (examples/gitlab/wif-setup.sh,
examples/bitbucket/wif-setup.sh) run as written, with `sh`, after examples/gcloud/key-setup.sh
made the repository and the reader account, with each gcloud that can run here (gcloud_run:
Google's own in the sandbox against the fake's admin APIs, and always the stand-in). They leave
exactly the pool, provider and binding the keyless tests use
(garauth.fake.gitlab_bitbucket_oidc.add_gitlab_provider / add_bitbucket_provider), and print the
values the jobs' files hold."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from gcloud_run import AVAILABLE, Gcloud, label, seed_bare

from garauth.fake import demo
from garauth.fake import gitlab_bitbucket_oidc as ci
from garauth.fake.state import State
from garauth.readers import bitbucket_pipelines, gitlab_ci

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
READER = demo.email("reader")


def expected(add) -> State:
    """The state the keyless tests build with the fake's helper, for comparison."""
    state = State()
    state.add_project(demo.PROJECT, demo.PROJECT_NUMBER)
    state.add_service_account(demo.PROJECT, "reader")
    add(state, demo.PROJECT, demo.PROJECT_NUMBER, READER)
    return state


@pytest.fixture(scope="module", params=AVAILABLE, ids=label)
def cloud(request, tmp_path_factory):
    """A bare project taken through key-setup.sh, then both set-ups; (state, their outputs)."""
    root = tmp_path_factory.mktemp(f"ci-setup-{request.param}")
    workdir, run_dir = root / "fake", root / "run"
    run_dir.mkdir()
    seed_bare(workdir)
    gcloud = Gcloud(request.param, workdir, root / "bin")
    outputs = {}
    for script in ("gcloud/key-setup.sh", "gitlab/wif-setup.sh", "bitbucket/wif-setup.sh"):
        result = gcloud.run("sh", str(EXAMPLES / script), cwd=run_dir)
        assert result.returncode == 0, result.stderr[-3000:]
        assert "PRIVATE KEY" not in result.stdout + result.stderr
        outputs[script.split("/")[0]] = result.stdout
    return State.load(workdir), outputs


@pytest.mark.parametrize(
    "path", [EXAMPLES / "gitlab" / "wif-setup.sh", EXAMPLES / "bitbucket" / "wif-setup.sh"]
)
def test_parses(path):
    result = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("platform", "add", "pool"),
    [
        ("gitlab", ci.add_gitlab_provider, ci.GITLAB_POOL),
        ("bitbucket", ci.add_bitbucket_provider, ci.BITBUCKET_POOL),
    ],
)
def test_the_setup_makes_what_the_keyless_tests_use(cloud, platform, add, pool):
    state, _ = cloud
    want = expected(add)
    name = f"{ci.pool_name(demo.PROJECT_NUMBER, pool)}/providers/{pool}"
    keys = ("issuer", "allowed_audiences", "attribute_mapping", "attribute_condition")
    assert {k: state.providers[name][k] for k in keys} == {k: want.providers[name][k] for k in keys}
    account = f"projects/{demo.PROJECT}/serviceAccounts/{READER}"
    member = want.iam[account]["roles/iam.workloadIdentityUser"][0]
    assert member in state.iam[account]["roles/iam.workloadIdentityUser"]


def test_gitlab_setup_prints_what_the_job_holds(cloud):
    _, outputs = cloud
    printed = dict(line.split(":", 1) for line in outputs["gitlab"].splitlines() if ":" in line)
    printed = {k.strip(): v.strip() for k, v in printed.items()}
    doc_job = gitlab_ci.read(EXAMPLES / "gitlab" / "keyless.gitlab-ci.yml")
    assert doc_job.errors == []
    text = (EXAMPLES / "gitlab" / "keyless.gitlab-ci.yml").read_text()
    assert f"WIF_PROVIDER: {printed['WIF_PROVIDER']}" in text
    assert f"aud: {printed['id_tokens aud']}" in text
    assert f"SERVICE_ACCOUNT: {printed['SERVICE_ACCOUNT']}" in text


def test_bitbucket_setup_prints_what_the_step_holds(cloud):
    _, outputs = cloud
    printed = dict(line.split(":", 1) for line in outputs["bitbucket"].splitlines() if ":" in line)
    printed = {k.strip(): v.strip() for k, v in printed.items()}
    (step,) = bitbucket_pipelines.run_steps(EXAMPLES / "bitbucket" / "keyless-step.bitbucket-pipelines.yml")
    assert f"export WIF_PROVIDER={printed['WIF_PROVIDER']}" in step.command
    assert f"export SERVICE_ACCOUNT={printed['SERVICE_ACCOUNT']}" in step.command
