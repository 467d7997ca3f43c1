"""GA8xx: registry clients and credential helpers, as Docker's config.json and shell logins show them.

What these rules rest on (each tested with the real client in the sandbox where it can be run;
the rule's `why` says which):
- Docker, podman and skopeo look a credential helper up by the registry's bare host name: a
  `credHelpers` key with a scheme or a path is never asked.
- A `credHelpers`/`credsStore` value is the suffix of the program name: Docker runs
  `docker-credential-` + value.
- `credsStore` is the helper for every registry without its own `credHelpers` entry. Google's
  helpers answer only for Google's registries (docker-credential-gcloud), or hand a Google access
  token to whichever registry asks (docker-credential-gcr).
- Container Registry (gcr.io) was shut down on 18 March 2025.
- `--creds USER:PASSWORD` puts the password in the process's arguments.
"""

from __future__ import annotations

from collections.abc import Iterator

from garauth import boundary, data
from garauth.boundary import fmt, own
from garauth.model import CredentialKind, PullSpec, SecretSource, Severity
from garauth.rules import Hit, Rule

DOCKER_LOGIN = "https://docs.docker.com/reference/cli/docker/login/"
AR_AUTH = "https://cloud.google.com/artifact-registry/docs/docker/authentication"
GCR_SOURCE = "https://github.com/GoogleCloudPlatform/docker-credential-gcr"
GCR_HELPER_GET = f"{GCR_SOURCE}/blob/master/credhelper/helper.go"
GCR_CONFIGURE = f"{GCR_SOURCE}/blob/master/cli/configure-docker.go"
GCLOUD_HELPER = "https://github.com/google-cloud-sdk-unofficial/google-cloud-sdk/blob/master/lib/surface/auth/docker_helper.py"
AUTH_JSON = "https://github.com/containers/image/blob/main/docs/containers-auth.json.5.md"
SHUTDOWN = "https://cloud.google.com/artifact-registry/docs/transition/setup-gcr-repo"
SKOPEO_INSPECT = "https://github.com/containers/skopeo/blob/main/docs/skopeo-inspect.1.md"

GOOGLE_HELPERS = ("gcloud", "gcr")
PREFIX = "docker-credential-"
GCR_IO = "gcr.io"


def _helper(spec: PullSpec, config: str) -> str | None:
    """The helper a docker-config entry names, when the entry is a credHelpers/credsStore one."""
    if spec.platform != "docker-config" or spec.context.get("config") != config:
        return None
    if spec.credential.kind is not CredentialKind.HELPER:
        return None
    return spec.credential.fields.get("helper")


def _bare_host(key: str) -> bool:
    return "://" not in key and "/" not in key


def google_registry(host: str) -> bool:
    """A registry host Google serves: an Artifact Registry or gcr.io host, or any *.gcr.io or
    *.pkg.dev name (as go-containerregistry's google keychain decides)."""
    bare = host.split(":")[0].lower()
    return bare in data.registry_hosts() or bare == GCR_IO or bare.endswith((".gcr.io", ".pkg.dev"))


def google_helper_for_other_registry(spec: PullSpec) -> Iterator[Hit]:
    helper = _helper(spec, "credHelpers")
    key = spec.image_text
    if helper not in GOOGLE_HELPERS or not _bare_host(key) or google_registry(key):
        return
    yield Hit(
        spec.position,
        fmt(
            "credHelpers sends {} to docker-credential-{}, a helper for Google's registries only.",
            boundary.reference(key),
            own(helper),
        ),
    )


def helper_key_not_a_host(spec: PullSpec) -> Iterator[Hit]:
    if _helper(spec, "credHelpers") is None or _bare_host(spec.image_text):
        return
    bare = spec.image_text.split("://", 1)[-1].split("/", 1)[0]
    yield Hit(
        spec.position,
        fmt(
            "The credHelpers key {} is not a bare host name, so no client ever asks this helper.",
            boundary.reference(spec.image_text),
        ),
        fmt('Write the host alone: "{}".', boundary.reference(bare)),
    )


