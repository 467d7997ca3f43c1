"""The demo state `garauth fake-registry` starts with, and the names tests and docs refer to.

Project `demo-project` (number 123456789012) with:
- `demo-repo` in us-central1 (private): hello:1.0 (OCI image) and hello:multi (image index);
- `demo-eu` in the `europe` multi-region (private): hello:1.0;
- `gcr.io` in `us` (the repository behind gcr.io/demo-project/...): hello:1.0;
- `public-repo` in us-central1, readable by allUsers: hello:1.0.
Service accounts: reader (roles/artifactregistry.reader on demo-repo, demo-eu and gcr.io), writer
(roles/artifactregistry.writer on demo-repo), outsider (no role), and owner (roles/owner on the
project: the identity the guide's gcloud commands run as in tests; it has no key until one is made).
Workload Identity: pool `circleci` with OIDC provider `circleci` for the CircleCI org ORG_ID
(issuer https://oidc.circleci.com/org/ORG_ID, allowed audience ORG_ID, CircleCI's suggested
mapping); principals of that org may impersonate reader (roles/iam.workloadIdentityUser). A
second provider `circleci-v2` maps google.subject as CircleCI's GAR guide suggests for V2 tokens.
"""

from __future__ import annotations

from garauth.fake import images
from garauth.fake.oidc import issuer_url
from garauth.fake.state import OWNER_ROLE, READER, WORKLOAD_IDENTITY_USER, WRITER, State

PROJECT = "demo-project"
PROJECT_NUMBER = "123456789012"
LOCATION = "us-central1"
REPO = "demo-repo"
EU_REPO = "demo-eu"
PUBLIC_REPO = "public-repo"
ORG_ID = "5f6d3c2a-8b1e-4d7f-9a20-6c4e1b7d9f31"  # a made-up CircleCI organisation ID
CIRCLECI_PROJECT_ID = "0e4b9c57-2d1a-4f3e-8b6c-7a9d2e1f4c80"  # a made-up CircleCI project ID
POOL_ID = "circleci"
PROVIDER_ID = "circleci"
PROVIDER_V2_ID = "circleci-v2"
ACCOUNTS = ("reader", "writer", "outsider")
OWNER = "owner"  # roles/owner on the project; the fake writes no key file for it

MAPPING = {
    "google.subject": "assertion.sub",
    "attribute.org_id": "assertion.aud",
    "attribute.project": "assertion['oidc.circleci.com/project-id']",
}
MAPPING_V2 = {
    "google.subject": "assertion.aud + '/' + assertion.sub.extract('/user/{user_id}/')",
    "attribute.org_id": "assertion.aud",
    "attribute.project": "assertion['oidc.circleci.com/project-id']",
}


def email(account: str) -> str:
    return f"{account}@{PROJECT}.iam.gserviceaccount.com"


def pool_name() -> str:
    return f"projects/{PROJECT_NUMBER}/locations/global/workloadIdentityPools/{POOL_ID}"


def provider_name(provider_id: str = PROVIDER_ID) -> str:
    return f"{pool_name()}/providers/{provider_id}"


def org_member() -> str:
    return f"principalSet://iam.googleapis.com/{pool_name()}/attribute.org_id/{ORG_ID}"


IMAGES = (
    f"{LOCATION}-docker.pkg.dev/{PROJECT}/{REPO}/hello:1.0",
    f"{LOCATION}-docker.pkg.dev/{PROJECT}/{REPO}/hello:multi",
    f"docker.{LOCATION}.rep.pkg.dev/{PROJECT}/{REPO}/hello:1.0",
    f"europe-docker.pkg.dev/{PROJECT}/{EU_REPO}/hello:1.0",
    f"gcr.io/{PROJECT}/hello:1.0",
    f"us-docker.pkg.dev/{PROJECT}/gcr.io/hello:1.0",
    f"{LOCATION}-docker.pkg.dev/{PROJECT}/{PUBLIC_REPO}/hello:1.0",
)


def seed(state: State) -> dict[str, dict]:
    """Fill an empty state with the demo; return the key files made, by account name."""
    state.add_project(PROJECT, PROJECT_NUMBER)
    repo = state.add_repository(PROJECT, LOCATION, REPO)
    eu = state.add_repository(PROJECT, "europe", EU_REPO)
    gcr = state.add_repository(PROJECT, "us", "gcr.io")
    public = state.add_repository(PROJECT, LOCATION, PUBLIC_REPO, public=True)
    images.store_hello(state, repo)
    for other in (eu, gcr, public):
        images.store_hello(state, other, index_tag=None)
    keys = {}
    for account in ACCOUNTS:
        state.add_service_account(PROJECT, account)
        state.service_accounts[email(account)]["demo"] = True  # the fake keeps keys/ACCOUNT.json
        keys[account] = state.create_key(email(account))
    for resource in (repo, eu, gcr):
        state.grant(resource, READER, f"serviceAccount:{email('reader')}")
    state.grant(repo, WRITER, f"serviceAccount:{email('writer')}")
    pool = state.add_pool(PROJECT_NUMBER, POOL_ID)
    condition = f"attribute.org_id == '{ORG_ID}'"
    state.add_oidc_provider(pool, PROVIDER_ID, issuer_url(ORG_ID), [ORG_ID], MAPPING, condition)
    state.add_oidc_provider(pool, PROVIDER_V2_ID, issuer_url(ORG_ID), [ORG_ID], MAPPING_V2, condition)
    state.grant(f"projects/{PROJECT}/serviceAccounts/{email('reader')}", WORKLOAD_IDENTITY_USER, org_member())
    seed_owner(state)
    state.ensure_issuer_key()
    return keys


def seed_owner(state: State) -> None:
    """The project owner the guide's gcloud commands run as (a service account with roles/owner)."""
    state.add_service_account(PROJECT, OWNER)
    state.grant(f"projects/{PROJECT}", OWNER_ROLE, f"serviceAccount:{email(OWNER)}")


def seed_bare(state: State) -> None:
    """The tutorial's starting point, "from nothing": project PROJECT (number PROJECT_NUMBER), its
    owner (the reader of the tutorial, who runs its gcloud commands) and the OIDC issuer's key;
    no repository, other account, key, binding or pool."""
    state.add_project(PROJECT, PROJECT_NUMBER)
    seed_owner(state)
    state.ensure_issuer_key()


def credential_config(
    token_file: str, provider_id: str = PROVIDER_ID, account: str = "reader", project: str = PROJECT_NUMBER
) -> dict:
    """A WIF credential configuration as CircleCI documents it (reference §6.4)."""
    from garauth import data

    ep = data.endpoints()
    pool = f"projects/{project}/locations/global/workloadIdentityPools/{POOL_ID}"
    return {
        "type": "external_account",
        "audience": f"//iam.googleapis.com/{pool}/providers/{provider_id}",
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
        "token_url": f"https://{ep['sts']}/v1/token",
        "service_account_impersonation_url": (
            f"https://{ep['iamcredentials']}/v1/projects/-/serviceAccounts/{email(account)}:generateAccessToken"
        ),
        "credential_source": {"file": token_file},
    }
