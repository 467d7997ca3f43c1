"""The guide's gcloud scripts (examples/gcloud/*.sh) are run as written, with `sh`, against the
stand-in gcloud (garauth.fake.gcloud, a test double) on a bare project, and the state they leave
is what the matching CircleCI configs need: json-key-raw.yml for key-setup.sh and rotate-key.sh,
gcp-auth-explicit.yml for wif-setup.sh.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from garauth.fake import demo, gcloud
from garauth.fake.errors import DOWNLOAD, GET_ACCESS_TOKEN
from garauth.fake.state import READER, WORKLOAD_IDENTITY_USER, CredentialRefused, Principal, State
from garauth.fake.state import repository_name as resource_of
from garauth.readers import circleci

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SCRIPTS = EXAMPLES / "gcloud"
READER_EMAIL = demo.email("reader")
REPO = resource_of(demo.PROJECT, demo.LOCATION, demo.REPO)
POOL = f"projects/{demo.PROJECT_NUMBER}/locations/global/workloadIdentityPools/circleci"
PROVIDER = f"{POOL}/providers/circleci"
ORG = demo.ORG_ID


@pytest.fixture
def cloud(tmp_path):
    """A bare project in a fake workdir, the stand-in gcloud first on PATH, and a run() helper."""
    workdir = tmp_path / "fake"
    state = State()
    demo.seed_bare(state)
    state.save(workdir)
    gcloud.install(tmp_path / "bin")
    cwd = tmp_path / "run"
    cwd.mkdir()
    env = {
        **os.environ,
        "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}",
        gcloud.WORKDIR_ENV: str(workdir),
    }
    env.pop("CLOUDSDK_CORE_PROJECT", None)

    class Cloud:
        dir = cwd

        @staticmethod
        def run(*argv: str, check: bool = True, **extra_env: str) -> subprocess.CompletedProcess:
            result = subprocess.run(
                argv, cwd=cwd, env={**env, **extra_env}, capture_output=True, text=True, timeout=120
            )
            assert "PRIVATE KEY" not in result.stdout + result.stderr
            if check:
                assert result.returncode == 0, result.stderr
            return result

        @staticmethod
        def script(name: str, **extra_env: str) -> subprocess.CompletedProcess:
            return Cloud.run("sh", str(SCRIPTS / name), **extra_env)

        @staticmethod
        def state() -> State:
            return State.load(workdir)

        @staticmethod
        def key(name: str) -> dict:
            return json.loads((cwd / name).read_text())

    return Cloud


def account(email: str = READER_EMAIL) -> Principal:
    return Principal("serviceAccount", email)


def key_ids(cloud) -> list[str]:
    table = cloud.run("gcloud", "iam", "service-accounts", "keys", "list", f"--iam-account={READER_EMAIL}")
    header, *rows = table.stdout.splitlines()
    assert header.split() == ["KEY_ID", "CREATED_AT", "EXPIRES_AT", "DISABLED"]
    return [row.split()[0] for row in rows]


def pullspec(config: str):
    (spec,) = circleci.read(EXAMPLES / "circleci" / config).pullspecs
    return spec


@pytest.mark.parametrize("path", sorted(SCRIPTS.glob("*.sh")), ids=lambda p: p.name)
def test_parses(path):
    result = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_key_setup_gives_a_key_that_can_pull_from_the_repository(cloud):
    cloud.script("key-setup.sh")
    state = cloud.state()
    assert REPO in state.repositories
    assert f"serviceAccount:{READER_EMAIL}" in state.iam[REPO][READER]
    assert state.has_permission(account(), DOWNLOAD, REPO)
    key_file = cloud.dir / "key.json"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert state.check_key_file(cloud.key("key.json")) == account()
    assert list(state.keys) == key_ids(cloud) == [cloud.key("key.json")["private_key_id"]]


def test_key_setup_matches_json_key_raw_config(cloud):
    cloud.script("key-setup.sh")
    state = cloud.state()
    spec = pullspec("json-key-raw.yml")
    ar = spec.image.ar
    assert (spec.credential.username, spec.credential.password_ref) == ("_json_key", "GCLOUD_SERVICE_KEY")
    repository = resource_of(ar.project, ar.location, ar.repository)
    assert repository in state.repositories
    principal = state.check_key_file(cloud.key("key.json"))
    assert state.has_permission(principal, DOWNLOAD, repository)


def test_rotate_key_keeps_the_new_key_and_refuses_the_old(cloud):
    cloud.script("key-setup.sh")
    (old,) = key_ids(cloud)
    result = cloud.script("rotate-key.sh", OLD_KEY_ID=old)
    assert old in result.stdout  # the list step shows the key to delete
    state = cloud.state()
    with pytest.raises(CredentialRefused):
        state.check_key_file(cloud.key("key.json"))
    assert state.check_key_file(cloud.key("new-key.json")) == account()
    assert key_ids(cloud) == [cloud.key("new-key.json")["private_key_id"]]


def test_rotate_key_without_old_key_id_stops_before_deleting(cloud):
    cloud.script("key-setup.sh")
    result = cloud.run("sh", str(SCRIPTS / "rotate-key.sh"), check=False)
    assert result.returncode != 0
    assert "OLD_KEY_ID" in result.stderr
    state = cloud.state()
    assert state.check_key_file(cloud.key("key.json")) == account()  # both keys still live
    assert state.check_key_file(cloud.key("new-key.json")) == account()


def test_wif_setup_creates_pool_provider_and_binding(cloud):
    cloud.script("key-setup.sh")  # the repository, the reader account and its role
    cloud.script("wif-setup.sh")
    state = cloud.state()
    assert POOL in state.pools
    provider = state.providers[PROVIDER]
    assert provider["issuer"] == f"https://oidc.circleci.com/org/{ORG}"
    assert provider["allowed_audiences"] == [ORG]
    assert provider["attribute_mapping"] == {
        "google.subject": "assertion.aud + '/' + assertion.sub.extract('/project/{project_id}/')",
        "attribute.org_id": "assertion.aud",
        "attribute.project": "assertion['oidc.circleci.com/project-id']",
    }
    assert provider["attribute_condition"] == f"attribute.org_id == '{ORG}'"
    binding = state.iam[f"projects/{demo.PROJECT}/serviceAccounts/{READER_EMAIL}"][WORKLOAD_IDENTITY_USER]
    assert binding == [demo.org_member()]


def test_wif_setup_matches_gcp_auth_explicit_config(cloud):
    cloud.script("key-setup.sh")
    printed = cloud.script("wif-setup.sh").stdout
    state = cloud.state()
    spec = pullspec("gcp-auth-explicit.yml")
    fields = spec.credential.fields
    echoed = dict(line.split(":", 1) for line in printed.splitlines() if line.split(":")[0] in fields)
    assert {name: value.strip() for name, value in echoed.items()} == fields  # its gcp-auth section
    assert (
        f"{fields['workload_identity_pool']}/providers/{fields['workload_identity_provider']}"
        in state.providers
    )
    email = fields["oidc_service_account"]
    org_principal = Principal(
        "federated", "principal://example", {"attribute.org_id": ORG}, fields["workload_identity_pool"]
    )
    assert state.has_permission(
        org_principal, GET_ACCESS_TOKEN, f"projects/{demo.PROJECT}/serviceAccounts/{email}"
    )
    ar = spec.image.ar
    assert state.has_permission(account(email), DOWNLOAD, resource_of(ar.project, ar.location, ar.repository))


def test_wif_setup_alone_on_a_bare_project_stops_at_the_binding(cloud):
    """wif-setup.sh binds an account it does not create: it needs key-setup.sh's account first."""
    result = cloud.run("sh", str(SCRIPTS / "wif-setup.sh"), check=False)
    assert result.returncode == 1
    assert "NOT_FOUND" in result.stderr and READER_EMAIL in result.stderr
    assert "Traceback" not in result.stderr


