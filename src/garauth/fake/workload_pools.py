"""IAM v1 Workload Identity pools and OIDC providers (served on iam.googleapis.com by iam.Iam).

What the guide's gcloud commands call:
- `iam workload-identity-pools create POOL --location=global`:
  POST /v1/projects/P/locations/global/workloadIdentityPools?workloadIdentityPoolId=POOL
  https://cloud.google.com/iam/docs/reference/rest/v1/projects.locations.workloadIdentityPools/create
- `iam workload-identity-pools providers create-oidc PROVIDER`:
  POST .../workloadIdentityPools/POOL/providers?workloadIdentityPoolProviderId=PROVIDER
  https://cloud.google.com/iam/docs/reference/rest/v1/projects.locations.workloadIdentityPools.providers/create

Both answer a long-running Operation named `RESOURCE/operations/ID`; gcloud 528 does not poll it
(its YAML commands have no `async:` section) and prints "Created ...". The fake creates the
resource at once, answers the operation not yet done, and finishes it when it is first polled.
Resource names carry the project number (`projects/NUMBER/locations/global/...`), whichever of
ID or number the request used.
"""

from __future__ import annotations

import secrets

from garauth.fake.googleapi import (
    ALREADY_EXISTS,
    IAM_DENIED,
    INVALID,
    NOT_FOUND,
    Call,
    ErrorText,
    Service,
    operation,
    route,
)
from garauth.fake.state import AlreadyExists, Invalid, NotFound

# The operation metadata type is the fake's choice: the reference pages do not name one.
METADATA = "type.googleapis.com/google.iam.v1.WorkloadIdentityPoolOperationMetadata"
LOCATION = ErrorText(
    400, "INVALID_ARGUMENT", "Workload identity pools live in location global, not {location}.", "", False
)
NOT_OIDC = ErrorText(400, "INVALID_ARGUMENT", "The fake models OIDC providers only.", "", False)
POOL_BASE = "/v1/projects/{project}/locations/{location}/workloadIdentityPools"


class WorkloadPools(Service):
    def _number(self, call: Call, project: str, location: str, permission: str) -> str:
        """The project number behind a path, once the caller may `permission` on the project."""
        try:
            pid, record = self.state.project(project)
        except NotFound:
            raise IAM_DENIED(permission=permission) from None
        self.require(call, permission, f"projects/{pid}", IAM_DENIED(permission=permission))
        if location != "global":
            raise LOCATION(location=location)
        return record["number"]

    def _start(self, resource: str, response: dict) -> dict:
        name = f"{resource}/operations/{secrets.token_hex(16)}"
        self.state.start_operation(name, response)
        return operation(name, {"done": False}, METADATA)

    # --- pools ---------------------------------------------------------------------------------

    def _pool_body(self, name: str) -> dict:
        record = self.state.pools[name]
        body = {"name": name, "state": "ACTIVE"}
        if record.get("display_name"):
            body["displayName"] = record["display_name"]
        if record.get("description"):
            body["description"] = record["description"]
        if record.get("disabled"):
            body["disabled"] = True
        return body

    @route("POST", POOL_BASE)
    def create_pool(self, call: Call, project: str, location: str) -> dict:
        number = self._number(call, project, location, "iam.workloadIdentityPools.create")
        try:
            name = self.state.create_pool(
                number,
                call.query.get("workloadIdentityPoolId", ""),
                str(call.body.get("displayName") or ""),
                str(call.body.get("description") or ""),
            )
        except AlreadyExists as err:
            raise ALREADY_EXISTS(detail=str(err)) from None
        except Invalid as err:
            raise INVALID(detail=str(err)) from None
        return self._start(
            name, {"@type": "type.googleapis.com/google.iam.v1.WorkloadIdentityPool", **self._pool_body(name)}
        )

    def _pool(self, call: Call, project: str, location: str, pool: str, permission: str) -> str:
        number = self._number(call, project, location, permission)
        name = f"projects/{number}/locations/global/workloadIdentityPools/{pool}"
        if name not in self.state.pools:
            raise NOT_FOUND()
        return name

    @route("GET", POOL_BASE + "/{pool}")
    def get_pool(self, call: Call, project: str, location: str, pool: str) -> dict:
        return self._pool_body(self._pool(call, project, location, pool, "iam.workloadIdentityPools.get"))

    @route("GET", POOL_BASE + "/{pool}/operations/{op}")
    def get_pool_operation(self, call: Call, project: str, location: str, pool: str, op: str) -> dict:
        name = self._pool(call, project, location, pool, "iam.workloadIdentityPools.get")
        return self._poll(f"{name}/operations/{op}")

    def _poll(self, name: str) -> dict:
        try:
            return operation(name, self.state.poll_operation(name), METADATA)
        except NotFound:
            raise NOT_FOUND() from None

    # --- providers -----------------------------------------------------------------------------

    def _provider_body(self, name: str) -> dict:
        record = self.state.providers[name]
        body = {
            "name": name,
            "state": "ACTIVE",
            "attributeMapping": dict(record["attribute_mapping"]),
            "oidc": {"issuerUri": record["issuer"]},
        }
        if record["allowed_audiences"]:
            body["oidc"]["allowedAudiences"] = list(record["allowed_audiences"])
        if record.get("attribute_condition"):
            body["attributeCondition"] = record["attribute_condition"]
        if record.get("display_name"):
            body["displayName"] = record["display_name"]
        if record.get("disabled"):
            body["disabled"] = True
        return body

    @route("POST", POOL_BASE + "/{pool}/providers")
    def create_provider(self, call: Call, project: str, location: str, pool: str) -> dict:
        pool_name = self._pool(call, project, location, pool, "iam.workloadIdentityPoolProviders.create")
        oidc = call.body.get("oidc")
        if not isinstance(oidc, dict):
            raise NOT_OIDC()
        mapping = call.body.get("attributeMapping") or {}
        try:
            name = self.state.create_oidc_provider(
                pool_name,
                call.query.get("workloadIdentityPoolProviderId", ""),
                str(oidc.get("issuerUri") or ""),
                [str(a) for a in oidc.get("allowedAudiences") or []],
                {str(k): str(v) for k, v in mapping.items()},
                call.body.get("attributeCondition") or None,
                str(call.body.get("displayName") or ""),
            )
        except AlreadyExists as err:
            raise ALREADY_EXISTS(detail=str(err)) from None
        except Invalid as err:
            raise INVALID(detail=str(err)) from None
        response = {"@type": "type.googleapis.com/google.iam.v1.WorkloadIdentityPoolProvider"}
        return self._start(name, {**response, **self._provider_body(name)})

    def _provider(self, call: Call, project: str, location: str, pool: str, provider: str) -> str:
        pool_name = self._pool(call, project, location, pool, "iam.workloadIdentityPoolProviders.get")
        name = f"{pool_name}/providers/{provider}"
        if name not in self.state.providers:
            raise NOT_FOUND()
        return name

    @route("GET", POOL_BASE + "/{pool}/providers/{provider}")
    def get_provider(self, call: Call, project: str, location: str, pool: str, provider: str) -> dict:
        return self._provider_body(self._provider(call, project, location, pool, provider))

    @route("GET", POOL_BASE + "/{pool}/providers/{provider}/operations/{op}")
    def get_provider_operation(
        self, call: Call, project: str, location: str, pool: str, provider: str, op: str
    ) -> dict:
        return self._poll(f"{self._provider(call, project, location, pool, provider)}/operations/{op}")
