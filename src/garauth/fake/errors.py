"""Every error the fake returns, in one place, with where its text comes from.

Texts marked UNCONFIRMED are the fake's choice where no primary source shows what Google sends;
docs/reference/fake-registry.md lists them with links to the sources. §N names the section of
the project's research notes (artifact-registry.md) that quotes each source.
"""

from __future__ import annotations

import json

DOWNLOAD = "artifactregistry.repositories.downloadArtifacts"
UPLOAD = "artifactregistry.repositories.uploadArtifacts"
GET_ACCESS_TOKEN = "iam.serviceAccounts.getAccessToken"

# --- Docker registry API (errors as {"errors":[{"code","message"}]}) -------------------------


def registry_body(code: str, message: str) -> bytes:
    return json.dumps({"errors": [{"code": code, "message": message}]}, separators=(",", ":")).encode()


# §4.1, docker-credential-gcr#129: an unknown username at the token endpoint (401).
NO_VALID_CREDENTIAL = ("UNAUTHORIZED", "No valid credential was supplied.")

# UNCONFIRMED (§1.2, a third-party simulator's claim): the body of the bare /v2/ 401.
NOT_AUTHENTICATED = ("UNAUTHORIZED", "not authenticated: No credential was supplied.")

# UNCONFIRMED (§1.2, same simulator): the body of a repository-scoped 401.
NOT_AUTHENTICATED_SCOPED = ("UNAUTHORIZED", "not authenticated: No valid credential was supplied.")

# UNCONFIRMED (§4.2, simulator's claim): a parseable credential that Google refuses (bogus or
# expired access token, deleted key, disabled account), 401.
AUTHENTICATION_FAILED = ("UNAUTHORIZED", "authentication failed")

# §4.3, gcr.io ("unknown: Unable to parse json key."): the code UNKNOWN is what makes Docker print
# "unknown:". Using it for pkg.dev hosts, for raw JSON sent as _json_key_base64 and for base64
# sent as _json_key, and the 401 status, are UNCONFIRMED.
UNPARSEABLE_KEY = ("UNKNOWN", "Unable to parse json key.")


def denied(permission: str, resource: str) -> tuple[str, str]:
    """§4.4: an authenticated principal lacks the permission, or the repository does not exist."""
    return ("DENIED", f'Permission "{permission}" denied on resource "{resource}" (or it may not exist)')


def denied_unauthenticated(permission: str, resource: str) -> tuple[str, str]:
    """§4.5 (aactl#233, generative-ai#693, fuzzbench#1981): no credential at all."""
    return (
        "DENIED",
        "Unauthenticated request. Unauthenticated requests do not have permission "
        f'"{permission}" on resource "{resource}" (or it may not exist)',
    )


# §3, docker/build-push-action#171: a path with no repository segment (400).
NAME_INVALID = (
    "NAME_INVALID",
    "Missing image name. Pushes should be of the form docker push HOST-NAME/PROJECT-ID/REPOSITORY/IMAGE",
)

# Distribution spec error codes (https://github.com/opencontainers/distribution-spec/blob/main/spec.md
# "Error Codes"); the message texts are the fake's own (UNCONFIRMED for AR).
MANIFEST_UNKNOWN = ("MANIFEST_UNKNOWN", "Requested entity was not found.")


def manifest_unknown(reference: str) -> tuple[str, str]:
    """A missing tag: firezone/firezone#10484 (Docker printed `manifest unknown: Failed to fetch
    "1"`). The same form for a missing digest is UNCONFIRMED."""
    return ("MANIFEST_UNKNOWN", f'Failed to fetch "{reference}"')


# Distribution's refusals when the Accept header rules out what is stored (registry/handlers/
# manifests.go); AR's: UNCONFIRMED.
OCI_MANIFEST_NOT_ACCEPTED = (
    "MANIFEST_UNKNOWN",
    "OCI manifest found, but accept header does not support OCI manifests",
)
OCI_INDEX_NOT_ACCEPTED = (
    "MANIFEST_UNKNOWN",
    "OCI index found, but accept header does not support OCI indexes",
)