def test_flags_in_both_forms_and_mapping_split_on_first_equals(cloud):
    cloud.run(
        "gcloud",
        "iam",
        "workload-identity-pools",
        "create",
        "p1",
        "--project",
        demo.PROJECT,
        "--location",
        "global",
    )
    cloud.run(
        "gcloud", "iam", "workload-identity-pools", "providers", "create-oidc", "x1",
        "--project", demo.PROJECT, "--location=global", "--workload-identity-pool", "p1",
        "--issuer-uri", "https://issuer.example", "--allowed-audiences=a,b",
        "--attribute-mapping", "google.subject=assertion.sub,attribute.ok=assertion.a == 'b'",
    )  # fmt: skip
    provider = cloud.state().providers[
        f"projects/{demo.PROJECT_NUMBER}/locations/global/workloadIdentityPools/p1/providers/x1"
    ]
    assert provider["attribute_mapping"] == {
        "google.subject": "assertion.sub",
        "attribute.ok": "assertion.a == 'b'",
    }
    assert provider["allowed_audiences"] == ["a", "b"]
    number = cloud.run("gcloud", "projects", "describe", demo.PROJECT, "--format", "value(projectNumber)")
    assert number.stdout == f"{demo.PROJECT_NUMBER}\n"


REPO_CREATE = ("gcloud", "artifacts", "repositories", "create", "demo-repo", "--project", demo.PROJECT,
               "--location", demo.LOCATION, "--repository-format", "docker")  # fmt: skip
