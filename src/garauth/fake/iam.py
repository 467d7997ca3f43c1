"""IAM v1 (iam.googleapis.com): service accounts, their keys and IAM policies, and (through
workload_pools.py) Workload Identity pools and providers.

What the guide's gcloud commands call (paths from gcloud's generated IAM v1 client):
- `iam service-accounts create`: POST /v1/projects/P/serviceAccounts {accountId, serviceAccount}
  https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts/create
- `iam service-accounts keys create|list|delete`: POST|GET /v1/projects/-/serviceAccounts/EMAIL/keys,
  DELETE .../keys/KEY_ID
  https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts.keys
- `iam service-accounts add-iam-policy-binding`: POST .../serviceAccounts/EMAIL:getIamPolicy, then
  :setIamPolicy https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts/setIamPolicy

With the `-` wildcard for the project, a missing account is answered 403 PERMISSION_DENIED, not
404 (the keys.create reference page says so). The private key goes only into the create
response's `privateKeyData` (base64 of the key file); the fake keeps only the public key.
"""

from __future__ import annotations

import base64

from garauth import keyfile
from garauth.fake.googleapi import (
    IAM_DENIED,
    INVALID,
    Call,
    ErrorText,
    policy_body,
    route,
    set_policy,
    timestamp,
)
from garauth.fake.state import AlreadyExists, Invalid, NotFound
from garauth.fake.workload_pools import WorkloadPools

# GoogleCloudPlatform/java-docs-samples#3605 shows the body (409, ALREADY_EXISTS).
ACCOUNT_EXISTS = ErrorText(
    409,
    "ALREADY_EXISTS",
    "{detail}",
    "https://github.com/GoogleCloudPlatform/java-docs-samples/issues/3605",
    True,
)
UNKNOWN_ACCOUNT = ErrorText(404, "NOT_FOUND", "Unknown service account", "", False)
UNKNOWN_KEY = ErrorText(404, "NOT_FOUND", "Service account key {name} does not exist.", "", False)
KEY_TYPE = ErrorText(
    400,
    "INVALID_ARGUMENT",
    "The fake makes JSON keys (TYPE_GOOGLE_CREDENTIALS_FILE) only, not {kind}.",
    "",
    False,
)

# https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts.keys#ServiceAccountKey
NEVER_EXPIRES = "9999-12-31T23:59:59Z"  # validBeforeTime of a key made without an expiry
# Google gives every service account this etag (it is not a policy etag); UNCONFIRMED.
ACCOUNT_ETAG = "MDEwMjE5MjA="


def account_roles(role: str) -> bool:
    """Roles a service account's policy takes: IAM's own and the basic ones."""
    return role.startswith("roles/iam.") or role in ("roles/owner", "roles/editor", "roles/viewer")


