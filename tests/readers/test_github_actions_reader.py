"""The GitHub Actions reader: what a workflow says about the images its runner pulls and the
logins its steps make, read from workflows written here, good and bad. The reader says what the
file says; findings come from garauth.rules (named by rule ID)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from garauth import data, yamlfile
from garauth.commands.check import examine
from garauth.errors import UserError
from garauth.model import CredentialKind, SecretSource
from garauth.readers import github_actions as gha
from garauth.rules import findings

IMAGE = "us-central1-docker.pkg.dev/demo-project/demo-repo/hello:1.0"
PROVIDER = "projects/123456789012/locations/global/workloadIdentityPools/github/providers/github"


def read(text: str, name: str = ".github/workflows/ci.yml"):
    result = gha.read(name, textwrap.dedent(text))
    return result


def specs(text: str):
    result = read(text)
    assert result.errors == [], [str(e) for e in result.errors]
    return result.pullspecs


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(textwrap.dedent(text).splitlines(), 1) if needle in line)


def job(body: str, permissions: str = "") -> str:
    """A workflow with one job `build` whose body (under the job's key) is `body`."""
    return (
        "name: t\non: push\n"
        + permissions
        + "jobs:\n  build:\n    runs-on: ubuntu-latest\n"
        + textwrap.indent(textwrap.dedent(body), "    ")
    )


def test_on_stays_a_key_and_the_workflow_is_detected():
    doc = yamlfile.load("ci.yml", job("steps:\n  - run: echo hi\n"))
    assert "on" in doc and True not in doc  # YAML 1.2: `on` is a string
    assert gha.detect("examples/x.yml", doc)
    assert gha.detect("repo/.github/workflows/any.yaml", {"name": "x"})
    assert not gha.detect("config.yml", {"version": 2.1, "jobs": {}})


def test_schema_errors_have_a_position_and_stop_the_reading():
    text = "on: push\njobs:\n  build:\n    steps:\n      - run: echo hi\n"
    result = read(text)
    assert result.pullspecs == []
    # a job is a normal job or a reusable workflow's call: the schema says what each one misses
    assert {(e.position.line, e.position.column) for e in result.errors} == {(3, 3)}
    assert any("runs-on is a required property" in e.message for e in result.errors)


def test_job_container_and_service_with_stored_keys():
    text = job(f"""\
        container:
          image: {IMAGE}
          credentials:
            username: _json_key
            password: ${{{{ secrets.GAR_JSON_KEY }}}}
        services:
          db:
            image: {IMAGE}
            credentials:
              username: ${{{{ vars.USER }}}}
              password: ${{{{ secrets.B64 }}}}
        steps:
          - run: echo hi
        """)
    container, db = specs(text)
    assert container.context == {"job": "build", "role": "container", "password_context": "secrets"}
    assert container.image is not None and container.image.ar is not None
    cred = container.credential
    assert (cred.kind, cred.username, cred.password_source, cred.password_ref) == (
        CredentialKind.BASIC,
        "_json_key",
        SecretSource.ENV,
        "GAR_JSON_KEY",
    )
    assert container.position.line == line_of(text, "image: us-central1")
    assert db.context["service"] == "db" and db.credential.username_var == "USER"
    assert db.credential.password_ref == "B64"
    assert findings([container, db]) == []


def test_every_credentials_key_is_kept_with_its_position():
    text = job(f"""\
        container:
          image: {IMAGE}
          credentials:
            username: _json_key
            passwrd: ${{{{ secrets.KEY }}}}
        steps:
          - run: echo hi
        """)
    (spec,) = specs(text)
    keys = {k: p.line for k, p in spec.credential.positions.items() if k.startswith("key:")}
    assert keys == {"key:username": line_of(text, "username:"), "key:passwrd": line_of(text, "passwrd:")}
    assert spec.credential.password_source is SecretSource.NONE
    assert [f.rule for f in findings([spec])] == ["GA503"]


def test_image_written_as_an_expression_is_unresolved():
    (spec,) = specs(job("container: ${{ matrix.image }}\nsteps:\n  - run: echo hi\n"))
    assert spec.image is None and spec.unresolved
    assert "expression" in spec.unresolved[0]


@pytest.mark.parametrize(
    ("written", "source", "ref", "context"),
    [
        ("${{ secrets.KEY }}", SecretSource.ENV, "KEY", "secrets"),
        ("${{secrets.KEY}}", SecretSource.ENV, "KEY", "secrets"),
        ("${{ env.KEY }}", SecretSource.ENV, "KEY", "env"),
        ("${{ steps.auth.outputs.access_token }}", SecretSource.STEP_OUTPUT, "steps.auth.outputs.access_token", "steps"),
        ("pre-${{ secrets.KEY }}", SecretSource.MIXED, None, None),
        ("${{ secrets.A || secrets.B }}", SecretSource.UNRESOLVED, None, None),
        ("hunter2", SecretSource.LITERAL, None, None),
        (None, SecretSource.NONE, None, None),
    ],
)  # fmt: skip
def test_where_a_value_comes_from(written, source, ref, context):
    value = gha.value_of(written)
    assert (value.source, value.ref, value.context) == (source, ref, context)


def test_a_literal_password_is_never_kept():
    secret = "ya29.a0AfH6SMBx3ExampleExampleExampleExample"
    (spec,) = specs(
        job(f"""\
        steps:
          - uses: docker/login-action@v3
            with:
              registry: us-central1-docker.pkg.dev
              username: oauth2accesstoken
              password: {secret}
        """)
    )
    assert spec.credential.password_source is SecretSource.LITERAL
    assert spec.credential.password_kind == "an OAuth 2.0 access token (ya29.)"
    assert secret not in repr(spec)


def _auth(extra: str = "", login_output: str = "access_token", step_id: str = "auth") -> str:
    """Steps: a keyless auth step (with `extra` under its with:), then a login with its output."""
    lines = [
        "steps:",
        f"  - id: {step_id}",
        "    uses: google-github-actions/auth@v3",
        "    with:",
        f"      workload_identity_provider: {PROVIDER}",
        "      service_account: reader@demo-project.iam.gserviceaccount.com",
        *([f"      {extra.strip()}"] if extra.strip() else []),
        "  - uses: docker/login-action@v3",
        "    with:",
        "      registry: us-central1-docker.pkg.dev",
        "      username: oauth2accesstoken",
        f"      password: ${{{{ steps.auth.outputs.{login_output} }}}}",
    ]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("extra", "output", "produced"),
    [
        ("    token_format: access_token", "access_token", "yes"),
        ("", "access_token", "no"),
        ("    token_format: id_token", "access_token", "no"),
        ("    token_format: id_token", "id_token", "yes"),
        ("", "auth_token", "yes"),
        ("", "credentials_file_path", "yes"),
        ("    create_credentials_file: false", "credentials_file_path", "no"),
        ("    token_format: ${{ vars.FORMAT }}", "access_token", "unknown"),
    ],
)
def test_auth_outputs_as_the_action_documents_them(extra, output, produced):
    auth, login = specs(job(_auth(extra, output), "permissions:\n  id-token: write\n"))
    assert auth.context["action"] == gha.AUTH_ACTION and auth.credential.kind is CredentialKind.GCP_AUTH
    assert login.context["output_produced"] == produced
    assert login.context["output_action"] == gha.AUTH_ACTION
    assert ("GA501" in {f.rule for f in findings([auth, login])}) == (produced == "no")


