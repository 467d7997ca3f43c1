"""The fake's fidelity table: for each behaviour, what Artifact Registry (or Google, CircleCI,
Distribution) does, with sources, what the fake does, and the tests that show it.

docs/contributing/fake-registry.md renders these rows (docs/hooks/), with the table of every error
the fake sends (errors.py); tests/fake/test_fidelity_table.py checks that every test a row or an
error names exists. Cells are Markdown. **UNCONFIRMED** marks what no primary source shows.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    behaviour: str
    google: str  # what the real service does, with links
    fake: str  # what the fake does
    tests: tuple[str, ...]  # FILE::TEST under tests/fake/ (or tests/PATH::TEST)
    shown_by: str = ""  # instead of tests, when no one test shows it


@dataclass(frozen=True)
class Section:
    title: str
    google_header: str  # the heading of the "what the real service does" column
    rows: tuple[Row, ...]


# fmt: off
SECTIONS: tuple[Section, ...] = (
    Section(
        'Hosts and challenges',
        'Artifact Registry / Google',
        (
            Row(
                'Hostnames',
                '`LOCATION-docker.pkg.dev`, `docker.LOCATION.rep.pkg.dev`, and gcr.io hosts backed by AR repositories (`gcr.io` and `us.gcr.io` in `us`, `eu.gcr.io` in `europe`, `asia.gcr.io` in `asia`) ([names](https://cloud.google.com/artifact-registry/docs/docker/names), [gcr.io repositories](https://cloud.google.com/artifact-registry/docs/transition/setup-gcr-repo))',
                "Serves every host in `src/garauth/data/locations.toml`; the location in every resource name comes from the host; on gcr.io hosts the path is `PROJECT/IMAGE` and the repository is the host's",
                ('test_registry_http.py::test_gcr_io_path_maps_to_the_gcr_io_repository_in_us', 'test_registry_http.py::test_rep_host_serves_the_same_location'),
            ),
            Row(
                'A host that does not exist',
                'DNS answers NXDOMAIN; Go clients print `lookup HOST on RESOLVER:53: no such host`',
                'Inside `garauth sandbox`, every host above resolves to the fake through a private `/etc/hosts`, and a resolver on 127.0.0.53 answers every other name with NXDOMAIN, so a typo fails the same way and names the same resolver on every machine',
                ('test_dns.py::test_a_mistyped_host_is_no_such_host_in_the_sandbox',),
            ),
            Row(
                'TLS names',
                'Real certificates',
                'One leaf certificate listing every host explicitly (a `*.pkg.dev` wildcard would not cover `docker.X.rep.pkg.dev`), plus localhost, 127.0.0.1, ::1 and 192.0.2.10',
                (),
                shown_by='every HTTPS test',
            ),
            Row(
                '`GET /v2/` without credentials',
                '401 with `Bearer realm="https://HOST/v2/token"` and no `service` ([aactl#233](https://github.com/GoogleCloudPlatform/aactl/issues/233), [apple/container#2274](https://github.com/apple/container/issues/2274))',
                "The same, plus `Docker-Distribution-API-Version: registry/2.0`. Body `not authenticated: No credential was supplied.`: **UNCONFIRMED** (a third-party simulator's claim)",
                ('test_registry_http.py::test_ping_without_credentials_is_a_realm_only_challenge',),
            ),
            Row(
                '401 on a repository path',
                'Challenge with `service="HOST"` and `scope="repository:PATH:pull"` ([docker/setup-buildx-action#79](https://github.com/docker/setup-buildx-action/issues/79))',
                'The same (`pull,push` for pushes). Body `not authenticated: No valid credential was supplied.`: **UNCONFIRMED**',
                ('test_registry_http.py::test_repository_challenge_has_service_and_scope',),
            ),
            Row(
                '`service` on `/v2/token`',
                'Clients send it empty or leave it out, and AR answers ([aactl#233](https://github.com/GoogleCloudPlatform/aactl/issues/233))',
                'Ignored',
                ('test_registry_http.py::test_token_without_service_param_or_with_empty_service',),
            ),
        ),
    ),
    Section(
        'Credentials at the token endpoint',
        'Artifact Registry / Google',
        (
            Row(
                'Usernames',
                '`_json_key` (raw key JSON), `_json_key_base64`, and for an access token `oauth2accesstoken`, `_token`, `_dcgcloud_token`, `_dcgcr_X_Y_Z_token` ([docker/login-action](https://github.com/docker/login-action), [container registry auth](https://cloud.google.com/container-registry/docs/advanced-authentication), [docker-credential-gcr#129](https://github.com/GoogleCloudPlatform/docker-credential-gcr/issues/129))',
                'Exactly these; `_dcgcr_` needs three digit groups. Whether AR matches a list or a pattern: **UNCONFIRMED**',
                ('test_registry_http.py::test_token_with_access_token_usernames', 'test_clients.py::test_python_dxf_pull', 'test_clients.py::test_oras_pull'),
            ),
            Row(
                'Any other username',
                '401 `UNAUTHORIZED` `No valid credential was supplied.` (seen for `_dcgcr__token`, [docker-credential-gcr#129](https://github.com/GoogleCloudPlatform/docker-credential-gcr/issues/129))',
                'The same body',
                ('test_registry_http.py::test_token_with_other_usernames_is_refused',),
            ),
            Row(
                'Key that does not parse (base64 sent as `_json_key`, raw JSON as `_json_key_base64`, quotes around the key)',
                'gcr.io answers `Unable to parse json key.`, which Docker prints as `unknown: ...` ([whoan/docker-build-with-cache-action#50](https://github.com/whoan/docker-build-with-cache-action/issues/50))',
                '401 `UNKNOWN` `Unable to parse json key.` on every host. The text on pkg.dev hosts and the status: **UNCONFIRMED**',
                ('test_registry_http.py::test_base64_key_sent_as_json_key_cannot_be_parsed', 'test_registry_http.py::test_raw_key_sent_as_json_key_base64_cannot_be_parsed', 'test_registry_http.py::test_quoted_key_cannot_be_parsed'),
            ),
            Row(
                'Key accepted',
                'A live key of an enabled service account',
                'The key must parse, have `type` `service_account`, and name a live `private_key_id` of its `client_email`. Its private key must match the registered public key, and the account must be enabled',
                ('test_state.py::test_live_key_is_accepted_and_refused_after_delete', 'test_registry_http.py::test_key_with_matching_id_but_other_private_key_is_refused'),
            ),
            Row(
                'Deleted key, disabled account, unknown or expired access token',
                'Not published (§4.2, §4.8)',
                "401 `UNAUTHORIZED` `authentication failed`: **UNCONFIRMED** (the simulator's text for a bogus token)",
                ('test_registry_http.py::test_deleted_key_is_refused', 'test_registry_http.py::test_disabled_account_is_refused', 'test_registry_http.py::test_expired_access_token_is_refused', 'test_registry_http.py::test_bogus_access_token_fails_authentication'),
            ),
            Row(
                'Token response',
                "At least `token`: a public script reads `data['token']` (§1.3); gcr.io was seen sending `expires_in: 43200`",
                '`token`, `access_token`, `expires_in` (3600) and `issued_at`. Field set and lifetime: **UNCONFIRMED**',
                ('test_registry_http.py::test_token_with_json_key',),
            ),
            Row(
                '`POST /v2/token`',
                'Not published',
                "405: **UNCONFIRMED** (simulator's claim)",
                ('test_registry_http.py::test_token_endpoint_is_get_only',),
            ),
            Row(
                'Basic credentials sent straight to manifests, blobs or tags',
                'Accepted ([docker-credential-gcr#129](https://github.com/GoogleCloudPlatform/docker-credential-gcr/issues/129))',
                'Accepted, with the same checks and the same refusals',
                ('test_registry_http.py::test_basic_credentials_straight_to_the_data_plane',),
            ),
            Row(
                'OAuth access token as a bearer on the data plane',
                'The Docker API page says an access token can be used for requests ([docker-api](https://cloud.google.com/artifact-registry/docs/reference/docker-api))',
                'Accepted',
                ('test_registry_http.py::test_access_token_as_bearer_on_the_data_plane',),
            ),
            Row(
                'What a registry token stands for',
                'Not published',
                'The principal it was issued to; permissions are checked again on every request, so removing a role takes effect at once: **UNCONFIRMED**',
                ('test_registry_http.py::test_role_removed_after_token_issued_is_denied_on_the_data_plane',),
            ),
        ),
    ),
    Section(
        'Denials',
        'Artifact Registry / Google',
        (
            Row(
                'Missing role',
                '403 `DENIED` `Permission "artifactregistry.repositories.downloadArtifacts" denied on resource "projects/P/locations/L/repositories/R" (or it may not exist)` ([terraform-google-kubernetes-engine#1779](https://github.com/terraform-google-modules/terraform-google-kubernetes-engine/issues/1779), [skaffold#6743](https://github.com/GoogleContainerTools/skaffold/issues/6743)); `uploadArtifacts` for pushes ([cymbal-superstore#4](https://github.com/GoogleCloudPlatform/cymbal-superstore/pull/4))',
                'The same text',
                ('test_registry_http.py::test_outsider_is_denied_at_the_token_endpoint', 'test_registry_http.py::test_reader_push_scope_is_denied_upload', 'test_clients.py::test_dxf_push_by_writer_and_refused_for_reader'),
            ),
            Row(
                'Where the denial comes from',
                'go-containerregistry shows it at `/v2/token` ([skaffold#6743](https://github.com/GoogleContainerTools/skaffold/issues/6743)); Docker shows it on `Head .../manifests/...` ([#1779](https://github.com/terraform-google-modules/terraform-google-kubernetes-engine/issues/1779))',
                "From the token endpoint, for each requested action, pull checked before push. Docker's form fits this, because Go's HTTP client reports a failed token fetch under the URL of the request that needed it. The data plane checks again, with the same text. Which side AR uses: **UNCONFIRMED**",
                ('test_registry_http.py::test_outsider_is_denied_at_the_token_endpoint', 'test_registry_http.py::test_outsider_basic_credentials_on_the_data_plane_are_denied'),
            ),
            Row(
                'No credential on a private repository',
                '403 `DENIED` `Unauthenticated request. Unauthenticated requests do not have permission "..." on resource "..." (or it may not exist)` ([aactl#233](https://github.com/GoogleCloudPlatform/aactl/issues/233), [fuzzbench#1981](https://github.com/google/fuzzbench/issues/1981))',
                'The same text from the token endpoint; the data plane answers 401 with a challenge',
                ('test_registry_http.py::test_anonymous_token_for_a_private_repository_is_denied_unauthenticated',),
            ),
            Row(
                'Push with no credential',
                'Seen naming `downloadArtifacts` ([google-github-actions/auth#50](https://github.com/google-github-actions/auth/issues/50), [pulumi/actions#28](https://github.com/pulumi/actions/issues/28)); a push after `configure-docker` without the regional host was seen naming `uploadArtifacts` ([cymbal-superstore#4](https://github.com/GoogleCloudPlatform/cymbal-superstore/pull/4)). Which one when: **UNCONFIRMED**',
                'The same, because pull is checked first',
                ('test_registry_http.py::test_anonymous_push_names_the_download_permission',),
            ),
            Row(
                'Missing repository, wrong location',
                'The same denial as a missing role; the location comes from the host (§4.6, partly **UNCONFIRMED**)',
                "The same denial, naming the host's location",
                ('test_registry_http.py::test_missing_repository_is_denied_like_a_missing_role', 'test_registry_http.py::test_wrong_location_is_denied_naming_the_hosts_location', 'test_clients.py::test_dxf_wrong_location_is_denied'),
            ),
            Row(
                'Path without a repository segment',
                '400 `NAME_INVALID` `Missing image name. Pushes should be of the form docker push HOST-NAME/PROJECT-ID/REPOSITORY/IMAGE` ([docker/build-push-action#171](https://github.com/docker/build-push-action/issues/171))',
                'The same, from the data plane, and from the token endpoint for such a scope unless it is a pull of a repository the caller may read (a listing, see Tags below). Which one AR uses: **UNCONFIRMED**',
                ('test_registry_http.py::test_path_without_repository_segment_is_name_invalid',),
            ),
            Row(
                'Public repository',
                'Readable without credentials once `allUsers` has the Reader role ([fuzzbench#1981](https://github.com/google/fuzzbench/issues/1981))',
                '`public=True` adds that binding; anonymous tokens are issued only for such repositories',
                ('test_registry_http.py::test_anonymous_pull_from_a_public_repository',),
            ),
            Row(
                'Roles',
                'Reader can download, Writer can also upload; bindings on the project or the repository ([roles](https://cloud.google.com/iam/docs/roles-permissions/artifactregistry))',
                'The same (also repoAdmin, admin, createOnPushWriter)',
                ('test_state.py::test_iam_on_repository_and_project', 'test_registry_http.py::test_project_level_binding_grants_every_repository'),
            ),
        ),
    ),
    Section(
        'Images',
        'Registry API',
        (
            Row(
                'Manifests',
                'GET and HEAD by tag or digest, `Docker-Content-Digest`, `Content-Type` = media type ([distribution spec](https://github.com/opencontainers/distribution-spec/blob/main/spec.md))',
                'The same; OCI and Docker schema 2 manifests and indexes',
                ('test_registry_http.py::test_manifest_head_by_tag_and_get_by_digest',),
            ),
            Row(
                'A missing tag',
                '404 `MANIFEST_UNKNOWN` `Failed to fetch "TAG"`, which Docker prints as `manifest unknown: Failed to fetch "1"` ([firezone#10484](https://github.com/firezone/firezone/issues/10484))',
                'The same; the same form for a missing digest: **UNCONFIRMED**',
                ('test_fidelity.py::test_a_missing_tag_is_failed_to_fetch',),
            ),
            Row(
                '`Accept` that rules out what is stored',
                'Distribution refuses an OCI manifest or index the client does not accept with 404 `MANIFEST_UNKNOWN` (`OCI index found, but accept header does not support OCI indexes`), rewrites a Docker manifest list only when fetched by tag (to its linux/amd64 image), and never rewrites a fetch by digest ([registry/handlers/manifests.go](https://github.com/distribution/distribution/blob/main/registry/handlers/manifests.go)); AR: not published',
                "As Distribution: **UNCONFIRMED** for AR. No `Accept` header, or `*/*`, gets what is stored (the fake's choice, after HTTP; Distribution then accepts only Docker types)",
                ('test_fidelity.py::test_an_oci_index_by_digest_with_a_docker_only_accept_is_refused_not_rewritten', 'test_fidelity.py::test_a_docker_list_is_rewritten_by_tag_but_never_by_digest', 'test_fidelity.py::test_no_accept_or_a_wildcard_gets_what_is_stored', 'test_registry_http.py::test_oci_index_is_refused_to_a_client_that_does_not_accept_it'),
            ),
            Row(
                'Blobs',
                'A blob GET is answered with 302 to a relative `Location` on the same host, `/artifacts-downloads/namespaces/PROJECT/repositories/REPO/downloads/SIGNED`, which serves the blob without an `Authorization` header ([serverless-registry-proxy#8](https://github.com/ahmetb/serverless-registry-proxy/issues/8), [#45](https://github.com/ahmetb/serverless-registry-proxy/issues/45)); HEAD and `Range` as in the distribution spec',
                'The same, with a token signed by the running fake, valid 15 minutes (lifetime and the refusal of a bad URL, 403 `DENIED`: **UNCONFIRMED**). So `curl` without `-L` gets an empty 302, as from AR. The download is on the same host, so nothing new needs routing. skopeo, podman (Go), curl `-L`, requests and httpx all send `Authorization` on after the redirect (they drop it only when the host changes); AR does not need it',
                ('test_fidelity.py::test_a_blob_get_redirects_and_the_download_needs_no_credential', 'test_fidelity.py::test_python_clients_send_authorization_on_after_the_redirect', 'test_fidelity.py::test_curl_without_location_gets_an_empty_302_and_with_it_sends_authorization_on', 'test_fidelity.py::test_skopeo_and_podman_follow_the_redirect_and_mount', 'test_registry_http.py::test_blob_get_head_and_range'),
            ),
            Row(
                'Tags',
                "`tags/list` with `n` and `last`; AR adds `child` and `manifest` (digest → `imageSizeBytes`, `mediaType`, `tag`, `timeCreatedMs`, `timeUploadedMs`) ([go-containerregistry#1297](https://github.com/google/go-containerregistry/issues/1297), [pkg/v1/google/list.go](https://github.com/google/go-containerregistry/blob/main/pkg/v1/google/list.go)), and answers at `PROJECT/REPO`, listing the repository's images as children ([go-containerregistry#1643](https://github.com/google/go-containerregistry/issues/1643))",
                'The same; a token for `repository:PROJECT/REPO:pull` is granted to a reader of the repository, any other two-segment scope is `NAME_INVALID`. An unknown image is 404 `NAME_UNKNOWN`; how AR counts `imageSizeBytes`: **UNCONFIRMED**',
                ('test_registry_http.py::test_tags_list_pagination', 'test_fidelity.py::test_tags_list_at_the_repository_lists_its_images', 'test_fidelity.py::test_tags_list_carries_manifest_and_child', 'test_fidelity.py::test_a_repository_level_scope_is_granted_only_for_pull_of_a_readable_repository'),
            ),
            Row(
                '`tags/list?n=`',
                'Distribution: `n=0` is an empty list without `Link`; a negative or unparseable `n` is 400 `PAGINATION_NUMBER_INVALID` `invalid number of results requested` ([registry/handlers/tags.go](https://github.com/distribution/distribution/blob/main/registry/handlers/tags.go)); AR: not published',
                'As Distribution: **UNCONFIRMED** for AR (before: a 500 with a plain-text body)',
                ('test_bad_input.py::test_tags_list_n_zero_is_an_empty_page', 'test_bad_input.py::test_tags_list_bad_n_is_pagination_number_invalid'),
            ),
            Row(
                'Push',
                'Monolithic (POST with `digest`), chunked (POST, PATCH, PUT), manifest PUT',
                "The same; a digest mismatch is `DIGEST_INVALID`, a manifest that names missing blobs is `MANIFEST_BLOB_UNKNOWN`, a bad tag is `TAG_INVALID`. AR's exact texts: **UNCONFIRMED**",
                ('test_registry_http.py::test_monolithic_push_then_pull', 'test_registry_http.py::test_chunked_push', 'test_bad_input.py::test_a_bad_tag_is_tag_invalid', 'test_clients.py::test_oras_push_by_writer'),
            ),
            Row(
                'Cross-repository mount',
                'The token server may grant a subset of the requested access ([Distribution token spec](https://distribution.github.io/distribution/spec/auth/token/)); a mount the registry cannot do falls back to an upload session, 202 ([distribution spec](https://github.com/opencontainers/distribution-spec/blob/main/spec.md#mounting-a-blob-from-another-repository))',
                "The first scope of a token request is checked as before (a refusal names its permission); a further scope (a mount's source) the caller may not read is dropped, not refused: **UNCONFIRMED** for AR. skopeo's copy between two repositories mounts",
                ('test_fidelity.py::test_a_two_scope_token_request_grants_the_part_allowed', 'test_fidelity.py::test_a_mount_from_an_unreadable_repository_falls_back_to_an_upload', 'test_fidelity.py::test_skopeo_and_podman_follow_the_redirect_and_mount', 'test_registry_http.py::test_cross_repository_mount'),
            ),
            Row(
                'Malformed manifests',
                'Distribution refuses them with 400 `MANIFEST_INVALID` `manifest invalid`, and manifests over 4 MiB likewise',
                'The same (bad JSON or UTF-8, wrong `schemaVersion`, descriptors that are not descriptors, an index without `manifests`, a `Content-Type` that differs from `mediaType`): **UNCONFIRMED** for AR',
                ('test_bad_input.py::test_malformed_manifests_are_manifest_invalid', 'test_bad_input.py::test_oversized_bodies_from_callers_who_may_send_them'),
            ),
            Row(
                'Malformed credentials and headers',
                '401 `UNAUTHORIZED` `No valid credential was supplied.` for a Basic value that does not decode; `Unable to parse json key.` for a key that does not parse (rows above)',
                'The same for every malformed `Authorization` value (not base64, not UTF-8, no colon, a 5,000-digit number as the key); never a 500',
                ('test_bad_input.py::test_malformed_authorization_gets_a_4xx_never_a_500', 'test_bad_input.py::test_malformed_basic_credentials_get_ars_texts'),
            ),
            Row(
                'Bodies',
                'Not published',
                'Read only after the credential is checked, within a cap; past it 413 and the connection is closed (see "Running it")',
                ('test_bad_input.py::test_oversized_bodies_are_refused_before_they_are_read', 'test_bad_input.py::test_memory_stays_bounded_under_malformed_and_oversized_input'),
            ),
            Row(
                'Many clients at once',
                '—',
                '32 parallel pulls, digests verified',
                ('test_clients.py::test_32_parallel_pulls',),
            ),
        ),
    ),
    Section(
        'OAuth 2.0 token endpoint (`oauth2.googleapis.com/token`)',
        'Google',
        (
            Row(
                'JWT-bearer grant',
                'A form with `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` and an RS256 assertion signed by the key ([service-account OAuth](https://developers.google.com/identity/protocols/oauth2/service-account))',
                "The signature is checked with google-auth's own verifier against the key's public key; iat and exp are checked on the real clock",
                ('test_google.py::test_service_account_credentials_mint_a_token_that_pulls',),
            ),
            Row(
                'Response',
                '`access_token`, `expires_in` (3599), `token_type` `Bearer`; default lifetime one hour ([print-access-token](https://cloud.google.com/sdk/gcloud/reference/auth/print-access-token))',
                'The same; tokens start `ya29.`',
                ('test_google.py::test_oauth_token_response_shape',),
            ),
            Row(
                'Deleted key',
                '400 `{"error":"invalid_grant","error_description":"Invalid JWT Signature."}` ([crossplane-contrib/provider-jet-gcp#56](https://github.com/crossplane-contrib/provider-jet-gcp/issues/56), [setup-gcloud#76](https://github.com/google-github-actions/setup-gcloud/issues/76))',
                'The same',
                ('test_google.py::test_deleted_key_gets_invalid_jwt_signature',),
            ),
            Row(
                'Disabled account',
                'Not published',
                '400 `invalid_grant` `Invalid grant: account not found`: **UNCONFIRMED**',
                ('test_google.py::test_disabled_account_cannot_get_a_token',),
            ),
            Row(
                'Tokens of an account disabled later',
                'Not published',
                'Refused from then on: **UNCONFIRMED**',
                ('test_google.py::test_token_of_a_later_disabled_account_stops_working',),
            ),
            Row(
                'Assertion too old, too long-lived, or for another audience',
                'Not published here',
                "`invalid_grant` with the fake's own wording: **UNCONFIRMED**",
                (),
            ),
            Row(
                'Assertion without a scope',
                '400 `{"error":"invalid_scope","error_description":"Invalid OAuth scope or ID token audience provided."}` ([gce-rescue#42](https://github.com/GoogleCloudPlatform/gce-rescue/issues/42), [dask-cloudprovider#448](https://github.com/dask/dask-cloudprovider/issues/448)); in 2017 the text was `Empty or missing scope not allowed.` ([google-auth-library-python#217](https://github.com/googleapis/google-auth-library-python/issues/217))',
                'The same, so a Python snippet that forgets `scopes=` fails here as for users',
                ('test_fidelity.py::test_a_jwt_grant_without_scopes_is_invalid_scope',),
            ),
        ),
    ),
    Section(
        'Workload Identity Federation',
        'Google / CircleCI',
        (
            Row(
                'Credential configuration',
                '`external_account` with the provider audience (project **number**), STS token URL, impersonation URL and `credential_source.file` ([CircleCI OIDC tokens](https://circleci.com/docs/openid-connect-tokens/))',
                "google-auth's `identity_pool.Credentials`, unmodified, completes the flow and the token pulls",
                ('test_google.py::test_identity_pool_credentials_complete_the_flow_and_pull',),
            ),
            Row(
                "CircleCI's token",
                '`iss` `https://oidc.circleci.com/org/ORG`, `aud` = org ID, V1/V2 `sub`, one-hour expiry, `oidc.circleci.com/project-id` ([CircleCI OIDC tokens](https://circleci.com/docs/openid-connect-tokens/))',
                '`mint_circleci_token` makes such tokens. The issuer serves discovery and JWKS; the JWKS path `/.well-known/jwks-pub.json` is **UNCONFIRMED**',
                ('test_google.py::test_issuer_discovery_and_jwks',),
            ),
            Row(
                "GitHub's token",
                "`iss` `https://token.actions.githubusercontent.com`, `aud` the owner's URL by default (google-github-actions/auth asks for `https://iam.googleapis.com/` + the provider), `sub` `repo:OWNER/REPO:ref:REF`, `repository` and `repository_owner` claims ([GitHub OIDC reference](https://docs.github.com/en/actions/reference/security/oidc)); five minutes' life (the [auth README](https://github.com/google-github-actions/auth#inputs-workload-identity-federation); GitHub does not document it)",
                "`github_oidc.mint_github_token` makes such tokens, signed with the fake's issuer key; the issuer serves discovery at `/.well-known/openid-configuration` and keys at `/.well-known/jwks` (path **UNCONFIRMED**); other paths 404 with the fake's own body (**UNCONFIRMED**)",
                ('test_github_oidc.py::test_discovery_document_and_keys_verify_a_minted_token', 'test_github_oidc.py::test_github_token_exchanges_for_an_access_token_that_pulls', 'test_github_oidc.py::test_the_token_expires_after_five_minutes'),
            ),
            Row(
                "GitLab's ID token",
                '`iss` the instance URL (`https://gitlab.com`), `sub` `project_path:GROUP/PROJECT:ref_type:TYPE:ref:REF`, `aud` from `id_tokens:`, GitLab\'s claims (`namespace_path`, `project_path`, `ref`, ...) ([ID token authentication](https://docs.gitlab.com/ci/secrets/id_token_authentication/))',
                '`mint_gitlab_token` makes such tokens, STS trusts them; lifetime one hour and the JWKS path `/oauth/discovery/keys`: **UNCONFIRMED**',
                ('test_gitlab_bitbucket_oidc.py::test_a_gitlab_id_token_is_exchanged_and_pulls', 'test_gitlab_bitbucket_oidc.py::test_discovery_and_keys'),
            ),
            Row(
                "Bitbucket's step token",
                '`iss` `https://api.bitbucket.org/2.0/workspaces/WORKSPACE/pipelines-config/identity/oidc`, `aud` `ari:cloud:bitbucket::workspace/UUID`, `sub` `{REPOSITORY_UUID}:{STEP_UUID}` ([Bitbucket OIDC](https://support.atlassian.com/bitbucket-cloud/docs/integrate-pipelines-with-resource-servers-using-oidc/))',
                '`mint_bitbucket_token` makes such tokens, STS trusts them; the other claim names and the one-hour lifetime: **UNCONFIRMED**',
                ('test_gitlab_bitbucket_oidc.py::test_a_bitbucket_step_token_is_exchanged_and_pulls',),
            ),
            Row(
                'Token file ending in a newline',
                "Vendors' documented flows write the token with `echo TOKEN > FILE` for `credential_source.file` ([CircleCI OIDC tokens](https://circleci.com/docs/openid-connect-tokens/)), and google-auth sends the file's content as it is",
                'Accepted: whitespace around `subject_token` is ignored. That STS does exactly this: **UNCONFIRMED**',
                ('test_gitlab_bitbucket_oidc.py::test_a_token_file_written_with_echo_is_accepted',),
            ),
            Row(
                'Pool named with the project ID',
                'A 400 "invalid audience" ([google-github-actions/auth#269](https://github.com/google-github-actions/auth/issues/269)); the text `Invalid value for "audience". This value should be the full resource name of the Identity Provider. ...` was seen for a malformed audience ([auth#60](https://github.com/google-github-actions/auth/issues/60))',
                '400 `invalid_request` with that text. That a project ID gets exactly this: **UNCONFIRMED**',
                ('test_google.py::test_pool_written_with_the_project_id_is_refused',),
            ),
            Row(
                'Missing or disabled pool or provider',
                '400 `invalid_target` `The target service indicated by the "audience" parameters is invalid. ...` ([google-github-actions/auth#161](https://github.com/google-github-actions/auth/issues/161))',
                'The same',
                ('test_google.py::test_unknown_provider_is_invalid_target',),
            ),
            Row(
                '`google.subject` over 127 bytes',
                "`The size of mapped attribute google.subject exceeds the 127 bytes limit. ...` (CircleCI's GAR guide, [CircleCI OIDC docs](https://circleci.com/docs/openid-connect-tokens/))",
                'The same text, error code `invalid_request`: code **UNCONFIRMED**',
                ('test_google.py::test_long_v2_subject_exceeds_the_127_byte_limit',),
            ),
            Row(
                'Attribute mapping and condition',
                'CEL expressions ([WIF mapping](https://cloud.google.com/iam/docs/workload-identity-federation#mapping))',
                "A subset: `assertion.x`, `assertion['x']`, `+`, `==`, `!=`, `&&`, the or operator, `!`, `in`, lists, `.extract()`, `.startsWith()`, `.endsWith()`, `.contains()`",
                ('test_state.py::test_cel_subset', 'test_google.py::test_v2_token_with_the_v2_provider', 'test_google.py::test_attribute_condition_is_enforced'),
            ),
            Row(
                'Wrong issuer, audience or signature; expired token; condition false',
                'Refused',
                "Refused with the fake's own texts: **UNCONFIRMED**",
                ('test_google.py::test_token_of_another_org_is_refused', 'test_google.py::test_token_for_another_audience_is_refused', 'test_google.py::test_forged_token_signed_by_another_key_is_refused', 'test_google.py::test_expired_oidc_token_is_refused'),
            ),
            Row(
                'Default allowed audience (provider with none set)',
                "The provider's resource name with `https:` in front (Google's WIF docs; not re-read for this table: **UNCONFIRMED**)",
                '`https://iam.googleapis.com/...` or `//iam.googleapis.com/...`',
                (),
            ),
            Row(
                'Impersonation',
                "`generateAccessToken` needs `iam.serviceAccounts.getAccessToken` (Workload Identity User or Token Creator) for the `principalSet://` or `principal://` member ([generateAccessToken](https://cloud.google.com/iam/docs/reference/credentials/rest/v1/projects.serviceAccounts/generateAccessToken)); the refusal reads `Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).` ([google-github-actions/auth#526](https://github.com/google-github-actions/auth/issues/526))",
                '403 `PERMISSION_DENIED` with that text; the response is `accessToken` and `expireTime`',
                ('test_google.py::test_without_workload_identity_user_impersonation_is_denied', 'test_google.py::test_principal_binding_for_one_subject'),
            ),
            Row(
                'Federated token used without impersonation',
                "IAM lets `principal://` and `principalSet://` members hold roles on resources directly ([WIF access management](https://cloud.google.com/iam/docs/workload-identity-federation#access_management)); whether AR's Docker endpoint accepts an STS token as a password: **UNCONFIRMED**",
                'Accepted when the federated principal holds a role on the repository',
                ('test_google.py::test_federated_token_without_impersonation_pulls_when_bound_directly',),
            ),
        ),
    ),
)
# fmt: on
