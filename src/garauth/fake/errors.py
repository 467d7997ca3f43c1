"""Every error the fake sends, as one record each: HTTP status, code, message, where the text comes
from, whether Google is known to send it, and the tests that show the fake sending it.

docs/contributing/fake-registry.md renders its error table from these records (docs/hooks/), and
tests/fake/test_fidelity_table.py checks that every test a record names exists. A message may
hold `{fields}`, filled in when the error is sent (`err.text(permission=...)`).

The body's shape follows the service: the registry's `{"errors":[{"code","message"}]}`
(distribution spec), OAuth's `{"error","error_description"}` (RFC 6749 §5.2; STS too), and
Google's API error `{"error":{"code","message","status"}}` (https://cloud.google.com/apis/design/errors).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

DOWNLOAD = "artifactregistry.repositories.downloadArtifacts"
UPLOAD = "artifactregistry.repositories.uploadArtifacts"
GET_ACCESS_TOKEN = "iam.serviceAccounts.getAccessToken"

REGISTRY, OAUTH, GOOGLE_API = "registry", "oauth", "google-api"

DISTRIBUTION = (
    "Distribution ([errcode](https://github.com/distribution/distribution/blob/main/registry/api/v2/errors.go), "
    "[distribution spec](https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes))"
)
FAKE = "The fake's own"


@dataclass(frozen=True)
class FakeError:
    key: str
    service: str  # REGISTRY, OAUTH or GOOGLE_API: the body's shape
    status: int
    code: str
    message: str  # may hold {fields}
    when: str  # when the fake sends it
    source: str  # Markdown: where the text (and status) come from
    confirmed: bool  # seen from Google (or, for Distribution's codes, from Distribution) as sent here
    tests: tuple[str, ...] = ()  # FILE::TEST under tests/fake/ (or tests/PATH::TEST)

    def text(self, **fields) -> str:
        return self.message.format(**fields) if fields else self.message

    def body(self, **fields) -> bytes:
        message = self.text(**fields)
        if self.service == REGISTRY:
            return json.dumps(
                {"errors": [{"code": self.code, "message": message}]}, separators=(",", ":")
            ).encode()
        if self.service == OAUTH:
            return json.dumps({"error": self.code, "error_description": message}).encode()
        return json.dumps({"error": {"code": self.status, "message": message, "status": self.code}}).encode()


ALL: dict[str, FakeError] = {}


def _error(
    key: str,
    service: str,
    status: int,
    code: str,
    message: str,
    when: str,
    source: str,
    confirmed: bool,
    *tests: str,
) -> FakeError:
    err = FakeError(key, service, status, code, message, when, source, confirmed, tests)
    assert key not in ALL, key
    ALL[key] = err
    return err


# --- Docker registry API -------------------------------------------------------------------------

NO_VALID_CREDENTIAL = _error(
    "NO_VALID_CREDENTIAL", REGISTRY, 401, "UNAUTHORIZED", "No valid credential was supplied.",
    "A username AR does not accept, a Basic value that does not decode, a bearer token sent to the token endpoint",
    "[docker-credential-gcr#129](https://github.com/GoogleCloudPlatform/docker-credential-gcr/issues/129) (for `_dcgcr__token`)",
    True,
    "test_registry_http.py::test_token_with_other_usernames_is_refused",
    "test_bad_input.py::test_malformed_basic_credentials_get_ars_texts",
)  # fmt: skip
NOT_AUTHENTICATED = _error(
    "NOT_AUTHENTICATED", REGISTRY, 401, "UNAUTHORIZED", "not authenticated: No credential was supplied.",
    "`GET /v2/` without a credential (with a realm-only challenge)",
    "A third-party AR simulator's claim (reference notes §1.2)", False,
    "test_registry_http.py::test_ping_without_credentials_is_a_realm_only_challenge",
)  # fmt: skip
NOT_AUTHENTICATED_SCOPED = _error(
    "NOT_AUTHENTICATED_SCOPED", REGISTRY, 401, "UNAUTHORIZED", "not authenticated: No valid credential was supplied.",
    "A repository path without a usable credential (with a scoped challenge); an unknown or expired bearer token",
    "The same simulator's claim (§1.2)", False,
    "test_registry_http.py::test_repository_challenge_has_service_and_scope",
    "test_registry_http.py::test_expired_registry_token_gets_a_new_challenge",
)  # fmt: skip
AUTHENTICATION_FAILED = _error(
    "AUTHENTICATION_FAILED", REGISTRY, 401, "UNAUTHORIZED", "authentication failed",
    "A credential that parses but Google refuses: unknown or expired access token, deleted key, disabled account",
    "The simulator's text for a bogus token (§4.2)", False,
    "test_registry_http.py::test_bogus_access_token_fails_authentication",
    "test_registry_http.py::test_deleted_key_is_refused",
)  # fmt: skip
UNPARSEABLE_KEY = _error(
    "UNPARSEABLE_KEY", REGISTRY, 401, "UNKNOWN", "Unable to parse json key.",
    "A key that does not parse: base64 sent as `_json_key`, raw JSON as `_json_key_base64`, quotes around it",
    "gcr.io ([whoan/docker-build-with-cache-action#50](https://github.com/whoan/docker-build-with-cache-action/issues/50)); "
    "on pkg.dev hosts, and the status, not published", False,
    "test_registry_http.py::test_base64_key_sent_as_json_key_cannot_be_parsed",
    "test_registry_http.py::test_raw_key_sent_as_json_key_base64_cannot_be_parsed",
)  # fmt: skip
DENIED = _error(
    "DENIED", REGISTRY, 403, "DENIED", 'Permission "{permission}" denied on resource "{resource}" (or it may not exist)',
    "An authenticated principal without the permission, or a repository that does not exist",
    "[terraform-google-kubernetes-engine#1779](https://github.com/terraform-google-modules/terraform-google-kubernetes-engine/issues/1779), "
    "[skaffold#6743](https://github.com/GoogleContainerTools/skaffold/issues/6743)", True,
    "test_registry_http.py::test_outsider_is_denied_at_the_token_endpoint",
    "test_registry_http.py::test_reader_push_scope_is_denied_upload",
)  # fmt: skip
DENIED_UNAUTHENTICATED = _error(
    "DENIED_UNAUTHENTICATED", REGISTRY, 403, "DENIED",
    'Unauthenticated request. Unauthenticated requests do not have permission "{permission}" on resource '
    '"{resource}" (or it may not exist)',
    "An anonymous token request for a repository that is not public",
    "[aactl#233](https://github.com/GoogleCloudPlatform/aactl/issues/233), [fuzzbench#1981](https://github.com/google/fuzzbench/issues/1981)",
    True,
    "test_registry_http.py::test_anonymous_token_for_a_private_repository_is_denied_unauthenticated",
)  # fmt: skip
NAME_INVALID = _error(
    "NAME_INVALID", REGISTRY, 400, "NAME_INVALID",
    "Missing image name. Pushes should be of the form docker push HOST-NAME/PROJECT-ID/REPOSITORY/IMAGE",
    "A path without a repository segment",
    "[docker/build-push-action#171](https://github.com/docker/build-push-action/issues/171)", True,
    "test_registry_http.py::test_path_without_repository_segment_is_name_invalid",
)  # fmt: skip
MANIFEST_UNKNOWN = _error(
    "MANIFEST_UNKNOWN", REGISTRY, 404, "MANIFEST_UNKNOWN", 'Failed to fetch "{reference}"',
    "A tag (or digest) the image does not have",
    "[firezone#10484](https://github.com/firezone/firezone/issues/10484) (a tag; for a digest: not published)", True,
    "test_fidelity.py::test_a_missing_tag_is_failed_to_fetch",
)  # fmt: skip
OCI_MANIFEST_NOT_ACCEPTED = _error(
    "OCI_MANIFEST_NOT_ACCEPTED", REGISTRY, 404, "MANIFEST_UNKNOWN",
    "OCI manifest found, but accept header does not support OCI manifests",
    "An OCI image manifest for a client whose `Accept` rules it out",
    "Distribution ([manifests.go](https://github.com/distribution/distribution/blob/main/registry/handlers/manifests.go)); AR: not published",
    False,
    "test_fidelity.py::test_an_oci_index_by_digest_with_a_docker_only_accept_is_refused_not_rewritten",
)  # fmt: skip
OCI_INDEX_NOT_ACCEPTED = _error(
    "OCI_INDEX_NOT_ACCEPTED", REGISTRY, 404, "MANIFEST_UNKNOWN",
    "OCI index found, but accept header does not support OCI indexes",
    "An OCI index for a client whose `Accept` rules it out, by tag or by digest",
    "Distribution ([manifests.go](https://github.com/distribution/distribution/blob/main/registry/handlers/manifests.go)); AR: not published",
    False,
    "test_fidelity.py::test_an_oci_index_by_digest_with_a_docker_only_accept_is_refused_not_rewritten",
    "test_registry_http.py::test_oci_index_is_refused_to_a_client_that_does_not_accept_it",
)  # fmt: skip
NO_PLATFORM_IMAGE = _error(
    "NO_PLATFORM_IMAGE", REGISTRY, 404, "MANIFEST_UNKNOWN",
    "manifest list {digest} does not contain a manifest image for the platform linux/amd64",
    "A Docker manifest list without a linux/amd64 image, by tag, for a client that cannot read lists",
    "Distribution ([manifests.go](https://github.com/distribution/distribution/blob/main/registry/handlers/manifests.go)); AR: not published",
    False,
)  # fmt: skip
BLOB_UNKNOWN = _error(
    "BLOB_UNKNOWN", REGISTRY, 404, "BLOB_UNKNOWN", "Requested entity was not found.",
    "A blob the repository does not have", f"Code: {DISTRIBUTION}; text: {FAKE.lower()}", False,
    "test_registry_http.py::test_unknown_manifest_and_blob",
)  # fmt: skip
NAME_UNKNOWN = _error(
    "NAME_UNKNOWN", REGISTRY, 404, "NAME_UNKNOWN", "Requested entity was not found.",
    "`tags/list` of an image the repository does not have", f"Code: {DISTRIBUTION}; text: {FAKE.lower()}", False,
)  # fmt: skip
BLOB_UPLOAD_UNKNOWN = _error(
    "BLOB_UPLOAD_UNKNOWN", REGISTRY, 404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry",
    "An upload session that does not exist (or belongs to another repository)", DISTRIBUTION, False,
)  # fmt: skip
DIGEST_INVALID = _error(
    "DIGEST_INVALID", REGISTRY, 400, "DIGEST_INVALID", "provided digest did not match uploaded content",
    "An upload or a manifest whose content does not match the digest given", DISTRIBUTION, False,
    "test_registry_http.py::test_chunked_push_with_wrong_digest_is_refused",
    "test_bad_input.py::test_an_upload_with_a_malformed_digest_or_range",
)  # fmt: skip
MANIFEST_INVALID = _error(
    "MANIFEST_INVALID", REGISTRY, 400, "MANIFEST_INVALID", "manifest invalid",
    "A manifest that is not a manifest the fake can store (see the Images rows), or is over 4 MiB", DISTRIBUTION, False,
    "test_bad_input.py::test_malformed_manifests_are_manifest_invalid",
    "test_bad_input.py::test_oversized_bodies_from_callers_who_may_send_them",
)  # fmt: skip
MANIFEST_BLOB_UNKNOWN = _error(
    "MANIFEST_BLOB_UNKNOWN", REGISTRY, 400, "MANIFEST_BLOB_UNKNOWN", "blob unknown to registry",
    "A manifest that names blobs (or an index that names manifests) the repository does not have", DISTRIBUTION, False,
    "test_registry_http.py::test_manifest_with_missing_blobs_is_refused",
)  # fmt: skip
TAG_INVALID = _error(
    "TAG_INVALID", REGISTRY, 400, "TAG_INVALID", "manifest tag did not match URI",
    "A manifest pushed under a tag outside the distribution spec's grammar", DISTRIBUTION, False,
    "test_bad_input.py::test_a_bad_tag_is_tag_invalid",
)  # fmt: skip
PAGINATION_NUMBER_INVALID = _error(
    "PAGINATION_NUMBER_INVALID", REGISTRY, 400, "PAGINATION_NUMBER_INVALID", "invalid number of results requested",
    "`tags/list?n=` that is not a non-negative integer",
    "Distribution ([tags.go](https://github.com/distribution/distribution/blob/main/registry/handlers/tags.go)); AR: not published",
    False,
    "test_bad_input.py::test_tags_list_bad_n_is_pagination_number_invalid",
)  # fmt: skip
RANGE_INVALID = _error(
    "RANGE_INVALID", REGISTRY, 416, "BLOB_UPLOAD_INVALID", "invalid content range",
    "A chunk whose `Content-Range` does not start where the upload stands", DISTRIBUTION, False,
    "test_bad_input.py::test_an_upload_with_a_malformed_digest_or_range",
)  # fmt: skip
UNSUPPORTED = _error(
    "UNSUPPORTED", REGISTRY, 405, "UNSUPPORTED", "The operation is unsupported.",
    "A method the path does not take (`POST /v2/token`, ...)", "The simulator's claim for `POST /v2/token` (§1.3)", False,
    "test_registry_http.py::test_token_endpoint_is_get_only",
)  # fmt: skip
PATH_UNKNOWN = _error(
    "PATH_UNKNOWN", REGISTRY, 404, "NOT_FOUND", "Not found.", "A path the registry API does not have", FAKE, False,
)  # fmt: skip
BLOB_TOO_LARGE = _error(
    "BLOB_TOO_LARGE", REGISTRY, 413, "SIZE_INVALID", "The blob is larger than the fake accepts.",
    "One blob upload over 2 GiB (the fake's cap; the connection is then closed)", FAKE, False,
)  # fmt: skip
BAD_CONTENT_LENGTH = _error(
    "BAD_CONTENT_LENGTH", REGISTRY, 400, "SIZE_INVALID", "Content-Length is not a number.",
    "A `Content-Length` that is not digits (most are refused earlier by the HTTP layer)", FAKE, False,
)  # fmt: skip
DOWNLOAD_URL_INVALID = _error(
    "DOWNLOAD_URL_INVALID", REGISTRY, 403, "DENIED", "The download URL is not valid or has expired.",
    "A blob download URL (the target of a blob GET's 302) the fake did not issue, or issued over 15 minutes ago",
    FAKE, False,
    "test_fidelity.py::test_a_blob_get_redirects_and_the_download_needs_no_credential",
)  # fmt: skip
HOST_UNKNOWN = _error(
    "HOST_UNKNOWN", REGISTRY, 404, "NOT_FOUND", "The fake does not serve {host}.",
    "A Host the fake does not serve (Google would not be reached at all)", FAKE, False,
    "test_registry_http.py::test_unknown_host_is_404",
)  # fmt: skip
INTERNAL = _error(
    "INTERNAL", REGISTRY, 500, "UNKNOWN", "The fake failed to handle this request; see its log.",
    "A bug in the fake: never an answer to input (the bad-input tests check no request gets it)", FAKE, False,
    "test_bad_input.py::test_malformed_authorization_gets_a_4xx_never_a_500",
)  # fmt: skip


def denied(permission: str, resource: str) -> tuple[FakeError, dict]:
    return DENIED, {"permission": permission, "resource": resource}


# --- Google OAuth 2.0 token endpoint and STS ({"error","error_description"}) ----------------------

INVALID_JWT_SIGNATURE = _error(
    "INVALID_JWT_SIGNATURE", OAUTH, 400, "invalid_grant", "Invalid JWT Signature.",
    "An assertion signed by a deleted, rotated or unknown key",
    "[crossplane-contrib/provider-jet-gcp#56](https://github.com/crossplane-contrib/provider-jet-gcp/issues/56), "
    "[setup-gcloud#76](https://github.com/google-github-actions/setup-gcloud/issues/76)", True,
    "test_google.py::test_deleted_key_gets_invalid_jwt_signature",
)  # fmt: skip
ACCOUNT_NOT_FOUND = _error(
    "ACCOUNT_NOT_FOUND", OAUTH, 400, "invalid_grant", "Invalid grant: account not found",
    "An assertion of a disabled or deleted service account", "Not published", False,
    "test_google.py::test_disabled_account_cannot_get_a_token",
)  # fmt: skip
JWT_TIME = _error(
    "JWT_TIME", OAUTH, 400, "invalid_grant",
    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.",
    "An assertion that has expired, is not yet valid, lives over an hour, or has no numeric iat/exp", "Not published", False,
)  # fmt: skip
JWT_AUDIENCE = _error(
    "JWT_AUDIENCE", OAUTH, 400, "invalid_grant", "Invalid JWT: Failed audience check.",
    "An assertion for another audience than the token endpoint", "Not published", False,
)  # fmt: skip
INVALID_SCOPE = _error(
    "INVALID_SCOPE", OAUTH, 400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.",
    "A service-account assertion without a scope",
    "[gce-rescue#42](https://github.com/GoogleCloudPlatform/gce-rescue/issues/42), "
    "[dask-cloudprovider#448](https://github.com/dask/dask-cloudprovider/issues/448); in 2017 `Empty or missing scope not allowed.` "
    "([google-auth-library-python#217](https://github.com/googleapis/google-auth-library-python/issues/217))", True,
    "test_fidelity.py::test_a_jwt_grant_without_scopes_is_invalid_scope",
)  # fmt: skip
UNSUPPORTED_GRANT = _error(
    "UNSUPPORTED_GRANT", OAUTH, 400, "unsupported_grant_type", "Invalid grant_type: {grant_type}",
    "A grant type other than JWT-bearer (OAuth) or token exchange (STS)", "Not published", False,
)  # fmt: skip
INVALID_REQUEST = _error(
    "INVALID_REQUEST", OAUTH, 400, "invalid_request", "Invalid request.",
    "A form the endpoint cannot use: no assertion or subject token that is a JWT, a wrong token type, too many fields, "
    "a mapping without `google.subject`", "Not published", False,
)  # fmt: skip
FORM_TOO_LARGE = _error(
    "FORM_TOO_LARGE", OAUTH, 413, "invalid_request", "The request body is too large.",
    "A token request (OAuth or STS) over 64 KiB: refused before it is read", FAKE, False,
    "test_bad_input.py::test_oversized_bodies_are_refused_before_they_are_read",
)  # fmt: skip
OAUTH_NOT_FOUND = _error(
    "OAUTH_NOT_FOUND", OAUTH, 404, "not_found", "Not found.",
    "A path the OAuth, STS or OIDC issuer hosts do not serve", FAKE, False,
)  # fmt: skip
SUBJECT_TOO_LONG = _error(
    "SUBJECT_TOO_LONG", OAUTH, 400, "invalid_request",
    "The size of mapped attribute google.subject exceeds the 127 bytes limit. Either modify your attribute mapping "
    "or the incoming assertion to produce a mapped attribute that is less than 127 bytes.",
    "STS: a mapped `google.subject` over 127 bytes",
    "CircleCI's GAR guide quotes the text ([CircleCI OIDC docs](https://circleci.com/docs/openid-connect-tokens/)); the code is not published",
    False,
    "test_google.py::test_long_v2_subject_exceeds_the_127_byte_limit",
)  # fmt: skip
INVALID_AUDIENCE = _error(
    "INVALID_AUDIENCE", OAUTH, 400, "invalid_request",
    'Invalid value for "audience". This value should be the full resource name of the Identity Provider. See '
    "https://cloud.google.com/iam/docs/reference/sts/rest/v1/TopLevel/token for the list of possible formats.",
    "STS: an audience that is not a provider's full resource name (a pool named with the project ID)",
    "[google-github-actions/auth#60](https://github.com/google-github-actions/auth/issues/60) (text), "
    "[#269](https://github.com/google-github-actions/auth/issues/269) (a project ID gets a 400); that it is this text: not published",
    False,
    "test_google.py::test_pool_written_with_the_project_id_is_refused",
)  # fmt: skip
STS_NO_PROVIDER = _error(
    "STS_NO_PROVIDER", OAUTH, 400, "invalid_target",
    'The target service indicated by the "audience" parameters is invalid. This might either be because the pool '
    "or provider is disabled or deleted or because it doesn't exist.",
    "STS: a well-formed provider name whose pool or provider is missing or disabled",
    "[google-github-actions/auth#161](https://github.com/google-github-actions/auth/issues/161)", True,
    "test_google.py::test_unknown_provider_is_invalid_target",
)  # fmt: skip
STS_BAD_TOKEN = _error(
    "STS_BAD_TOKEN", OAUTH, 400, "invalid_grant", "Unable to verify the ID Token signature.",
    "STS: a subject token that is not a JWT or not signed by the issuer", "Not published", False,
    "test_google.py::test_forged_token_signed_by_another_key_is_refused",
)  # fmt: skip
STS_EXPIRED = _error(
    "STS_EXPIRED", OAUTH, 400, "invalid_grant", "The ID Token has expired.",
    "STS: an expired subject token", "Not published", False,
    "test_google.py::test_expired_oidc_token_is_refused",
)  # fmt: skip
STS_WRONG_ISSUER = _error(
    "STS_WRONG_ISSUER", OAUTH, 400, "invalid_grant", "The issuer in ID Token {issuer} does not match the expected ones.",
    "STS: a subject token from another issuer (another CircleCI organisation)", "Not published", False,
    "test_google.py::test_token_of_another_org_is_refused",
)  # fmt: skip
STS_WRONG_AUDIENCE = _error(
    "STS_WRONG_AUDIENCE", OAUTH, 400, "invalid_grant",
    "The audience in ID Token [{audience}] does not match the expected audience.",
    "STS: a subject token for an audience the provider does not allow", "Not published", False,
    "test_google.py::test_token_for_another_audience_is_refused",
)  # fmt: skip
STS_CONDITION = _error(
    "STS_CONDITION", OAUTH, 400, "unauthorized_client", "The given credential is rejected by the attribute condition.",
    "STS: the provider's attribute condition is false (or fails)", "Not published", False,
    "test_google.py::test_attribute_condition_is_enforced",
)  # fmt: skip

# --- IAM Service Account Credentials API (Google API error shape) --------------------------------

GET_ACCESS_TOKEN_DENIED = _error(
    "GET_ACCESS_TOKEN_DENIED", GOOGLE_API, 403, "PERMISSION_DENIED",
    "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).",
    "generateAccessToken by a principal without `iam.serviceAccounts.getAccessToken` on the account",
    "[google-github-actions/auth#526](https://github.com/google-github-actions/auth/issues/526)", True,
    "test_google.py::test_without_workload_identity_user_impersonation_is_denied",
)  # fmt: skip
IAM_UNAUTHENTICATED = _error(
    "IAM_UNAUTHENTICATED", GOOGLE_API, 401, "UNAUTHENTICATED",
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid "
    "authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
    "generateAccessToken without a valid bearer token", "Google's API error model; the wording is not published here", False,
    "test_bad_input.py::test_malformed_authorization_gets_a_4xx_never_a_500",
)  # fmt: skip
IAM_NOT_FOUND = _error(
    "IAM_NOT_FOUND", GOOGLE_API, 404, "NOT_FOUND", "Requested entity was not found.",
    "A path the IAM credentials host does not serve", FAKE, False,
)  # fmt: skip
IAM_BAD_JSON = _error(
    "IAM_BAD_JSON", GOOGLE_API, 400, "INVALID_ARGUMENT", "Invalid JSON payload received.",
    "generateAccessToken with a body that is not a JSON object", "Not published", False,
)  # fmt: skip
IAM_TOO_LARGE = _error(
    "IAM_TOO_LARGE", GOOGLE_API, 413, "INVALID_ARGUMENT", "The request body is too large.",
    "generateAccessToken with a body over 64 KiB (read only after the caller is authorised)", FAKE, False,
    "test_bad_input.py::test_oversized_bodies_from_callers_who_may_send_them",
)  # fmt: skip
IAM_LIFETIME = _error(
    "IAM_LIFETIME", GOOGLE_API, 400, "INVALID_ARGUMENT", "The access token lifetime cannot exceed 3600 seconds.",
    "generateAccessToken asking for a lifetime over an hour",
    "google-github-actions/auth's README quotes the text (reference notes §1.5); the status is not published", False,
)  # fmt: skip


# --- compatibility: plain (code, message) / (status, code, message) tuples --------------------------


def registry_body(code: str, message: str) -> bytes:
    return json.dumps({"errors": [{"code": code, "message": message}]}, separators=(",", ":")).encode()


def oauth_body(error: tuple[str, str]) -> bytes:
    return json.dumps({"error": error[0], "error_description": error[1]}).encode()


def google_api_body(error: tuple[int, str, str]) -> bytes:
    code, status, message = error
    return json.dumps({"error": {"code": code, "message": message, "status": status}}).encode()
