"""GA1xx: usernames, passwords and the variables that hold them."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator

from garauth import boundary, data
from garauth.boundary import fmt, own
from garauth.model import CredentialKind, Position, PullSpec, SecretSource, Severity
from garauth.rules import Hit, Rule

AUTH_PAGE = "https://cloud.google.com/artifact-registry/docs/docker/authentication"


def _where(spec: PullSpec, field: str) -> Position:
    cred = spec.credential
    return cred.positions.get(field) or cred.position or spec.position


def _basic(spec: PullSpec) -> bool:
    return spec.credential.kind is CredentialKind.BASIC


def nearest_username(name: str) -> str:
    """The accepted username closest to `name` (for a pattern family, its documented form)."""
    names = [u.name for u in data.usernames()]
    folded = name.lower().strip("_").replace("-", "_")
    for u in names:
        if u.strip("_") == folded:
            return u
    if "b64" in folded or "base64" in folded:
        return "_json_key_base64"
    close = difflib.get_close_matches(name.lower(), names, n=1, cutoff=0.5)
    return close[0] if close else "_json_key"


def username_not_accepted(spec: PullSpec) -> Iterator[Hit]:
    name = spec.credential.username
    if not _basic(spec) or spec.credential.username_var or name is None or not name:
        return
    if data.username(name) is not None or _secret_like(name):
        return  # a secret written as the username is GA103's
    best = {u.name: u for u in data.usernames()}[nearest_username(name)]
    takes = own(_PASSWORDS[best.password])
    if best.sent_by:  # a family of names: the tool writes it, with its own version in it
        fix = fmt("Use {}: the name it sends, {}, takes {}.", own(best.sent_by), own(best.name), takes)
    else:
        fix = fmt("Write {}: {} takes {}.", own(best.name), own(best.name), takes)
    yield Hit(
        _where(spec, "username"),
        fmt("Artifact Registry does not accept the username {}.", boundary.name(name)),
        fix,
    )


_PASSWORDS = {
    "key": "the JSON key file exactly as downloaded",
    "key_base64": "the base64 of the whole JSON key file, on one line",
    "token": "an OAuth 2.0 access token",
}


def _secret_like(text: str) -> bool:
    return str(boundary.name(text)) != text and len(text) >= 20


def password_in_file(spec: PullSpec) -> Iterator[Hit]:
    cred = spec.credential
    if cred.password_source is not SecretSource.LITERAL or cred.password_kind is None:
        return
    field = "aws_secret_access_key" if cred.kind is CredentialKind.AWS_AUTH else "password"
    yield Hit(
        _where(spec, field),
        fmt(
            "The {} is written in the file: it looks like {}. Anyone who can read the repository can read it.",
            own(field),
            own(cred.password_kind),
        ),
        own(_FIX_IN_FILE[spec.platform]) if spec.platform in _FIX_IN_FILE else None,
    )


# Where a platform keeps the secret instead, when the rule's own fix (a CI variable) does not apply.
_FIX_IN_FILE = {
    "kubernetes": "Treat it as leaked: disable and replace the key, create the Secret in the cluster "
    "with kubectl create secret docker-registry instead of committing its manifest, and remove the file.",
}


def secret_in_username(spec: PullSpec) -> Iterator[Hit]:
    name = spec.credential.username
    if _basic(spec) and name and not spec.credential.username_var and _secret_like(name):
        yield Hit(
            _where(spec, "username"),
            fmt("The username is {}: are the username and the password swapped?", boundary.describe(name)),
        )


def password_empty(spec: PullSpec) -> Iterator[Hit]:
    cred = spec.credential
    if _basic(spec) and cred.password_source is SecretSource.LITERAL and cred.password_kind is None:
        yield Hit(_where(spec, "password"), own("The password is empty."))


def variable_inside_text(spec: PullSpec) -> Iterator[Hit]:
    cred = spec.credential
    if not _basic(spec):
        return
    for field in ("username", "password"):
        mixed = (field == "password" and cred.password_source is SecretSource.MIXED) or (
            field == "username" and cred.username is not None and bool(cred.variables.get("username"))
        )
        if mixed:
            names = boundary.join(boundary.var(v) for v in cred.variables.get(field, ()))
            yield Hit(
                _where(spec, field),
                fmt("The {} mixes text with the variable(s) {}.", own(field), names),
            )


def token_stored(spec: PullSpec) -> Iterator[Hit]:
    cred = spec.credential
    if not _basic(spec) or cred.password_source is not SecretSource.ENV or not cred.username:
        return
    accepted = data.username(cred.username)
    if accepted is not None and accepted.password == "token":
        yield Hit(
            _where(spec, "password"),
            fmt(
                "The username {} takes an access token, and ${} is a stored variable: a token expires "
                "within an hour, so the pull fails once it has.",
                boundary.name(cred.username),
                boundary.var(cred.password_ref),
            ),
        )


def variable_not_visible(spec: PullSpec) -> Iterator[Hit]:
    cred = spec.credential
    if cred.sees_file_variables:
        return
    seen: set[str] = set()
    for field, names in cred.variables.items():
        for name in names:
            places = spec.defined_in_file.get(name)
            if not places or name in seen:
                continue
            seen.add(name)
            first = places[0]
            more = (
                fmt(" and {} other place(s)", boundary.number(len(places) - 1))
                if len(places) > 1
                else own("")
            )
            yield Hit(
                _where(spec, field) if field in cred.positions else spec.position,
                fmt(
                    "${} is defined only in the file (line {}{}), under environment:, which this {} cannot see.",
                    boundary.var(name),
                    boundary.number(first.line),
                    more,
                    own("implicit gcp_auth" if cred.implicit else field),
                ),
            )


_BASE64_NAME = re.compile(r"B64|BASE64", re.IGNORECASE)


def base64_variable_with_json_key(spec: PullSpec) -> Iterator[Hit]:
    cred = spec.credential
    if (
        _basic(spec)
        and cred.username == "_json_key"
        and cred.password_ref
        and _BASE64_NAME.search(cred.password_ref)
    ):
        yield Hit(
            _where(spec, "password"),
            fmt(
                "The username _json_key takes the raw JSON key, but ${} is named as if it held base64.",
                boundary.var(cred.password_ref),
            ),
        )


def anonymous_pull(spec: PullSpec) -> Iterator[Hit]:
    cred = spec.credential
    if cred.kind is CredentialKind.GCP_AUTH and cred.implicit and spec.platform == "circleci":
        yield Hit(
            spec.position,
            own(
                "No auth: or gcp_auth: is given: CircleCI pulls keylessly if the project or context variables "
                "GCP_OIDC_SERVICE_ACCOUNT, GCP_WORKLOAD_IDENTITY_POOL and GCP_WORKLOAD_IDENTITY_PROVIDER are "
                "set, and anonymously otherwise, which works only for a public repository."
            ),
        )


def password_on_command_line(spec: PullSpec) -> Iterator[Hit]:
    if spec.context.get("password_in_argv"):
        yield Hit(
            spec.position,
            fmt(
                "The password is given on the {} login command line (-p), where it shows in process "
                "lists and shell history.",
                boundary.name(spec.context.get("login", "")),
            ),
        )


def encoding_mismatch(spec: PullSpec) -> Iterator[Hit]:
    cred, encoding = spec.credential, spec.context.get("password_encoding")
    if not _basic(spec) or encoding is None or not cred.username:
        return
    if cred.username == "_json_key" and encoding == "base64":
        yield Hit(
            spec.position,
            own("The key is base64-encoded before it is piped in, but _json_key takes the raw key."),
        )
    elif cred.username == "_json_key_base64" and encoding == "raw":
        yield Hit(spec.position, own("The raw key file is piped in, but _json_key_base64 takes its base64."))


RULES = [
    Rule(
        id="GA101",
        name="username-not-accepted",
        severity=Severity.ERROR,
        summary="The username is not one Artifact Registry accepts.",
        fix="Use _json_key with the raw key, _json_key_base64 with its base64, or oauth2accesstoken with an access token.",
        why=(
            "Artifact Registry reads the username to learn what the password is, so it accepts only a "
            f"few exact names ([Google's Docker authentication page]({AUTH_PAGE})); anything else, even "
            "`__json_key` or `_json_key_b64`, fails with `No valid credential was supplied`. The "
            "accepted names are listed on the [usernames page](../usernames.md)."
        ),
        bad="circleci/broken/double-underscore.yml",
        good="circleci/json-key-raw.yml",
        check=username_not_accepted,
    ),
    Rule(
        id="GA102",
        name="password-in-file",
        severity=Severity.ERROR,
        summary="A password, key or token is written in the file itself.",
        fix="Treat it as leaked: disable and replace it, store the new one as a CI secret, and write password: $NAME.",
        why=(
            "Anyone who can read the repository, and its history, can read a secret written in a "
            "config. CircleCI asks for the password to be kept in a context or a project variable "
            "([private images](https://circleci.com/docs/private-images/)). garauth never repeats "
            "the value; it says what the value looks like."
        ),
        bad="rules/GA102/bad.yml",
        good="circleci/json-key-raw.yml",
        check=password_in_file,
    ),
    Rule(
        id="GA103",
        name="secret-in-username",
        severity=Severity.ERROR,
        summary="The username looks like a key or a token.",
        fix="Swap the fields back (username: _json_key, password: $VARIABLE) and treat the value as leaked.",
        why=(
            "A key or token pasted as the username is printed in logs that show usernames, and the "
            "pull fails because the username is not one Artifact Registry accepts."
        ),
        bad="rules/GA103/bad.yml",
        good="circleci/json-key-raw.yml",
        check=secret_in_username,
    ),
    Rule(
        id="GA104",
        name="password-empty",
        severity=Severity.ERROR,
        summary="The password is empty.",
        fix="Write password: $VARIABLE, naming the CI secret that holds the key.",
        why="An empty password is refused like a missing one: `No valid credential was supplied`.",
        bad="rules/GA104/bad.yml",
        good="circleci/json-key-raw.yml",
        check=password_empty,
    ),
    Rule(
        id="GA105",
        name="variable-inside-text",
        severity=Severity.WARNING,
        summary="A username or password mixes text with a variable.",
        fix="Put the whole value in one CI secret and write it as $NAME.",
        why=(
            "CircleCI documents a whole value such as `$NAME` in `auth:` "
            "([environment variables](https://circleci.com/docs/env-vars/)); whether text around a "
            "variable is kept is not documented, and a key never needs it."
        ),
        bad="rules/GA105/bad.yml",
        good="circleci/json-key-raw.yml",
        check=variable_inside_text,
    ),
    Rule(
        id="GA106",
        name="token-stored",
        severity=Severity.WARNING,
        summary="An access-token username takes its password from a stored variable.",
        fix="Mint the token in the job (gcp_auth, or gcloud auth print-access-token), or store a key and use _json_key.",
        why=(
            "`oauth2accesstoken` and the other token usernames take an OAuth 2.0 access token, which "
            "lasts an hour by default ([gcloud auth print-access-token]"
            "(https://cloud.google.com/sdk/gcloud/reference/auth/print-access-token)). A token saved "
            "as a project variable works once and then fails with `authentication failed`."
        ),
        bad="circleci/broken/access-token.yml",
        good="circleci/gcp-auth-explicit.yml",
        check=token_stored,
    ),
    Rule(
        id="GA107",
        name="variable-not-visible",
        severity=Severity.ERROR,
        summary="A credential uses a variable that the file defines only under environment:, where the credential cannot see it.",
        fix="Store the value as a project or context variable, and remove it from environment:.",
        why=(
            "CircleCI reads `auth:` (and the implicit `GCP_*` variables) from project and context "
            "variables ([environment variables](https://circleci.com/docs/env-vars/), "
            "[private images](https://circleci.com/docs/private-images/)); a variable set under a "
            "job's `environment:` exists only once the job runs, after the image is pulled. Tested "
            "here with the variable set only under `environment:`."
        ),
        bad="circleci/broken/environment-only.yml",
        good="circleci/json-key-raw.yml",
        check=variable_not_visible,
    ),
    Rule(
        id="GA108",
        name="base64-variable-with-json-key",
        severity=Severity.WARNING,
        summary="The username _json_key is paired with a variable whose name says base64.",
        fix="Use _json_key_base64 with a base64 key, or store the raw key and keep _json_key.",
        why=(
            "`_json_key` takes the key file as downloaded and `_json_key_base64` its base64 "
            f"([Google]({AUTH_PAGE})). A base64 key sent as `_json_key` fails with `Unable to parse json "
            "key`. garauth cannot see the variable's value; its name is the clue."
        ),
        bad="rules/GA108/bad.yml",
        good="circleci/json-key-base64.yml",
        check=base64_variable_with_json_key,
    ),
    Rule(
        id="GA109",
        name="no-credential",
        severity=Severity.INFO,
        summary="An image on Artifact Registry has no credential written for it.",
        fix="Add auth: or gcp_auth:, or set the GCP_* project or context variables for keyless pulls.",
        why=(
            "With neither `auth:` nor `gcp_auth:`, CircleCI pulls an Artifact Registry image with "
            "the implicit `gcp_auth` when the `GCP_OIDC_SERVICE_ACCOUNT`, "
            "`GCP_WORKLOAD_IDENTITY_POOL` and `GCP_WORKLOAD_IDENTITY_PROVIDER` variables are set "
            "([configuration reference](https://circleci.com/docs/configuration-reference/#docker)); "
            "garauth cannot see whether they are, so it says so."
        ),
        bad="circleci/broken/no-auth.yml",
        good="circleci/json-key-raw.yml",
        check=anonymous_pull,
    ),
    Rule(
        id="GA110",
        name="password-on-command-line",
        severity=Severity.WARNING,
        summary="A registry login gives the password on the command line.",
        fix="Pipe it in with --password-stdin, e.g. cat key.json | docker login -u _json_key --password-stdin HOST.",
        why=(
            "A password on the command line is visible to other processes and is kept in shell "
            "history; Docker's own reference recommends `--password-stdin` "
            "([docker login](https://docs.docker.com/reference/cli/docker/login/))."
        ),
        bad="rules/GA110/bad.sh",
        good="shell/docker-login-json-key.sh",
        check=password_on_command_line,
    ),
    Rule(
        id="GA111",
        name="encoding-mismatch",
        severity=Severity.ERROR,
        summary="The key piped into a login is encoded differently from what the username says.",
        fix="Pipe the raw key with _json_key, or its base64 (base64 -w0 key.json) with _json_key_base64.",
        why=(
            "`_json_key` takes the key file as downloaded, `_json_key_base64` its base64 "
            f"([Google]({AUTH_PAGE})). Swapped, the login fails with `Unable to parse json key` "
            "(tested against the local stand-in). The pipe shows which one is sent."
        ),
        bad="rules/GA111/bad.sh",
        good="shell/docker-login-json-key.sh",
        check=encoding_mismatch,
    ),
]
