"""A stand-in for Google's `gcloud` CLI: a TEST DOUBLE, not Google's tool.

Where google-cloud-cli is installed, the tests run the guide's scripts (examples/gcloud/*.sh) with
the real gcloud against the fake's admin APIs. This stand-in is for machines without it: it
applies the same few commands to the fake's saved state, through the same State methods the
fake's REST services use, so both accept and refuse the same things:

    GARAUTH_FAKE_WORKDIR=WORKDIR python -m garauth.fake.gcloud artifacts repositories create ...

Each run loads `State` from WORKDIR, applies one command, and saves it. Flags are taken as
`--flag=value` or `--flag value`; any command or flag outside `COMMANDS` is refused with one
`ERROR: (gcloud.GROUP.COMMAND) ...` line on stderr and exit status 1. A request the state refuses
gets the line the real gcloud prints for the fake's answer (tests compare the two where both can
run), as if signed in as the demo project's owner (`ACTIVE_ACCOUNT`). Like gcloud, status lines
go to stderr and results (a project number, a key table, a policy) to stdout. Key material is
written only to the key file asked for (mode 0600), never printed.

Tests put it on PATH as `gcloud` with `install(bin_dir)`.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

from garauth import keyfile
from garauth.fake import demo
from garauth.fake.artifactregistry import AR_DENIED, REPO_EXISTS, repository_roles
from garauth.fake.googleapi import (
    IAM_DENIED,
    MEMBER,
    MEMBER_MALFORMED,
    MEMBER_UNKNOWN,
    NOT_FOUND,
    ROLE_NOT_SUPPORTED,
    policy_body,
    timestamp,
)
from garauth.fake.iam import NEVER_EXPIRES, UNKNOWN_ACCOUNT, UNKNOWN_KEY, account_roles
from garauth.fake.resourcemanager import PROJECT_DENIED
from garauth.fake.state import REPOSITORY_ID, AlreadyExists, Invalid, NotFound, State, repository_name

WORKDIR_ENV = "GARAUTH_FAKE_WORKDIR"
ACTIVE_ACCOUNT = demo.email(demo.OWNER)
# gcloud's own texts (googlecloudsdk/command_lib/artifacts/util.py, command_lib/iam/iam_util.py).
REPOSITORY_NAME_RULE = (
    "Names may only contain lowercase letters, numbers, and hyphens, and must begin with a letter "
    "and end with a letter or number."
)
POLICY_FAILED = (
    'ERROR: Policy modification failed. For a binding with condition, run "gcloud alpha iam '
    'policies lint-condition" to identify issues in condition.'
)
KEY_TABLE = ("KEY_ID", "CREATED_AT", "EXPIRES_AT", "DISABLED", "DISABLE_REASON", "EXTENDED_STATUS")


class GcloudError(Exception):
    """One line for the user, after `ERROR: (gcloud.GROUP.COMMAND) `; `before` lines come first."""

    def __init__(self, message: str, before: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.before = before


def _signed_in(message: str) -> str:
    """What gcloud adds to a 401, 403 or 404 message (googlecloudsdk/api_lib/util/exceptions.py)."""
    info = (
        f"This command is authenticated as {ACTIVE_ACCOUNT} which is the active account specified by "
        "the [core/account] property."
    )
    return f"{message} {info}" if message.endswith(".") else f"{message}. {info[:-1]}"


def _http(code: str, message: str, status: int) -> GcloudError:
    return GcloudError(f"{code}: {_signed_in(message) if status in (401, 403, 404) else message}")


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


def _no_project(project: str, message: str) -> GcloudError:
    return GcloudError(
        f"[{ACTIVE_ACCOUNT}] does not have permission to access projects instance [{project}] "
        f"(or it may not exist): {_signed_in(message)}"
    )


def _project_of(a: argparse.Namespace) -> str:
    project = a.project or os.environ.get("CLOUDSDK_CORE_PROJECT")
    if not project:
        raise GcloudError("The required property [project] is not currently set. Pass --project.")
    return project


@command("projects describe PROJECT_ID_OR_NUMBER", "--format")
def projects_describe(state: State, a: argparse.Namespace) -> None:
    try:
        pid, record = state.project(a.project_id_or_number)
    except NotFound:
        raise _no_project(a.project_id_or_number, PROJECT_DENIED.message) from None
    if a.format == "value(projectNumber)":
        print(record["number"])
    elif a.format is None:
        created = f"createTime: '{timestamp(record['created'])}'\n" if "created" in record else ""
        print(
            f"{created}lifecycleState: ACTIVE\nname: {pid}\nprojectId: {pid}\nprojectNumber: '{record['number']}'"
        )
    else:
        raise GcloudError(f"this stand-in supports only --format='value(projectNumber)', not [{a.format}].")


# --- IAM policies ------------------------------------------------------------------------------


def _bind(state: State, resource: str, role: str, member: str, role_ok: Callable[[str], bool]) -> None:
    """gcloud's add-iam-policy-binding: read the policy, add the member, write it, print it."""
    refused = None
    if not role_ok(role):
        refused = ROLE_NOT_SUPPORTED(role=role)
    elif not MEMBER.fullmatch(member):
        refused = MEMBER_MALFORMED(member=member)
    elif member.startswith("serviceAccount:") and member.endswith(".iam.gserviceaccount.com"):
        email = member.split(":", 1)[1]
        if email.partition("@")[2].removesuffix(".iam.gserviceaccount.com") in state.projects:
            if email not in state.service_accounts:
                refused = MEMBER_UNKNOWN(email=email)
    if refused is not None:
        raise GcloudError(f"{refused.code}: {refused.message}", before=(POLICY_FAILED,))
    state.grant(resource, role, member)


