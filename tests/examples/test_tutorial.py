"""The tutorial, end to end: from a bare project, run its gcloud commands as written, push an
image, and pull the job image of each config it ends with, as CircleCI would: first with the key
the commands created, then keyless.

The gcloud commands run with Google's own gcloud inside `garauth sandbox`, against the fake's admin
APIs, where google-cloud-cli is installed; elsewhere with the stand-in (garauth.fake.gcloud). The
test ID says which (`[gcloud-528.0.0]` or `[stand-in]`); GARAUTH_GCLOUD=stand-in picks the
stand-in even where gcloud is installed (to compare the two).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from gcloud_run import PREFERRED, Gcloud, label, seed_bare

from garauth import sandbox
from garauth.fake import demo, images
from garauth.fake.state import State, repository_name
from garauth.readers import circleci
from kit import EXAMPLES
from kit.runner import pull

CIRCLECI = EXAMPLES / "circleci"
GCLOUD_EXAMPLES = CIRCLECI.parent / "gcloud"
AVAILABLE, WHY_NOT = sandbox.available()
pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.skipif(not AVAILABLE, reason=f"garauth sandbox cannot run here: {WHY_NOT}"),
    pytest.mark.skipif(shutil.which("podman") is None, reason="podman is not installed"),
]


# The tutorial's project has no demo key files: only the keyless values are bound up front.
GCP_VARIABLES = {
    "GCP_OIDC_SERVICE_ACCOUNT": demo.email("reader"),
    "GCP_WORKLOAD_IDENTITY_POOL": demo.pool_name(),
    "GCP_WORKLOAD_IDENTITY_PROVIDER": demo.PROVIDER_ID,
}


def run_script(gcloud: Gcloud, name: str, cwd: Path) -> None:
    proc = gcloud.run("sh", str(GCLOUD_EXAMPLES / name), cwd=cwd)
    assert proc.returncode == 0, f"{name} failed with {gcloud.label}:\n{proc.stdout}\n{proc.stderr[-3000:]}"


@pytest.fixture(scope="module", params=[PREFERRED], ids=label)
def tutorial(request, tmp_path_factory):
    """A project taken through the tutorial's commands; returns (workdir, the key file it made, the
    directory the commands ran in, the gcloud that ran them)."""
    root = tmp_path_factory.mktemp("tutorial")
    workdir, home = root / "fake", root / "you"
    home.mkdir()
    seed_bare(workdir)
    gcloud = Gcloud(request.param, workdir, root / "bin")
    run_script(gcloud, "key-setup.sh", home)
    # "Push your image to it as usual": the team's push, done here by the fake directly.
    state = State.load(workdir)
    images.store_hello(state, repository_name(demo.PROJECT, demo.LOCATION, demo.REPO))
    state.save(workdir)
    return workdir, home / "key.json", home, gcloud


@pytest.fixture(autouse=True)
def which_gcloud(tutorial, record_property):
    record_property("gcloud", tutorial[3].label)


def test_the_key_the_tutorial_made_pulls_the_job_image(tutorial):
    workdir, key, *_ = tutorial
    spec = circleci.read(CIRCLECI / "json-key-raw.yml").pullspecs[0]
    bound = {**GCP_VARIABLES, "GCLOUD_SERVICE_KEY": key.read_text()}
    result = pull(spec, workdir, bound)
    assert result.ok, result.describe()


@pytest.mark.parametrize("v2_token", [False, True], ids=["CIRCLE_OIDC_TOKEN", "CIRCLE_OIDC_TOKEN_V2"])
def test_after_the_keyless_setup_gcp_auth_pulls_the_job_image(tutorial, v2_token):
    workdir, _key, home, gcloud = tutorial
    if not State.load(workdir).pools:
        run_script(gcloud, "wif-setup.sh", home)
    spec = circleci.read(CIRCLECI / "gcp-auth-explicit.yml").pullspecs[0]
    result = pull(spec, workdir, GCP_VARIABLES, v2_token=v2_token)
    assert result.ok, result.describe()


def test_without_the_binding_the_keyless_pull_is_refused(tutorial, tmp_path):
    """The binding step matters: remove it and the same pull fails at the token exchange."""
    workdir, _key, home, gcloud = tutorial
    if not State.load(workdir).pools:
        run_script(gcloud, "wif-setup.sh", home)
    copy = tmp_path / "fake"
    shutil.copytree(workdir, copy, ignore=shutil.ignore_patterns("containers", ".sandbox", "run"))
    state = State.load(copy)
    account = f"projects/{demo.PROJECT}/serviceAccounts/{demo.email('reader')}"
    for role, members in list(state.iam.get(account, {}).items()):
        for member in list(members):
            state.revoke(account, role, member)
    state.save(copy)
    spec = circleci.read(CIRCLECI / "gcp-auth-explicit.yml").pullspecs[0]
    result = pull(spec, copy, GCP_VARIABLES)
    assert not result.ok
    assert "iam.serviceAccounts.getAccessToken" in result.proc.stderr


def script_parts(name: str) -> tuple[str, dict[str, str]]:
    """A script's prelude (everything before its first section) and its named sections."""
    text = (GCLOUD_EXAMPLES / name).read_text()
    prelude = text.split("# --8<-- [start:", 1)[0]
    sections = {}
    for chunk in text.split("# --8<-- [start:")[1:]:
        section, _, rest = chunk.partition("]\n")
        sections[section] = rest.split(f"# --8<-- [end:{section}]", 1)[0]
    return prelude, sections


def test_rotation_never_leaves_the_job_without_a_working_key(tutorial, tmp_path):
    """rotate-key.sh, step by step as the how-to runs it: both keys pull between creating the new
    key and deleting the old one; after that only the new key pulls."""
    workdir, old_key, _home, gcloud = tutorial
    copy, cwd = tmp_path / "fake", tmp_path / "you"
    shutil.copytree(workdir, copy, ignore=shutil.ignore_patterns("containers", ".sandbox", "run"))
    cwd.mkdir()
    prelude, sections = script_parts("rotate-key.sh")
    rotating = Gcloud(gcloud.kind, copy, tmp_path / "bin")

    def step(section: str, **extra) -> str:
        proc = rotating.run("sh", "-c", prelude + sections[section], cwd=cwd, env=extra)
        assert proc.returncode == 0, f"rotate-key.sh [{section}] failed:\n{proc.stderr[-3000:]}"
        return proc.stdout

    spec = circleci.read(CIRCLECI / "json-key-raw.yml").pullspecs[0]

    def pulls_with(key: Path) -> bool:
        return pull(spec, copy, {**GCP_VARIABLES, "GCLOUD_SERVICE_KEY": key.read_text()}).ok

    listed = step("list")
    old_id = json.loads(old_key.read_text())["private_key_id"]
    assert old_id in listed
    step("create")
    new_key = cwd / "new-key.json"
    assert pulls_with(old_key) and pulls_with(new_key), "both keys must pull before the old one is deleted"
    step("delete", OLD_KEY_ID=old_id)
    assert not pulls_with(old_key)
    assert pulls_with(new_key)
