"""The guide's gcloud scripts (examples/gcloud/*.sh) are run as written, with `sh`, on a bare
project, and the state they leave is what the matching CircleCI configs need: json-key-raw.yml
for key-setup.sh and rotate-key.sh, gcp-auth-explicit.yml for wif-setup.sh.

They run with each gcloud that can run here (gcloud_run.AVAILABLE): Google's own gcloud inside
`garauth sandbox` against the fake's admin APIs where google-cloud-cli is installed, and always the
stand-in (garauth.fake.gcloud, a test double). The test ID says which: `[gcloud-528.0.0]` or
`[stand-in]`. Where both run, the stand-in's refusals are checked against the real gcloud's.
"""

from __future__ import annotations

import json
import shlex
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from gcloud_run import AVAILABLE, REAL, STAND_IN, Gcloud, label, seed_bare

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
KEY_TABLE = ["KEY_ID", "CREATED_AT", "EXPIRES_AT", "DISABLED", "DISABLE_REASON", "EXTENDED_STATUS"]


class Cloud:
    """A fake workdir, a directory the commands run from, and one gcloud."""

    def __init__(self, kind: str, root: Path, bare: bool = True) -> None:
        self.workdir, self.dir = root / "fake", root / "run"
        self.dir.mkdir(parents=True, exist_ok=True)
        if bare:
            seed_bare(self.workdir)
        self.gcloud = Gcloud(kind, self.workdir, root / "bin")

    def copy(self, root: Path) -> Cloud:
        """An independent copy (state, keys made so far, gcloud's configuration) under root."""
        shutil.copytree(
            self.workdir, root / "fake", ignore=shutil.ignore_patterns("containers", ".sandbox", "run")
        )
        shutil.copytree(self.dir, root / "run")
        return Cloud(self.gcloud.kind, root, bare=False)

    def run(self, *argv: str, check: bool = True, **env: str) -> subprocess.CompletedProcess:
        result = self.gcloud.run(*argv, cwd=self.dir, env=env, timeout=300)
        assert "PRIVATE KEY" not in result.stdout + result.stderr
        if check:
            assert result.returncode == 0, result.stderr[-3000:]
        return result

    def script(self, name: str, **env: str) -> subprocess.CompletedProcess:
        return self.run("sh", str(SCRIPTS / name), **env)

    def state(self) -> State:
        return State.load(self.workdir)

    def key(self, name: str) -> dict:
        return json.loads((self.dir / name).read_text())

    def key_ids(self) -> list[str]:
        table = self.run("gcloud", "iam", "service-accounts", "keys", "list", f"--iam-account={READER_EMAIL}")
        header, *rows = table.stdout.splitlines()
        assert header.split() == KEY_TABLE
        return [row.split()[0] for row in rows]


def reader_keys(state: State) -> list[str]:
    return [key_id for key_id, _ in state.keys_of(READER_EMAIL)]


@pytest.fixture(scope="module", params=AVAILABLE, ids=label)
def kind(request):
    return request.param


@pytest.fixture(autouse=True)
def which_gcloud(request, record_property):
    """Record which gcloud ran (also in the test ID) for reports such as JUnit XML."""
    if "kind" in request.fixturenames:
        record_property("gcloud", label(request.getfixturevalue("kind")))


@pytest.fixture(scope="module")
def set_up(kind, tmp_path_factory):
    """A bare project taken through key-setup.sh, then wif-setup.sh; (cloud, their outputs)."""
    cloud = Cloud(kind, tmp_path_factory.mktemp(f"scripts-{kind}"))
    key_setup = cloud.script("key-setup.sh")
    after_key_setup = cloud.state()
    wif_setup = cloud.script("wif-setup.sh")
    return cloud, key_setup, after_key_setup, wif_setup


@pytest.fixture
def cloud(kind, tmp_path):
    """A bare project of its own, for a test that changes it."""
    return Cloud(kind, tmp_path)


def account(email: str = READER_EMAIL) -> Principal:
    return Principal("serviceAccount", email)


def pullspec(config: str):
    (spec,) = circleci.read(EXAMPLES / "circleci" / config).pullspecs
    return spec


@pytest.mark.parametrize("path", sorted(SCRIPTS.glob("*.sh")), ids=lambda p: p.name)
def test_parses(path):
    result = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_key_setup_gives_a_key_that_can_pull_from_the_repository(set_up):
    cloud, _, state, _ = set_up
    assert REPO in state.repositories
    assert f"serviceAccount:{READER_EMAIL}" in state.iam[REPO][READER]
    assert state.has_permission(account(), DOWNLOAD, REPO)
    key_file = cloud.dir / "key.json"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert state.check_key_file(cloud.key("key.json")) == account()
    assert reader_keys(state) == cloud.key_ids() == [cloud.key("key.json")["private_key_id"]]


