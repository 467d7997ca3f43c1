"""The GitLab CI/CD reader: what a .gitlab-ci.yml says the runner pulls, with which credential
(DOCKER_AUTH_CONFIG, as GitLab Runner matches it), and the logins its scripts run."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from garauth import keyfile
from garauth.errors import UserError
from garauth.model import CredentialKind, SecretSource
from garauth.readers import gitlab_auth_config, gitlab_ci

HOST = "us-central1-docker.pkg.dev"
IMAGE = f"{HOST}/demo-project/demo-repo/hello:1.0"


def write(tmp_path: Path, text: str, name: str = ".gitlab-ci.yml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def read(tmp_path: Path, text: str):
    result = gitlab_ci.read(write(tmp_path, text))
    assert result.errors == [], [str(e) for e in result.errors]
    return result.pullspecs


def line_of(text: str, needle: str, nth: int = 0) -> int:
    return [n for n, line in enumerate(text.splitlines(), 1) if needle in line][nth]


def pulls(specs):
    return [s for s in specs if "role" in s.context]


# -- images and services ------------------------------------------------------------------------

BASIC = f"""
default:
  image: {IMAGE}
build:
  services:
    - {IMAGE}
    - name: {HOST}/demo-project/demo-repo/hello:multi
      alias: hello
  script:
    - make
test:
  image:
    name: europe-docker.pkg.dev/demo-project/demo-eu/hello:1.0
    entrypoint: [""]
  script: make test
"""


def test_job_images_services_and_where_they_come_from(tmp_path):
    specs = pulls(read(tmp_path, BASIC))
    got = [
        (s.context["job"], s.context["role"], s.context.get("from"), s.image_text, s.position.line)
        for s in specs
    ]
    assert got == [
        ("build", "image", "default", IMAGE, line_of(BASIC, "image:")),
        ("build", "service", "job", IMAGE, line_of(BASIC, f"- {IMAGE}")),
        (
            "build",
            "service",
            "job",
            f"{HOST}/demo-project/demo-repo/hello:multi",
            line_of(BASIC, "hello:multi"),
        ),
        (
            "test",
            "image",
            "job",
            "europe-docker.pkg.dev/demo-project/demo-eu/hello:1.0",
            line_of(BASIC, "demo-eu"),
        ),
    ]
    assert specs[2].context["alias"] == "hello"
    assert all(s.image is not None and s.image.ar is not None for s in specs)
    assert all(s.platform == "gitlab_ci" for s in specs)


def test_the_credential_is_the_ci_cd_variable_when_the_file_does_not_define_it(tmp_path):
    (spec, *_) = pulls(read(tmp_path, BASIC))
    cred = spec.credential
    assert cred.kind is CredentialKind.BASIC
    assert (cred.username, cred.username_var) == (None, None)
    assert (cred.password_source, cred.password_ref) == (SecretSource.ENV, "DOCKER_AUTH_CONFIG")
    assert spec.context["auth_config"] == "variable"
    assert spec.defined_in_file == {}


def test_extends_merges_mappings_and_replaces_the_rest(tmp_path):
    text = f"""
.base:
  image:
    name: {IMAGE}
  services: [{HOST}/demo-project/demo-repo/hello:multi]
.middle:
  extends: .base
  image:
    entrypoint: [""]
job:
  extends: [.middle]
  services: [{IMAGE}]
  script: [make]
"""
    specs = pulls(read(tmp_path, text))
    assert [(s.context["role"], s.context["from"], s.image_text, s.position.line) for s in specs] == [
        ("image", ".middle", IMAGE, line_of(text, "name:")),  # where the merged mapping was last written
        ("service", "job", IMAGE, line_of(text, f"services: [{IMAGE}]")),
    ]


def test_an_image_inherited_unchanged_names_the_job_it_comes_from(tmp_path):
    text = f"""
.base:
  image: {IMAGE}
job:
  extends: .base
  script: [make]
"""
    (spec,) = pulls(read(tmp_path, text))
    assert spec.context["from"] == ".base"


def test_inherit_default_false_or_a_list(tmp_path):
    text = f"""
default:
  image: {IMAGE}
  services: [{IMAGE}]
none:
  inherit:
    default: false
  script: [a]
some:
  inherit:
    default: [services]
  script: [a]
"""
    specs = pulls(read(tmp_path, text))
    assert [(s.context["job"], s.context["role"]) for s in specs] == [("some", "service")]


def test_hidden_and_trigger_jobs_pull_nothing(tmp_path):
    text = f"""
.template:
  image: {IMAGE}
  script: [a]
downstream:
  trigger: my/project
"""
    assert read(tmp_path, text) == []


def test_the_deprecated_top_level_image_is_the_last_fallback(tmp_path):
    text = f"""
image: {IMAGE}
job:
  script: [a]
