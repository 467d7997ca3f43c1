"""How the guide is published and tested: the GitHub Pages workflow and the project's own
CircleCI pipeline are validated like any config the guide shows.

- Both are valid for their system's schema (check-jsonschema's vendored schemas, through
  garauth.schemas, on documents from garauth.yamlfile).
- `garauth check` reads the CircleCI config and finds nothing. It has no reader for GitHub
  workflows yet (a later issue adds one): it lists the workflow as skipped, and this test says
  so, so that it notices when that changes.
- The workflow builds with `make site` and publishes the folder `make site` writes; only its
  deploy job may write to Pages. The CircleCI job runs .ci/run, which runs `make test`.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

from docpages import ROOT

from garauth import schemas, yamlfile

PAGES = ROOT / ".github" / "workflows" / "pages.yml"
CIRCLECI = ROOT / ".circleci" / "config.yml"


def garauth_check(path) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "garauth", "check", "--format", "json", str(path.relative_to(ROOT))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout)


def test_garauth_check_on_the_whole_repository_finds_nothing():
    """The guide's own configs and examples pass its tool; the wrong-on-purpose files (broken
    examples, rule examples, test fixtures) are excluded in pyproject.toml's [tool.garauth]."""
    proc = subprocess.run(
        [sys.executable, "-m", "garauth", "check", "--format", "json", "--fail-on", "info", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    found = json.loads(proc.stdout)
    assert (proc.returncode, found["findings"], found["errors"]) == (0, [], []), proc.stderr
    checked = {c["file"] for c in found["checked"]}
    assert "./examples/circleci/gcp-auth-implicit.yml" in checked and "./.circleci/config.yml" in checked


def test_pages_workflow_is_valid_for_github_s_schema():
    assert schemas.validate(yamlfile.load(PAGES), "github-workflows") == []


def test_pages_workflow_builds_with_make_site_and_publishes_its_output():
    workflow = yamlfile.load(PAGES)
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    runs = [s.get("run", "") for s in build["steps"]]
    assert any(re.match(r"^make site\b", r) for r in runs), runs
    site_dir = re.search(r"--site-dir (\S+)", (ROOT / "Makefile").read_text())[1]
    uploads = [
        s for s in build["steps"] if str(s.get("uses", "")).startswith("actions/upload-pages-artifact@")
    ]
    assert [u["with"]["path"] for u in uploads] == [site_dir]
    assert dict(workflow["permissions"]) == {"contents": "read"}
    assert dict(deploy["permissions"]) == {"pages": "write", "id-token": "write"}
    assert "permissions" not in build
    assert deploy["needs"] == "build"
    assert any(str(s.get("uses", "")).startswith("actions/deploy-pages@") for s in deploy["steps"])


def test_garauth_check_reads_the_pages_workflow_and_finds_nothing():
    found = garauth_check(PAGES)
    assert found["checked"] == [{"file": ".github/workflows/pages.yml", "format": "github_actions"}]
    assert found["findings"] == [] and found["errors"] == []


def test_circleci_config_is_valid_for_circleci_s_schema():
    assert schemas.validate(yamlfile.load(CIRCLECI), "circleci") == []


def test_garauth_check_reads_the_circleci_config_and_finds_nothing():
    found = garauth_check(CIRCLECI)
    assert found["checked"] == [{"file": ".circleci/config.yml", "format": "circleci"}]
    assert found["findings"] == [] and found["errors"] == []


def test_circleci_runs_make_test_through_ci_run():
    config = yamlfile.load(CIRCLECI)
    commands = [
        step["run"]["command"] if isinstance(step["run"], dict) else step["run"]
        for job in config["jobs"].values()
        for step in job["steps"]
        if isinstance(step, dict) and "run" in step
    ]
    assert any("bash .ci/run" in c and "debian:12" in c for c in commands), commands
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert [j for w in config["workflows"].values() for j in w["jobs"]] == ["test"]