def test_key_setup_matches_json_key_raw_config(set_up):
    cloud, _, state, _ = set_up
    spec = pullspec("json-key-raw.yml")
    ar = spec.image.ar
    assert (spec.credential.username, spec.credential.password_ref) == ("_json_key", "GCLOUD_SERVICE_KEY")
    repository = resource_of(ar.project, ar.location, ar.repository)
    assert repository in state.repositories
    principal = state.check_key_file(cloud.key("key.json"))
    assert state.has_permission(principal, DOWNLOAD, repository)


def test_rotate_key_keeps_the_new_key_and_refuses_the_old(set_up, tmp_path):
    cloud = set_up[0].copy(tmp_path)
    (old,) = cloud.key_ids()
    result = cloud.script("rotate-key.sh", OLD_KEY_ID=old)
    assert old in result.stdout  # the list step shows the key to delete
    state = cloud.state()
    with pytest.raises(CredentialRefused):
        state.check_key_file(cloud.key("key.json"))
    assert state.check_key_file(cloud.key("new-key.json")) == account()
    assert cloud.key_ids() == [cloud.key("new-key.json")["private_key_id"]]


def test_rotate_key_without_old_key_id_stops_before_deleting(set_up, tmp_path):
    cloud = set_up[0].copy(tmp_path)
    result = cloud.run("sh", str(SCRIPTS / "rotate-key.sh"), check=False)
    assert result.returncode != 0
    assert "OLD_KEY_ID" in result.stderr
    state = cloud.state()
    assert state.check_key_file(cloud.key("key.json")) == account()  # both keys still live
    assert state.check_key_file(cloud.key("new-key.json")) == account()


def test_wif_setup_creates_pool_provider_and_binding(set_up):
    cloud = set_up[0]
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


def test_wif_setup_matches_gcp_auth_explicit_config(set_up):
    cloud, _, _, wif_setup = set_up
    state = cloud.state()
    spec = pullspec("gcp-auth-explicit.yml")
    fields = spec.credential.fields
    printed = wif_setup.stdout
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
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith("ERROR: (gcloud.iam.service-accounts.add-iam-policy-binding) NOT_FOUND: ")
    assert "Traceback" not in result.stderr
    assert POOL in cloud.state().pools  # the steps before the binding did run


def test_flags_in_both_forms_and_mapping_split_on_first_equals(cloud):
    cloud.run("gcloud", "iam", "workload-identity-pools", "create", "pool1", "--project", demo.PROJECT,
              "--location", "global")  # fmt: skip
    cloud.run(
        "gcloud", "iam", "workload-identity-pools", "providers", "create-oidc", "prov1",
        "--project", demo.PROJECT, "--location=global", "--workload-identity-pool", "pool1",
        "--issuer-uri", "https://issuer.example", "--allowed-audiences=a,b",
        "--attribute-mapping", "google.subject=assertion.sub,attribute.ok=assertion.a == 'b'",
    )  # fmt: skip
    provider = cloud.state().providers[
        f"projects/{demo.PROJECT_NUMBER}/locations/global/workloadIdentityPools/pool1/providers/prov1"
    ]
    assert provider["attribute_mapping"] == {
        "google.subject": "assertion.sub",
        "attribute.ok": "assertion.a == 'b'",
    }
    assert provider["allowed_audiences"] == ["a", "b"]
    number = cloud.run("gcloud", "projects", "describe", demo.PROJECT, "--format", "value(projectNumber)")
    assert number.stdout == f"{demo.PROJECT_NUMBER}\n"


# --- refusals ---------------------------------------------------------------------------------

REPO_CREATE = ("gcloud", "artifacts", "repositories", "create", "demo-repo", "--project", demo.PROJECT,
               "--location", demo.LOCATION, "--repository-format", "docker")  # fmt: skip
NOBODY = "--iam-account=nobody@demo-project.iam.gserviceaccount.com"
REPO_CMD = "gcloud.artifacts.repositories.create"
SA_CMD = "gcloud.iam.service-accounts.create"
POOL_CREATE = ("gcloud", "iam", "workload-identity-pools", "create", "pool1", f"--project={demo.PROJECT}",
               "--location=global")  # fmt: skip
SA_CREATE = ("gcloud", "iam", "service-accounts", "create", "ci-puller", f"--project={demo.PROJECT}")