def _print_policy(state: State, resource: str) -> None:
    """The policy as gcloud prints it (YAML, keys in order), with gcloud's URL-safe etag."""
    body = policy_body(state, resource)
    lines = []
    if "bindings" in body:
        lines.append("bindings:")
        for binding in body["bindings"]:
            lines += ["- members:", *(f"  - {m}" for m in binding["members"]), f"  role: {binding['role']}"]
    etag = body["etag"].replace("+", "-").replace("/", "_")
    print("\n".join([*lines, f"etag: {etag}", f"version: {body['version']}"]))


# --- Artifact Registry -------------------------------------------------------------------------


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
        raise GcloudError(REPOSITORY_NAME_RULE)
    project = _project_of(a)
    parent = f"projects/{project}/locations/{a.location}"
    try:
        name = state.create_repository(project, a.location, a.repository, "DOCKER", a.description or "")
    except NotFound:
        denied = AR_DENIED(permission="artifactregistry.repositories.create", resource=parent)
        raise _http(denied.code, denied.message, denied.status) from None
    except AlreadyExists:
        raise _http(REPO_EXISTS.code, REPO_EXISTS.message, REPO_EXISTS.status) from None
    except Invalid as err:
        raise _http("INVALID_ARGUMENT", str(err), 400) from None
    operation = f"{name.rsplit('/repositories/', 1)[0]}/operations/{uuid.uuid4()}"
    state.start_operation(operation, {"name": name})
    state.poll_operation(operation)
    print(f"Create request issued for: [{a.repository}]", file=sys.stderr)
    print(f"Waiting for operation [{operation}] to complete...done.", file=sys.stderr)
    print(f"Created repository [{a.repository}].", file=sys.stderr)


@command(
    "artifacts repositories add-iam-policy-binding REPOSITORY",
    "--project",
    "--location!",
    "--member!",
    "--role!",
)
def repositories_bind(state: State, a: argparse.Namespace) -> None:
    project = _project_of(a)
    try:
        pid, _ = state.project(project)
    except NotFound:
        denied = AR_DENIED(
            permission="artifactregistry.repositories.getIamPolicy",
            resource=f"projects/{project}/locations/{a.location}",
        )
        raise _http(denied.code, denied.message, denied.status) from None
    name = repository_name(pid, a.location, a.repository)
    if name not in state.repositories:
        raise _http(NOT_FOUND.code, NOT_FOUND.message, NOT_FOUND.status)
    _bind(state, name, a.role, a.member, repository_roles)
    print(f"Updated IAM policy for repository [{a.repository}].", file=sys.stderr)
    _print_policy(state, name)


# --- service accounts and keys -----------------------------------------------------------------


def _account(state: State, email: str, permission: str) -> dict:
    """The account a `projects/-/serviceAccounts/EMAIL` path names: 403 when missing, as IAM answers."""
    record = state.service_accounts.get(email)
    if record is None:
        denied = IAM_DENIED(permission=permission)
        raise _http(denied.code, denied.message, denied.status)
    return record


@command("iam service-accounts create NAME", "--project", "--display-name", "--description")
def accounts_create(state: State, a: argparse.Namespace) -> None:
    project = _project_of(a)
    try:
        state.create_service_account(project, a.name, a.display_name or "", a.description or "")
    except NotFound:
        raise _no_project(project, IAM_DENIED(permission="iam.serviceAccounts.create").message) from None
    except AlreadyExists as err:
        raise GcloudError(f"Resource in projects [{project}] is the subject of a conflict: {err}") from None
    except Invalid as err:
        raise _http("INVALID_ARGUMENT", str(err), 400) from None
    print(f"Created service account [{a.name}].", file=sys.stderr)


@command("iam service-accounts add-iam-policy-binding SERVICE_ACCOUNT", "--project", "--role!", "--member!")
def accounts_bind(state: State, a: argparse.Namespace) -> None:
    project = _project_of(a)
    record = state.service_accounts.get(a.service_account)
    if record is None or project not in (record["project"], state.projects[record["project"]]["number"]):
        raise _http(UNKNOWN_ACCOUNT.code, UNKNOWN_ACCOUNT.message, UNKNOWN_ACCOUNT.status)
    resource = f"projects/{record['project']}/serviceAccounts/{a.service_account}"
    _bind(state, resource, a.role, a.member, account_roles)
    print(f"Updated IAM policy for serviceAccount [{a.service_account}].", file=sys.stderr)
    _print_policy(state, resource)


