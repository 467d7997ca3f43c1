"""GitHub Actions, on the test kit: what GitHub gives the examples' secrets, how a job's steps are
done here, and the failures the troubleshooting page shows.

From kit.suite.PlatformSuite: every workflow read and validated against GitHub's workflow schema
(check-jsonschema's `github-workflows`); every job and service container pulled as written
through the Docker Engine, with its `credentials:` used for that pull alone, as GitHub's runner
does before the first step (actions/runner#694).

Here, a job's steps as written, with real clients in the shared sandbox. GitHub's runner and the
actions' JavaScript are not run; each step is done by what it amounts to:
  * docker/login-action: `docker login --password-stdin --username USERNAME REGISTRY` with the
    password on standard input, as the action runs it (its src/docker.ts);
  * google-github-actions/auth with workload_identity_provider: a GitHub-shaped OIDC token from
    the fake's stand-in issuer (audience https://iam.googleapis.com/PROVIDER, as the action asks
    for), exchanged by google-auth's identity_pool credentials through STS and IAM credentials
    for the service account; its `access_token` output only with token_format: access_token;
  * google-github-actions/auth with credentials_json: the key written to a credentials file in
    the workspace, exported as CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE and
    GOOGLE_APPLICATION_CREDENTIALS (the action's README, "create_credentials_file");
  * actions/checkout: the workspace exists already;
  * run: the script with each ${{ }} value put in as text, as GitHub does, run by
    `bash --noprofile --norc -eo pipefail FILE`, GitHub's default shell on Linux runners. The
    script goes through a file, never an argv, since the values are secrets.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from gcloud_run import PREFERRED, Gcloud, label, seed_bare

from garauth import yamlfile
from garauth.fake import demo, github_oidc
from garauth.fake.state import State, repository_name
from garauth.readers import github_actions
from garauth.readers.github_actions import AUTH_ACTION, LOGIN_ACTION, Step
from kit import EXAMPLES
from kit.availability import needs_sandbox, require
from kit.outputs import client_lines, compare, describe
from kit.refusals import PASSWORDS
from kit.runner import Federated, Secret, exchange, run_step
from kit.suite import Case, PlatformSuite
from kit.workdir import Workdir

FOLDER = EXAMPLES / "github"
ERRORS = FOLDER / "errors"
CHECKOUT = "actions/checkout"
SHELL = "/bin/bash --noprofile --norc -eo pipefail"  # GitHub's `bash` shell on Linux runners
_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_CLEAN_ENGINE = "docker image ls -aq | sort -u | xargs -r docker image rm -f >/dev/null"
_AUTH_MISSING_ID_TOKEN = (  # google-github-actions/auth src/main.ts, oidcWarning (first sentence)
    "GitHub Actions did not inject $ACTIONS_ID_TOKEN_REQUEST_TOKEN or $ACTIONS_ID_TOKEN_REQUEST_URL into this job."
)


def stored_forms(key_text: str, tmp: Path) -> dict[str, str]:
    """The secrets' values, made by examples/github/store-key.sh from a key file as downloaded."""
    require("jq")
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "key.json").write_text(key_text)
    proc = subprocess.run(["sh", str(FOLDER / "store-key.sh")], cwd=tmp, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    forms = {"minified": (tmp / "key.min.json").read_text(), "base64": (tmp / "key.json.b64").read_text()}
    for name in ("key.json", "key.min.json", "key.json.b64"):
        (tmp / name).unlink()
    return forms


# -- a job's steps, done here ---------------------------------------------------------------------


@dataclass
class JobRun:
    """What one job's steps did: each step's process, in order, and the steps' outputs."""

    procs: list[tuple[Step, subprocess.CompletedProcess]] = field(default_factory=list)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)  # what steps exported (GITHUB_ENV's effect)

    @property
    def failed(self) -> tuple[Step, subprocess.CompletedProcess] | None:
        return next(((s, p) for s, p in self.procs if p.returncode != 0), None)


def job_steps(path: Path, job: str) -> list[Step]:
    return [s for s in github_actions.steps_of(str(path), yamlfile.load(path)) if s.job == job]


def _job_context(path: Path, step: Step) -> dict:
    """The reader's facts about a step (its PullSpec's context), e.g. the job's id-token permission."""
    for spec in github_actions.read(path).pullspecs:
        if spec.context.get("job") == step.job and spec.context.get("step") == step.label:
            return spec.context
    return {}