# Refusals where the stand-in prints what the real gcloud prints against the fake, word for word.
SAME_AS_GCLOUD = {
    "repository-twice": ([REPO_CREATE], REPO_CREATE),
    "account-twice": ([SA_CREATE], SA_CREATE),
    "no-project": ([], ("gcloud", "iam", "service-accounts", "create", "ci-puller", "--project=nope")),
    "no-account": ([], ("gcloud", "iam", "service-accounts", "keys", "create", "k.json", NOBODY)),
    "no-account-binding": ([], ("gcloud", "iam", "service-accounts", "add-iam-policy-binding", READER_EMAIL,
                                f"--project={demo.PROJECT}", "--role=roles/iam.workloadIdentityUser",
                                f"--member={demo.org_member()}")),
    "bad-account-id": ([], ("gcloud", "iam", "service-accounts", "create", "CI", f"--project={demo.PROJECT}")),
    "bad-repository-id": ([], ("gcloud", "artifacts", "repositories", "create", "Demo_Repo", f"--project={demo.PROJECT}",
                           f"--location={demo.LOCATION}", "--repository-format=docker")),
    "no-key": ([SA_CREATE], ("gcloud", "iam", "service-accounts", "keys", "delete", "0123abcd", "--quiet",
                             f"--iam-account=ci-puller@{demo.PROJECT}.iam.gserviceaccount.com")),
    "pool-twice": ([POOL_CREATE], POOL_CREATE),
    "no-pool": ([], ("gcloud", "iam", "workload-identity-pools", "providers", "create-oidc", "prov", "--location=global",
                     f"--project={demo.PROJECT}", "--workload-identity-pool=nopool", "--issuer-uri=https://x.example",
                     "--attribute-mapping=google.subject=assertion.sub")),
    "no-subject-mapping": ([POOL_CREATE], ("gcloud", "iam", "workload-identity-pools", "providers", "create-oidc", "prov",
                           "--location=global", f"--project={demo.PROJECT}", "--workload-identity-pool=pool1",
                           "--issuer-uri=https://x.example", "--attribute-mapping=attribute.a=assertion.sub")),
    "project-unknown": ([], ("gcloud", "projects", "describe", "nope", "--format=value(projectNumber)")),
    "missing-role-prefix": ([REPO_CREATE], ("gcloud", "artifacts", "repositories", "add-iam-policy-binding",
                             "demo-repo", f"--project={demo.PROJECT}", f"--location={demo.LOCATION}",
                             f"--member=serviceAccount:{READER_EMAIL}", "--role=roles/iam.workloadIdentityUser")),
}  # fmt: skip


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
                     SA_CMD, "INVALID_ARGUMENT: Invalid account ID [CI]", id="bad-account-id"),
        pytest.param([], ("gcloud", "iam", "service-accounts", "create", "ci-puller", "--project=nope"),
                     SA_CMD, "does not have permission to access projects instance [nope]", id="no-project"),
        pytest.param([], ("gcloud", "iam", "service-accounts", "keys", "create", "k.json", NOBODY),
                     "gcloud.iam.service-accounts.keys.create", "PERMISSION_DENIED", id="no-account"),
        pytest.param([], ("gcloud", "projects", "describe", demo.PROJECT, "--format=json"),
                     "gcloud.projects.describe", "--format", id="other-format"),
    ],
)  # fmt: skip
def test_stand_in_refusals_are_one_clear_line(tmp_path, before, argv, where, says):
    cloud = Cloud(STAND_IN, tmp_path)
    for earlier in before:
        cloud.run(*earlier)
    result = cloud.run(*argv, check=False)
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"ERROR: ({where}) ") and says in line
    if where.count(".") < 2:  # an unknown command lists the ones the stand-in has
        assert "supports only the guide's commands" in line and "providers create-oidc" in line
    assert not (cloud.dir / "k.json").exists()


def _error_lines(cloud: Cloud) -> dict[str, str]:
    """Each SAME_AS_GCLOUD case, in one run: case -> (exit status, last line on stderr)."""
    script = ""
    for case, (before, argv) in SAME_AS_GCLOUD.items():
        script += "".join(f"{shlex.join(b)} >/dev/null 2>&1\n" for b in before)
        script += f"{shlex.join(argv)} 2>err-{case}.txt; echo $? > status-{case}.txt\n"
    cloud.run("sh", "-c", script)
    lines = {}
    for case in SAME_AS_GCLOUD:
        status = (cloud.dir / f"status-{case}.txt").read_text().strip()
        lines[case] = (status, (cloud.dir / f"err-{case}.txt").read_text().strip().splitlines()[-1])
    return lines


@pytest.mark.skipif(
    REAL not in AVAILABLE, reason="google-cloud-cli is not installed: nothing to compare with"
)
def test_stand_in_refusals_read_as_the_real_gcloud_prints_them(tmp_path):
    real = _error_lines(Cloud(REAL, tmp_path / "real"))
    stand_in = _error_lines(Cloud(STAND_IN, tmp_path / "stand-in"))
    assert stand_in == real


def test_without_a_workdir_the_stand_in_says_so(tmp_path):
    cloud = Cloud(STAND_IN, tmp_path)
    result = cloud.run(
        "gcloud", "projects", "describe", demo.PROJECT, check=False, **{gcloud.WORKDIR_ENV: ""}
    )
    assert result.returncode == 1
    assert result.stderr.startswith(f"ERROR: (gcloud.projects.describe) {gcloud.WORKDIR_ENV} is not set")