"""
    (spec,) = pulls(read(tmp_path, text))
    assert spec.context["from"] == "global"


def test_variables_in_image_names(tmp_path):
    text = f"""
variables:
  REGISTRY: {HOST}
  REPO: $REGISTRY/demo-project/demo-repo
filled:
  image: ${{REPO}}/hello:1.0
  script: [a]
unknown:
  image: $SOMEWHERE/app:1
  script: [a]
gitlab:
  image: $CI_REGISTRY_IMAGE/builder:latest
  script: [a]
"""
    specs = pulls(read(tmp_path, text))
    assert [s.context["job"] for s in specs] == ["filled", "unknown"]
    filled, unknown = specs
    assert filled.image_text == IMAGE and filled.context["written"] == "${REPO}/hello:1.0"
    assert unknown.image is None and "$SOMEWHERE" in unknown.unresolved[0]


def test_extends_of_a_job_the_file_does_not_define(tmp_path):
    text = f"""
include:
  - template: Jobs/Build.gitlab-ci.yml
job:
  extends: .from-elsewhere
  image: {IMAGE}
  script: [a]
"""
    specs = read(tmp_path, text)
    include, job = specs
    assert include.context == {"include": "template"} and include.image is None
    assert "does not fetch included files" in include.unresolved[0]
    assert "extends .from-elsewhere" in job.unresolved[0] and "include:" in job.unresolved[0]


def test_an_extends_cycle_is_reported_not_followed(tmp_path):
    text = f"""
.a:
  extends: .b
.b:
  extends: .a
job:
  extends: .a
  image: {IMAGE}
  script: [a]
"""
    (spec,) = pulls(read(tmp_path, text))
    assert any("extends itself" in r for r in spec.unresolved)


def test_id_tokens_and_identity_are_noted_on_the_jobs_pulls(tmp_path):
    text = f"""
default:
  id_tokens:
    GCP_TOKEN:
      aud: https://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/p
job:
  image: {IMAGE}
  identity: google_cloud
  script: [a]
"""
    (spec,) = pulls(read(tmp_path, text))
    assert spec.context["id_tokens"] == "GCP_TOKEN" and spec.context["identity"] == "google_cloud"


# -- DOCKER_AUTH_CONFIG written in the file -------------------------------------------------------


@pytest.fixture(scope="module")
def key_text() -> str:
    new = keyfile.new_key_file("demo-project", "reader@demo-project.iam.gserviceaccount.com", "1")
    return json.dumps(new.key_file)


def auth_value(username: str, password: str) -> str:
    return base64.b64encode(f"{username}:{password}".encode()).decode()


def config_file(tmp_path, value: dict | str, image: str = IMAGE, where: str = "top") -> tuple[Path, str]:
    text_value = value if isinstance(value, str) else json.dumps(value)
    var = f"  DOCKER_AUTH_CONFIG: '{text_value}'\n"
    if where == "top":
        text = f"variables:\n{var}job:\n  image: {image}\n  script: [a]\n"
    else:
        text = f"job:\n  variables:\n  {var}  image: {image}\n  script: [a]\n"
    return write(tmp_path, text), text


def test_a_key_written_in_the_file_is_described_never_kept(tmp_path, key_text):
    path, text = config_file(tmp_path, {"auths": {HOST: {"auth": auth_value("_json_key", key_text)}}})
    (spec,) = gitlab_ci.read(path).pullspecs
    cred = spec.credential
    assert (cred.kind, cred.username, cred.password_source) == (
        CredentialKind.BASIC,
        "_json_key",
        SecretSource.ENV,
    )
    assert cred.password_kind == "a service-account JSON key"
    assert spec.context["auth_config"] == "file" and spec.context["auth_config_secret"] == "literal"
    assert spec.context["auth_config_key"] == HOST
    assert spec.defined_in_file["DOCKER_AUTH_CONFIG"][0].line == 2
    key = json.loads(key_text)["private_key"]
    assert key.splitlines()[1] not in repr(spec) and auth_value("_json_key", key_text)[:40] not in repr(spec)


def test_a_job_variable_overrides_the_top_level_one(tmp_path):
    path, _ = config_file(tmp_path, {"credHelpers": {HOST: "gcloud"}}, where="job")
    (spec,) = gitlab_ci.read(path).pullspecs
    assert spec.credential.kind is CredentialKind.HELPER and spec.credential.fields["helper"] == "gcloud"
    assert spec.context["auth_config_form"] == "credHelpers"


@pytest.mark.parametrize(
    ("key", "matched"),
    [
        (HOST, True),
        (f"https://{HOST}", True),
        (f"https://{HOST}/v1/", True),
        (f"{HOST}/demo-project", True),  # a namespace key: GitLab Runner 17.5 and later
        (f"{HOST}:443", False),
        ("europe-docker.pkg.dev", False),
        (f"{HOST}/other-project", False),
    ],
)
def test_the_entry_is_matched_as_the_runner_matches_it(tmp_path, key, matched):
    path, _ = config_file(tmp_path, {"auths": {key: {"auth": "$GAR_AUTH"}}})
    (spec,) = gitlab_ci.read(path).pullspecs
    if matched:
        assert spec.context["auth_config_key"] == key and spec.credential.kind is CredentialKind.BASIC
    else:
        assert spec.context["auth_config_match"] == "none" and spec.context["auth_config_keys"] == key
        assert spec.credential.kind is CredentialKind.NONE


def test_variables_the_runner_expands_in_the_value(tmp_path):
    path, _ = config_file(
        tmp_path, {"auths": {HOST: {"username": "_json_key_base64", "password": "${GCP_KEY_B64}"}}}
    )
    (spec,) = gitlab_ci.read(path).pullspecs
    cred = spec.credential
    assert cred.username == "_json_key_base64" and cred.password_kind is None
    assert cred.variables == {"password": ("GCP_KEY_B64",)}
    assert spec.context["auth_config_variables"] == "GCP_KEY_B64" and "auth_config_secret" not in spec.context


def test_auth_that_is_not_base64_of_user_and_password(tmp_path):
    path, _ = config_file(tmp_path, {"auths": {HOST: {"auth": "_json_key:$GCP_KEY"}}})
    (spec,) = gitlab_ci.read(path).pullspecs
    assert spec.context["auth_undecodable"] == "true"


def test_a_value_the_runner_cannot_read(tmp_path):
    path, _ = config_file(tmp_path, "{auths: {}}")
    (spec,) = gitlab_ci.read(path).pullspecs
    assert spec.context["auth_config"] == "invalid" and spec.context["auth_config_problem"] == "not-json"
    assert spec.credential.kind is CredentialKind.NONE


def test_creds_store_applies_to_every_host(tmp_path):
    path, _ = config_file(tmp_path, {"credsStore": "gcr"})
    (spec,) = gitlab_ci.read(path).pullspecs
    assert spec.credential.kind is CredentialKind.HELPER and spec.context["auth_config_form"] == "credsStore"


def test_expand_false_keeps_dollar_signs_as_written(tmp_path):
    text = f"""