def _value(text: str, secrets: dict[str, str], outputs: dict[str, dict[str, str]]) -> str:
    """A `with:` value or a script with each ${{ }} put in as GitHub does (empty when absent)."""

    def one(m: re.Match) -> str:
        inner = m.group(1)
        ctx = re.fullmatch(r"secrets\.([A-Za-z_][A-Za-z0-9_]*)", inner)
        if ctx:
            return secrets.get(ctx.group(1), "")
        out = re.fullmatch(r"steps\.([A-Za-z_][A-Za-z0-9_-]*)\.outputs\.([A-Za-z_][A-Za-z0-9_-]*)", inner)
        if out:
            return outputs.get(out.group(1), {}).get(out.group(2), "")
        raise AssertionError(f"the test does not evaluate ${{{{ {inner} }}}}")

    return _EXPRESSION.sub(one, text if isinstance(text, str) else str(text))


def _done(step: Step, code: int, stderr: str = "") -> subprocess.CompletedProcess:
    return subprocess.CompletedProcess([step.uses or "run"], code, "", stderr)


class Runner:
    """Does a job's steps as written (see the module docstring), in `checkout`."""

    def __init__(self, path: Path, workdir: Workdir, secrets: dict[str, str], checkout: Path,
                 path_for_run: str | None = None) -> None:  # fmt: skip
        self.path, self.workdir, self.secrets, self.checkout = path, workdir, secrets, checkout
        self.path_for_run = path_for_run  # PATH of run: steps, when the test changes it
        self.run = JobRun()

    def job(self, name: str, stop_on_failure: bool = True) -> JobRun:
        for index, step in enumerate(job_steps(self.path, name)):
            proc = self.step(step, index)
            self.run.procs.append((step, proc))
            if proc.returncode != 0 and stop_on_failure:
                break
        return self.run

    def step(self, step: Step, index: int) -> subprocess.CompletedProcess:
        if step.action == CHECKOUT:
            return _done(step, 0)
        if step.action == AUTH_ACTION:
            return self._auth(step)
        if step.action == LOGIN_ACTION:
            return self._login(step)
        if step.run is not None:
            return self._run(step, index)
        raise AssertionError(f"{step.position}: the test does not do the step {step.uses}")

    def _with(self, step: Step, key: str) -> str:
        return _value(step.inputs.get(key, ""), self.secrets, self.run.outputs)

    def _auth(self, step: Step) -> subprocess.CompletedProcess:
        outputs: dict[str, str] = {"project_id": demo.PROJECT}
        token_format = self._with(step, "token_format")
        if "credentials_json" in step.inputs:
            creds = self.checkout / f"gha-creds-{uuid.uuid4().hex[:16]}.json"
            creds.write_text(self._with(step, "credentials_json"))
            creds.chmod(0o600)
            self.run.env.update(
                CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE=str(creds),
                GOOGLE_APPLICATION_CREDENTIALS=str(creds),
                GOOGLE_GHA_CREDS_PATH=str(creds),
            )
            outputs["credentials_file_path"] = str(creds)
            assert not token_format, f"{step.position}: the test mints no token from a key"
        else:
            if _job_context(self.path, step).get("id_token") != "write":
                return _done(step, 1, _AUTH_MISSING_ID_TOKEN)
            provider = self._with(step, "workload_identity_provider")
            pool, _, provider_id = provider.rpartition("/providers/")
            token = github_oidc.mint_github_token(self.workdir.state, github_oidc.provider_audience(provider))
            account = self._with(step, "service_account")
            proc = exchange(Federated(pool, provider_id, account), self.workdir, token)
            if proc.returncode != 0:
                return proc
            if token_format == "access_token":
                outputs["access_token"] = Secret(proc.stdout.strip())
        if step.id:
            self.run.outputs[step.id] = outputs
        return _done(step, 0)

    def _login(self, step: Step) -> subprocess.CompletedProcess:
        username, password = self._with(step, "username"), self._with(step, "password")
        if not username or not password:  # the action stops before docker login (src/docker.ts)
            what = (
                "Username and password"
                if not username and not password
                else "Username"
                if not username
                else "Password"
            )
            return _done(step, 1, f"Error: {what} required")
        registry = self._with(step, "registry") or "docker.io"
        command = 'printf %s "$GH_PASSWORD" | docker login --password-stdin --username "$GH_USERNAME" "$GH_REGISTRY"'
        env = {"GH_PASSWORD": Secret(password), "GH_USERNAME": username, "GH_REGISTRY": registry}
        return run_step(command, self.workdir, env, cwd=self.checkout)

    def _run(self, step: Step, index: int) -> subprocess.CompletedProcess:
        script = self.checkout.parent / f"step-{index}.sh"
        script.write_text(_value(step.run or "", self.secrets, self.run.outputs))
        script.chmod(0o600)
        env = {**self.run.env, "GITHUB_WORKSPACE": str(self.checkout), "GH_SCRIPT": str(script)}
        command = f'exec {SHELL} "$GH_SCRIPT"'
        if self.path_for_run is not None:  # the step's own PATH (the sandbox's tools need the usual one)
            env["GH_PATH"] = self.path_for_run
            command = 'PATH="$GH_PATH" ' + command
        try:
            return run_step(command, self.workdir, env, cwd=self.checkout)
        finally:
            script.unlink()


