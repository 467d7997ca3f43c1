"""Every failure on the troubleshooting page is produced here with real clients against the fake,
and what they print is compared with the files the page shows (examples/circleci/errors/):

    NAME.podman.txt    what `podman pull` prints (standard error), the closest real client to
                       CircleCI's own pull of a job image
    NAME.registry.txt  the registry's own answer to the token request (curl), which podman hides
    NAME.pulls.txt     what `garauth pulls` says about the config before anything runs

Set GARAUTH_UPDATE_OUTPUTS=1 to rewrite the files after a deliberate change.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from circleci_run import CIRCLECI, pull, token_request, variables

from garauth import sandbox
from garauth.fake import demo, server
from garauth.fake.state import State
from garauth.readers import circleci
from garauth.readers.circleci import IMPLICIT_GCP_VARIABLES
from kit.outputs import compare

AVAILABLE, WHY_NOT = sandbox.available()
pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.skipif(not AVAILABLE, reason=f"garauth sandbox cannot run here: {WHY_NOT}"),
    pytest.mark.skipif(shutil.which("podman") is None, reason="podman is not installed"),
]

ERRORS = CIRCLECI / "errors"


def _key(workdir: Path, who: str = "reader") -> str:
    return (workdir / "keys" / f"{who}.json").read_text()


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _delete_reader_key(workdir: Path, bound: dict) -> None:
    state = State.load(workdir)
    state.delete_key(json.loads(_key(workdir))["private_key_id"])
    state.save(workdir)


def _disable_reader(workdir: Path, bound: dict) -> None:
    state = State.load(workdir)
    state.disable_account(demo.email("reader"))
    state.save(workdir)


def _expired_token(workdir: Path, bound: dict) -> None:
    """A token from `gcloud auth print-access-token` pasted into a variable, then an hour passes."""
    state = State.load(workdir)
    principal = state.check_key_file(json.loads(_key(workdir)))
    bound["GCLOUD_ACCESS_TOKEN"], _expiry = state.issue_token(principal)
    state.advance(3600 + 60)
    state.save(workdir)


@dataclass
class Case:
    name: str
    config: str
    bind: Callable[[Path], dict] = lambda wd: {}
    mutate: Callable[[Path, dict], None] | None = None
    runtime: bool = True  # False: CircleCI's behaviour at pull time is not reproducible here
    registry: bool = True  # also show the token endpoint's answer
    static: bool = False  # garauth pulls reports it before anything runs
    notes: list[str] = field(default_factory=list)


CASES = [
    Case("base64-with-json-key", "json-key-raw.yml", lambda wd: {"GCLOUD_SERVICE_KEY": _b64(_key(wd))}),
    Case("raw-with-json-key-base64", "json-key-base64.yml", lambda wd: {"GCLOUD_SERVICE_KEY_B64": _key(wd)}),
    Case("double-underscore", "broken/double-underscore.yml"),
    Case("key-in-quotes", "json-key-raw.yml", lambda wd: {"GCLOUD_SERVICE_KEY": "'" + _key(wd) + "'"}),
    Case(
        "escaped-newlines",
        "json-key-raw.yml",
        lambda wd: {"GCLOUD_SERVICE_KEY": _key(wd).replace("\n", "\\n")},
    ),
    Case("location-typo", "broken/location-typo.yml", registry=False, static=True),
    Case("no-repository", "broken/no-repository.yml", static=True),
    Case("wrong-location", "broken/wrong-location.yml"),
    Case("no-reader-role", "json-key-raw.yml", lambda wd: {"GCLOUD_SERVICE_KEY": _key(wd, "outsider")}),
    Case(
        "unauthenticated-request",
        "broken/no-auth.yml",
        lambda wd: dict.fromkeys(IMPLICIT_GCP_VARIABLES.values()),
        static=True,
    ),  # fmt: skip
    Case("deleted-key", "json-key-raw.yml", mutate=_delete_reader_key),
    Case("disabled-account", "json-key-raw.yml", mutate=_disable_reader),
    Case("expired-access-token", "broken/access-token.yml", mutate=_expired_token),
    Case("environment-only", "broken/environment-only.yml", runtime=False, static=True),
    Case("pool-with-project-id", "broken/pool-with-project-id.yml", registry=False),
]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("seeded")
    server.prepare(root)
    return root


@pytest.fixture
def workdir(seeded, tmp_path) -> Path:
    wd = tmp_path / "wd"
    shutil.copytree(seeded, wd, ignore=shutil.ignore_patterns("containers", ".sandbox", "run"))
    return wd


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_failure_prints_what_the_page_shows(case: Case, workdir: Path):
    config = CIRCLECI / case.config
    spec = circleci.read(config).pullspecs[0]
    bound = {**variables(workdir), **case.bind(workdir)}
    bound = {name: value for name, value in bound.items() if value is not None}  # None: not set
    if case.mutate:
        case.mutate(workdir, bound)

    if case.static:
        result = subprocess.run(
            [sys.executable, "-m", "garauth", "pulls", case.config],
            cwd=CIRCLECI,
            capture_output=True,
            text=True,
            timeout=60,
        )
        compare(ERRORS / f"{case.name}.pulls.txt", result.stdout)

    if case.runtime:
        result = pull(spec, workdir, bound)
        assert not result.ok, f"{case.name}: the pull was expected to fail\n{result.describe()}"
        compare(ERRORS / f"{case.name}.podman.txt", result.proc.stderr)
    if case.runtime and case.registry:
        answer = token_request(spec, workdir, bound)
        assert answer.returncode == 0, answer.stderr
        # A refusal was expected; a granted token must not reach an assertion message.
        assert '"token"' not in answer.stdout, f"{case.name}: the registry issued a token"
        compare(ERRORS / f"{case.name}.registry.txt", answer.stdout)


def test_every_error_file_belongs_to_a_case():
    names = {c.name for c in CASES}
    strays = [p.name for p in ERRORS.glob("*.txt") if p.name.split(".")[0] not in names]
    assert strays == []
