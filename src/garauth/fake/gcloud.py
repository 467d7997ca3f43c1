"""A stand-in for Google's `gcloud` CLI: a TEST DOUBLE, not Google's tool.

It applies the few commands the guide's scripts (examples/gcloud/*.sh) run to the fake's saved
state, so tests can run those scripts as written and then pull with real clients:

    GARAUTH_FAKE_WORKDIR=WORKDIR python -m garauth.fake.gcloud artifacts repositories create ...

Each run loads `State` from WORKDIR, applies one command, and saves it. Flags are taken as
`--flag=value` or `--flag value`; any command or flag outside `COMMANDS` is refused with one
`ERROR: (gcloud.GROUP.COMMAND) ...` line on stderr and exit status 1, as is any request that the
state refuses (NOT_FOUND, ALREADY_EXISTS, INVALID_ARGUMENT). Those lines have gcloud's shape; their
wordings are this stand-in's, close to gcloud's where known, and are not a reference for it.
Like gcloud, status lines go to stderr and results (a project number, a key table, a policy)
to stdout. Key material is written only to the key file asked for (mode 0600), never printed.

Tests put it on PATH as `gcloud` with `install(bin_dir)`.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import re
import shlex
import sys
import time
from collections.abc import Callable
from pathlib import Path

from garauth import data, keyfile
from garauth.fake.state import NotFound, State, repository_name

WORKDIR_ENV = "GARAUTH_FAKE_WORKDIR"
ACCOUNT_ID = re.compile(r"[a-z][-a-z0-9]{4,28}[a-z0-9]")  # 6-30 characters
REPOSITORY_ID = re.compile(r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?")
MEMBER = re.compile(r"(allUsers|allAuthenticatedUsers|[a-zA-Z]+:.+|principal(Set)?://.+)")
NEVER_EXPIRES = "9999-12-31T23:59:59Z"  # what gcloud lists as EXPIRES_AT for a key without expiry


class GcloudError(Exception):
    """One line for the user, after `ERROR: (gcloud.GROUP.COMMAND) `."""


# --- command table -----------------------------------------------------------------------------
# command("group command POSITIONAL", "--flag!", "--flag"): "!" marks a required flag; the
# positional (upper case, at most one) is required. --quiet is accepted everywhere.

COMMANDS: dict[tuple[str, ...], tuple[str | None, tuple[str, ...], Callable]] = {}


def command(spec: str, *flags: str) -> Callable[[Callable], Callable]:
    words = spec.split()
    positional = words.pop() if words[-1].isupper() else None

    def register(fn: Callable) -> Callable:
        COMMANDS[tuple(words)] = (positional, flags, fn)
        return fn

    return register


def _supported() -> str:
    return ", ".join("gcloud " + " ".join(path) for path in COMMANDS)


# --- projects ----------------------------------------------------------------------------------


def _project(state: State, project: str | None) -> tuple[str, str]:
    """(project id, project number) of a project named by id or number."""
    project = project or os.environ.get("CLOUDSDK_CORE_PROJECT")
    if not project:
        raise GcloudError("The required property [project] is not currently set. Pass --project.")
    pid = project if project in state.projects else state.project_id_for_number(project)
    if pid is None:
        raise GcloudError(f"NOT_FOUND: Project [{project}] not found.")
    return pid, state.projects[pid]["number"]


@command("projects describe PROJECT_ID_OR_NUMBER", "--format")
def projects_describe(state: State, a: argparse.Namespace) -> None:
    pid, number = _project(state, a.project_id_or_number)
    if a.format == "value(projectNumber)":
        print(number)
    elif a.format is None:
        print(f"lifecycleState: ACTIVE\nname: {pid}\nprojectId: {pid}\nprojectNumber: '{number}'")
    else:
        raise GcloudError(f"this stand-in supports only --format='value(projectNumber)', not [{a.format}].")


# --- IAM policies ------------------------------------------------------------------------------


def _bind(state: State, resource: str, role: str, member: str, role_prefix: str) -> None:
    if not MEMBER.fullmatch(member):
        raise GcloudError('Policy members must be of the form "<type>:<value>".')
    if not role.startswith(role_prefix):
        raise GcloudError(f"INVALID_ARGUMENT: Role {role} is not supported for this resource.")
    if member.startswith("serviceAccount:"):
        email = member.split(":", 1)[1]
        domain_project = email.partition("@")[2].removesuffix(".iam.gserviceaccount.com")
        if domain_project in state.projects and email not in state.service_accounts:
            raise GcloudError(f"INVALID_ARGUMENT: Service account {email} does not exist.")
    state.grant(resource, role, member)
    _print_policy(state.iam[resource])


def _print_policy(bindings: dict[str, list[str]]) -> None:
    lines = ["bindings:"]
    for role in sorted(bindings):
        if bindings[role]:
            lines += ["- members:", *(f"  - {m}" for m in sorted(bindings[role])), f"  role: {role}"]
    etag = base64.b64encode(hashlib.sha256(repr(sorted(bindings.items())).encode()).digest()[:8]).decode()
    print("\n".join(lines + [f"etag: {etag}", "version: 1"]))


# --- Artifact Registry -------------------------------------------------------------------------


def _repository(state: State, a: argparse.Namespace) -> tuple[str, str]:
    pid, _ = _project(state, a.project)
    if a.location not in data.location_names():
        raise GcloudError(f"INVALID_ARGUMENT: [{a.location}] is not an Artifact Registry location.")
    return pid, repository_name(pid, a.location, a.repository)


@command(
    "artifacts repositories create REPOSITORY",
    "--project",
    "--location!",
    "--repository-format!",
    "--description",
)
def repositories_create(state: State, a: argparse.Namespace) -> None:
    if a.repository_format.lower() != "docker":
        raise GcloudError(
            f"this stand-in supports only --repository-format=docker, not [{a.repository_format}]."
        )
    if not REPOSITORY_ID.fullmatch(a.repository):
        raise GcloudError(
            f"INVALID_ARGUMENT: Invalid repository ID [{a.repository}]: use lowercase letters, digits "
            "and hyphens, start with a letter, end with a letter or digit, at most 63 characters."
        )
    pid, name = _repository(state, a)
    if name in state.repositories:
        raise GcloudError("ALREADY_EXISTS: the repository already exists")
    state.add_repository(pid, a.location, a.repository)
    print(f"Created repository [{a.repository}].", file=sys.stderr)


@command(
    "artifacts repositories add-iam-policy-binding REPOSITORY",
    "--project",
    "--location!",
    "--member!",
    "--role!",
)
def repositories_bind(state: State, a: argparse.Namespace) -> None:
    _, name = _repository(state, a)
    if name not in state.repositories:
        raise GcloudError("NOT_FOUND: Requested entity was not found.")
    print(f"Updated IAM policy for repository [{a.repository}].", file=sys.stderr)
    _bind(state, name, a.role, a.member, "roles/artifactregistry.")


# --- service accounts and keys -----------------------------------------------------------------


def _account(state: State, email: str) -> dict:
    try:
        return state.service_accounts[email]
    except KeyError:
        raise GcloudError(
            f"NOT_FOUND: Service account projects/-/serviceAccounts/{email} does not exist."
        ) from None


@command("iam service-accounts create NAME", "--project", "--display-name")
def accounts_create(state: State, a: argparse.Namespace) -> None:
    if not ACCOUNT_ID.fullmatch(a.name):
        raise GcloudError(
            f"argument NAME: Bad value [{a.name}]: Service account name must be between 6 and 30 "
            "characters (inclusive), must begin with a lowercase letter, and consist of lowercase "
            "alphanumeric characters that can be separated by hyphens."
        )
    pid, _ = _project(state, a.project)
    if f"{a.name}@{pid}.iam.gserviceaccount.com" in state.service_accounts:
        raise GcloudError(
            f"Resource in projects [{pid}] is the subject of a conflict: Service account {a.name} "
            f"already exists within project projects/{pid}."
        )
    state.add_service_account(pid, a.name)
    print(f"Created service account [{a.name}].", file=sys.stderr)


@command("iam service-accounts add-iam-policy-binding SERVICE_ACCOUNT", "--project", "--role!", "--member!")
def accounts_bind(state: State, a: argparse.Namespace) -> None:
    account = _account(state, a.service_account)
    resource = f"projects/{account['project']}/serviceAccounts/{a.service_account}"
    print(f"Updated IAM policy for serviceAccount [{a.service_account}].", file=sys.stderr)
    _bind(state, resource, a.role, a.member, "roles/iam.")


@command("iam service-accounts keys create OUTPUT_FILE", "--iam-account!", "--project")
def keys_create(state: State, a: argparse.Namespace) -> None:
    _account(state, a.iam_account)
    key = state.create_key(a.iam_account)
    path = Path(a.output_file)
    try:
        keyfile.write_private(path, keyfile.dumps(key))
    except OSError as e:
        raise GcloudError(f"Unable to write file [{a.output_file}]: {e.strerror}.") from None
    print(
        f"created key [{key['private_key_id']}] of type [json] as [{a.output_file}] for [{a.iam_account}]",
        file=sys.stderr,
    )


@command("iam service-accounts keys list", "--iam-account!", "--project", "--managed-by")
def keys_list(state: State, a: argparse.Namespace) -> None:
    _account(state, a.iam_account)
    if a.managed_by not in (None, "user", "system", "any"):
        raise GcloudError(f"argument --managed-by: Invalid choice: '{a.managed_by}'.")
    keys = [(key_id, key) for key_id, key in state.keys.items() if key["email"] == a.iam_account]
    if a.managed_by == "system":
        keys = []  # the fake makes user-managed keys only
    if not keys:
        print("Listed 0 items.", file=sys.stderr)
        return
    rows = [("KEY_ID", "CREATED_AT", "EXPIRES_AT", "DISABLED")]
    for key_id, key in sorted(keys, key=lambda item: item[1]["created"]):
        created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(key["created"]))
        rows.append((key_id, created, NEVER_EXPIRES, "True" if key.get("disabled") else ""))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


@command("iam service-accounts keys delete KEY_ID", "--iam-account!", "--project")
def keys_delete(state: State, a: argparse.Namespace) -> None:
    _account(state, a.iam_account)
    if state.live_key(a.key_id, a.iam_account) is None:
        raise GcloudError(
            f"NOT_FOUND: Service account key projects/-/serviceAccounts/{a.iam_account}/keys/{a.key_id} "
            "does not exist."
        )
    state.delete_key(a.key_id)
    print(f"deleted key [{a.key_id}] for service account [{a.iam_account}]", file=sys.stderr)


# --- Workload Identity Federation --------------------------------------------------------------


def _pool(state: State, a: argparse.Namespace, pool_id: str) -> str:
    if a.location != "global":
        raise GcloudError(f"INVALID_ARGUMENT: workload identity pools live in [global], not [{a.location}].")
    _, number = _project(state, a.project)
    return f"projects/{number}/locations/global/workloadIdentityPools/{pool_id}"


@command(
    "iam workload-identity-pools create WORKLOAD_IDENTITY_POOL", "--project", "--location!", "--display-name"
)
def pools_create(state: State, a: argparse.Namespace) -> None:
    name = _pool(state, a, a.workload_identity_pool)
    if name in state.pools:
        raise GcloudError("ALREADY_EXISTS: Requested entity already exists")
    state.add_pool(name.split("/")[1], a.workload_identity_pool)
    print(f"Created workload identity pool [{a.workload_identity_pool}].", file=sys.stderr)


def _pairs(flag: str, text: str) -> dict[str, str]:
    """gcloud's KEY=VALUE,... form: split on commas, then on the first '=' of each pair."""
    if text.startswith("^"):
        raise GcloudError(f"{flag}: this stand-in does not support gcloud's ^DELIMITER^ syntax.")
    out = {}
    for pair in text.split(","):
        key, eq, value = pair.partition("=")
        if not eq or not key.strip():
            raise GcloudError(f"{flag}: Bad syntax for dict arg: [{pair}]. Use KEY=VALUE,KEY=VALUE.")
        out[key.strip()] = value
    return out


