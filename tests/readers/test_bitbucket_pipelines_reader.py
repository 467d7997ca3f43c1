"""The Bitbucket Pipelines reader: what a bitbucket-pipelines.yml says Bitbucket pulls for each
step (build image, services), with which credential, and the logins its scripts run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from garauth import keyfile
from garauth.errors import UserError
from garauth.model import CredentialKind, SecretSource
from garauth.readers import bitbucket_pipelines

HOST = "us-central1-docker.pkg.dev"
IMAGE = f"{HOST}/demo-project/demo-repo/hello:1.0"


def write(tmp_path: Path, text: str, name: str = "bitbucket-pipelines.yml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def read(tmp_path: Path, text: str):
    result = bitbucket_pipelines.read(write(tmp_path, text))
    assert result.errors == [], [str(e) for e in result.errors]
    return result.pullspecs


def line_of(text: str, needle: str, nth: int = 0) -> int:
    return [n for n, line in enumerate(text.splitlines(), 1) if needle in line][nth]


CONFIG = f"""
image:
  name: {IMAGE}
  username: _json_key
  password: $GCP_KEY
definitions:
  services:
    hello:
      image:
        name: {HOST}/demo-project/demo-repo/hello:multi
        username: $GAR_USER
        password: ${{GCP_KEY}}
  steps:
    - step: &test
        name: test
        script: [make test]
pipelines:
  default:
    - step: *test
    - parallel:
        - step:
            name: lint
            services: [hello, docker]
            script: [make lint]
        - step:
            name: own-image
            image: europe-docker.pkg.dev/demo-project/demo-eu/hello:1.0
            oidc: true
            script: [make]
  branches:
    main:
      - stage:
          name: deploy
          steps:
            - step: *test
"""


def test_build_images_and_services_per_step(tmp_path):
    specs = read(tmp_path, CONFIG)
    got = [(s.context["role"], s.context.get("from"), s.context["steps"], s.position.line) for s in specs]
    assert got == [
        ("build-image", "global", "test,lint", line_of(CONFIG, f"name: {IMAGE}")),
        ("service", None, "lint", line_of(CONFIG, "hello:multi")),
        ("build-image", "step", "own-image", line_of(CONFIG, "demo-eu")),
    ]
    image, service, own = specs
    assert (image.credential.kind, image.credential.username, image.credential.password_ref) == (
        CredentialKind.BASIC,
        "_json_key",
        "GCP_KEY",
    )
    assert image.credential.password_source is SecretSource.ENV
    assert (service.credential.username_var, service.credential.password_ref) == ("GAR_USER", "GCP_KEY")
    assert service.context["service"] == "hello"
    assert own.credential.kind is CredentialKind.NONE and own.context["oidc"] == "true"
    assert "oidc" not in image.context


def test_a_password_written_out_is_described_never_kept(tmp_path):
    key = json.dumps(
        keyfile.new_key_file("demo-project", "r@demo-project.iam.gserviceaccount.com", "1").key_file
    )
    text = f"image:\n  name: {IMAGE}\n  username: _json_key\n  password: '{key}'\npipelines:\n  default:\n    - step:\n        script: [a]\n"
    (spec,) = read(tmp_path, text)
    assert spec.credential.password_source is SecretSource.LITERAL
    assert spec.credential.password_kind == "a service-account JSON key"
    assert spec.credential.positions["password"].line == 4
    assert json.loads(key)["private_key"].splitlines()[1] not in repr(spec)


def test_aws_oidc_role_is_an_ecr_credential(tmp_path):
    text = f"""
pipelines:
  default:
    - step:
        oidc: true
        image:
          name: {IMAGE}
          aws:
            oidc-role: arn:aws:iam::123456789012:role/pull
        script: [a]
"""
    (spec,) = read(tmp_path, text)
    cred = spec.credential
    assert cred.kind is CredentialKind.AWS_AUTH and cred.password_source is SecretSource.OIDC
    assert cred.fields == {"oidc-role": "arn:aws:iam::123456789012:role/pull"}


def test_an_image_named_by_a_variable_is_undetermined(tmp_path):
    text = "image: $BUILD_IMAGE\npipelines:\n  default:\n    - step:\n        script: [a]\n"
    (spec,) = read(tmp_path, text)
    assert spec.image is None and "$BUILD_IMAGE" in spec.unresolved[0]


def test_logins_and_steps(tmp_path):
    text = f"""
pipelines:
  custom:
    pull:
      - step:
          oidc: true
          script:
            - echo "$BITBUCKET_STEP_OIDC_TOKEN" > token
            - gcloud auth print-access-token | docker login -u oauth2accesstoken --password-stdin https://{HOST}
            - docker pull {IMAGE}
"""
    specs = read(tmp_path, text)
    (login,) = specs
    assert login.context["login"] == "docker" and login.context["job"] == "pipelines.custom.pull[0]"
    assert login.position.line == line_of(text, "docker login")
    (step,) = bitbucket_pipelines.run_steps(write(tmp_path, text))
    assert step.job == "pipelines.custom.pull[0]" and len(step.command.splitlines()) == 3


@pytest.mark.parametrize(
    ("name", "doc", "expected"),
    [
        ("bitbucket-pipelines.yml", {"a": 1}, True),
        ("keyless.bitbucket-pipelines.yml", {"a": 1}, True),
        ("ci.yml", {"pipelines": {"default": []}}, True),
        ("ci.yml", {"build": {"script": ["make"]}}, False),
    ],
)
def test_detect(name, doc, expected):
    assert bitbucket_pipelines.detect(name, doc) is expected


def test_a_misspelt_password_is_a_schema_error(tmp_path):
    text = f"image:\n  name: {IMAGE}\n  username: _json_key\n  passwrd: $GCP_KEY\npipelines:\n  default:\n    - step:\n        script: [a]\n"
    result = bitbucket_pipelines.read(write(tmp_path, text))
    assert result.pullspecs == [] and result.errors


def test_an_empty_file_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="empty"):
        bitbucket_pipelines.read(write(tmp_path, ""))


def test_a_configuration_over_the_step_limit_gets_one_line(tmp_path):
    steps = "".join("    - step: *s\n" for _ in range(10_001))
    text = f"definitions:\n  steps:\n    - step: &s\n        script: [a]\npipelines:\n  default:\n{steps}"
    with pytest.raises(UserError, match="10,001 steps"):
        bitbucket_pipelines.read(write(tmp_path, text))
