"""examples/bitbucket: every configuration validates against Bitbucket's schema (check-jsonschema's
built-in `bitbucket-pipelines`) and reads cleanly; `garauth check` passes the good ones and finds
in each broken one exactly what the troubleshooting page shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from garauth import schemas, yamlfile
from garauth.commands.check import examine
from garauth.fake import demo
from garauth.fake import gitlab_bitbucket_oidc as ci
from garauth.fake.state import State
from garauth.model import CredentialKind
from garauth.readers import bitbucket_pipelines
from garauth.rules import pages
from kit.availability import needs_sandbox
from kit.outputs import client_lines, compare, describe
from kit.refusals import PASSWORDS, REFUSALS, prints
from kit.runner import Basic, Federated, credential, exchange, pull, token_request
from kit.suite import Case, PlatformSuite
from kit.workdir import IMAGE, Workdir

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


# -- on the test kit: build and service images through the Docker Engine, steps run as written -------


class TestBitbucket(PlatformSuite):
    platform = "bitbucket"
    reader = bitbucket_pipelines
    pattern = "*.bitbucket-pipelines.yml"
    engine = "docker"
    checkout = {"Dockerfile": f"FROM {IMAGE}\n"}  # the repository a keyless step builds on
    test_report_matches_the_stored_file = None  # `garauth pulls` reads CircleCI configs only

    def variables(self, workdir: Workdir) -> dict[str, str]:
        """The repository's secured variables in the tests (secret values), and the token
        Bitbucket gives a step with oidc: true (minted by the fake's Bitbucket stand-in)."""
        return {
            "GCP_KEY_JSON": PASSWORDS["key"](workdir, "reader"),
            "GCP_KEY_BASE64": PASSWORDS["key as base64"](workdir, "reader"),
            "BITBUCKET_STEP_OIDC_TOKEN": ci.mint_bitbucket_token(workdir.state),
        }

    def prepare(self, state: State) -> None:
        """What examples/bitbucket/wif-setup.sh makes (its test checks they are the same)."""
        if ci.pool_name(demo.PROJECT_NUMBER, ci.BITBUCKET_POOL) not in state.pools:
            ci.add_bitbucket_provider(state, demo.PROJECT, demo.PROJECT_NUMBER, demo.email("reader"))

    cases = [
        Case(
            "oidc-build-image", "broken/oidc-build-image.bitbucket-pipelines.yml", "unauthenticated-request"
        ),
        Case(
            "base64-in-json-key-variable",
            "json-key.bitbucket-pipelines.yml",
            "base64-with-json-key",
            "GCP_KEY_JSON",
        ),
        Case("no-reader-role", "json-key.bitbucket-pipelines.yml", "no-reader-role", "GCP_KEY_JSON"),
        Case("get-access-token-denied", "keyless-step.bitbucket-pipelines.yml", registry=False),
    ]

    @needs_sandbox
    def test_failure_prints_what_the_page_shows(self, case: Case, workdir: Workdir):
        """As the kit's, for the build image of a file that also pulls services, and for the
        keyless step's exchange; the Docker Engine's message and the registry's answer."""
        errors = self.errors_folder()
        if case.refusal is None:  # the step's exchange, refused after the binding is gone
            self.prepare(workdir.state)
            workdir.fake.change("remove binding")
            pool = ci.pool_name(demo.PROJECT_NUMBER, ci.BITBUCKET_POOL)
            token = ci.mint_bitbucket_token(workdir.state)
            proc = exchange(Federated(pool, ci.BITBUCKET_POOL, demo.email("reader")), workdir, token)
            assert proc.returncode != 0, describe(proc)
            compare(errors / f"{case.name}.exchange.txt", proc.stderr)
            return
        (spec,) = [
            s
            for s in self.reader.read(self.folder() / case.config).pullspecs
            if s.context.get("role") == "build-image"
        ]
        refusal = REFUSALS[case.refusal]
        password = refusal.password_for(workdir)
        bound = self.bound(case, workdir, password)
        wanted = Basic(refusal.username, password) if refusal.username else None
        assert (spec.image_text, credential(spec, bound)) == (refusal.image, wanted), (
            f"{case.name} is not {refusal.name}"
        )
        result = pull(spec, workdir, bound, engine="docker")
        assert not result.ok, result.describe()
        message = client_lines(result.proc.stderr)[-1]
        assert message == prints("docker", refusal)
        compare(errors / f"{case.name}.docker.txt", message + "\n")
        answer = token_request(spec, workdir, bound)
        assert answer.returncode == 0 and '"token"' not in answer.stdout, answer.stderr
        compare(errors / f"{case.name}.registry.txt", answer.stdout)
