"""GA3xx: keyless pulls (gcp_auth, Workload Identity Federation) and the other credential blocks."""

from __future__ import annotations

import re
from collections.abc import Iterator

from garauth import boundary
from garauth.boundary import fmt, own
from garauth.model import CredentialKind, Position, PullSpec, SecretSource, Severity
from garauth.rules import Hit, Rule

CONFIG_REFERENCE = "https://circleci.com/docs/configuration-reference/#docker"
POOL_FORM = "projects/PROJECT_NUMBER/locations/global/workloadIdentityPools/POOL_ID"
_POOL = re.compile(r"projects/([^/]+)/locations/global/workloadIdentityPools/([^/]+)")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_VARIABLE = re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?")


def _gcp(spec: PullSpec) -> bool:
    c = spec.credential
    return c.kind is CredentialKind.GCP_AUTH and not c.implicit


def _where(spec: PullSpec, field: str) -> Position:
    cred = spec.credential
    return cred.positions.get(field) or cred.position or spec.position


def _written(spec: PullSpec, field: str) -> str | None:
    """A gcp_auth field's literal value; None when it is missing or a variable."""
    value = spec.credential.fields.get(field)
    if not value or spec.credential.variables.get(field) or "<<" in value:
        return None
    return value


def pool_with_project_id(spec: PullSpec) -> Iterator[Hit]:
    if not _gcp(spec):
        return
    pool = _written(spec, "workload_identity_pool")
    if pool is None:
        return
    m = _POOL.fullmatch(pool)
    if m and not m.group(1).isdigit():
        yield Hit(
            _where(spec, "workload_identity_pool"),
            fmt(
                "The pool is written with the project ID ({}); Workload Identity Federation names pools by "
                "project number.",
                boundary.name(m.group(1)),
            ),
            fmt(
                "Write {}; `gcloud projects describe PROJECT_ID --format='value(projectNumber)'` gives the number.",
                own(POOL_FORM),
            ),
        )
    elif not m:
        yield Hit(
            _where(spec, "workload_identity_pool"),
            fmt("The pool is not written as {}.", own(POOL_FORM)),
            fmt("Write {}.", own(POOL_FORM)),
        )


def provider_full_path(spec: PullSpec) -> Iterator[Hit]:
    if not _gcp(spec) or spec.platform != "circleci":
        return
    provider = _written(spec, "workload_identity_provider")
    if provider and "/" in provider:
        yield Hit(
            _where(spec, "workload_identity_provider"),
            own("The provider is written as a path; CircleCI's gcp_auth takes the provider ID alone."),
        )


def service_account_not_email(spec: PullSpec) -> Iterator[Hit]:
    if not _gcp(spec):
        return
    account = _written(spec, "oidc_service_account")
    if account is not None and not _EMAIL.fullmatch(account):
        yield Hit(
            _where(spec, "oidc_service_account"),
            fmt("The service account ({}) is not an e-mail address.", boundary.name(account)),
        )


def secret_in_field(spec: PullSpec) -> Iterator[Hit]:
    cred = spec.credential
    if cred.kind is not CredentialKind.GCP_AUTH or cred.implicit:
        return
    for field, value in cred.fields.items():
        if (
            value
            and len(value) >= 20
            and str(boundary.name(value)) != value
            and not _VARIABLE.fullmatch(value)
        ):
            kind = boundary.describe(value)
            if "looks like" in kind:
                yield Hit(_where(spec, field), fmt("gcp_auth.{} holds {}.", boundary.name(field), kind))


def auth_and_gcp_auth(spec: PullSpec) -> Iterator[Hit]:
    blocks = spec.credential.blocks
    if "auth" in blocks and "gcp_auth" in blocks:
        yield Hit(
            spec.credential.position or spec.position,
            own("This image has both auth: and gcp_auth:; CircleCI does not document which one it uses."),
        )


def aws_auth_on_ar(spec: PullSpec) -> Iterator[Hit]:
    if (
        spec.credential.kind is CredentialKind.AWS_AUTH
        and spec.image is not None
        and spec.image.ar is not None
    ):
        if spec.platform == "bitbucket_pipelines":  # Bitbucket's block is aws: (oidc-role or keys)
            yield Hit(
                spec.credential.position or spec.position,
                own("aws: authenticates to Amazon ECR, but the image is on Artifact Registry."),
                own("Use username: _json_key and password: $VARIABLE instead."),
            )
            return
        yield Hit(
            spec.credential.position or spec.position,
            own("aws_auth: authenticates to Amazon ECR, but the image is on Artifact Registry."),
        )


def gcp_auth_not_ar(spec: PullSpec) -> Iterator[Hit]:
    image = spec.image
    if _gcp(spec) and image is not None and image.ar is None and "pkg.dev" not in image.host:
        yield Hit(
            spec.credential.position or spec.position,
            fmt(
                "gcp_auth: is for images on Artifact Registry; {} is not an Artifact Registry host.",
                own(image.host),
            ),
        )


def gcp_auth_variable(spec: PullSpec) -> Iterator[Hit]:
    if not _gcp(spec) or spec.platform != "circleci":
        return
    for field, names in spec.credential.variables.items():
        if names and spec.credential.fields.get(field) is not None:
            yield Hit(
                _where(spec, field),
                fmt(
                    "gcp_auth.{} uses ${}; CircleCI documents variables in auth: only.",
                    boundary.name(field),
                    boundary.var(names[0]),
                ),
            )


