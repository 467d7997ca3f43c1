"""GA6xx: GitLab CI/CD (DOCKER_AUTH_CONFIG as GitLab Runner reads it) and Bitbucket Pipelines
(build and service images, and keyless steps)."""

from __future__ import annotations

from collections.abc import Iterator

from garauth import boundary
from garauth.boundary import fmt, own
from garauth.model import CredentialKind, PullSpec, Severity
from garauth.readers import gitlab_auth_config
from garauth.rules import Hit, Rule

GITLAB = "gitlab_ci"
BITBUCKET = "bitbucket_pipelines"
PRIVATE_REGISTRY = (
    "https://docs.gitlab.com/ci/docker/using_docker_images/#access-an-image-from-a-private-container-registry"
)
RUNNER_AUTH = "https://gitlab.com/gitlab-org/gitlab-runner/-/blob/main/helpers/docker/auth/auth.go"
IMAGE_OPTIONS = "https://support.atlassian.com/bitbucket-cloud/docs/docker-image-options/"
ECR_OIDC = (
    "https://support.atlassian.com/bitbucket-cloud/docs/use-aws-ecr-images-in-pipelines-with-openid-connect/"
)
BITBUCKET_OIDC = (
    "https://support.atlassian.com/bitbucket-cloud/docs/integrate-pipelines-with-resource-servers-using-oidc/"
)


def _on_ar(spec: PullSpec) -> bool:
    return spec.image is not None and spec.image.ar is not None


def _line(spec: PullSpec):
    return boundary.number(int(spec.context.get("auth_config_line", "0") or 0))


def _near_miss(key: str, image_host: str) -> boundary.Safe:
    """Why a DOCKER_AUTH_CONFIG key does not match an image on image_host."""
    path = gitlab_auth_config.registry_path(key)
    host, _, rest = path.partition("/")
    bare = host.rsplit(":", 1)[0] if ":" in host else host
    if host == image_host and rest:
        return fmt(
            "{} is for the path {}, which the image is not under",
            boundary.reference(key),
            boundary.reference(rest),
        )
    if bare == image_host and host != image_host:
        return fmt("{} names a port, which the image's host does not", boundary.reference(key))
    return fmt("{} is for another registry", boundary.reference(key))


def auth_config_no_match(spec: PullSpec) -> Iterator[Hit]:
    ctx = spec.context
    if spec.platform != GITLAB or not _on_ar(spec) or ctx.get("auth_config_match") != "none":
        return
    keys = [k for k in ctx.get("auth_config_keys", "").split(",") if k]
    host = spec.image.host
    reasons = boundary.join((_near_miss(k, host) for k in keys), "; ") if keys else own("it has no entries")
    yield Hit(
        spec.position,
        fmt(
            "DOCKER_AUTH_CONFIG (line {}) has no entry GitLab Runner matches to {}, so the runner pulls {} "
            "without credentials: {}.",
            _line(spec),
            boundary.reference(host),
            boundary.image(spec.image),
            reasons,
        ),
        fmt(
            "Key the entry {}, exactly as the image names its registry (no scheme needed, no port).",
            boundary.reference(host),
        ),
    )


def auth_config_unreadable(spec: PullSpec) -> Iterator[Hit]:
    ctx = spec.context
    if spec.platform != GITLAB:
        return
    where = spec.credential.position or spec.position
    if ctx.get("auth_config") == "invalid":
        what = (
            own("is not JSON")
            if ctx.get("auth_config_problem") == "not-json"
            else own("is not a JSON object")
        )
        yield Hit(
            where,
            fmt(
                'DOCKER_AUTH_CONFIG {}: GitLab Runner skips it ("Failed to resolve credentials from '
                '$DOCKER_AUTH_CONFIG") and pulls without credentials.',
                what,
            ),
        )
    elif ctx.get("auth_undecodable"):
        yield Hit(
            where,
            fmt(
                "The auth of DOCKER_AUTH_CONFIG's entry for {} is not base64 of USERNAME:PASSWORD, so the runner "
                "cannot use it.",
                boundary.reference(ctx.get("auth_config_key", "")),
            ),
        )