def helper_name_has_prefix(spec: PullSpec) -> Iterator[Hit]:
    for config in ("credHelpers", "credsStore"):
        helper = _helper(spec, config)
        if helper and helper.startswith(PREFIX) and len(helper) > len(PREFIX):
            suffix = helper[len(PREFIX) :]
            yield Hit(
                spec.position,
                fmt(
                    "{} names the helper {}: Docker adds docker-credential- itself and looks for "
                    "docker-credential-{}, which does not exist.",
                    own(config),
                    boundary.name(helper),
                    boundary.name(helper),
                ),
                fmt('Write "{}".', boundary.name(suffix)),
            )


def google_helper_as_creds_store(spec: PullSpec) -> Iterator[Hit]:
    helper = _helper(spec, "credsStore")
    if helper == "gcr":
        yield Hit(
            spec.position,
            own(
                "credsStore makes docker-credential-gcr the helper for every registry without its own "
                "credHelpers entry, Docker Hub included, and it answers each of them with a Google "
                "access token."
            ),
        )
    elif helper == "gcloud":
        yield Hit(
            spec.position,
            own(
                "credsStore makes docker-credential-gcloud the helper for every registry without its own "
                "credHelpers entry, Docker Hub included; it refuses any registry that is not Google's, "
                "and drops what docker login stores."
            ),
        )


def _gcr_host(text: str) -> str | None:
    bare = text.split("://", 1)[-1].split("/", 1)[0].split(":")[0].lower()
    return bare if bare == GCR_IO or bare.endswith("." + GCR_IO) else None


def gcr_io_login(spec: PullSpec) -> Iterator[Hit]:
    """A login, or a stored credential, for a gcr.io host (not a pull of a gcr.io image)."""
    login = spec.platform == "shell" and "login" in spec.context and "creds_flag" not in spec.context
    stored = spec.platform == "docker-config" and spec.context.get("config") == "auths"
    host = _gcr_host(spec.image_text) if (login or stored) else None
    if host is None or host in ("mirror.gcr.io",) or host.endswith("-mirror.gcr.io"):
        return
    if stored and spec.credential.password_source is SecretSource.NONE:
        return  # an empty entry: no credential is sent
    yield Hit(
        spec.position,
        fmt(
            "{} is Container Registry's host: Container Registry was shut down on 18 March 2025, and "
            "{} now answers only for projects whose gcr.io repositories Artifact Registry hosts.",
            own(host),
            own(host),
        ),
    )


def creds_on_command_line(spec: PullSpec) -> Iterator[Hit]:
    cred = spec.credential
    if spec.platform != "shell" or not spec.context.get("creds_flag"):
        return
    if cred.password_source in (SecretSource.NONE, SecretSource.UNRESOLVED):
        return
    if cred.password_source is SecretSource.LITERAL and cred.password_kind is None:
        return  # --creds USER: no password given
    yield Hit(
        spec.position,
        fmt(
            "{} --creds puts the password on the command line, where it shows in process lists and "
            "shell history.",
            boundary.name(spec.context.get("login", "")),
        ),
    )


