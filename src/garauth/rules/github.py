"""GA5xx: GitHub Actions workflows (job and service containers, docker/login-action,
google-github-actions/auth, permissions). Facts come from garauth.readers.github_actions."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator

from garauth import boundary
from garauth.boundary import Safe, fmt, own
from garauth.model import CredentialKind, Position, PullSpec, SecretSource, Severity
from garauth.readers.github_actions import AUTH_ACTION, CREDENTIAL_KEYS, NAME
from garauth.rules import Hit, Rule

AUTH = "https://github.com/google-github-actions/auth"
AUTH_TROUBLESHOOTING = f"{AUTH}/blob/main/docs/TROUBLESHOOTING.md"
AUTH_309 = f"{AUTH}/issues/309"
LOGIN_GAR = "https://github.com/docker/login-action#google-artifact-registry-gar"
GH_SYNTAX = "https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax"
GH_CONTEXTS = (
    "https://docs.github.com/en/actions/reference/workflows-and-actions/contexts#context-availability"
)
GH_OIDC = "https://docs.github.com/en/actions/reference/security/oidc"
GH_SECRETS = (
    "https://docs.github.com/en/actions/security-for-github-actions/security-guides/"
    "security-hardening-for-github-actions#using-secrets"
)
GH_PARSER_SCHEMA = (
    "https://github.com/actions/languageservices/blob/main/workflow-parser/src/workflow-v1.0.json"
)
RUNNER_694 = "https://github.com/actions/runner/pull/694"
PROVIDER_FORM = "projects/PROJECT_NUMBER/locations/global/workloadIdentityPools/POOL_ID/providers/PROVIDER_ID"
_PROVIDER = re.compile(r"projects/([^/]+)/locations/([^/]+)/workloadIdentityPools/([^/]+)/providers/([^/]+)")
_POOL = re.compile(r"projects/[^/]+/locations/[^/]+/workloadIdentityPools/[^/]+/?")


def _github(spec: PullSpec) -> bool:
    return spec.platform == NAME


def _where(spec: PullSpec, field: str) -> Position:
    cred = spec.credential
    return cred.positions.get(field) or cred.position or spec.position


def _auth_step(spec: PullSpec) -> bool:
    return _github(spec) and spec.context.get("action") == AUTH_ACTION


def _container(spec: PullSpec) -> bool:
    return _github(spec) and spec.context.get("role") in ("container", "service")


def _what(spec: PullSpec) -> Safe:
    if spec.context.get("role") == "service":
        return fmt("service container {}", boundary.name(spec.context.get("service", "")))
    return own("job container")


def _literal(spec: PullSpec, field: str) -> str | None:
    value = spec.credential.fields.get(field)
    if not value or field in spec.credential.variables:
        return None
    return value


# -- GA501 ----------------------------------------------------------------------------------------


def step_output_not_produced(spec: PullSpec) -> Iterator[Hit]:
    ctx = spec.context
    if (
        not _github(spec)
        or _container(spec)
        or spec.credential.password_source is not SecretSource.STEP_OUTPUT
    ):
        return
    step, output = boundary.name(ctx.get("output_step", "")), boundary.name(ctx.get("output_name", ""))
    if ctx.get("output_produced") == "no-step":
        yield Hit(
            _where(spec, "password"),
            fmt(
                "No earlier step of the job {} has the id {}, so steps.{}.outputs.{} is empty and the login "
                "has no password.",
                boundary.name(ctx.get("job", "")),
                step,
                step,
                output,
            ),
            fmt("Give the step that makes the token `id: {}`, before this step.", step),
        )
    elif ctx.get("output_produced") == "no":
        if ctx.get("output_name") in ("access_token", "id_token"):
            why = fmt(
                "google-github-actions/auth gives {} only with token_format: {}, and the step {} has {}",
                output,
                output,
                step,
                own("no token_format")
                if "token_format" not in spec.credential.positions
                else fmt(
                    "another token_format (line {})", boundary.number(_where(spec, "token_format").line)
                ),
            )
        else:
            why = fmt("google-github-actions/auth has no output {} for the inputs of step {}", output, step)
        yield Hit(
            _where(spec, "password"),
            fmt("steps.{}.outputs.{} is empty: {}. The login has no password.", step, output, why),
            fmt(
                "Add `token_format: {}` (and a service_account) to the with: of step {} (line {}).",
                output if ctx.get("output_name") in ("access_token", "id_token") else own("access_token"),
                step,
                boundary.number(_where(spec, "output_step").line),
            ),
        )


# -- GA502 ----------------------------------------------------------------------------------------


def keyless_without_id_token(spec: PullSpec) -> Iterator[Hit]:
    if not _auth_step(spec) or "workload_identity_provider" not in spec.credential.fields:
        return
    if spec.context.get("id_token") == "write":
        return
    at = spec.context.get("permissions_at")
    if at == "job":
        why = fmt(
            "the job's permissions: (line {}) leave out id-token: write, and a job's permissions replace "
            "the workflow's",
            boundary.number(_where(spec, "permissions").line),
        )
    elif at == "workflow":
        why = fmt(
            "the workflow's permissions: (line {}) leave out id-token: write",
            boundary.number(_where(spec, "permissions").line),
        )
    else:
        why = own("no permissions: grants id-token: write, and GitHub's default is id-token: none")
    yield Hit(
        _where(spec, "workload_identity_provider"),
        fmt("This keyless step needs the job's GitHub OIDC token, but {}.", why),
    )


# -- GA503 ----------------------------------------------------------------------------------------


def credentials_key_unknown(spec: PullSpec) -> Iterator[Hit]:
    if not _container(spec):
        return
    for field, where in spec.credential.positions.items():
        if not field.startswith("key:") or field[4:] in CREDENTIAL_KEYS:
            continue
        key = field[4:]
        close = difflib.get_close_matches(key.lower(), CREDENTIAL_KEYS, n=1, cutoff=0.5)
        yield Hit(
            where,
            fmt(
                "The {}'s credentials: has the key {}; GitHub reads only username and password there.",
                _what(spec),
                boundary.name(key),
            ),
            fmt("Write {} instead.", own(close[0] + ":")) if close else None,
        )


# -- GA504 ----------------------------------------------------------------------------------------


def credentials_json_not_minified(spec: PullSpec) -> Iterator[Hit]:
    if not _auth_step(spec):
        return
    lines = int(spec.context.get("credentials_json_lines", "0") or 0)
    if lines > 1:
        yield Hit(
            _where(spec, "credentials_json"),
            fmt(
                "credentials_json is written over {} lines; GitHub masks a secret line by line, so the key "
                "belongs in one secret, minified to one line.",
                boundary.number(lines),
            ),
        )


# -- GA505 ----------------------------------------------------------------------------------------


def container_with_step_output(spec: PullSpec) -> Iterator[Hit]:
    if not _container(spec):
        return
    cred = spec.credential
    if cred.password_source is SecretSource.STEP_OUTPUT:
        yield Hit(
            _where(spec, "password"),
            fmt(
                "The {} is pulled with a step's output ({}), but the runner pulls it before the first step "
                "runs, and credentials: cannot read the steps context.",
                _what(spec),
                own(cred.password_ref or "steps"),
            ),
        )


# -- GA506 ----------------------------------------------------------------------------------------


def provider_not_full_path(spec: PullSpec) -> Iterator[Hit]:
    if not _auth_step(spec) or spec.credential.kind is not CredentialKind.GCP_AUTH:
        return
    provider = _literal(spec, "workload_identity_provider")
    if provider is None:
        return
    where = _where(spec, "workload_identity_provider")
    m = _PROVIDER.fullmatch(provider)
    if m and m.group(1).isdigit() and m.group(2) == "global":
        return
    if m and not m.group(1).isdigit():
        yield Hit(
            where,
            fmt(
                "The provider is written with the project ID ({}); Workload Identity Federation names "
                "providers by project number.",
                boundary.name(m.group(1)),
            ),
            fmt(
                "Write {}; `gcloud projects describe PROJECT_ID --format='value(projectNumber)'` gives the number.",
                own(PROVIDER_FORM),
            ),
        )
    elif provider.startswith(("//", "https://", "http://")):
        yield Hit(
            where,
            own(
                "The provider is written with a host in front; the action takes the resource name alone "
                "and adds the host itself."
            ),
            fmt("Write {}.", own(PROVIDER_FORM)),
        )
    elif _POOL.fullmatch(provider):
        yield Hit(where, own("This names a Workload Identity pool, not a provider in it."))
    else:
        yield Hit(where, fmt("The provider is not written as {}.", own(PROVIDER_FORM)))


RULES = [
    Rule(
        id="GA501",
        name="step-output-not-produced",
        severity=Severity.ERROR,
        summary="A login's password is a step output that the step does not produce.",
        fix="Add token_format: access_token (and a service_account) to the google-github-actions/auth step.",
        why=(
            "`google-github-actions/auth` mints no token unless asked: its `access_token` output exists "
            f"only with `token_format: access_token` ([auth: outputs]({AUTH}#outputs)), and "
            "`${{ steps.ID.outputs.NAME }}` of an output that does not exist is empty "
            f"([GitHub: steps context]({GH_CONTEXTS.split('#')[0]}#steps-context)). "
            "`docker/login-action` then stops before it logs in, with `Password required` "
            "(`Username and password required` when both are empty) "
            "([login-action: source](https://github.com/docker/login-action/blob/master/src/docker.ts); "
            "a real case: [auth#170](https://github.com/google-github-actions/auth/issues/170))."
        ),
        bad="github/broken/no-token-format.yml",
        good="github/keyless.yml",
        check=step_output_not_produced,
    ),
    Rule(
        id="GA502",
        name="keyless-without-id-token",
        severity=Severity.ERROR,
        summary="A keyless google-github-actions/auth step runs in a job without id-token: write.",
        fix="Give the job (or the workflow) permissions: with id-token: write and contents: read.",
        why=(
            "A job gets a GitHub OIDC token only with `id-token: write` "
            f"([GitHub: OIDC permissions]({GH_OIDC}#workflow-permissions-for-the-requesting-the-oidc-token)). "
            "A job's `permissions:` replaces the workflow's, and every permission it leaves out is `none` "
            f"([GitHub: permissions]({GH_SYNTAX}#permissions)); without any `permissions:` the default "
            "GITHUB_TOKEN has `id-token: none` "
            "([GitHub: GITHUB_TOKEN permissions](https://docs.github.com/en/actions/security-for-github-actions/security-guides/automatic-token-authentication#permissions-for-the-github_token)). "
            "The action then stops with `GitHub Actions did not inject $ACTIONS_ID_TOKEN_REQUEST_TOKEN or "
            "$ACTIONS_ID_TOKEN_REQUEST_URL into this job` "
            f"([auth: source]({AUTH}/blob/main/src/main.ts))."
        ),
        bad="github/broken/no-id-token.yml",
        good="github/keyless.yml",
        check=keyless_without_id_token,
    ),
    Rule(
        id="GA503",
        name="credentials-key-unknown",
        severity=Severity.ERROR,
        summary="A job or service container's credentials: has a key other than username and password.",
        fix="Write username: and password: exactly.",
        why=(
            "`jobs.<job_id>.container.credentials` and `jobs.<job_id>.services.<service_id>.credentials` "
            f"take a `username` and a `password` ([GitHub: workflow syntax]({GH_SYNTAX}#jobsjob_idcontainercredentials)), "
            f"and GitHub's own workflow schema lists no other key ([actions/languageservices]({GH_PARSER_SCHEMA})). "
            "The schema garauth applies (SchemaStore's, through check-jsonschema) lets any key through, so "
            "garauth checks these keys itself. With `passwrd:` the image is pulled without a password."
        ),
        bad="github/broken/credentials-typo.yml",
        good="github/job-container.yml",
        check=credentials_key_unknown,
    ),
    Rule(
        id="GA504",
        name="credentials-json-not-minified",
        severity=Severity.WARNING,
        summary="google-github-actions/auth's credentials_json is written over several lines.",
        fix="Store the whole key, minified to one line (jq -c . key.json), as one secret, and write credentials_json: ${{ secrets.NAME }}.",
        why=(
            "The auth action's README advises minifying the key to one line before storing it as a secret: "
            "GitHub masks each line of a secret in the logs on its own, so a key over many lines masks "
            f"harmless text such as lone braces ([auth: credentials_json]({AUTH}#inputs-service-account-key-json)). "
            "GitHub itself advises against structured data such as JSON in secrets, since masking looks for "
            f"exact matches ([GitHub: using secrets]({GH_SECRETS})). A key written into the workflow over several "
            "lines, even with secrets inside it, is what the action then receives."
        ),
        bad="github/broken/credentials-json-not-minified.yml",
        good="github/auth-json-key.yml",
        check=credentials_json_not_minified,
    ),
    Rule(
        id="GA505",
        name="container-with-step-token",
        severity=Severity.ERROR,
        summary="A job or service container is pulled with a token a step of the same job makes.",
        fix="Pull the container with a stored key (username: _json_key, password: ${{ secrets.NAME }}), or pull the image in a step after the login.",
        why=(
            "The runner pulls job and service containers before the first step: it logs in and pulls "
            f"with the `credentials:` values ([actions/runner#694]({RUNNER_694})), and those values may use "
            f"the github, env, vars, secrets and inputs contexts, not steps ([GitHub: context availability]({GH_CONTEXTS})). "
            "So a token from `google-github-actions/auth` cannot pull them; its maintainers say to use a "
            f"stored key there ([auth#309]({AUTH_309}))."
        ),
        bad="github/broken/container-step-token.yml",
        good="github/job-container.yml",
        check=container_with_step_output,
    ),
    Rule(
        id="GA506",
        name="provider-not-full-path",
        severity=Severity.ERROR,
        summary="workload_identity_provider is not the provider's full name with the project number.",
        fix=f"Write {PROVIDER_FORM}.",
        why=(
            "`google-github-actions/auth` takes the provider's full identifier, with the project number, "
            f"pool and provider ([auth: inputs]({AUTH}#inputs-workload-identity-federation)); its "
            f"troubleshooting guide names the pool name and the project ID as common mistakes "
            f"([TROUBLESHOOTING.md]({AUTH_TROUBLESHOOTING})). CircleCI's `gcp_auth` splits the same "
            "name in two fields, which is how the two get mixed up."
        ),
        bad="github/broken/provider-project-id.yml",
        good="github/keyless.yml",
        check=provider_not_full_path,
    ),
]