@command(
    "iam workload-identity-pools providers create-oidc PROVIDER",
    "--project",
    "--location!",
    "--workload-identity-pool!",
    "--issuer-uri!",
    "--allowed-audiences",
    "--attribute-mapping!",
    "--attribute-condition",
    "--display-name",
)
def providers_create(state: State, a: argparse.Namespace) -> None:
    pool = _pool(state, a, a.workload_identity_pool)
    if pool not in state.pools:
        raise GcloudError("NOT_FOUND: Requested entity was not found.")
    if f"{pool}/providers/{a.provider}" in state.providers:
        raise GcloudError("ALREADY_EXISTS: Requested entity already exists")
    if not a.issuer_uri.startswith("https://"):
        raise GcloudError("INVALID_ARGUMENT: The issuer URI must start with https://.")
    mapping = _pairs("--attribute-mapping", a.attribute_mapping)
    if "google.subject" not in mapping:
        raise GcloudError("INVALID_ARGUMENT: The attribute mapping must map google.subject.")
    audiences = [aud for aud in (a.allowed_audiences or "").split(",") if aud]
    state.add_oidc_provider(pool, a.provider, a.issuer_uri, audiences, mapping, a.attribute_condition)
    print(f"Created workload identity pool provider [{a.provider}].", file=sys.stderr)