RULES = [
    Rule(
        id="GA801",
        name="google-helper-for-other-registry",
        severity=Severity.WARNING,
        summary="A credHelpers entry sends a registry that is not Google's to Google's credential helper.",
        fix='Remove the entry, or name that registry\'s own helper; keep "gcloud" or "gcr" for Google\'s hosts.',
        why=(
            "`docker-credential-gcloud` answers only for the registries gcloud knows and refuses any "
            f"other with `Repository url [...] is not supported` ([gcloud source]({GCLOUD_HELPER})). "
            "`docker-credential-gcr` answers every request with a Google access token, whatever the "
            f"registry ([`Get` in its source]({GCR_HELPER_GET})), so that registry would receive a "
            "token for your Google account."
        ),
        bad="rules/GA801/bad.json",
        good="docker/config-gcloud.json",
        check=google_helper_for_other_registry,
    ),
    Rule(
        id="GA802",
        name="helper-key-not-a-host",
        severity=Severity.ERROR,
        summary="A credHelpers key has a scheme or a path, so no client asks that helper.",
        fix="Key the entry by the bare host name, e.g. us-central1-docker.pkg.dev.",
        why=(
            "Docker's `credHelpers` keys are registry domains ([Docker: credential helpers]"
            f"({DOCKER_LOGIN}#credential-helpers)), and clients look the helper up by the image's host "
            "exactly. With `https://` or a path in the key the lookup misses: the helper is never "
            "run, and the pull goes out with no credential and is refused (tested here with the "
            "Docker Engine, through the docker CLI, and with skopeo). "
            "`auths` keys, unlike these, may carry a scheme (tested here with the Docker Engine and skopeo)."
        ),
        bad="rules/GA802/bad.json",
        good="docker/config-gcloud.json",
        check=helper_key_not_a_host,
    ),
    Rule(
        id="GA803",
        name="helper-name-has-prefix",
        severity=Severity.ERROR,
        summary="A credHelpers or credsStore value starts with docker-credential-.",
        fix='Write only what follows docker-credential-: "gcloud", not "docker-credential-gcloud".',
        why=(
            "The value is the suffix of the helper's program name: Docker runs `docker-credential-` "
            f"followed by it ([Docker: credential stores]({DOCKER_LOGIN}#credential-stores)), and so "
            f"do podman and skopeo ([containers-auth.json]({AUTH_JSON})). With the prefix written "
            "too, the program is `docker-credential-docker-credential-gcloud`, which does not exist: "
            "skopeo and podman stop and name it, while the docker CLI says nothing and pulls with no "
            "credential, which the registry refuses as `Unauthenticated request` (both tested here)."
        ),
        bad="rules/GA803/bad.json",
        good="docker/config-gcloud.json",
        check=helper_name_has_prefix,
    ),
    Rule(
        id="GA804",
        name="google-helper-as-creds-store",
        severity=Severity.ERROR,
        summary="credsStore names Google's credential helper, which then serves every registry.",
        fix="Remove credsStore and list Google's hosts under credHelpers instead (gcloud auth configure-docker HOST writes that).",
        why=(
            "`credsStore` is the helper for every registry that has no `credHelpers` entry "
            f"([Docker: credential stores]({DOCKER_LOGIN}#credential-stores)). "
            "`docker-credential-gcr` answers every request with a Google access token "
            f"([source]({GCR_HELPER_GET})), so Docker Hub and any other registry would receive one; "
            "its first versions, in 2016, wrote exactly this setting "
            f"([configure-docker]({GCR_SOURCE}/blob/fd4aee1f70f606cc46c27a8f1ddc2eab19b0f28e/api/configure-docker.go)). "
            "`docker-credential-gcloud` refuses every registry that is not Google's and stores nothing "
            f"([source]({GCLOUD_HELPER})), so logins and pulls for other registries fail. Today both "
            f"tools write `credHelpers` entries ([gcloud]({AR_AUTH}#gcloud-helper), "
            f"[docker-credential-gcr]({GCR_CONFIGURE}))."
        ),
        bad="rules/GA804/bad.json",
        good="docker/config-gcloud.json",
        check=google_helper_as_creds_store,
    ),
    Rule(
        id="GA805",
        name="gcr-io-login",
        severity=Severity.INFO,
        summary="A login or stored credential is for gcr.io, Container Registry's host.",
        fix="Move the images to a LOCATION-docker.pkg.dev repository and log in to that host.",
        why=(
            "Container Registry was shut down on 18 March 2025. `gcr.io` names keep working only where "
            f"an Artifact Registry repository serves them ([Google: gcr.io repositories]({SHUTDOWN})), "
            "so a login to `gcr.io` is worth a look: new images belong in a `LOCATION-docker.pkg.dev` "
            "repository ([moving from gcr.io](../../how-to/gcr-to-pkg-dev.md))."
        ),
        bad="rules/GA805/bad.sh",
        good="shell/docker-login-json-key.sh",
        check=gcr_io_login,
    ),
    Rule(
        id="GA806",
        name="creds-on-command-line",
        severity=Severity.WARNING,
        summary="A password is given with --creds, on the command line.",
        fix="Log in once with skopeo login --authfile FILE --password-stdin, then pass --authfile FILE.",
        why=(
            "`--creds USERNAME[:PASSWORD]` takes the password as an argument "
            f"([skopeo inspect]({SKOPEO_INSPECT})), like `docker login -p` ([GA110](GA110.md)); "
            "Docker's reference recommends standard input so that a password stays out of shell "
            f"history and logs ([docker login]({DOCKER_LOGIN}#password-stdin)). "
            "`skopeo login --password-stdin` reads the key from standard input into an auth file, "
            "which `--authfile` then names (both tested here)."
        ),
        bad="rules/GA806/bad.sh",
        good="shell/skopeo-authfile.sh",
        check=creds_on_command_line,
    ),
]
