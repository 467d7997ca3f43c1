"""The CircleCI reader, and the rules' findings on what it reads: real configs in
tests/readers/circleci/, good and bad. The reader says what the file says; the findings come from
garauth.rules, named here by rule ID."""

from __future__ import annotations

from pathlib import Path

import pytest

from garauth import schemas, yamlfile
from garauth.errors import UserError
from garauth.model import SecretSource
from garauth.readers import circleci
from garauth.rules import findings_of

FIXTURES = Path(__file__).parent / "circleci"
NOT_VALID = {"schema_passwrd.yml", "invalid_yaml.yml"}
VALID = sorted(p.name for p in FIXTURES.glob("*.yml") if p.name not in NOT_VALID)


def fixture(name: str) -> Path:
    return FIXTURES / name


def where(name: str, needle: str, nth: int = 0) -> tuple[int, int]:
    """1-based line and column where `needle` starts in the fixture (found independently of the YAML loader)."""
    hits = [
        (number, line.index(needle) + 1)
        for number, line in enumerate(fixture(name).read_text().splitlines(), start=1)
        if needle in line
    ]
    return hits[nth]


def pulls(name: str):
    result = circleci.read(fixture(name))
    assert result.errors == []
    return result.pullspecs


def by_job(specs, job: str):
    return [s for s in specs if s.context["job"] == job]


def found(spec) -> list[tuple[str, str]]:
    """The (rule ID, message) of each finding on a PullSpec."""
    return [(f.rule, str(f.message)) for f in findings_of(spec)]


def ids(spec) -> list[str]:
    return [rule for rule, _ in found(spec)]


# -- every fixture meant to be valid passes CircleCI's schema ------------------------------------


def test_the_fixture_set_is_what_this_module_expects():
    assert len(VALID) == 12
    assert all(fixture(n).exists() for n in NOT_VALID)


@pytest.mark.parametrize("name", VALID)
def test_valid_fixture_passes_the_circleci_schema(name):
    assert schemas.validate(yamlfile.load(fixture(name)), "circleci") == []


@pytest.mark.parametrize("name", VALID)
def test_valid_fixture_reads_without_errors(name):
    result = circleci.read(fixture(name))
    assert result.errors == []
    assert result.pullspecs


# -- auth: -----------------------------------------------------------------------------------------


def test_auth_raw_json_key_from_a_project_variable():
    (spec,) = pulls("auth_raw.yml")
    assert spec.image_text == "us-central1-docker.pkg.dev/acme-ci-123/ci-images/builder:2026.11"
    assert spec.image.ar.location == "us-central1"
    assert spec.image.ar.repository == "ci-images"
    assert spec.image.tag == "2026.11"
    cred = spec.credential
    assert (cred.kind, cred.username, cred.username_var) == ("basic", "_json_key", None)
    assert (cred.password_source, cred.password_ref) == (SecretSource.ENV, "GCLOUD_SERVICE_KEY")
    assert (spec.position.line, spec.position.column) == (7, 16)
    assert (cred.position.line, cred.position.column) == where("auth_raw.yml", "auth:")
    assert spec.context == {
        "job": "build",
        "container": "0",
        "role": "primary",
        "workflows": "main",
        "contexts": "gar-pull",
    }
    assert found(spec) == []


def test_auth_base64_with_braced_variable_and_username_from_a_variable():
    specs = pulls("auth_base64.yml")
    (build,) = by_job(specs, "build")
    assert build.credential.username == "_json_key_base64"
    assert build.credential.password_ref == "GCLOUD_SERVICE_KEY_B64"
    assert build.image.digest.startswith("sha256:4f1f9c1d")
    assert build.image.reference == build.image.digest
    (deploy,) = by_job(specs, "deploy")
    assert (deploy.credential.username, deploy.credential.username_var) == (None, "AR_USERNAME")
    assert deploy.credential.password_ref == "AR_PASSWORD"
    assert (deploy.position.line, deploy.position.column) == where(
        "auth_base64.yml", "europe-west1-docker", 1
    )
    assert found(build) == found(deploy) == []