# --- running -----------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise GcloudError(message)


class _Located(Exception):
    """An error line with the command (or group) it belongs to, e.g. gcloud.iam.service-accounts."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(message)
        self.where = where


def _find(argv: list[str]) -> tuple[str, ...]:
    """The command path argv starts with; raise _Located (at the group reached) if none."""
    path: tuple[str, ...] = ()
    for word in argv:
        if not any(known[: len(path) + 1] == (*path, word) for known in COMMANDS):
            break
        path += (word,)
    if path in COMMANDS:
        return path
    rest = argv[len(path) :]
    what = f"Invalid choice: '{rest[0]}'." if rest else "Command name argument expected."
    raise _Located(
        ".".join(("gcloud", *path)),
        f"{what} This stand-in for gcloud (a test double) supports only the guide's commands: "
        f"{_supported()}.",
    )


def _parse(path: tuple[str, ...], args: list[str]) -> argparse.Namespace:
    positional, flags, _ = COMMANDS[path]
    parser = _Parser(add_help=False, allow_abbrev=False)
    if positional:
        parser.add_argument(positional.lower(), nargs="?")
    for flag in flags:
        parser.add_argument(flag.rstrip("!"))
    parser.add_argument("--quiet", "-q", action="store_true")
    a, extra = parser.parse_known_args(args)
    if extra:
        known = ", ".join(f.rstrip("!") for f in flags) + ", --quiet"
        raise GcloudError(
            f"unrecognized arguments: {' '.join(extra)} (this stand-in for gcloud, a test double, "
            f"supports only the guide's flags here: {known})"
        )
    if positional and not getattr(a, positional.lower()):
        raise GcloudError(f"argument {positional}: Must be specified.")
    for flag in flags:
        if flag.endswith("!") and getattr(a, flag[2:-1].replace("-", "_")) is None:
            raise GcloudError(f"argument {flag[:-1]}: Must be specified.")
    return a


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        path = _find(argv)
        where = "gcloud." + ".".join(path)
        try:
            args = _parse(path, argv[len(path) :])
            workdir = os.environ.get(WORKDIR_ENV)
            if not workdir:
                raise GcloudError(f"{WORKDIR_ENV} is not set: this stand-in edits a fake's saved state.")
            if not (Path(workdir) / "state.json").is_file():
                raise GcloudError(f"no fake state in {WORKDIR_ENV}={workdir} (state.json is missing).")
            state = State.load(workdir)
            COMMANDS[path][2](state, args)
            state.save(workdir)
        except NotFound as e:
            raise _Located(where, f"NOT_FOUND: {e}.") from None
        except (GcloudError, OSError, ValueError) as e:
            raise _Located(where, str(e)) from None
    except _Located as e:
        print(f"ERROR: ({e.where}) {e}", file=sys.stderr)
        return 1
    return 0


def install(bin_dir: str | os.PathLike) -> Path:
    """Write an executable `gcloud` into bin_dir that runs this stand-in; return its path.

    Put bin_dir first on PATH and set GARAUTH_FAKE_WORKDIR in the environment of what runs it.
    """
    src = Path(__file__).resolve().parents[2]  # the directory holding the garauth package
    shim = Path(bin_dir) / "gcloud"
    shim.parent.mkdir(parents=True, exist_ok=True)
    shim.write_text(
        "#!/bin/sh\n"
        "# A stand-in for gcloud (test double): see garauth/fake/gcloud.py.\n"
        f"PYTHONPATH={shlex.quote(str(src))}${{PYTHONPATH:+:$PYTHONPATH}}\n"
        "export PYTHONPATH\n"
        f'exec {shlex.quote(sys.executable)} -m garauth.fake.gcloud "$@"\n'
    )
    shim.chmod(0o755)
    return shim


if __name__ == "__main__":
    sys.exit(main())