class Iam(WorkloadPools):
    # --- service accounts ----------------------------------------------------------------------

    def _account(self, call: Call, project: str, account: str, permission: str) -> tuple[str, dict]:
        """(email, record) of the account a path names, once the caller may `permission` on it."""
        email = self.state.find_service_account(account)
        record = self.state.service_accounts.get(email or "")
        if record is None:
            if project == "-":
                raise IAM_DENIED(permission=permission)
            self.require(call, permission, self._project_resource(project), IAM_DENIED(permission=permission))
            raise UNKNOWN_ACCOUNT()
        if project not in ("-", record["project"], self.state.projects[record["project"]]["number"]):
            raise UNKNOWN_ACCOUNT()
        resource = f"projects/{record['project']}/serviceAccounts/{email}"
        self.require(call, permission, resource, IAM_DENIED(permission=permission))
        return email, record

    def _project_resource(self, project: str) -> str:
        try:
            return f"projects/{self.state.project(project)[0]}"
        except NotFound:
            return f"projects/{project}"

    def _account_body(self, email: str) -> dict:
        record = self.state.service_accounts[email]
        body = {
            "name": f"projects/{record['project']}/serviceAccounts/{email}",
            "projectId": record["project"],
            "uniqueId": record["unique_id"],
            "email": email,
            "etag": ACCOUNT_ETAG,
            "oauth2ClientId": record["unique_id"],
        }
        if record.get("display_name"):
            body["displayName"] = record["display_name"]
        if record.get("description"):
            body["description"] = record["description"]
        if not record.get("enabled", True):
            body["disabled"] = True
        return body

    @route("POST", "/v1/projects/{project}/serviceAccounts")
    def create_account(self, call: Call, project: str) -> dict:
        permission = "iam.serviceAccounts.create"
        self.require(call, permission, self._project_resource(project), IAM_DENIED(permission=permission))
        wanted = call.body.get("serviceAccount") or {}
        try:
            email = self.state.create_service_account(
                project,
                str(call.body.get("accountId", "")),
                str(wanted.get("displayName") or ""),
                str(wanted.get("description") or ""),
            )
        except NotFound:
            raise IAM_DENIED(permission=permission) from None
        except AlreadyExists as err:
            raise ACCOUNT_EXISTS(detail=str(err)) from None
        except Invalid as err:
            raise INVALID(detail=str(err)) from None
        return self._account_body(email)

    @route("GET", "/v1/projects/{project}/serviceAccounts")
    def list_accounts(self, call: Call, project: str) -> dict:
        permission = "iam.serviceAccounts.list"
        resource = self._project_resource(project)
        self.require(call, permission, resource, IAM_DENIED(permission=permission))
        pid = resource.removeprefix("projects/")
        accounts = [
            self._account_body(e)
            for e, a in sorted(self.state.service_accounts.items())
            if a["project"] == pid
        ]
        return {"accounts": accounts} if accounts else {}

    @route("GET", "/v1/projects/{project}/serviceAccounts/{account}")
    def get_account(self, call: Call, project: str, account: str) -> dict:
        email, _ = self._account(call, project, account, "iam.serviceAccounts.get")
        return self._account_body(email)

    @route("POST", "/v1/projects/{project}/serviceAccounts/{account}:getIamPolicy")
    def get_account_policy(self, call: Call, project: str, account: str) -> dict:
        email, record = self._account(call, project, account, "iam.serviceAccounts.getIamPolicy")
        return policy_body(self.state, f"projects/{record['project']}/serviceAccounts/{email}")

    @route("POST", "/v1/projects/{project}/serviceAccounts/{account}:setIamPolicy")
    def set_account_policy(self, call: Call, project: str, account: str) -> dict:
        email, record = self._account(call, project, account, "iam.serviceAccounts.setIamPolicy")
        resource = f"projects/{record['project']}/serviceAccounts/{email}"
        return set_policy(self.state, resource, call.body, account_roles)

    # --- keys ----------------------------------------------------------------------------------

    def _key_body(self, key_id: str, record: dict) -> dict:
        project = self.state.service_accounts[record["email"]]["project"]
        body = {
            "name": f"projects/{project}/serviceAccounts/{record['email']}/keys/{key_id}",
            "validAfterTime": timestamp(record["created"], fraction=False),
            "validBeforeTime": NEVER_EXPIRES,
            "keyAlgorithm": "KEY_ALG_RSA_2048",
            "keyOrigin": "GOOGLE_PROVIDED",
            "keyType": "USER_MANAGED",
        }
        if record.get("disabled"):
            body["disabled"] = True
        return body

    @route("POST", "/v1/projects/{project}/serviceAccounts/{account}/keys")
    def create_key(self, call: Call, project: str, account: str) -> dict:
        email, _ = self._account(call, project, account, "iam.serviceAccountKeys.create")
        kind = call.body.get("privateKeyType") or "TYPE_GOOGLE_CREDENTIALS_FILE"
        if kind != "TYPE_GOOGLE_CREDENTIALS_FILE":
            raise KEY_TYPE(kind=str(kind))
        if call.body.get("keyAlgorithm") not in (None, "KEY_ALG_UNSPECIFIED", "KEY_ALG_RSA_2048"):
            raise INVALID(
                detail=f"The fake makes KEY_ALG_RSA_2048 keys only, not {call.body['keyAlgorithm']}."
            )
        key_file = self.state.create_key(email)
        key_id = key_file["private_key_id"]
        body = self._key_body(key_id, self.state.keys[key_id])
        body["privateKeyType"] = "TYPE_GOOGLE_CREDENTIALS_FILE"
        body["privateKeyData"] = base64.b64encode(keyfile.dumps(key_file).encode()).decode()
        return body

    @route("GET", "/v1/projects/{project}/serviceAccounts/{account}/keys")
    def list_keys(self, call: Call, project: str, account: str) -> dict:
        email, _ = self._account(call, project, account, "iam.serviceAccountKeys.list")
        types = set(call.request.query_params.getlist("keyTypes")) - {"KEY_TYPE_UNSPECIFIED"}
        # The fake makes user-managed keys only; Google also lists its own system-managed ones.
        keys = [] if types and "USER_MANAGED" not in types else self.state.keys_of(email)
        return {"keys": [self._key_body(k, v) for k, v in keys]} if keys else {}

    def _key(self, call: Call, project: str, account: str, key: str, permission: str) -> tuple[str, dict]:
        email, record = self._account(call, project, account, permission)
        live = self.state.live_key(key, email)
        if live is None:
            raise UNKNOWN_KEY(name=f"projects/{record['project']}/serviceAccounts/{email}/keys/{key}")
        return key, live

    @route("GET", "/v1/projects/{project}/serviceAccounts/{account}/keys/{key}")
    def get_key(self, call: Call, project: str, account: str, key: str) -> dict:
        return self._key_body(*self._key(call, project, account, key, "iam.serviceAccountKeys.get"))

    @route("DELETE", "/v1/projects/{project}/serviceAccounts/{account}/keys/{key}")
    def delete_key(self, call: Call, project: str, account: str, key: str) -> dict:
        key_id, _ = self._key(call, project, account, key, "iam.serviceAccountKeys.delete")
        self.state.delete_key(key_id)
        return {}