# -- gcp_auth ------------------------------------------------------------------------------------


def test_gcp_auth_explicit_fields():
    (spec,) = pulls("gcp_auth_explicit.yml")
    cred = spec.credential
    assert (cred.kind, cred.implicit, cred.password_source) == ("gcp_auth", False, SecretSource.OIDC)
    assert cred.fields == {
        "oidc_service_account": "ci-puller@acme-ci-123.iam.gserviceaccount.com",
        "workload_identity_pool": "projects/123456789012/locations/global/workloadIdentityPools/circleci",
        "workload_identity_provider": "circleci-oidc",
    }
    assert (cred.position.line, cred.position.column) == where("gcp_auth_explicit.yml", "gcp_auth:")
    assert found(spec) == []


def test_gcp_auth_implicit_on_an_ar_image_and_none_on_docker_hub():
    primary, cache = pulls("gcp_auth_implicit.yml")
    assert primary.image.ar.location == "asia-northeast1"
    cred = primary.credential
    assert (cred.kind, cred.implicit, cred.position) == ("gcp_auth", True, None)
    assert cred.fields == {
        "oidc_service_account": "$GCP_OIDC_SERVICE_ACCOUNT",
        "workload_identity_pool": "$GCP_WORKLOAD_IDENTITY_POOL",
        "workload_identity_provider": "$GCP_WORKLOAD_IDENTITY_PROVIDER",
    }
    assert ids(primary) == ["GA109"]
    assert primary.context["contexts"] == "gcp-oidc"
    assert cache.image.host == "docker.io"
    assert cache.image.path == "library/redis"
    assert cache.credential.kind == "none"
    assert cache.context["role"] == "secondary" and cache.context["name"] == "cache"
    assert found(cache) == []


# -- executors, parameters, secondary containers ----------------------------------------------------


def test_executor_parameters_matrix_and_pipeline_parameter():
    specs = pulls("executor_params.yml")
    build = by_job(specs, "build")
    assert [s.image.tag for s in build] == ["1.0", "2.0"]  # one pull per matrix value
    for s in build:
        assert s.context["executor"] == "gar"
        assert s.context["written"].endswith(":<< parameters.tag >>")
        assert s.credential.password_ref == "GCLOUD_SERVICE_KEY"  # env_var_name default
        assert (s.position.line, s.position.column) == where("executor_params.yml", "us-central1-docker")
    (release,) = by_job(specs, "release")
    assert release.image.tag == "latest"  # executor default
    assert release.credential.password_ref == "RELEASE_KEY"  # value passed by the job
    (lint,) = by_job(specs, "lint")
    assert lint.image.tag == "2026.11"
    assert found(lint) == [
        (
            "GA207",
            "<< pipeline.parameters.tools-tag >> is taken as its default; a pipeline triggered with another "
            "value pulls something else.",
        )
    ]
    assert all(found(s) == [] for s in specs if s is not lint)


NO_DEFAULT = """\
version: 2.1
executors:
  gar:
    parameters:
      tag:
        type: string
    docker:
      - image: us-central1-docker.pkg.dev/acme-ci-123/ci-images/builder:<< parameters.tag >>
jobs:
  build:
    executor: gar
    steps: [checkout]
  test:
    docker:
      - image: us-central1-docker.pkg.dev/acme-ci-123/ci-images/builder:<< pipeline.git.tag >>
    steps: [checkout]
workflows:
  main:
    jobs: [build, test]
"""


