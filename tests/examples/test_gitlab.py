"""examples/gitlab: every configuration validates against GitLab's schema (check-jsonschema's
built-in `gitlab-ci`) and reads cleanly; `garauth check` passes the good ones and finds in each
broken one exactly what the troubleshooting page says; the documented command that makes
DOCKER_AUTH_CONFIG's value runs and makes a value the runner can use."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest

from garauth import keyfile, schemas, yamlfile
from garauth.commands.check import examine
from garauth.readers import gitlab_auth_config, gitlab_ci
from garauth.rules import pages
from kit.outputs import compare

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
    sorted(p for p in FOLDER.rglob("*") if p.is_file() and "output" not in p.parts),
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