variables:
  DOCKER_AUTH_CONFIG:
    value: '{{"auths": {{"{HOST}": {{"auth": "$NOT_EXPANDED"}}}}}}'
    expand: false
job:
  image: {IMAGE}
  script: [a]
"""
    (spec,) = pulls(read(tmp_path, text))
    assert "auth_config_variables" not in spec.context and spec.context["auth_undecodable"] == "true"


def test_an_entry_in_a_block_scalar_is_placed_on_its_own_line(tmp_path):
    text = f"""
variables:
  DOCKER_AUTH_CONFIG: |
    {{
      "credHelpers": {{
        "{HOST}": "gcloud"
      }}
    }}
job:
  image: {IMAGE}
  script: [a]
"""
    (spec,) = pulls(read(tmp_path, text))
    assert spec.credential.position.line == line_of(text, f'"{HOST}"')


# -- the runner's matching, case by case (gitlab-runner helpers/docker/auth) ---------------------


@pytest.mark.parametrize(
    ("key", "path"),
    [
        ("my.hostname", "my.hostname"),
        ("my.HOSTNAME/With/Path/CASE", "my.hostname/With/Path/CASE"),
        ("my.hostname:5000/with/tag/image:latest", "my.hostname:5000/with/tag/image"),
        ("https://index.docker.io/v1/", "docker.io"),
        ("https://my.hostname/v1/something", "my.hostname"),
        (f"{HOST}/", HOST),
    ],
)
def test_registry_path(key, path):
    assert gitlab_auth_config.registry_path(key) == path


@pytest.mark.parametrize(
    ("image", "path"),
    [
        ("user/ubuntu", "docker.io/user/ubuntu"),
        ("index.docker.io/user/ubuntu", "docker.io/user/ubuntu"),
        ("FOO.BAR:123/With/Case", "foo.bar:123/With/Case"),
        ("localhost/test:xxx", "localhost/test"),
        ("notLocalhost/test", "docker.io/notLocalhost/test"),
        (IMAGE, f"{HOST}/demo-project/demo-repo/hello"),
    ],
)
def test_image_path(image, path):
    assert gitlab_auth_config.image_path(image) == path


def test_the_nearest_key_wins():
    keys = ["registry.local", "registry.local/ns", "registry.local/ns/some/image"]
    assert gitlab_auth_config.match(keys, "registry.local/foo/image:3") == "registry.local"
    assert gitlab_auth_config.match(keys, "registry.local/ns/image:5") == "registry.local/ns"
    assert gitlab_auth_config.match(keys, "registry.local/ns/some/image:l") == "registry.local/ns/some/image"


# -- scripts --------------------------------------------------------------------------------------

SCRIPTS = f"""
default:
  before_script:
    - cat key.json | docker login -u _json_key --password-stdin https://{HOST}
