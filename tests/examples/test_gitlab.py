"""examples/gitlab: every configuration validates against GitLab's schema (check-jsonschema's
built-in `gitlab-ci`) and reads cleanly; `garauth check` passes the good ones and finds in each
broken one exactly what the troubleshooting page says; the documented command that makes
DOCKER_AUTH_CONFIG's value runs and makes a value the runner can use."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from garauth import keyfile, schemas, yamlfile
from garauth.commands.check import examine
from garauth.fake import demo
from garauth.fake import gitlab_bitbucket_oidc as ci
from garauth.fake.state import State, repository_name
from garauth.readers import gitlab_auth_config, gitlab_ci
from garauth.rules import pages
from kit.availability import needs_sandbox, require, require_engine
from kit.outputs import client_lines, compare, describe
from kit.refusals import PASSWORDS, REFUSALS, prints
from kit.runner import Basic, Federated, Secret, exchange, registry_answer, run_step
from kit.suite import Case, PlatformSuite
from kit.workdir import IMAGE, Workdir

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FOLDER = EXAMPLES / "gitlab"
CONFIGS = sorted(FOLDER.glob("*.gitlab-ci.yml"))
BROKEN = sorted((FOLDER / "broken").glob("*.gitlab-ci.yml"))
HOST = "us-central1-docker.pkg.dev"

# What the troubleshooting page shows for each broken example (garauth check's rule IDs).
TROUBLESHOOTING = {
    "helper-wrong-location.gitlab-ci.yml": ["GA601"],
    "auth-not-base64.gitlab-ci.yml": ["GA602"],
    "auth-config-in-file.gitlab-ci.yml": ["GA603"],
    "helper-in-file.gitlab-ci.yml": ["GA606"],
}


@pytest.mark.parametrize("path", CONFIGS + BROKEN, ids=lambda p: p.name)
def test_validates_against_gitlab_s_schema(path):
    errors = schemas.validate(yamlfile.load(path), "gitlab-ci")
    assert errors == [], "\n".join(map(str, errors))


@pytest.mark.parametrize(
    "path",
    sorted(p for p in FOLDER.rglob("*") if p.is_file() and not {"output", "errors"} & set(p.parts)),
    ids=lambda p: str(p.relative_to(FOLDER)),
)
def test_garauth_check_reads_every_file(path):
    relative = str(path.relative_to(EXAMPLES))
    fmt, found = examine(relative, pages.example_text(relative))
    assert fmt is not None, f"{relative}: garauth check does not recognise it"
    if "broken" in path.parts:
        assert [f.rule for f in found] == TROUBLESHOOTING[path.name]
    else:
        assert found == [], [f"{f.rule}: {f.message}" for f in found]


def test_every_broken_example_is_on_the_troubleshooting_page():
    assert sorted(p.name for p in BROKEN) == sorted(TROUBLESHOOTING)
    page = (EXAMPLES.parent / "docs" / "how-to" / "troubleshoot-gitlab.md").read_text()
    assert all(f"gitlab/broken/{name}" in page for name in TROUBLESHOOTING)


def test_the_configs_pull_from_artifact_registry_with_the_ci_cd_variable():
    for path in CONFIGS:
        specs = [s for s in gitlab_ci.read(path).pullspecs if "role" in s.context]
        on_ar = [s for s in specs if s.image is not None and s.image.ar is not None]
        assert all(s.credential.password_ref == "DOCKER_AUTH_CONFIG" for s in specs)
        assert all(s.context["auth_config"] == "variable" for s in specs)
        if path.name == "json-key.gitlab-ci.yml":
            assert [s.context["role"] for s in on_ar] == ["image", "service"]


def test_the_helper_value_names_gcloud_for_the_image_host():
    value = (FOLDER / "docker-auth-config-gcloud.json").read_text()
    config = gitlab_auth_config.parse(value)
    assert config.helpers == {HOST: "gcloud"}
    assert gitlab_auth_config.match(config.keys, f"{HOST}/demo-project/demo-repo/hello:1.0") == HOST


# -- the command that makes DOCKER_AUTH_CONFIG's value ------------------------------------------------


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> tuple[Path, str]:
    """docker-auth-config.sh run as written, with sh, in a folder holding a key file made here."""
    folder = tmp_path_factory.mktemp("docker-auth-config")
    new = keyfile.new_key_file("demo-project", "reader@demo-project.iam.gserviceaccount.com", "1")
    key_text = json.dumps(new.key_file, indent=2) + "\n"  # as Google's key files are written
    (folder / "key.json").write_text(key_text)
    proc = subprocess.run(
        ["sh", str(FOLDER / "docker-auth-config.sh")], cwd=folder, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout == ""  # the value goes to a file, never to the job log or the terminal
    return folder, key_text


@pytest.mark.parametrize(
    ("file", "username"),
    [("docker-auth-config.json", "_json_key"), ("docker-auth-config-base64.json", "_json_key_base64")],
)
def test_the_command_makes_a_value_the_runner_reads(made, file, username):
    folder, key_text = made
    text = (folder / file).read_text()
    assert text.count("\n") == 1 and text.endswith("\n")
    config = gitlab_auth_config.parse(text)
    assert config.doc is not None and config.keys == (HOST,)
    assert gitlab_auth_config.match(config.keys, f"{HOST}/demo-project/demo-repo/hello:1.0") == HOST
    decoded = base64.b64decode(config.doc["auths"][HOST]["auth"], validate=True).decode()
    user, _, password = decoded.partition(":")
    assert user == username
    if username == "_json_key":
        assert password == key_text
    else:
        assert base64.b64decode(password, validate=True).decode() == key_text


def test_the_stored_output_shows_the_value_s_shape(made):
    folder, _ = made
    doc = json.loads((folder / "docker-auth-config.json").read_text())
    auth = doc["auths"][HOST]["auth"]
    doc["auths"][HOST]["auth"] = auth[:12] + "…"  # base64 of "_json_key" alone: no part of the key
    assert base64.b64decode(auth[:12]) == b"_json_key"
    compare(
        FOLDER / "output" / "docker-auth-config.json.txt",
        json.dumps(doc, separators=(",", ":"), ensure_ascii=False) + "\n",
    )


def test_the_key_never_reaches_a_command_line():
    """The script feeds the key to openssl through pipes and redirections only: no $(...) or
    backquotes put the key file's text into a command's arguments."""
    script = (FOLDER / "docker-auth-config.sh").read_text()
    assert "$(" not in script and "`" not in script
    assert "< key.json" in script and "cat key.json;" in script


# -- on the test kit: the runner's pulls through the Docker Engine, jobs run as written ---------------

# GitLab Runner's own words around a failed pull (executors/docker/internal/pull/manager.go,
# common/build.go; `always` is the docker executor's default pull policy:
# https://docs.gitlab.com/runner/executors/docker/#set-the-always-pull-policy), and the warning it
# logs when it cannot read DOCKER_AUTH_CONFIG (helpers/docker/auth/auth.go). The runner reads the
# value with the docker CLI's own config parser, so the parser's error is the one the docker CLI
# prints ("WARNING: Error parsing config file (PATH): ERROR").
JOB_FAILED = 'ERROR: Job failed: failed to pull image "{image}" with specified policies [always]: {error}'
UNREADABLE = (
    "WARNING: Failed to resolve credentials from $DOCKER_AUTH_CONFIG: {error}. "
    "Credentials from this source will not be used."
)
_PARSE_WARNING = re.compile(r"^WARNING: Error parsing config file \([^)]*\): (?P<error>.*)$")

# The Docker Engine pulls as the runner has it pull: the runner resolves DOCKER_AUTH_CONFIG with
# the docker CLI's config code (credential helpers included) and sends the credential with the
# engine's pull; here the docker CLI does the same from the value written as its config.json.
# (GA_AUTH_CONFIG, not DOCKER_AUTH_CONFIG: docker 28 reads that variable itself.)
_PULL = """
umask 077
export DOCKER_CONFIG="$PWD/.pull-$$"; mkdir "$DOCKER_CONFIG"; trap 'rm -rf "$DOCKER_CONFIG"' EXIT
printf '%s' "$GA_AUTH_CONFIG" > "$DOCKER_CONFIG/config.json"
docker pull -q "$GA_IMAGE" >/dev/null
docker image inspect --format '{{index .RepoDigests 0}}' "$GA_IMAGE"
docker image rm -f "$GA_IMAGE" >/dev/null
"""
_SIGN_IN_GCLOUD = "gcloud auth activate-service-account --quiet --key-file=keys/reader.json >/dev/null 2>&1\n"
# In the keyless job, DOCKER_HOST names the job's dind service; here the shared engine stands in.
DIND = ("DOCKER_HOST", "DOCKER_TLS_CERTDIR")
FORMS = ("json-key", "json-key-base64", "gcloud-helper")


def auth_config(workdir, form: str = "json-key", who: str = "reader") -> Secret:
    """DOCKER_AUTH_CONFIG's value: made by docker-auth-config.sh, run as written on WHO's key
    (a copy in a folder of its own), or the credential-helper value as written."""
    if form == "gcloud-helper":
        return Secret((FOLDER / "docker-auth-config-gcloud.json").read_text())
    folder = workdir.path / f".auth-config-{who}"
    folder.mkdir(exist_ok=True)
    shutil.copy(workdir.path / "keys" / f"{who}.json", folder / "key.json")
    proc = subprocess.run(
        ["sh", str(FOLDER / "docker-auth-config.sh")], cwd=folder, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    name = "docker-auth-config.json" if form == "json-key" else "docker-auth-config-base64.json"
    value = Secret((folder / name).read_text())
    shutil.rmtree(folder)
    return value


def runner_pull(image: str, value: str, workdir, *, gcloud: bool = False) -> subprocess.CompletedProcess:
    require_engine("docker")
    require("docker")
    return workdir.sh(
        (_SIGN_IN_GCLOUD if gcloud else "") + _PULL, env={"GA_AUTH_CONFIG": value, "GA_IMAGE": image}
    )


# The runner sets the job's CI/CD variables in its environment, DOCKER_AUTH_CONFIG among them; the
# sandbox drops that name from what it is given (the machine's own must not leak in), so the job's
# value travels under another name and is exported before the script, as the runner's is.
_JOB_ENVIRONMENT = 'if [ -n "${GA_JOB_DOCKER_AUTH_CONFIG:-}" ]; then export DOCKER_AUTH_CONFIG="$GA_JOB_DOCKER_AUTH_CONFIG"; fi\n'


def run_job_script(step, workdir, bound: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    """A job's script as written, in the environment the runner gives it."""
    env = {k: v for k, v in bound.items() if k != "DOCKER_AUTH_CONFIG"}
    if "DOCKER_AUTH_CONFIG" in bound:
        env["GA_JOB_DOCKER_AUTH_CONFIG"] = bound["DOCKER_AUTH_CONFIG"]
    return run_step(_JOB_ENVIRONMENT + step.command, workdir, env, cwd=cwd)