def test_an_output_of_a_step_that_is_not_there():
    (auth, login) = specs(
        job(_auth("    token_format: access_token", step_id="gcp"), "permissions: write-all\n")
    )
    assert login.context["output_produced"] == "no-step"
    assert [f.rule for f in findings([auth, login])] == ["GA501"]


@pytest.mark.parametrize(
    ("workflow", "job_permissions", "id_token", "at"),
    [
        ("", "", "none", "default"),
        ("permissions:\n  id-token: write\n", "", "write", "workflow"),
        ("permissions: write-all\n", "", "write", "workflow"),
        ("permissions: read-all\n", "", "none", "workflow"),
        ("permissions:\n  id-token: write\n", "permissions:\n  contents: read\n", "none", "job"),
        ("permissions: {}\n", "permissions:\n  id-token: write\n", "write", "job"),
    ],
)
def test_the_id_token_permission_a_job_gets(workflow, job_permissions, id_token, at):
    auth, login = specs(job(job_permissions + _auth("    token_format: access_token"), workflow))
    assert (auth.context["id_token"], auth.context["permissions_at"]) == (id_token, at)
    assert ("GA502" in {f.rule for f in findings([auth, login])}) == (id_token != "write")


def test_logins_in_run_steps_see_secrets_as_variables_and_step_outputs_as_outputs():
    text = job("""\
        permissions:
          id-token: write
        steps:
          - id: auth
            uses: google-github-actions/auth@v3
            with:
              workload_identity_provider: projects/123456789012/locations/global/workloadIdentityPools/github/providers/github
              service_account: reader@demo-project.iam.gserviceaccount.com
          - run: |
              echo "${{ secrets.GAR_JSON_KEY }}" | docker login -u _json_key --password-stdin us-central1-docker.pkg.dev
              echo "${{ steps.auth.outputs.access_token }}" | docker login -u oauth2accesstoken --password-stdin europe-docker.pkg.dev
        """)
    _, key, token = specs(text)
    assert (key.credential.password_source, key.credential.password_ref) == (SecretSource.ENV, "GAR_JSON_KEY")
    assert key.position.line == line_of(text, "secrets.GAR_JSON_KEY")
    assert key.context["login"] == "docker" and key.platform == gha.NAME
    assert token.credential.password_source is SecretSource.STEP_OUTPUT
    assert token.context["output_produced"] == "no"
    assert {f.rule for f in findings([key, token])} == {"GA501"}