def pulled_images(path: Path, job: str) -> list[str]:
    return [m for s in job_steps(path, job) for m in re.findall(r"docker pull (\S+)", s.run or "")]


# -- the platform ---------------------------------------------------------------------------------


class TestGitHub(PlatformSuite):
    platform = "github"
    reader = github_actions
    engine = "docker"  # GitHub's runner pulls job and service containers with its Docker Engine
    # The runner's own last words after the engine's message, when the third try fails
    # (actions/runner, src/Runner.Worker/ContainerOperationProvider.cs).
    job_image_error = "{error}\nDocker pull failed with exit code 1"
    cases = [
        Case("no-reader-role", "job-container.yml", "no-reader-role", "GAR_JSON_KEY"),
        Case("deleted-key", "job-container.yml", "deleted-key", "GAR_JSON_KEY"),
    ]

    def variables(self, workdir: Workdir) -> dict[str, str]:
        """The repository secrets the examples name, holding the reader's key in the forms
        store-key.sh makes (what the pages tell you to store)."""
        forms = stored_forms(workdir.key_text("reader"), workdir.path / "store")
        return {
            "GAR_JSON_KEY": Secret(forms["minified"]),
            "GAR_JSON_KEY_B64": Secret(forms["base64"]),
            "GCP_SA_KEY": Secret(forms["minified"]),
        }

    def prepare(self, state: State) -> None:
        """The pool, provider and binding examples/github/wif-setup.sh makes (tested below)."""
        if github_oidc.provider_name(demo.PROJECT_NUMBER) not in state.providers:
            github_oidc.add_demo_provider(state, demo.PROJECT, demo.PROJECT_NUMBER, demo.email("reader"))

    @classmethod
    def login_jobs(cls, path: Path) -> list[str]:
        """Jobs whose steps authenticate: a login-action or auth step, or a login in a script."""
        jobs = [
            s.job
            for s in github_actions.steps_of(str(path), yamlfile.load(path))
            if s.action in (LOGIN_ACTION, AUTH_ACTION) or "docker login" in (s.run or "")
        ]
        return list(dict.fromkeys(jobs))

    @needs_sandbox
    def test_steps_run_as_written(self, job, workdir: Workdir):
        """Each step of a job that authenticates, done as the module docstring says, in order;
        every image a `docker pull` step names arrives with the digest the registry holds."""
        path, name = job
        self.prepare(workdir.state)
        gcloud_steps = any("gcloud" in (s.run or "") for s in job_steps(path, name))
        if gcloud_steps and not (shutil.which("gcloud") and shutil.which("docker-credential-gcloud")):
            pytest.skip("google-cloud-cli is not installed here")
        checkout = workdir.path / "workspace"
        checkout.mkdir()
        try:
            run = Runner(path, workdir, self.variables(workdir), checkout).job(name)
            failed = run.failed
            assert failed is None, f"{failed[0].position}: the step failed\n{describe(failed[1])}"
            for image in pulled_images(path, name):
                shown = run_step(
                    f"docker image inspect --format '{{{{index .RepoDigests 0}}}}' {image}", workdir
                )
                host, project, repo, rest = image.split("/", 3)
                expected = workdir.state.get_manifest(
                    repository_name(project, host.removesuffix("-docker.pkg.dev"), repo), *rest.split(":")
                )
                assert expected and shown.stdout.strip().endswith(expected[0]), describe(shown)
        finally:
            run_step(_CLEAN_ENGINE, workdir)

    def test_every_example_is_exercised(self):
        super().test_every_example_is_exercised()
        assert {p.name for p in self.examples()} == {
            "auth-json-key.yml", "job-container.yml", "keyless.yml", "login-json-key.yml",
            "login-json-key-base64.yml", "service-container.yml",
        }  # fmt: skip

    def test_every_stored_output_belongs_to_a_case(self):
        names = CASES | {c.name for c in self.cases}
        strays = [p.name for p in ERRORS.glob("*.txt") if p.name.split(".")[0] not in names]
        assert strays == []

    def test_examples_are_clean_under_garauth_check(self):
        """garauth check recognises every workflow and script of the folder and finds nothing."""
        from garauth.commands.check import examine

        for path in sorted(p for p in FOLDER.iterdir() if p.suffix in (".yml", ".sh")):
            name, found = examine(str(path), path.read_text())
            assert name in (github_actions.NAME, "shell"), path.name
            assert found == [], [f"{f.rule}: {f.message}" for f in found]

    def test_every_file_visible_mistake_is_flagged(self):
        """Each broken workflow garauth can judge from the file yields exactly its rule; the one it
        cannot (the Dockerfile's base image is on another host) is read cleanly."""
        from garauth.commands.check import examine

        for path in sorted((FOLDER / "broken").glob("*.yml")):
            assert self.reader.read(path).errors == [], path.name
            name, found = examine(str(path), path.read_text())
            assert name == github_actions.NAME
            assert [f.rule for f in found] == FLAGGED.get(path.name, []), path.name