@command("iam service-accounts keys create OUTPUT_FILE", "--iam-account!", "--project")
def keys_create(state: State, a: argparse.Namespace) -> None:
    _account(state, a.iam_account, "iam.serviceAccountKeys.create")
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
    _account(state, a.iam_account, "iam.serviceAccountKeys.list")
    if a.managed_by not in (None, "user", "system", "any"):
        raise GcloudError(f"argument --managed-by: Invalid choice: '{a.managed_by}'.")
    keys = [] if a.managed_by == "system" else state.keys_of(a.iam_account)  # user-managed keys only
    if not keys:
        print("Listed 0 items.", file=sys.stderr)
        return
    rows = [KEY_TABLE]
    for key_id, key in keys:
        rows.append(
            (
                key_id,
                timestamp(key["created"], fraction=False),
                NEVER_EXPIRES,
                "True" if key.get("disabled") else "",
                "",
                "",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(KEY_TABLE))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


@command("iam service-accounts keys delete KEY_ID", "--iam-account!", "--project")
def keys_delete(state: State, a: argparse.Namespace) -> None:
    record = _account(state, a.iam_account, "iam.serviceAccountKeys.delete")
    if state.live_key(a.key_id, a.iam_account) is None:
        missing = UNKNOWN_KEY(
            name=f"projects/{record['project']}/serviceAccounts/{a.iam_account}/keys/{a.key_id}"
        )
        raise _http(missing.code, missing.message, missing.status)
    state.delete_key(a.key_id)
    print(f"deleted key [{a.key_id}] for service account [{a.iam_account}]", file=sys.stderr)


# --- Workload Identity Federation --------------------------------------------------------------


def _project_number(state: State, a: argparse.Namespace, permission: str) -> str:
    try:
        _, record = state.project(_project_of(a))
    except NotFound:
        denied = IAM_DENIED(permission=permission)
        raise _http(denied.code, denied.message, denied.status) from None
    if a.location != "global":
        raise _http(
            "INVALID_ARGUMENT", f"Workload identity pools live in location global, not {a.location}.", 400
        )
    return record["number"]


@command(
    "iam workload-identity-pools create WORKLOAD_IDENTITY_POOL",
    "--project",
    "--location!",
    "--display-name",
    "--description",
)
def pools_create(state: State, a: argparse.Namespace) -> None:
    number = _project_number(state, a, "iam.workloadIdentityPools.create")
    try:
        state.create_pool(number, a.workload_identity_pool, a.display_name or "", a.description or "")
    except AlreadyExists as err:
        raise _http("ALREADY_EXISTS", str(err), 409) from None
    except Invalid as err:
        raise _http("INVALID_ARGUMENT", str(err), 400) from None
    print(f"Created workload identity pool [{a.workload_identity_pool}].", file=sys.stderr)


def _pairs(flag: str, text: str) -> dict[str, str]:
    """gcloud's KEY=VALUE,... form: split on commas (or on ^DELIM^'s delimiter), then on the first '='."""
    separator = ","
    if text.startswith("^") and "^" in text[1:]:
        separator, text = text[1:].split("^", 1)
    out = {}
    for pair in text.split(separator):
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
    number = _project_number(state, a, "iam.workloadIdentityPoolProviders.create")
    pool = f"projects/{number}/locations/global/workloadIdentityPools/{a.workload_identity_pool}"
    mapping = _pairs("--attribute-mapping", a.attribute_mapping)
    audiences = [aud for aud in (a.allowed_audiences or "").split(",") if aud]
    try:
        state.create_oidc_provider(
            pool, a.provider, a.issuer_uri, audiences, mapping, a.attribute_condition, a.display_name or ""
        )
    except NotFound:
        raise _http(NOT_FOUND.code, NOT_FOUND.message, NOT_FOUND.status) from None
    except AlreadyExists as err:
        raise _http("ALREADY_EXISTS", str(err), 409) from None
    except Invalid as err:
        raise _http("INVALID_ARGUMENT", str(err), 400) from None
    print(f"Created workload identity pool provider [{a.provider}].", file=sys.stderr)


# --- running -----------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise GcloudError(message)


class _Located(Exception):
    """An error line with the command (or group) it belongs to, e.g. gcloud.iam.service-accounts."""

    def __init__(self, where: str, message: str, before: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.where = where
        self.before = before


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
        except GcloudError as e:
            raise _Located(where, str(e), e.before) from None
        except (OSError, ValueError) as e:
            raise _Located(where, str(e)) from None
    except _Located as e:
        for line in e.before:
            print(line, file=sys.stderr)
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