a:
  script:
    - docker pull {IMAGE}
b:
  script:
    - |
      echo start
      gcloud auth print-access-token | docker login -u oauth2accesstoken --password-stdin {HOST}
  after_script: [echo done]
"""


def test_logins_in_scripts(tmp_path):
    specs = read(tmp_path, SCRIPTS)
    logins = [s for s in specs if "login" in s.context]
    assert [(s.position.line, s.context["job"], s.credential.username) for s in logins] == [
        (line_of(SCRIPTS, "cat key.json"), "a,b", "_json_key"),
        (line_of(SCRIPTS, "print-access-token"), "b", "oauth2accesstoken"),
    ]
    assert logins[1].credential.password_source is SecretSource.STEP_OUTPUT


def test_steps_join_before_script_and_script(tmp_path):
    steps = gitlab_ci.run_steps(write(tmp_path, SCRIPTS))
    assert [(s.job, s.name) for s in steps] == [("a", "script"), ("b", "script"), ("b", "after_script")]
    assert steps[0].command.splitlines() == [
        f"cat key.json | docker login -u _json_key --password-stdin https://{HOST}",
        f"docker pull {IMAGE}",
    ]
    assert steps[0].position.line == line_of(SCRIPTS, "cat key.json")


REFERENCES = f"""\
.login:
  before_script:
    - cat key.json | docker login -u _json_key --password-stdin https://{HOST}
.image:
  image: {IMAGE}
deploy:
  image: !reference [.image, image]
  before_script:
    - echo first
    - !reference [.login, before_script]
  script:
    - !reference [.from-an-include, script]
    - docker pull {IMAGE}
"""


def test_reference_tags_are_replaced_by_what_they_name_in_the_file(tmp_path):
    specs = read(tmp_path, REFERENCES)
    (image,) = pulls(specs)
    assert str(image.image) == IMAGE and image.position.line == line_of(REFERENCES, "!reference [.image")
    (login,) = [s for s in specs if "login" in s.context]
    assert login.credential.username == "_json_key" and login.context["job"] == "deploy"
    (steps,) = gitlab_ci.run_steps(write(tmp_path, REFERENCES))
    # in written order; the reference to a file garauth does not have is not run as a command
    assert steps.command.splitlines() == [
        "echo first",
        f"cat key.json | docker login -u _json_key --password-stdin https://{HOST}",
        f"docker pull {IMAGE}",
    ]


def test_a_reference_cycle_stops_at_gitlab_s_nesting_limit(tmp_path):
    text = ".a:\n  script: !reference [.b, script]\n.b:\n  script: !reference [.a, script]\njob:\n  script:\n    - !reference [.a, script]\n    - echo ok\n"
    (steps,) = gitlab_ci.run_steps(write(tmp_path, text))
    assert steps.command == "echo ok"


# -- detection, schema, limits --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "doc", "expected"),
    [
        (".gitlab-ci.yml", {"a": 1}, True),
        ("keyless.gitlab-ci.yml", {"a": 1}, True),
        ("ci.yml", {"build": {"script": ["make"]}}, True),
        ("ci.yml", {"version": 2.1, "jobs": {"build": {"script": "x"}}}, False),
        ("ci.yml", {"pipelines": {"default": []}}, False),
        ("ci.yml", {"auths": {}}, False),
    ],
)
def test_detect(name, doc, expected):
    assert gitlab_ci.detect(name, doc) is expected


def test_a_schema_error_is_reported_with_its_position(tmp_path):
    text = "job:\n  scrpit: [make]\n"
    result = gitlab_ci.read(write(tmp_path, text))
    assert result.pullspecs == [] and result.errors
    assert any("scrpit" in e.message for e in result.errors)


def test_an_empty_file_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="empty"):
        gitlab_ci.read(write(tmp_path, ""))


def test_a_configuration_over_the_job_limit_gets_one_line(tmp_path):
    jobs = "".join(f"j{i}:\n  script: [a]\n" for i in range(5_001))
    with pytest.raises(UserError, match="5,001 jobs; garauth reads configurations of up to 5,000"):
        gitlab_ci.read(write(tmp_path, jobs))


def test_extends_nested_deeper_than_the_limit_is_reported(tmp_path):
    chain = "".join(f".t{i}:\n  extends: .t{i + 1}\n" for i in range(60)) + ".t60:\n  image: " + IMAGE + "\n"
    (spec,) = pulls(read(tmp_path, chain + "job:\n  extends: .t0\n  script: [a]\n"))
    assert any("nested more than 50 levels" in r for r in spec.unresolved)
