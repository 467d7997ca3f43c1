"""`garauth pulls FILE [--format text|json]` on the CircleCI fixtures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from garauth.cli import main

FIXTURES = Path(__file__).parent / "circleci"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["pulls", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_text_output_for_a_clean_config(capsys):
    path = FIXTURES / "auth_raw.yml"
    code, out, err = run(capsys, str(path))
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"{path}: 1 image pull(s) before jobs start; no findings",
        "",
        f"{path}:7:16: job build, container 0 (primary)",
        "  image         us-central1-docker.pkg.dev/acme-ci-123/ci-images/builder:2026.11",
        "                Artifact Registry: location us-central1, project acme-ci-123, repository ci-images,",
        "                image builder, tag 2026.11",
        "  credential    auth: username _json_key, password from project/context variable $GCLOUD_SERVICE_KEY",
        "  workflows     main",
        "  contexts      gar-pull",
    ]


def test_text_output_shows_gcp_auth_pool_provider_and_account(capsys):
    code, out, _ = run(capsys, str(FIXTURES / "gcp_auth_explicit.yml"))
    assert code == 0
    flat = " ".join(out.split())
    assert (
        "credential gcp_auth (OIDC): service account ci-puller@acme-ci-123.iam.gserviceaccount.com, pool "
        "projects/123456789012/locations/global/workloadIdentityPools/circleci, provider circleci-oidc"
    ) in flat


def test_text_output_implicit_gcp_auth(capsys):
    code, out, _ = run(capsys, str(FIXTURES / "gcp_auth_implicit.yml"))
    assert code == 0  # GA109 is information only
    flat = " ".join(out.split())
    assert "gcp_auth (implicit, if these project/context variables are set): service account " in flat
    assert "$GCP_OIDC_SERVICE_ACCOUNT, pool $GCP_WORKLOAD_IDENTITY_POOL" in flat
    assert "credential none (anonymous pull)" in flat


def test_problems_exit_1_and_are_listed(capsys):
    path = FIXTURES / "env_only_variable.yml"
    code, out, err = run(capsys, str(path))
    assert (code, err) == (1, "")
    assert out.splitlines()[0] == f"{path}: 1 image pull(s) before jobs start; 2 finding(s)"
    assert "  GA107 error   $PULL_USER is defined only in the file (line 10), under environment:," in out
    assert "  GA107 error   $AR_KEY is defined only in the file (line 15), under environment:," in out
    assert "                Fix: Store the value as a project or context variable" in out


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_literal_secrets_are_never_printed(capsys, fmt):
    code, out, err = run(capsys, str(FIXTURES / "literal_secret.yml"), "--format", fmt)
    assert code == 1
    for secret in ("FAKE-NOT-A-KEY", "ya29.FAKE", "eyJ0eXBlIjog", "private_key_id"):
        assert secret not in out + err
    assert "password written in the file" in out


def test_json_shape(capsys):
    path = FIXTURES / "executor_params.yml"
    code, out, err = run(capsys, str(path), "--format", "json")
    assert (code, err) == (0, "")
    doc = json.loads(out)
    assert set(doc) == {"file", "platform", "pulls", "errors", "finding_count"}
    assert (doc["file"], doc["platform"], doc["errors"], doc["finding_count"]) == (
        str(path),
        "circleci",
        [],
        1,
    )
    first = doc["pulls"][0]
    assert first == {
        "image": "us-central1-docker.pkg.dev/acme-ci-123/ci-images/builder:1.0",
        "written": "us-central1-docker.pkg.dev/acme-ci-123/ci-images/builder:<< parameters.tag >>",
        "ref": {
            "host": "us-central1-docker.pkg.dev",
            "path": "acme-ci-123/ci-images/builder",
            "tag": "1.0",
            "digest": None,
            "reference": "1.0",
            "ar": {
                "location": "us-central1",
                "project": "acme-ci-123",
                "repository": "ci-images",
                "image": "builder",
            },
        },
        "job": "build",
        "container": 0,
        "role": "primary",
        "executor": "gar",
        "name": None,
        "workflows": ["main"],
        "contexts": [],
        "location": {"file": str(path), "line": 20, "column": 16},
        "credential": {
            "kind": "basic",
            "implicit": False,
            "username": "_json_key",
            "username_var": None,
            "password_source": "env",
            "password_var": "GCLOUD_SERVICE_KEY",
            "fields": {},
            "location": {"file": str(path), "line": 21, "column": 9},
            "summary": "auth: username _json_key, password from project/context variable $GCLOUD_SERVICE_KEY",
        },
        "findings": [],
    }
    assert [p["image"].rsplit(":", 1)[1] for p in doc["pulls"]] == ["1.0", "2.0", "latest", "2026.11"]
    (lint,) = [p for p in doc["pulls"] if p["findings"]]
    assert lint["findings"] == [
        {
            "rule": "GA207",
            "name": "pipeline-parameter-default",
            "severity": "info",
            "message": "<< pipeline.parameters.tools-tag >> is taken as its default; a pipeline triggered with "
            "another value pulls something else.",
            "fix": "Nothing to do if pipelines run with the default; otherwise check the values they are "
            "triggered with.",
            "url": "https://garauth.github.io/garauth/reference/rules/GA207/",
            "file": str(path),
            "line": lint["location"]["line"],
            "column": lint["location"]["column"],
        }
    ]


def test_json_unresolvable_orb_executor(capsys):
    code, out, _ = run(capsys, str(FIXTURES / "orb_executor.yml"), "--format", "json")
    assert code == 1
    doc = json.loads(out)
    orb = doc["pulls"][0]
    assert (orb["image"], orb["ref"], orb["container"]) == (None, None, None)
    assert orb["credential"]["kind"] == "unknown"
    assert doc["finding_count"] == 2
    assert {f["rule"] for p in doc["pulls"] for f in p["findings"]} == {"GA206"}


def test_schema_failure_exit_2_one_message_per_error(capsys):
    path = FIXTURES / "schema_passwrd.yml"
    code, out, err = run(capsys, str(path))
    assert (code, out) == (2, "")
    hint = "Fix it as CircleCI's configuration reference describes: https://circleci.com/docs/configuration-reference"
    assert err.splitlines() == [
        f"garauth pulls: {path}:8:9: $.jobs.build.docker[0].auth: these keys are not allowed here: passwrd. {hint}",
        f"garauth pulls: {path}:8:9: $.jobs.build.docker[0].auth: password is a required property. {hint}",
    ]


def test_schema_failure_json(capsys):
    code, out, _ = run(capsys, str(FIXTURES / "schema_passwrd.yml"), "--format", "json")
    assert code == 2
    doc = json.loads(out)
    assert doc["pulls"] == []
    assert [(e["line"], e["column"]) for e in doc["errors"]] == [(8, 9), (8, 9)]


def test_invalid_yaml_exit_2(capsys):
    path = FIXTURES / "invalid_yaml.yml"
    code, out, err = run(capsys, str(path))
    assert (code, out) == (2, "")
    assert err.startswith(
        f"garauth pulls: {path}:8:10: this is not valid YAML: did not find expected ',' or '}}'"
    )
    assert err.count("\n") == 1


def test_missing_file_json(capsys, tmp_path):
    path = tmp_path / "config.yml"
    code, out, err = run(capsys, str(path), "--format", "json")
    assert code == 2
    assert err == f"garauth pulls: {path}: cannot read the file: No such file or directory. Check the path.\n"
    (error,) = json.loads(out)["errors"]
    assert (error["file"], error["line"], error["column"]) == (str(path), None, None)


def test_no_traceback_from_the_installed_command(tmp_path):
    bad = tmp_path / "config.yml"
    bad.write_text("version: 2.1\njobs: [\n")
    proc = subprocess.run(
        [sys.executable, "-m", "garauth", "pulls", str(bad)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"garauth pulls: {bad}:3:1: this is not valid YAML")
    assert proc.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("example", "platform"),
    [
        ("github/job-container.yml", "github_actions"),
        ("gitlab/json-key.gitlab-ci.yml", "gitlab_ci"),
        ("kubernetes/pod.yaml", "kubernetes"),
    ],
)
def test_another_platform_s_file_is_named_and_sent_to_check(capsys, example, platform):
    path = Path(__file__).parents[2] / "examples" / example
    code, out, err = run(capsys, str(path))
    assert (code, out) == (2, "")
    assert err == (
        f"garauth pulls: {path}: this is a {platform} file; garauth pulls reads CircleCI configs only. "
        "Run `garauth check` on it for the same findings.\n"
    )
