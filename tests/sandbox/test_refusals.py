"""Every refusal the guide's troubleshooting page quotes, produced with the real clients and
asserted as each client prints it (skopeo inspect, podman pull, docker login; curl shows the
registry's own body where a client drops it).

What the clients print comes from how each handles the token endpoint's answer:
  * a 401 body is shown: skopeo and podman after "unable to retrieve auth token: invalid
    username/password:", docker after `Get "https://HOST/v2/":`;
  * a 403 (a known principal without the permission, or a repository that does not exist in
    that location) loses its body in skopeo 1.9 and podman 4.3: "Requesting bearer token:
    invalid status code from registry 403 (Forbidden)". `docker login` asks for no scope, so it
    succeeds for those: a successful login proves the credential, not the right to pull.
"""

from __future__ import annotations

import json

import pytest
from sandboxkit import HOST, IMAGE, client_lines, describe, needs, needs_sandbox, password, require, sh

from garauth.fake import demo
from garauth.fake.state import State

pytestmark = [pytest.mark.sandbox, needs_sandbox]

WRONG_HOST = "us-east1-docker.pkg.dev"
WRONG_IMAGE = IMAGE.replace(HOST, WRONG_HOST)

UNPARSEABLE = "unknown: Unable to parse json key."
NO_VALID = "unauthorized: No valid credential was supplied."
AUTH_FAILED = "unauthorized: authentication failed"
FORBIDDEN = "Requesting bearer token: invalid status code from registry 403 (Forbidden)"

# case: (username, shell line setting $PASS, image, change to the state, what the token endpoint
# answered: (status, detail), or "denied" for a 403)
CASES = {
    "base64 key as _json_key": ("_json_key", password("_json_key_base64"), IMAGE, None, UNPARSEABLE),
    "raw key as _json_key_base64": ("_json_key_base64", password("_json_key"), IMAGE, None, UNPARSEABLE),
    "username __json_key": ("__json_key", password("_json_key"), IMAGE, None, NO_VALID),
    "outsider (no role)": ("_json_key", password("_json_key", "outsider"), IMAGE, None, "denied"),
    "wrong location": ("_json_key", password("_json_key"), WRONG_IMAGE, None, "denied"),
    "deleted key": ("_json_key", password("_json_key"), IMAGE, "delete key", AUTH_FAILED),
    "disabled account": ("_json_key", password("_json_key"), IMAGE, "disable account", AUTH_FAILED),
    "expired access token": (
        "oauth2accesstoken",
        "PASS=$(cat token.txt)",
        IMAGE,
        "expire token",
        AUTH_FAILED,
    ),
}


def _prepare(workdir, change):
    if change == "expire token":
        proc = sh(workdir, f'{password("oauth2accesstoken")}; umask 077; printf %s "$PASS" > token.txt')
        assert proc.returncode == 0, describe(proc)
    state = State.load(workdir)
    if change == "delete key":
        state.delete_key(json.loads((workdir / "keys" / "reader.json").read_text())["private_key_id"])
    elif change == "disable account":
        state.disable_account(demo.email("reader"))
    elif change == "expire token":
        state.advance(3600 + 60)  # the default access-token lifetime, and a minute
    state.save(workdir)


@pytest.fixture(scope="module")
def case_workdirs(seeded, tmp_path_factory):
    """One workdir per case, changed as the case needs, made on first use."""
    import shutil

    made = {}

    def get(case):
        if case not in made:
            wd = tmp_path_factory.mktemp("refusal") / "w"
            shutil.copytree(seeded, wd, symlinks=True)
            _prepare(wd, CASES[case][3])
            made[case] = wd
        return made[case]

    return get


@pytest.fixture(scope="module")
def shared_refusals(seeded, tmp_path_factory):
    """An unchanged copy of the seeded workdir for this module's anonymous cases."""
    import shutil

    wd = tmp_path_factory.mktemp("anonymous") / "w"
    shutil.copytree(seeded, wd, symlinks=True)
    return wd


def _expected(client, image, answer):
    ref = f"docker://{image}"
    host = image.split("/", 1)[0]
    if answer == "denied":
        return {
            "skopeo": f'Error parsing image name "{ref}": {FORBIDDEN}',
            "podman": f"Error: initializing source {ref}: {FORBIDDEN}",
            "docker": "Login Succeeded",
        }[client]
    token = f"unable to retrieve auth token: invalid username/password: {answer}"
    return {
        "skopeo": f'Error parsing image name "{ref}": {token}',
        "podman": f"Error: initializing source {ref}: {token}",
        "docker": f'Get "https://{host}/v2/": {answer}',
    }[client]