def test_parameter_without_default_or_value_and_runtime_values_are_problems():
    result = circleci.read("inline.yml", NO_DEFAULT)
    assert result.errors == []
    build, test = result.pullspecs
    assert build.image is None
    assert build.image_text.endswith(":<< parameters.tag >>")
    assert found(build) == [
        (
            "GA206",
            "<< parameters.tag >> has no value: executors.gar.parameters.tag has no default and no value "
            "is passed for it.",
        )
    ]
    assert test.image is None
    assert found(test) == [
        ("GA206", "<< pipeline.git.tag >> is only known when the pipeline runs; garauth cannot resolve it.")
    ]


def test_secondary_containers_each_a_pull_with_its_own_position():
    specs = pulls("secondary_containers.yml")
    assert [s.context["container"] for s in specs] == ["0", "1", "2"]
    assert [s.context["role"] for s in specs] == ["primary", "secondary", "secondary"]
    assert [s.context.get("name") for s in specs] == [None, "payments", "db"]
    assert [s.credential.kind for s in specs] == ["basic", "basic", "none"]
    assert [(s.position.line, s.position.column) for s in specs] == [
        where("secondary_containers.yml", "us-central1", 0),
        where("secondary_containers.yml", "us-central1", 1),
        where("secondary_containers.yml", "cimg/postgres"),
    ]


def test_orb_executor_and_orb_job_are_problems_not_crashes():
    test, orb_job = pulls("orb_executor.yml")
    assert test.image is None and test.credential.kind == "unknown"
    assert test.context["executor"] == "node/default"
    ((rule, message),) = found(test)
    assert rule == "GA206" and "circleci/node@5.2.0" in message and "does not fetch orb sources" in message
    assert (test.position.line, test.position.column) == where("orb_executor.yml", "node/default")
    assert orb_job.context["job"] == "node/test"
    assert "The job node/test comes from the orb circleci/node@5.2.0" in found(orb_job)[0][1]


def test_inline_orb_executor_and_job_are_resolved():
    lint, build = sorted(pulls("inline_orb.yml"), key=lambda s: s.context["job"], reverse=True)
    assert (lint.context["job"], lint.context["executor"], lint.image.tag) == ("platform/lint", "base", "1.0")
    assert lint.context["contexts"] == "platform"
    assert (build.context["job"], build.context["executor"], build.image.tag) == (
        "build",
        "platform/base",
        "2.0",
    )
    for spec in (lint, build):
        assert spec.credential.password_ref == "PLATFORM_KEY"
        assert (spec.position.line, spec.position.column) == where("inline_orb.yml", "us-central1-docker")
        assert found(spec) == []


def test_undefined_executor_is_a_problem():
    text = fixture("executor_params.yml").read_text().replace("executor: tools", "executor: toolz")
    (lint,) = by_job(circleci.read("inline.yml", text).pullspecs, "lint")
    assert found(lint) == [
        ("GA206", "The executor toolz is not defined under executors:. Define it or fix its name.")
    ]


# -- aws_auth ------------------------------------------------------------------------------------


def test_aws_auth_recognised_and_wrong_on_an_ar_image():
    ecr, oidc, gar = pulls("aws_auth.yml")
    assert ecr.credential.kind == "aws_auth"
    assert ecr.credential.fields == {
        "aws_access_key_id": "$AWS_ACCESS_KEY_ID",
        "aws_secret_access_key": "$AWS_SECRET_ACCESS_KEY",
    }
    assert found(ecr) == found(oidc) == []
    assert oidc.credential.password_source is SecretSource.OIDC
    assert found(gar) == [
        ("GA306", "aws_auth: authenticates to Amazon ECR, but the image is on Artifact Registry.")
    ]


def test_aws_secret_written_in_the_file_is_not_kept():
    text = fixture("aws_auth.yml").read_text().replace("$AWS_SECRET_ACCESS_KEY", "FAKEsecretVALUE123")
    ecr = circleci.read("inline.yml", text).pullspecs[0]
    assert "FAKEsecretVALUE123" not in repr(ecr)
    assert ecr.credential.fields["aws_secret_access_key"] == ""
    assert ids(ecr) == ["GA102"]
    assert found(ecr)[0][1].startswith("The aws_secret_access_key is written in the file")