def no_platform_image(digest: str) -> tuple[str, str]:
    """Distribution: a Docker manifest list without a linux/amd64 image, for a client that cannot
    read lists."""
    return (
        "MANIFEST_UNKNOWN",
        f"manifest list {digest} does not contain a manifest image for the platform linux/amd64",
    )


# The fake's own (UNCONFIRMED): a blob download URL (the target of AR's 302) that is not one the
# fake issued, or has expired.
DOWNLOAD_URL_INVALID = ("DENIED", "The download URL is not valid or has expired.")
BLOB_UNKNOWN = ("BLOB_UNKNOWN", "Requested entity was not found.")
BLOB_UPLOAD_UNKNOWN = ("BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry")
DIGEST_INVALID = ("DIGEST_INVALID", "provided digest did not match uploaded content")
MANIFEST_INVALID = ("MANIFEST_INVALID", "manifest invalid")
MANIFEST_BLOB_UNKNOWN = ("MANIFEST_BLOB_UNKNOWN", "blob unknown to registry")
UNSUPPORTED = ("UNSUPPORTED", "The operation is unsupported.")
RANGE_INVALID = ("BLOB_UPLOAD_INVALID", "invalid content range")
NAME_UNKNOWN = ("NAME_UNKNOWN", "Requested entity was not found.")  # tags/list of an unknown image
PATH_UNKNOWN = ("NOT_FOUND", "Not found.")  # a path the registry API does not have
# Distribution's codes and texts (registry/api/errcode, registry/handlers/tags.go); AR's: UNCONFIRMED.
PAGINATION_NUMBER_INVALID = ("PAGINATION_NUMBER_INVALID", "invalid number of results requested")
TAG_INVALID = ("TAG_INVALID", "manifest tag did not match URI")
# The fake's own limits and texts (UNCONFIRMED for AR): a blob upload over bodies.BLOB_LIMIT (413),
# a Content-Length that is not a number (400).
BLOB_TOO_LARGE = ("SIZE_INVALID", "The blob is larger than the fake accepts.")
BAD_CONTENT_LENGTH = ("SIZE_INVALID", "Content-Length is not a number.")
# The fake's answer if one of its own handlers fails (a bug in the fake, never a reply to input).
INTERNAL = ("UNKNOWN", "The fake failed to handle this request; see its log.")


def host_unknown(host: str) -> tuple[str, str]:
    """The fake's own answer for a Host it does not serve (Google would not be reached at all)."""
    return ("NOT_FOUND", f"The fake does not serve {host or 'this host'}.")


# --- Google OAuth 2.0 token endpoint ({"error","error_description"}) ---------------------------