def test_a_login_action_without_registry_logs_in_to_docker_hub():
    (spec,) = specs(
        job(
            "steps:\n  - uses: docker/login-action@v3\n    with:\n      username: u\n      password: ${{ secrets.P }}\n"
        )
    )
    assert spec.image_text == gha.DEFAULT_REGISTRY


def test_a_reusable_workflow_job_is_left_to_its_own_file():
    text = "on: push\njobs:\n  call:\n    uses: org/repo/.github/workflows/x.yml@main\n"
    assert specs(text) == []


def test_credentials_json_is_described_never_kept():
    text = job("""\
        steps:
          - uses: google-github-actions/auth@v3
            with:
              credentials_json: ${{ secrets.GCP_SA_KEY }}
        """)
    (spec,) = specs(text)
    cred = spec.credential
    assert (cred.password_source, cred.password_ref) == (SecretSource.ENV, "GCP_SA_KEY")
    assert cred.fields["credentials_json"] == "${{ secrets.GCP_SA_KEY }}"
    assert spec.context["credentials_json_lines"] == "1"


def test_over_the_job_limit_is_one_line(monkeypatch):
    real = data.limits()
    monkeypatch.setattr(data, "limits", lambda: {**real, "github": {"max_jobs": 2}})
    text = "on: push\njobs:\n" + "".join(
        f"  j{i}:\n    runs-on: x\n    steps:\n      - run: echo\n" for i in range(3)
    )
    with pytest.raises(UserError) as info:
        read(text)
    assert "3 jobs" in str(info.value) and info.value.line == 2


def test_garauth_check_recognises_a_workflow():
    name, found = examine(".github/workflows/ci.yml", job("steps:\n  - run: echo hi\n"))
    assert (name, found) == (gha.NAME, [])


def test_garauth_check_walks_into_dot_github(tmp_path):
    """`garauth check` on a repository finds .github/workflows (a hidden folder it walks into)."""
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text(
        job(
            "container:\n  image: us-central1-docker.pkg.dev/demo-project/demo-repo/hello:1.0\n"
            "  credentials:\n    username: _json_key\n    passwrd: ${{ secrets.K }}\n"
            "steps:\n  - run: echo hi\n"
        )
    )
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.yml").write_text("on: push\n")
    proc = subprocess.run(
        [sys.executable, "-m", "garauth", "check", str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 1, proc.stderr
    assert ".github/workflows/ci.yml:" in proc.stdout and "GA503" in proc.stdout
    assert ".hidden" not in proc.stdout