FLAGGED = {
    "no-token-format.yml": ["GA501"],
    "no-id-token.yml": ["GA502"],
    "credentials-typo.yml": ["GA503"],
    "credentials-json-not-minified.yml": ["GA504"],
    "container-step-token.yml": ["GA505"],
    "provider-project-id.yml": ["GA506"],
    "base-image-other-host.yml": [],
}


# -- the troubleshooting page's failures ---------------------------------------------------------

CASES = {
    "helper-not-on-path",
    "key-in-quotes",
    "escaped-newlines",
    "get-access-token-denied",
    "attribute-condition",
    "anonymous-token",
}


def _compare_last(name: str, text: str) -> None:
    compare(ERRORS / name, client_lines(text)[-1] + "\n")


@needs_sandbox
def test_helper_not_on_path(workdir: Workdir):
    """auth-json-key.yml's gcloud helper, when the step that pulls has no Google Cloud CLI on its
    PATH (only /usr/local/bin, where this machine's docker CLI is)."""
    if not (shutil.which("gcloud") and shutil.which("docker-credential-gcloud")):
        pytest.skip("google-cloud-cli is not installed here")
    path = FOLDER / "auth-json-key.yml"
    checkout = workdir.path / "workspace"
    checkout.mkdir()
    runner = Runner(path, workdir, TestGitHub().variables(workdir), checkout)
    try:
        for index, step in enumerate(job_steps(path, "build")):
            pulls = "docker pull" in (step.run or "")
            runner.path_for_run = "/usr/local/bin" if pulls else None
            proc = runner.step(step, index)
            if pulls:
                assert proc.returncode != 0, describe(proc)
                _compare_last("helper-not-on-path.docker.txt", proc.stderr)
                return
            assert proc.returncode == 0, describe(proc)
        raise AssertionError("auth-json-key.yml has no docker pull step")
    finally:
        run_step(_CLEAN_ENGINE, workdir)


@needs_sandbox
@pytest.mark.parametrize(
    ("case", "recipe"),
    [("key-in-quotes", "key in quotes"), ("escaped-newlines", "key with escaped newlines")],
)
def test_mangled_key(case, recipe, workdir: Workdir):
    """login-json-key.yml with the secret holding the key as a secret store or a paste left it."""
    path = FOLDER / "login-json-key.yml"
    checkout = workdir.path / "workspace"
    checkout.mkdir()
    secrets = {"GAR_JSON_KEY": Secret(PASSWORDS[recipe](workdir, "reader"))}
    run = Runner(path, workdir, secrets, checkout).job("build")
    step, proc = run.failed
    assert step.action == LOGIN_ACTION, describe(proc)
    _compare_last(f"{case}.docker-login.txt", proc.stderr)


@needs_sandbox
def test_get_access_token_denied(workdir: Workdir):
    """keyless.yml when the account has no workloadIdentityUser binding for the repository."""
    TestGitHub().prepare(workdir.state)
    workdir.fake.change("remove binding")
    path = FOLDER / "keyless.yml"
    checkout = workdir.path / "workspace"
    checkout.mkdir()
    run = Runner(path, workdir, {}, checkout).job("build")
    step, proc = run.failed
    assert step.action == AUTH_ACTION, describe(proc)
    compare(ERRORS / "get-access-token-denied.exchange.txt", proc.stderr)