def auth_config_in_file(spec: PullSpec) -> Iterator[Hit]:
    ctx = spec.context
    if spec.platform != GITLAB or ctx.get("auth_config_secret") != "literal":
        return
    yield Hit(
        spec.credential.position or spec.position,
        fmt(
            "DOCKER_AUTH_CONFIG is defined in the file, and its entry for {} holds {}: anyone who can read "
            "the repository, or its history, can read it.",
            boundary.reference(ctx.get("auth_config_key", "")),
            own(spec.credential.password_kind or "a password"),
        ),
    )


def helper_on_runner(spec: PullSpec) -> Iterator[Hit]:
    cred = spec.credential
    if spec.platform != GITLAB or cred.kind is not CredentialKind.HELPER or not _on_ar(spec):
        return
    yield Hit(
        cred.position or spec.position,
        fmt(
            "DOCKER_AUTH_CONFIG names the credential helper docker-credential-{} for {}: GitLab Runner runs "
            "it from its own PATH, with the runner host's Google credentials, which GitLab.com's instance "
            "runners do not have.",
            boundary.name(cred.fields.get("helper", "")),
            boundary.reference(spec.image.host),
        ),
    )


def keyless_build_image(spec: PullSpec) -> Iterator[Hit]:
    ctx = spec.context
    if spec.platform != BITBUCKET or ctx.get("oidc") != "true" or not _on_ar(spec):
        return
    if spec.credential.kind is not CredentialKind.NONE:
        return
    role = own("service image") if ctx.get("role") == "service" else own("build image")
    yield Hit(
        spec.position,
        fmt(
            "The step has oidc: true, but Bitbucket pulls its {} {} before the step runs, and without "
            "credentials: Bitbucket documents keyless image pulls for Amazon ECR only.",
            role,
            boundary.image(spec.image),
        ),
    )


def bitbucket_anonymous(spec: PullSpec) -> Iterator[Hit]:
    ctx = spec.context
    if spec.platform != BITBUCKET or ctx.get("oidc") == "true" or not _on_ar(spec):
        return
    if spec.credential.kind is CredentialKind.NONE:
        yield Hit(
            spec.position,
            fmt(
                "{} is on Artifact Registry and has no username and password: Bitbucket pulls it anonymously, "
                "which works only if the repository is public.",
                boundary.image(spec.image),
            ),
        )