# §4.8, crossplane-contrib/provider-jet-gcp#56 and setup-gcloud#76: deleted or rotated key (400).
INVALID_JWT_SIGNATURE = ("invalid_grant", "Invalid JWT Signature.")
# UNCONFIRMED: what a disabled or deleted service account gets (400).
ACCOUNT_NOT_FOUND = ("invalid_grant", "Invalid grant: account not found")
# UNCONFIRMED wording: an assertion that has expired or is too long-lived (400).
JWT_TIME = (
    "invalid_grant",
    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
    "Check your iat and exp values in the JWT claim.",
)
# UNCONFIRMED wording: wrong grant type or a form without an assertion (400).
UNSUPPORTED_GRANT = ("unsupported_grant_type", "Invalid grant_type: ")
INVALID_REQUEST = ("invalid_request", "Invalid request.")
# GoogleCloudPlatform/gce-rescue#42 (2024) and dask/dask-cloudprovider#448 (2025): a service-account
# JWT grant without a scope (400). In 2017 the text was "Empty or missing scope not allowed."
# (googleapis/google-auth-library-python#217).
INVALID_SCOPE = ("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
# UNCONFIRMED (the fake's own cap, bodies.FORM_LIMIT): a form too large for a token request (413).
FORM_TOO_LARGE = ("invalid_request", "The request body is too large.")

# --- Security Token Service (same OAuth error shape) -----------------------------------------

# §4.10, CircleCI docs pull-an-image-from-gcp-gar-with-oidc.adoc: the text is quoted there; the
# error code "invalid_request" is UNCONFIRMED.
SUBJECT_TOO_LONG = (
    "invalid_request",
    "The size of mapped attribute google.subject exceeds the 127 bytes limit. Either modify your "
    "attribute mapping or the incoming assertion to produce a mapped attribute that is less than "
    "127 bytes.",
)
# google-github-actions/auth#60 (text, for an audience naming a pool but no provider) and #269 ("project
# id will result in 400 errors due to invalid audience"): an audience that is not a provider's full
# resource name. That a pool written with the project ID gets exactly this text is UNCONFIRMED.
INVALID_AUDIENCE = (
    "invalid_request",
    'Invalid value for "audience". This value should be the full resource name of the Identity '
    "Provider. See https://cloud.google.com/iam/docs/reference/sts/rest/v1/TopLevel/token for the "
    "list of possible formats.",
)
# UNCONFIRMED wordings for the other STS refusals.
STS_BAD_TOKEN = ("invalid_grant", "Unable to verify the ID Token signature.")
STS_EXPIRED = ("invalid_grant", "The ID Token has expired.")


def sts_wrong_issuer(got: str) -> tuple[str, str]:
    return ("invalid_grant", f"The issuer in ID Token {got} does not match the expected ones.")  # UNCONFIRMED


def sts_wrong_audience(got: str) -> tuple[str, str]:
    return (
        "invalid_grant",
        f"The audience in ID Token [{got}] does not match the expected audience.",
    )  # UNCONFIRMED


STS_CONDITION = (
    "unauthorized_client",
    "The given credential is rejected by the attribute condition.",
)  # UNCONFIRMED
# google-github-actions/auth#161: a well-formed provider name whose pool or provider is missing or
# disabled (400 invalid_target).
STS_NO_PROVIDER = (
    "invalid_target",
    'The target service indicated by the "audience" parameters is invalid. This might either be '
    "because the pool or provider is disabled or deleted or because it doesn't exist.",
)
# UNCONFIRMED wording: OAuth assertion with the wrong audience.
JWT_AUDIENCE = ("invalid_grant", "Invalid JWT: Failed audience check.")


# The fake's own 404 for paths the OAuth, STS and OIDC hosts do not serve.
OAUTH_NOT_FOUND = ("not_found", "Not found.")


def oauth_body(error: tuple[str, str]) -> bytes:
    return json.dumps({"error": error[0], "error_description": error[1]}).encode()


# --- IAM Service Account Credentials API (Google API error shape) ----------------------------

# §4.10, google-github-actions/auth#526: the message; status and layout follow Google's API error
# model (https://cloud.google.com/apis/design/errors).
GET_ACCESS_TOKEN_DENIED = (
    403,
    "PERMISSION_DENIED",
    "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).",
)
# UNCONFIRMED wording: no or invalid bearer credential at iamcredentials.
IAM_UNAUTHENTICATED = (
    401,
    "UNAUTHENTICATED",
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
    "other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project.",
)


IAM_NOT_FOUND = (404, "NOT_FOUND", "Requested entity was not found.")  # the fake's own wording
IAM_BAD_JSON = (400, "INVALID_ARGUMENT", "Invalid JSON payload received.")  # UNCONFIRMED wording
# UNCONFIRMED (the fake's own cap, bodies.JSON_LIMIT).
IAM_TOO_LARGE = (413, "INVALID_ARGUMENT", "The request body is too large.")
# google-github-actions/auth quotes this text (reference §1.5); its status here is UNCONFIRMED.
IAM_LIFETIME = (400, "INVALID_ARGUMENT", "The access token lifetime cannot exceed 3600 seconds.")


def google_api_body(error: tuple[int, str, str]) -> bytes:
    code, status, message = error
    return json.dumps({"error": {"code": code, "message": message, "status": status}}).encode()