def encoded(username: str, password: str) -> Secret:
    auth = base64.b64encode(f"{username}:{password}".encode()).decode()
    return Secret(json.dumps({"auths": {HOST: {"auth": auth}}}))


class TestGitLab(PlatformSuite):
    platform = "gitlab"
    reader = gitlab_ci
    pattern = "*.gitlab-ci.yml"
    engine = "docker"  # GitLab Runner's docker executor pulls through the Docker Engine
    checkout = {"Dockerfile": f"FROM {IMAGE}\n"}
    job_image_error = JOB_FAILED
    test_report_matches_the_stored_file = None  # `garauth pulls` reads CircleCI configs only

    def variables(self, workdir: Workdir) -> dict[str, str]:
        """The project's CI/CD variables in the tests (secret values), and the ID token GitLab
        gives a job with `id_tokens:` (minted by the fake's GitLab stand-in for the provider)."""
        provider = f"{ci.pool_name(demo.PROJECT_NUMBER, ci.GITLAB_POOL)}/providers/{ci.GITLAB_POOL}"
        return {
            "DOCKER_AUTH_CONFIG": auth_config(workdir),
            "GCP_ID_TOKEN": ci.mint_gitlab_token(workdir.state, f"https://iam.googleapis.com/{provider}"),
        }

    def prepare(self, state: State) -> None:
        """What examples/gitlab/wif-setup.sh makes (its test checks they are the same)."""
        if f"{ci.pool_name(demo.PROJECT_NUMBER, ci.GITLAB_POOL)}" not in state.pools:
            ci.add_gitlab_provider(state, demo.PROJECT, demo.PROJECT_NUMBER, demo.email("reader"))

    @needs_sandbox
    @pytest.mark.parametrize("form", FORMS)
    def test_image_pulls_as_written(self, pullspec, workdir: Workdir, form):
        """Each image, with DOCKER_AUTH_CONFIG in each documented form, as the runner pulls it."""
        path, spec = pullspec
        gcloud = form == "gcloud-helper"
        if gcloud:
            require("gcloud")
        value = auth_config(workdir, form)
        assert gitlab_auth_config.match(gitlab_auth_config.parse(value).keys, spec.image_text) == HOST
        proc = runner_pull(spec.image_text, value, workdir, gcloud=gcloud)
        assert proc.returncode == 0, describe(proc)
        ar = spec.image.ar
        want = workdir.state.get_manifest(
            repository_name(ar.project, ar.location, ar.repository), ar.image, spec.image.reference
        )
        assert proc.stdout.strip().rpartition("@")[2] == want[0]

    @needs_sandbox
    def test_steps_run_as_written(self, job, workdir: Workdir):
        """Each job that logs in: its script as the runner runs it (one shell), with the project's
        CI/CD variables and the file's own (but DOCKER_HOST, whose dind service the shared engine
        stands in for), in a checkout holding a Dockerfile FROM the private image."""
        path, name = job
        self.prepare(workdir.state)
        checkout = workdir.path / "checkout"
        checkout.mkdir()
        for file, text in self.checkout.items():
            (checkout / file).write_text(text)
        outputs = []
        try:
            for step in [s for s in self.steps(path) if s.job == name]:
                own_vars = {k: v for k, v in step.variables.items() if k not in DIND}
                bound = {**self.variables(workdir), **self.step_environment, **own_vars}
                proc = run_job_script(step, workdir, bound, checkout)
                assert proc.returncode == 0, f"{step.position}: {name} failed\n{describe(proc)}"
                outputs.append(proc)
        finally:
            run_step("docker image ls -aq | sort -u | xargs -r docker image rm -f >/dev/null", workdir)
        assert any("Login Succeeded" in p.stdout for p in outputs), "no step logged in"

    cases = [
        Case("no-matching-entry", "broken/helper-wrong-location.gitlab-ci.yml", "unauthenticated-request"),
        Case("auth-not-base64", "broken/auth-not-base64.gitlab-ci.yml", "unauthenticated-request"),
        Case("wrapped-auth", "json-key.gitlab-ci.yml", "unauthenticated-request"),
        Case("base64-with-json-key", "json-key.gitlab-ci.yml", "base64-with-json-key"),
        Case("no-reader-role", "json-key.gitlab-ci.yml", "no-reader-role"),
        Case("helper-not-on-path", "broken/helper-in-file.gitlab-ci.yml", "unauthenticated-request"),
        Case("get-access-token-denied", "keyless.gitlab-ci.yml", registry=False),
    ]

    def case_value(self, case: Case, workdir: Workdir) -> str:
        """DOCKER_AUTH_CONFIG's value in a case (a secret)."""
        name = case.name
        if case.config.startswith("broken/"):  # the value written in the file, variables filled in
            variables = yamlfile.load(FOLDER / case.config)["variables"]
            written = variables["DOCKER_AUTH_CONFIG"]
            key_base64 = PASSWORDS["key as base64"](workdir, "reader")
            return Secret(written.replace("${GCP_KEY_BASE64}", key_base64))
        if name == "wrapped-auth":  # made with `base64`, which wraps its output at 76 columns
            auth = base64.encodebytes(f"_json_key:{workdir.key_text('reader')}".encode()).decode().strip()
            return Secret('{"auths":{"' + HOST + '":{"auth":"' + auth + '"}}}')
        if name == "base64-with-json-key":
            return encoded("_json_key", PASSWORDS["key as base64"](workdir, "reader"))
        if name == "no-reader-role":
            return auth_config(workdir, who="outsider")
        raise AssertionError(f"no DOCKER_AUTH_CONFIG for the case {name}")

    @needs_sandbox
    def test_failure_prints_what_the_page_shows(self, case: Case, workdir: Workdir):
        errors = self.errors_folder()
        if case.name == "get-access-token-denied":
            self.prepare(workdir.state)
            workdir.fake.change("remove binding")
            provider_id = ci.GITLAB_POOL
            pool = ci.pool_name(demo.PROJECT_NUMBER, ci.GITLAB_POOL)
            token = ci.mint_gitlab_token(
                workdir.state, f"https://iam.googleapis.com/{pool}/providers/{provider_id}"
            )
            proc = exchange(Federated(pool, provider_id, demo.email("reader")), workdir, token)
            assert proc.returncode != 0, describe(proc)
            compare(errors / f"{case.name}.exchange.txt", proc.stderr)
            return
        (spec,) = [
            s
            for s in self.reader.read(self.folder() / case.config).pullspecs
            if s.context.get("role") == "image"
        ]
        proc = runner_pull(spec.image_text, self.case_value(case, workdir), workdir)
        assert proc.returncode != 0, describe(proc)
        refusal = REFUSALS[case.refusal]
        lines = client_lines(proc.stderr)
        shown = [UNREADABLE.format(error=m["error"]) for m in map(_PARSE_WARNING.match, lines) if m]
        shown.append(JOB_FAILED.format(image=spec.image_text, error=lines[-1]))
        assert lines[-1] == prints("docker", refusal), lines[-1]
        compare(errors / f"{case.name}.docker.txt", "\n".join(shown) + "\n")
        if case.registry:
            answer = registry_answer(
                spec.image_text,
                None
                if refusal.password == "none"
                else Basic(refusal.username, refusal.password_for(workdir)),
                workdir,
            )
            assert answer.returncode == 0, answer.stderr
            assert '"token"' not in answer.stdout
            compare(errors / f"{case.name}.registry.txt", answer.stdout)