def _ok_source(spec: PullSpec) -> bool:
    return spec.credential.password_source is not SecretSource.LITERAL


RULES = [
    Rule(
        id="GA301",
        name="pool-with-project-id",
        severity=Severity.ERROR,
        summary="The Workload Identity pool is written with the project ID instead of the project number.",
        fix=f"Write {POOL_FORM}.",
        why=(
            "Workload Identity pools are named by project number "
            "([Workload Identity Federation](https://cloud.google.com/iam/docs/workload-identity-federation)); "
            "CircleCI's `gcp_auth` takes the pool as that full name "
            f"([configuration reference]({CONFIG_REFERENCE})). With the project ID the token exchange "
            "is refused, and the image is never pulled."
        ),
        bad="circleci/broken/pool-with-project-id.yml",
        good="circleci/gcp-auth-explicit.yml",
        check=pool_with_project_id,
    ),
    Rule(
        id="GA302",
        name="provider-full-path",
        severity=Severity.ERROR,
        summary="CircleCI's workload_identity_provider is written as a full path.",
        fix="Write the provider ID alone (e.g. circleci); the pool field carries the path.",
        why=(
            "CircleCI's `gcp_auth` takes the pool's full name and the provider's ID "
            f"([configuration reference]({CONFIG_REFERENCE})). Other tools (GitHub's "
            "`google-github-actions/auth`) take the provider's full path instead, which is how the "
            "two get mixed up."
        ),
        bad="rules/GA302/bad.yml",
        good="circleci/gcp-auth-explicit.yml",
        check=provider_full_path,
    ),
    Rule(
        id="GA303",
        name="service-account-not-email",
        severity=Severity.ERROR,
        summary="The service account is not written as an e-mail address.",
        fix="Write the account's e-mail, e.g. NAME@PROJECT_ID.iam.gserviceaccount.com.",
        why=(
            "Service accounts are named by e-mail address "
            "([service accounts](https://cloud.google.com/iam/docs/service-account-overview)); an "
            "account ID or display name alone is not found."
        ),
        bad="rules/GA303/bad.yml",
        good="circleci/gcp-auth-explicit.yml",
        check=service_account_not_email,
    ),
    Rule(
        id="GA304",
        name="secret-in-gcp-auth",
        severity=Severity.ERROR,
        summary="A gcp_auth field holds something that looks like a key or a token.",
        fix="Treat it as leaked and replace it; gcp_auth takes no secret at all.",
        why=(
            "Keyless pulls need no secret: `gcp_auth` names a service account, a pool and a provider "
            f"([configuration reference]({CONFIG_REFERENCE})). A key pasted there is readable by "
            "anyone who can read the repository, and the pull fails."
        ),
        bad="rules/GA304/bad.yml",
        good="circleci/gcp-auth-explicit.yml",
        check=secret_in_field,
    ),
    Rule(
        id="GA305",
        name="auth-and-gcp-auth",
        severity=Severity.WARNING,
        summary="An image has both auth: and gcp_auth:.",
        fix="Keep one: gcp_auth: for keyless pulls, or auth: with a key.",
        why=(
            f"CircleCI's [configuration reference]({CONFIG_REFERENCE}) describes each on its own and "
            "does not say which one wins when both are given."
        ),
        bad="rules/GA305/bad.yml",
        good="circleci/gcp-auth-explicit.yml",
        check=auth_and_gcp_auth,
    ),
    Rule(
        id="GA306",
        name="aws-auth-on-artifact-registry",
        severity=Severity.ERROR,
        summary="aws_auth: is used for an image on Artifact Registry.",
        fix="Use auth: (username _json_key) or gcp_auth: instead.",
        why=(
            "`aws_auth` authenticates to Amazon ECR "
            f"([configuration reference]({CONFIG_REFERENCE})); Artifact Registry does not read it."
        ),
        bad="rules/GA306/bad.yml",
        good="circleci/json-key-raw.yml",
        check=aws_auth_on_ar,
    ),
    Rule(
        id="GA307",
        name="gcp-auth-not-artifact-registry",
        severity=Severity.WARNING,
        summary="gcp_auth: is used for an image that is not on Artifact Registry.",
        fix="Use gcp_auth: for LOCATION-docker.pkg.dev and gcr.io images, and auth: for other registries.",
        why=(
            "CircleCI describes `gcp_auth` as authentication for GCP Artifact Registry "
            f"([configuration reference]({CONFIG_REFERENCE}))."
        ),
        bad="rules/GA307/bad.yml",
        good="circleci/gcp-auth-explicit.yml",
        check=gcp_auth_not_ar,
    ),
    Rule(
        id="GA308",
        name="gcp-auth-variable",
        severity=Severity.INFO,
        summary="A gcp_auth field uses a variable.",
        fix="Write the value itself, or leave gcp_auth: out and set the implicit GCP_* variables.",
        why=(
            "CircleCI documents variable interpolation for `auth:` only "
            "([environment variables](https://circleci.com/docs/env-vars/)); for keyless pulls it "
            "documents the implicit `GCP_*` project or context variables instead of a `gcp_auth:` block "
            f"([configuration reference]({CONFIG_REFERENCE}))."
        ),
        bad="rules/GA308/bad.yml",
        good="circleci/gcp-auth-explicit.yml",
        check=gcp_auth_variable,
    ),
]