@needs_sandbox
def test_base_image_from_a_host_without_login(workdir: Workdir):
    """BuildKit pulling a private base image from a host the job did not log in to."""
    path = FOLDER / "broken" / "base-image-other-host.yml"
    buildkit_cli = Path("/usr/bin/docker")  # Debian's docker.io CLI: BuildKit built in (DOCKER_BUILDKIT=1)
    if not buildkit_cli.exists():
        pytest.skip("Debian's docker.io CLI is not installed")
    suite = TestGitHub()
    checkout = workdir.path / "workspace"
    checkout.mkdir()
    (checkout / "Dockerfile").write_text((FOLDER / "broken" / "base-image.Dockerfile").read_text())
    runner = Runner(path, workdir, suite.variables(workdir), checkout)
    runner.run.env["DOCKER_BUILDKIT"] = "1"
    runner.path_for_run = f"{buildkit_cli.parent}:/usr/local/bin:/bin"
    try:
        run = runner.job("build")
        step, proc = run.failed
        assert step.run and "docker build" in step.run, describe(proc)
        lines = [line for line in client_lines(proc.stderr) if "failed to fetch anonymous token" in line]
        assert lines, describe(proc)
        compare(ERRORS / "anonymous-token.buildkit.txt", lines[-1].strip() + "\n")
    finally:
        run_step(_CLEAN_ENGINE, workdir)


# -- the gcloud setup ----------------------------------------------------------------------------


@pytest.fixture
def cloud(tmp_path):
    """A bare project with the tutorial's repository, reader account and role (key-setup.sh)."""
    workdir = tmp_path / "fake"
    seed_bare(workdir)
    gc = Gcloud(PREFERRED, workdir, tmp_path / "bin")
    run = tmp_path / "run"
    run.mkdir()
    done = gc.run("sh", str(EXAMPLES / "gcloud" / "key-setup.sh"), cwd=run)
    assert done.returncode == 0, done.stderr
    return gc, workdir, run


def test_wif_setup_makes_what_the_keyless_workflow_names(cloud):
    gc, workdir, run = cloud
    result = gc.run("sh", str(FOLDER / "wif-setup.sh"), cwd=run)
    assert result.returncode == 0, f"[{gc.label}] {result.stderr}"
    state = State.load(workdir)
    provider = github_oidc.provider_name(demo.PROJECT_NUMBER)
    record = state.providers[provider]
    assert record["issuer"] == github_oidc.issuer_url()
    assert record["attribute_mapping"] == github_oidc.MAPPING
    assert record["attribute_condition"] == github_oidc.CONDITION
    account = f"projects/{demo.PROJECT}/serviceAccounts/{demo.email('reader')}"
    assert (
        github_oidc.repository_member(demo.PROJECT_NUMBER)
        in state.iam[account]["roles/iam.workloadIdentityUser"]
    )
    (auth, _) = TestGitHub.reader.read(FOLDER / "keyless.yml").pullspecs
    inputs = ("workload_identity_provider", "service_account")
    printed = dict(line.split(": ", 1) for line in result.stdout.splitlines() if line.startswith(inputs))
    assert printed == {k: auth.credential.fields[k] for k in inputs}  # the keyless step's inputs


def test_attribute_condition_required(cloud):
    """The provider command of wif-setup.sh without its condition, as older guides have it."""
    gc, workdir, run = cloud
    script = FOLDER / "broken" / "provider-without-condition.sh"
    result = gc.run("sh", str(script), cwd=run)
    assert result.returncode != 0
    if gc.kind == "gcloud":  # Google's own CLI prints the API's refusal
        compare(ERRORS / "attribute-condition.gcloud.txt", result.stderr.strip().splitlines()[-1] + "\n")
    else:
        assert github_oidc.CONDITION_REQUIRED in result.stderr, f"[{label(gc.kind)}] {result.stderr}"


def test_store_key_keeps_the_key_on_one_line(tmp_path):
    from garauth import keyfile

    key = keyfile.dumps(keyfile.new_key_file("demo-project", demo.email("reader"), "1").key_file)
    forms = stored_forms(key, tmp_path)
    assert "\n" not in forms["minified"].strip() and "\n" not in forms["base64"]
    assert keyfile.analyse(forms["minified"]).username == "_json_key"
    assert keyfile.analyse(forms["base64"]).username == "_json_key_base64"
    assert base64.b64decode(forms["base64"]).decode() == key
