"""examples/bitbucket: every configuration validates against Bitbucket's schema (check-jsonschema's
built-in `bitbucket-pipelines`) and reads cleanly; `garauth check` passes the good ones and finds
in each broken one exactly what the troubleshooting page shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from garauth import schemas, yamlfile
from garauth.commands.check import examine
from garauth.model import CredentialKind
from garauth.readers import bitbucket_pipelines
from garauth.rules import pages
from kit.outputs import compare

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FOLDER = EXAMPLES / "bitbucket"
CONFIGS = sorted(FOLDER.glob("*.bitbucket-pipelines.yml"))
BROKEN = sorted((FOLDER / "broken").glob("*.bitbucket-pipelines.yml"))

# What the troubleshooting page shows for each broken example; the ones whose rule's own page
# shows another example have their output stored under output/.
TROUBLESHOOTING = {
    "oidc-build-image.bitbucket-pipelines.yml": ["GA604"],
    "no-credentials.bitbucket-pipelines.yml": ["GA605"],
    "aws-oidc-role.bitbucket-pipelines.yml": ["GA306"],
    "password-in-file.bitbucket-pipelines.yml": ["GA102"],
}
STORED = ("aws-oidc-role", "password-in-file")


@pytest.mark.parametrize("path", CONFIGS + BROKEN, ids=lambda p: p.name)
def test_validates_against_bitbucket_s_schema(path):
    text = pages.example_text(str(path.relative_to(EXAMPLES)))  # a placeholder key made real
    errors = schemas.validate(yamlfile.load(path, text), "bitbucket-pipelines")
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


@pytest.mark.parametrize("name", STORED)
def test_stored_check_output(name):
    compare(
        FOLDER / "output" / f"{name}.check.txt",
        pages.check_output(f"bitbucket/broken/{name}.bitbucket-pipelines.yml"),
    )


def test_every_broken_example_is_on_the_troubleshooting_page():
    assert sorted(p.name for p in BROKEN) == sorted(TROUBLESHOOTING)
    page = (EXAMPLES.parent / "docs" / "how-to" / "troubleshoot-bitbucket.md").read_text()
    assert all(f"bitbucket/broken/{name}" in page for name in TROUBLESHOOTING)


def test_the_key_example_pulls_both_images_with_stored_credentials():
    specs = bitbucket_pipelines.read(FOLDER / "json-key.bitbucket-pipelines.yml").pullspecs
    got = [
        (s.context["role"], s.credential.kind, s.credential.username, s.credential.password_ref)
        for s in specs
    ]
    assert got == [
        ("build-image", CredentialKind.BASIC, "_json_key", "GCP_KEY_JSON"),
        ("service", CredentialKind.BASIC, "_json_key_base64", "GCP_KEY_BASE64"),
    ]


def test_the_keyless_step_pulls_nothing_before_it_runs_but_logs_in():
    path = FOLDER / "keyless-step.bitbucket-pipelines.yml"
    specs = bitbucket_pipelines.read(path).pullspecs
    assert [s.image_text for s in specs if "role" in s.context] == ["google/cloud-sdk:slim"]
    (login,) = [s for s in specs if "login" in s.context]
    assert login.credential.username == "oauth2accesstoken"
    (step,) = bitbucket_pipelines.run_steps(path)
    assert "docker login" in step.command and "$BITBUCKET_STEP_OIDC_TOKEN" in step.command