# -- interpolation rules -------------------------------------------------------------------------


def test_variable_defined_only_under_environment_is_not_interpolated_in_auth():
    (spec,) = pulls("env_only_variable.yml")
    user_line = where("env_only_variable.yml", "PULL_USER:")[0]
    key_line = where("env_only_variable.yml", "AR_KEY:")[0]
    assert sorted(found(spec)) == [
        (
            "GA107",
            f"$AR_KEY is defined only in the file (line {key_line}), under environment:, which this password cannot see.",
        ),
        (
            "GA107",
            f"$PULL_USER is defined only in the file (line {user_line}), under environment:, which this username cannot see.",
        ),
    ]
    assert spec.credential.username_var == "PULL_USER"


def test_implicit_gcp_variable_defined_only_under_environment():
    text = (
        fixture("gcp_auth_implicit.yml")
        .read_text()
        .replace(
            "    steps:\n",
            "    environment:\n      GCP_WORKLOAD_IDENTITY_POOL: projects/1/x\n    steps:\n",
            1,
        )
    )
    primary = circleci.read("inline.yml", text).pullspecs[0]
    assert sorted(found(primary))[0] == (
        "GA107",
        "$GCP_WORKLOAD_IDENTITY_POOL is defined only in the file (line 13), under environment:, which this "
        "implicit gcp_auth cannot see.",
    )


@pytest.mark.parametrize(
    ("job", "kind"),
    [
        ("json-key", "a service-account JSON key"),
        ("access-token", "an OAuth 2.0 access token (ya29.)"),
        ("base64-key", "a base64-encoded service-account JSON key"),
    ],
)
def test_literal_secret_is_a_problem_and_never_repeated(job, kind):
    (spec,) = by_job(pulls("literal_secret.yml"), job)
    assert spec.credential.password_source is SecretSource.LITERAL
    assert spec.credential.password_ref is None
    assert spec.credential.password_kind == kind
    ((rule, message),) = found(spec)
    assert (rule, message.split(":")[0]) == ("GA102", "The password is written in the file")
    for secret in ("FAKE-NOT-A-KEY", "ya29.FAKE", "eyJ0eXBlIjog"):
        assert secret not in repr(spec) and secret not in message


def test_text_mixed_with_a_variable_in_auth_is_a_problem():
    text = fixture("auth_raw.yml").read_text().replace("$GCLOUD_SERVICE_KEY", "prefix-$GCLOUD_SERVICE_KEY")
    (spec,) = circleci.read("inline.yml", text).pullspecs
    assert found(spec) == [("GA105", "The password mixes text with the variable(s) GCLOUD_SERVICE_KEY.")]


# -- bad references ----------------------------------------------------------------------------


def test_bad_references_become_problems():
    typo, norepo = pulls("bad_reference.yml")
    assert typo.image.ar is None and norepo.image.ar is None
    (typo_finding,) = findings_of(typo)
    assert (typo_finding.rule, typo_finding.message, typo_finding.fix) == (
        "GA202",
        "us-central-1-docker.pkg.dev is not an Artifact Registry host: there is no location us-central-1.",
        "Did you mean us-central1-docker.pkg.dev? `gcloud artifacts locations list` lists the locations.",
    )
    assert found(norepo) == [
        ("GA205", "The path has no repository segment: builder follows the project directly.")
    ]
    assert (norepo.position.line, norepo.position.column) == (15, 16)


# -- unusable files --------------------------------------------------------------------------------


def test_schema_failure_gives_errors_with_positions_and_no_pullspecs():
    result = circleci.read(fixture("schema_passwrd.yml"))
    assert result.pullspecs == []
    assert [(e.position.line, e.position.column, e.message) for e in result.errors] == [
        (8, 9, "$.jobs.build.docker[0].auth: these keys are not allowed here: passwrd."),
        (8, 9, "$.jobs.build.docker[0].auth: password is a required property."),
    ]
    assert "configuration-reference" in result.errors[0].hint


