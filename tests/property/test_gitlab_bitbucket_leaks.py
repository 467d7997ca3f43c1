"""Property tests: a secret planted anywhere in a GitLab CI/CD or Bitbucket Pipelines
configuration (a password, the DOCKER_AUTH_CONFIG value, its `auth` decoded or not, a username, a
registry key, an image, a job or variable name, a script line) never leaks from `garauth check`,
in any output format, and never makes it fail with a traceback."""

from __future__ import annotations

import base64
import json
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from planted import Secret, leaks, secrets
from test_no_leaks import run

EXAMPLES = int(os.environ.get("GARAUTH_PROPERTY_EXAMPLES", "50"))
PROFILE = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
WORK = Path(tempfile.mkdtemp(prefix="garauth-property-ci-"))
HOST = "us-central1-docker.pkg.dev"
IMAGE = f"{HOST}/demo-project/demo-repo/hello:1.0"


def quoted(text: str) -> str:
    """A YAML double-quoted scalar holding text exactly."""
    return json.dumps(text)


def auth_config(**entry) -> str:
    return json.dumps({"auths": {HOST: entry}})


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


GITLAB = {
    "auth-config-auth": lambda s: (
        f"variables:\n  DOCKER_AUTH_CONFIG: {quoted(auth_config(auth=b64('_json_key:' + s.text)))}\njob:\n  image: {IMAGE}\n  script: [a]\n"
    ),
    "auth-config-raw-auth": lambda s: (
        f"variables:\n  DOCKER_AUTH_CONFIG: {quoted(auth_config(auth=s.text))}\njob:\n  image: {IMAGE}\n  script: [a]\n"
    ),
    "auth-config-password": lambda s: (
        f"variables:\n  DOCKER_AUTH_CONFIG: {quoted(auth_config(username='_json_key', password=s.text))}\njob:\n  image: {IMAGE}\n  script: [a]\n"
    ),
    "auth-config-username": lambda s: (
        f"variables:\n  DOCKER_AUTH_CONFIG: {quoted(auth_config(username=s.text, password='x'))}\njob:\n  image: {IMAGE}\n  script: [a]\n"
    ),
    "auth-config-whole": lambda s: (
        f"variables:\n  DOCKER_AUTH_CONFIG: {quoted(s.text)}\njob:\n  image: {IMAGE}\n  script: [a]\n"
    ),
    "auth-config-key": lambda s: (
        f"variables:\n  DOCKER_AUTH_CONFIG: {quoted(json.dumps({'credHelpers': {s.text: 'gcloud'}}))}\njob:\n  image: {IMAGE}\n  script: [a]\n"
    ),
    "job-variable": lambda s: (
        f"job:\n  variables:\n    DOCKER_AUTH_CONFIG: {quoted(auth_config(auth=b64('_json_key:' + s.text)))}\n  image: {IMAGE}\n  script: [a]\n"
    ),
    "image": lambda s: f"job:\n  image: {quoted(HOST + '/p/' + s.text)}\n  script: [a]\n",
    "image-variable": lambda s: (
        f"variables:\n  REPO: {quoted(s.text)}\njob:\n  image: {HOST}/$REPO/app:1\n  script: [a]\n"
    ),
    "job-name": lambda s: f"{quoted(s.text)}:\n  image: {IMAGE}\n  script: [a]\n",
    "extends": lambda s: f"job:\n  extends: {quoted(s.text)}\n  image: {IMAGE}\n  script: [a]\n",
    "login": lambda s: f"job:\n  script:\n    - docker login -u _json_key -p {quoted(s.text)} {HOST}\n",
    "login-username": lambda s: (
        f'job:\n  script:\n    - echo "$K" | docker login -u {quoted(s.text)} --password-stdin {HOST}\n'
    ),
}

BITBUCKET = {
    "password": lambda s: (
        f"image:\n  name: {IMAGE}\n  username: _json_key\n  password: {quoted(s.text)}\npipelines:\n  default:\n    - step:\n        script: [a]\n"
    ),
    "username": lambda s: (
        f"image:\n  name: {IMAGE}\n  username: {quoted(s.text)}\n  password: $K\npipelines:\n  default:\n    - step:\n        script: [a]\n"
    ),
    "service-password": lambda s: (
        f"definitions:\n  services:\n    db:\n      image:\n        name: {IMAGE}\n        username: _json_key\n        password: {quoted(s.text)}\npipelines:\n  default:\n    - step:\n        services: [db]\n        script: [a]\n"
    ),
    "aws-secret": lambda s: (
        f"image:\n  name: {IMAGE}\n  aws:\n    access-key: AKIAEXAMPLE\n    secret-key: {quoted(s.text)}\npipelines:\n  default:\n    - step:\n        script: [a]\n"
    ),
    "image": lambda s: (
        f"image: {quoted(HOST + '/p/' + s.text)}\npipelines:\n  default:\n    - step:\n        script: [a]\n"
    ),
    "step-name": lambda s: (
        f"image: {IMAGE}\npipelines:\n  default:\n    - step:\n        name: {quoted(s.text)}\n        script: [a]\n"
    ),
    "service-name": lambda s: (
        f"definitions:\n  services:\n    {quoted(s.text)}:\n      image: {IMAGE}\npipelines:\n  default:\n    - step:\n        services: [{quoted(s.text)}]\n        script: [a]\n"
    ),
    "login": lambda s: (
        f"pipelines:\n  default:\n    - step:\n        script:\n          - docker login -u _json_key -p {quoted(s.text)} {HOST}\n"
    ),
}


def check_everywhere(name: str, text: str, secret: Secret) -> None:
    path = WORK / name
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    for fmt in ("text", "json", "sarif"):
        code, output = run(["check", "--fail-on", "info", "--format", fmt, str(path)])
        what = f"check --format {fmt} {name}"
        assert code in (0, 1, 2), f"{what}: exit {code}\n{output[-2000:]}"
        assert "Traceback" not in output and "internal error" not in output, f"{what}:\n{output[-3000:]}"
        assert not leaks(secret, output), f"{what}: {secret.kind} leaked {leaks(secret, output)}"


@PROFILE
@given(place=st.sampled_from(sorted(GITLAB)), secret=secrets())
def test_a_secret_planted_in_a_gitlab_configuration_never_leaks(place, secret):
    check_everywhere(".gitlab-ci.yml", GITLAB[place](secret), secret)


@PROFILE
@given(place=st.sampled_from(sorted(BITBUCKET)), secret=secrets())
def test_a_secret_planted_in_a_bitbucket_configuration_never_leaks(place, secret):
    check_everywhere("bitbucket-pipelines.yml", BITBUCKET[place](secret), secret)


def test_every_place_is_read_as_its_format():
    """The templates are what they say: each is read by its platform's reader (with a plain
    value planted), so the properties above exercise the readers, not a skipped file."""
    plain = Secret("plain", "plainvalue", "plainvalue")
    for places, name, platform in (
        (GITLAB, ".gitlab-ci.yml", "gitlab_ci"),
        (BITBUCKET, "bitbucket-pipelines.yml", "bitbucket_pipelines"),
    ):
        for place, template in places.items():
            path = WORK / name
            path.write_text(template(plain))
            code, output = run(["check", "--format", "json", str(path)])
            assert code in (0, 1, 2) and platform in output, f"{place}: {output[-1500:]}"