COMMANDS = {
    "skopeo": 'skopeo inspect --creds "{user}:$PASS" docker://{image}',
    "podman": 'podman pull -q --creds "{user}:$PASS" {image}',
    "docker": 'printf %s "$PASS" | docker login -u {user} --password-stdin {host}',
}


@pytest.mark.parametrize("client", ["skopeo", "podman", "docker"])
@pytest.mark.parametrize("case", list(CASES))
def test_refusal_as_the_client_prints_it(case_workdirs, case, client):
    require(client)
    user, pass_line, image, _change, answer = CASES[case]
    workdir = case_workdirs(case)
    command = COMMANDS[client].format(user=user, image=image, host=image.split("/", 1)[0])
    proc = sh(workdir, f"{pass_line}\n{command}")
    expected = _expected(client, image, answer)
    if expected == "Login Succeeded":
        assert proc.returncode == 0, describe(proc)
        assert proc.stdout.splitlines()[0] == expected
    else:
        assert proc.returncode == {"skopeo": 1, "podman": 125, "docker": 1}[client], describe(proc)
        assert client_lines(proc.stdout + proc.stderr)[-1] == expected, describe(proc)


@needs["curl"]
@pytest.mark.parametrize(
    "case, location",
    [("outsider (no role)", demo.LOCATION), ("wrong location", "us-east1")],
)
def test_denial_body_at_the_token_endpoint(case_workdirs, case, location):
    """The 403 that skopeo and podman reduce to "(Forbidden)" carries AR's denial text (§4.4, §4.6)."""
    user, pass_line, image, _change, _answer = CASES[case]
    host = image.split("/", 1)[0]
    scope = f"repository:{demo.PROJECT}/{demo.REPO}/hello:pull"
    proc = sh(
        case_workdirs(case),
        f"""{pass_line}
        curl -sS -o body.json -w '%{{http_code}}' -u "{user}:$PASS" "https://{host}/v2/token?scope={scope}&service={host}"
        """,
    )
    assert proc.returncode == 0, describe(proc)
    assert proc.stdout == "403"
    resource = f"projects/{demo.PROJECT}/locations/{location}/repositories/{demo.REPO}"
    body = json.loads((case_workdirs(case) / "body.json").read_text())
    assert body == {
        "errors": [
            {
                "code": "DENIED",
                "message": f'Permission "artifactregistry.repositories.downloadArtifacts" denied on resource '
                f'"{resource}" (or it may not exist)',
            }
        ]
    }


@pytest.mark.parametrize(
    "client, command, status, expected",
    [
        (
            "skopeo",
            f"skopeo inspect docker://{IMAGE}",
            1,
            f'Error parsing image name "docker://{IMAGE}": {FORBIDDEN}',
        ),
        (
            "skopeo",
            f'skopeo inspect --creds "_json_key:" docker://{IMAGE}',
            1,
            f'Error parsing image name "docker://{IMAGE}": {FORBIDDEN}',
        ),
        (
            "podman",
            f"podman pull -q {IMAGE}",
            125,
            f"Error: initializing source docker://{IMAGE}: {FORBIDDEN}",
        ),
        (
            "docker",
            f"printf '' | docker login -u _json_key --password-stdin {HOST}",
            1,
            "Error: Cannot perform an interactive login from a non TTY device",
        ),
    ],
    ids=["skopeo-no-creds", "skopeo-empty-password", "podman-no-creds", "docker-empty-password"],
)
def test_no_credential(shared_refusals, client, command, status, expected):
    """No credential, or an empty password (an unset CI variable): anonymous for skopeo and podman."""
    require(client)
    proc = sh(shared_refusals, command)
    assert proc.returncode == status, describe(proc)
    assert client_lines(proc.stdout + proc.stderr)[-1] == expected, describe(proc)


@needs["curl"]
def test_anonymous_denial_body(shared_refusals):
    """What skopeo and podman reduce to "(Forbidden)" when no credential is sent (§4.5)."""
    scope = f"repository:{demo.PROJECT}/{demo.REPO}/hello:pull"
    proc = sh(
        shared_refusals, f"curl -sS -o anon.json -w '%{{http_code}}' 'https://{HOST}/v2/token?scope={scope}'"
    )
    assert (proc.returncode, proc.stdout) == (0, "403"), describe(proc)
    resource = f"projects/{demo.PROJECT}/locations/{demo.LOCATION}/repositories/{demo.REPO}"
    message = (
        "Unauthenticated request. Unauthenticated requests do not have permission "
        f'"artifactregistry.repositories.downloadArtifacts" on resource "{resource}" (or it may not exist)'
    )
    body = json.loads((shared_refusals / "anon.json").read_text())
    assert body == {"errors": [{"code": "DENIED", "message": message}]}