def test_schema_message_does_not_repeat_a_password():
    text = fixture("auth_raw.yml").read_text().replace("$GCLOUD_SERVICE_KEY", "123456789")
    (error,) = circleci.read("inline.yml", text).errors
    assert "123456789" not in str(error)
    assert (
        error.message
        == "$.jobs.build.docker[0].auth.password: the value must be of type string, not a number."
    )


def test_invalid_yaml_raises_user_error_with_line_and_column():
    with pytest.raises(UserError) as caught:
        circleci.read(fixture("invalid_yaml.yml"))
    err = caught.value
    assert (err.line, err.column) == (8, 10)
    assert str(err) == (
        f"{fixture('invalid_yaml.yml')}:8:10: this is not valid YAML: did not find expected ',' or '}}'. "
        "Fix the YAML syntax at that position."
    )


def test_missing_and_empty_files_raise_user_error(tmp_path):
    with pytest.raises(UserError, match="cannot read the file"):
        circleci.read(tmp_path / "nope.yml")
    with pytest.raises(UserError, match="the file is empty"):
        circleci.read("empty.yml", "# nothing\n")


EXECUTOR_PARAMETER = """\
version: 2.1
parameters:
  builder-tag:
    type: string
    default: "7.1"
executors:
  gar:
    parameters:
      tag:
        type: string
        default: "1.0"
    docker:
      - image: us-central1-docker.pkg.dev/acme-ci-123/ci-images/builder:<< parameters.tag >>
jobs:
  build:
    parameters:
      exec:
        type: executor
        default: gar
    executor: << parameters.exec >>
    steps: [checkout]
  pinned:
    parameters:
      tag:
        type: string
    executor:
      name: gar
      tag: << parameters.tag >>
    steps: [checkout]
workflows:
  main:
    jobs:
      - build
      - pinned:
          tag: << pipeline.parameters.builder-tag >>
"""


def test_executor_typed_parameter_and_pipeline_parameter_passed_in_a_workflow():
    build, pinned = sorted(
        circleci.read("inline.yml", EXECUTOR_PARAMETER).pullspecs, key=lambda s: s.context["job"]
    )
    assert (build.context["executor"], build.image.tag, ids(build)) == ("gar", "1.0", ["GA109"])
    assert (pinned.image.tag, ids(pinned)) == ("7.1", ["GA109"])


def test_orb_reference_is_checked_with_ecma_regex_semantics():
    text = fixture("orb_executor.yml").read_text().replace("circleci/node@5.2.0", "circleci/node@latest")
    errors = circleci.read("inline.yml", text).errors
    assert errors and all(e.position.line == where("orb_executor.yml", "circleci/node@")[0] for e in errors)
    assert errors[0].message == "$.orbs.node: the value has none of the forms the schema allows here."


def test_auth_and_gcp_auth_together_and_an_empty_password_are_problems():
    text = (
        fixture("gcp_auth_explicit.yml")
        .read_text()
        .replace(
            "        gcp_auth:\n",
            "        auth:\n          username: _json_key\n          password: ''\n        gcp_auth:\n",
        )
    )
    (spec,) = circleci.read("inline.yml", text).pullspecs
    assert spec.credential.kind == "basic" and spec.credential.blocks == ("auth", "gcp_auth")
    assert sorted(ids(spec)) == ["GA104", "GA305"]


def test_executor_from_an_undeclared_orb():
    text = (
        fixture("orb_executor.yml").read_text().replace("executor: node/default", "executor: python/default")
    )
    test = circleci.read("inline.yml", text).pullspecs[0]
    assert found(test) == [
        ("GA206", "The executor python/default names the orb python, which is not declared under orbs:.")
    ]