RULES = [
    Rule(
        id="GA601",
        name="docker-auth-config-no-match",
        severity=Severity.ERROR,
        summary="No DOCKER_AUTH_CONFIG entry matches the image's registry the way GitLab Runner matches it.",
        fix="Key the entry with the registry host exactly as the image names it, e.g. us-central1-docker.pkg.dev.",
        why=(
            "GitLab Runner picks the `DOCKER_AUTH_CONFIG` entry whose key equals the image's registry, "
            'host and port as written: "The full `hostname:port` combination is required everywhere for the '
            f'runner to match the `DOCKER_AUTH_CONFIG`" ([GitLab]({PRIVATE_REGISTRY})). A key with '
            "`https://` stands for its host; since GitLab Runner 17.5 a key may also name a path the image "
            f"is under ([the runner's matching]({RUNNER_AUTH})). With no matching entry the image is "
            "pulled without credentials, and Artifact Registry refuses it. garauth can check this only "
            "when the file itself defines `DOCKER_AUTH_CONFIG`; the same rule holds for the CI/CD variable."
        ),
        bad="gitlab/broken/helper-wrong-location.gitlab-ci.yml",
        good="gitlab/json-key.gitlab-ci.yml",
        check=auth_config_no_match,
    ),
    Rule(
        id="GA602",
        name="docker-auth-config-unreadable",
        severity=Severity.ERROR,
        summary="DOCKER_AUTH_CONFIG is not a Docker config JSON, or an entry's auth is not base64 of USERNAME:PASSWORD.",
        fix="Make the value with docker-auth-config.sh: JSON, with auth the base64 of _json_key:KEY on one line.",
        why=(
            "GitLab Runner reads `DOCKER_AUTH_CONFIG` as Docker's `config.json` "
            f"([GitLab]({PRIVATE_REGISTRY})): a JSON object whose `auths` entries hold `auth`, the base64 of "
            "`USERNAME:PASSWORD` (GitLab's docs make it with `printf ... | openssl base64 -A`). A value that "
            'is not JSON is skipped with the warning "Failed to resolve credentials from $DOCKER_AUTH_CONFIG" '
            f"([the runner]({RUNNER_AUTH})); an `auth` that is not base64 cannot be decoded, and the pull "
            "goes out without credentials."
        ),
        bad="gitlab/broken/auth-not-base64.gitlab-ci.yml",
        good="gitlab/json-key.gitlab-ci.yml",
        check=auth_config_unreadable,
    ),
    Rule(
        id="GA603",
        name="docker-auth-config-in-file",
        severity=Severity.ERROR,
        summary="DOCKER_AUTH_CONFIG is defined in .gitlab-ci.yml with a key or password written in it.",
        fix="Treat the key as leaked: disable it, and keep DOCKER_AUTH_CONFIG as a protected CI/CD variable in Settings > CI/CD > Variables only.",
        why=(
            "GitLab Runner reads `DOCKER_AUTH_CONFIG` from any CI/CD variable, including one the file "
            f"defines under `variables:` ([GitLab]({PRIVATE_REGISTRY})), so a value written there works, and "
            "anyone who can read the repository, or its history, can read the key in it. GitLab's own "
            "steps create it in the project's CI/CD settings. garauth decodes the value to say what it "
            "holds and never prints it."
        ),
        bad="gitlab/broken/auth-config-in-file.gitlab-ci.yml",
        good="gitlab/json-key.gitlab-ci.yml",
        check=auth_config_in_file,
    ),
    Rule(
        id="GA604",
        name="keyless-build-image",
        severity=Severity.ERROR,
        summary="A Bitbucket step with oidc: true expects its Artifact Registry image to be pulled keylessly.",
        fix="Give the image username: _json_key and password: $VARIABLE, or use a public image and pull yours inside the step.",
        why=(
            "Bitbucket pulls a step's build and service images before the step's script runs "
            f"([image options]({IMAGE_OPTIONS})); `oidc: true` gives the script `$BITBUCKET_STEP_OIDC_TOKEN` "
            f"([Bitbucket OIDC]({BITBUCKET_OIDC})), too late for the pull. Bitbucket documents keyless "
            f"image pulls only for Amazon ECR, with `aws: oidc-role` ([ECR images with OIDC]({ECR_OIDC})). "
            "For Artifact Registry, store a key as a secured variable, or pull the image inside the step: "
            "[the workaround](../../how-to/bitbucket-keyless.md)."
        ),
        bad="bitbucket/broken/oidc-build-image.bitbucket-pipelines.yml",
        good="bitbucket/keyless-step.bitbucket-pipelines.yml",
        check=keyless_build_image,
    ),
    Rule(
        id="GA605",
        name="bitbucket-image-without-credentials",
        severity=Severity.INFO,
        summary="A Bitbucket image on Artifact Registry has no username and password.",
        fix="Add username: _json_key and password: $VARIABLE to the image's block, unless the repository is public.",
        why=(
            "Bitbucket pulls a private image with the `username` and `password` of the image's block form "
            f"([image options]({IMAGE_OPTIONS})); without them it pulls anonymously, which Artifact "
            "Registry allows only for a repository readable by `allUsers`."
        ),
        bad="bitbucket/broken/no-credentials.bitbucket-pipelines.yml",
        good="bitbucket/json-key.bitbucket-pipelines.yml",
        check=bitbucket_anonymous,
    ),
    Rule(
        id="GA606",
        name="credential-helper-on-runner",
        severity=Severity.INFO,
        summary="DOCKER_AUTH_CONFIG names a credential helper, which GitLab Runner runs on its own host.",
        fix="Use it on a self-managed runner with docker-credential-gcloud or docker-credential-gcr installed and Google credentials set up; elsewhere use an auths entry.",
        why=(
            "With `credHelpers` or `credsStore`, GitLab Runner runs `docker-credential-NAME` itself: "
            '"Credentials Store and Credential Helpers require binaries to be added to the GitLab Runner '
            '`$PATH`" and so "are not available on instance runners" '
            f"([GitLab]({PRIVATE_REGISTRY})). The helper then needs Google credentials on the runner's host "
            "(its VM's service account, or Application Default Credentials)."
        ),
        bad="gitlab/broken/helper-in-file.gitlab-ci.yml",
        good="gitlab/json-key.gitlab-ci.yml",
        check=helper_on_runner,
    ),
]