NOBODY = "--iam-account=nobody@demo-project.iam.gserviceaccount.com"
REPO_CMD = "gcloud.artifacts.repositories.create"
SA_CMD = "gcloud.iam.service-accounts.create"


@pytest.mark.parametrize(
    ("before", "argv", "where", "says"),
    [
        pytest.param([], ("gcloud", "compute", "instances", "list"), "gcloud", "Invalid choice: 'compute'",
                     id="unknown-group"),
        pytest.param([], ("gcloud", "iam", "roles", "list"), "gcloud.iam", "Invalid choice: 'roles'",
                     id="unknown-command"),
        pytest.param([], (*REPO_CREATE, "--labels=a=b"), REPO_CMD, "unrecognized arguments: --labels=a=b",
                     id="unknown-flag"),
        pytest.param([REPO_CREATE], REPO_CREATE, REPO_CMD, "ALREADY_EXISTS", id="repository-twice"),
        pytest.param([], (*REPO_CREATE[:-1], "maven"), REPO_CMD, "only --repository-format=docker",
                     id="not-docker"),
        pytest.param([], REPO_CREATE[:7] + REPO_CREATE[9:], REPO_CMD, "--location: Must be specified.",
                     id="missing-flag"),
        pytest.param([], ("gcloud", "iam", "service-accounts", "create", "CI", f"--project={demo.PROJECT}"),
                     SA_CMD, "Bad value [CI]", id="bad-account-id"),
        pytest.param([], ("gcloud", "iam", "service-accounts", "create", "ci-puller", "--project=nope"),
                     SA_CMD, "NOT_FOUND: Project [nope]", id="no-project"),
        pytest.param([], ("gcloud", "iam", "service-accounts", "keys", "create", "k.json", NOBODY),
                     "gcloud.iam.service-accounts.keys.create", "NOT_FOUND", id="no-account"),
        pytest.param([], ("gcloud", "projects", "describe", demo.PROJECT, "--format=json"),
                     "gcloud.projects.describe", "--format", id="other-format"),
    ],
)  # fmt: skip
def test_refusals_are_one_clear_line(cloud, before, argv, where, says):
    for earlier in before:
        cloud.run(*earlier)
    result = cloud.run(*argv, check=False)
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"ERROR: ({where}) ") and says in line
    if where.count(".") < 2:  # an unknown command lists the ones the stand-in has
        assert "supports only the guide's commands" in line and "providers create-oidc" in line
    assert not (cloud.dir / "k.json").exists()


def test_without_a_workdir_it_says_so(cloud):
    result = cloud.run(
        "gcloud", "projects", "describe", demo.PROJECT, check=False, **{gcloud.WORKDIR_ENV: ""}
    )
    assert result.returncode == 1
    assert result.stderr.startswith(f"ERROR: (gcloud.projects.describe) {gcloud.WORKDIR_ENV} is not set")
