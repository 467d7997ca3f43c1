"""Artifact Registry's management API v1 (artifactregistry.googleapis.com): repositories, their IAM
policies and the operations that create them. The Docker hosts (`LOCATION-docker.pkg.dev`) are
registry.py; this is the API gcloud calls.

What the guide's gcloud commands call:
- `artifacts repositories create R --location=L --repository-format=docker`:
  POST /v1/projects/P/locations/L/repositories?repositoryId=R with a Repository; the answer is an
  Operation whose response, once done, is the Repository. gcloud then polls
  GET /v1/projects/P/locations/L/operations/ID and, when done, GETs the repository.
  https://cloud.google.com/artifact-registry/docs/reference/rest/v1/projects.locations.repositories/create
- `artifacts repositories add-iam-policy-binding R`: GET .../repositories/R:getIamPolicy, then
  POST .../repositories/R:setIamPolicy
  https://cloud.google.com/artifact-registry/docs/reference/rest/v1/projects.locations.repositories/setIamPolicy

The create answers an Operation that is not yet done; the repository exists at once, and the
operation is done from its first poll. A create for a repository that exists is refused at once
(409), not through the operation.
"""

from __future__ import annotations

import uuid

from garauth.fake.googleapi import (
    INVALID,
    NOT_FOUND,
    Call,
    ErrorText,
    Service,
    operation,
    policy_body,
    route,
    set_policy,
    timestamp,
)
from garauth.fake.state import AlreadyExists, Invalid, NotFound

# google-github-actions/deploy-cloudrun#370 shows AR's form of a refusal, with the resource's full
# name: "Permission 'artifactregistry.repositories.get' denied on resource
# '//artifactregistry.googleapis.com/projects/P/locations/L/repositories/R' (or it may not exist)."
AR_DENIED = ErrorText(
    403,
    "PERMISSION_DENIED",
    "Permission '{permission}' denied on resource '//artifactregistry.googleapis.com/{resource}' "
    "(or it may not exist).",
    "https://github.com/google-github-actions/deploy-cloudrun/issues/370",
    True,
)
REPO_EXISTS = ErrorText(
    409,
    "ALREADY_EXISTS",
    "the repository already exists",
    "",  # seen in public CI logs as gcloud's "ALREADY_EXISTS: the repository already exists"
    False,
)
METADATA = "type.googleapis.com/google.devtools.artifactregistry.v1.OperationMetadata"
REPOSITORY_TYPE = "type.googleapis.com/google.devtools.artifactregistry.v1.Repository"
BASE = "/v1/projects/{project}/locations/{location}"


def repository_roles(role: str) -> bool:
    """Roles a repository's policy takes: Artifact Registry's own and the basic ones."""
    return role.startswith("roles/artifactregistry.") or role in (
        "roles/owner",
        "roles/editor",
        "roles/viewer",
    )


class ArtifactRegistry(Service):
    def _parent(self, call: Call, project: str, location: str, permission: str, check: bool = True) -> str:
        """projects/PROJECT_ID/locations/L, once the caller may `permission` there (if `check`)."""
        try:
            pid, _ = self.state.project(project)
        except NotFound:
            raise AR_DENIED(
                permission=permission, resource=f"projects/{project}/locations/{location}"
            ) from None
        parent = f"projects/{pid}/locations/{location}"
        if check:
            self.require(call, permission, parent, AR_DENIED(permission=permission, resource=parent))
        return parent

    def _repository(self, call: Call, project: str, location: str, repository: str, permission: str) -> str:
        """A repository's name, once the caller may `permission` on it (or a parent)."""
        name = f"{self._parent(call, project, location, permission, check=False)}/repositories/{repository}"
        self.require(call, permission, name, AR_DENIED(permission=permission, resource=name))
        if name not in self.state.repositories:
            raise NOT_FOUND()
        return name

    def _body(self, name: str) -> dict:
        record = self.state.repositories[name]
        _, project, _, location, _, repository = name.split("/")
        created = timestamp(record.get("created", self.state.projects[project].get("created", 0)))
        body = {
            "name": name,
            "format": record.get("format", "DOCKER"),
            "createTime": created,
            "updateTime": created,
            "mode": "STANDARD_REPOSITORY",
            "registryUri": f"{location}-docker.pkg.dev/{project}/{repository}",
        }
        if record.get("description"):
            body["description"] = record["description"]
        return body

    @route("POST", BASE + "/repositories")
    def create(self, call: Call, project: str, location: str) -> dict:
        parent = self._parent(call, project, location, "artifactregistry.repositories.create")
        pid = parent.split("/")[1]
        try:
            name = self.state.create_repository(
                pid,
                location,
                call.query.get("repositoryId", ""),
                str(call.body.get("format") or "FORMAT_UNSPECIFIED"),
                str(call.body.get("description") or ""),
            )
        except AlreadyExists:
            raise REPO_EXISTS() from None
        except Invalid as err:
            raise INVALID(detail=str(err)) from None
        op = f"{parent}/operations/{uuid.uuid4()}"
        self.state.start_operation(op, {"@type": REPOSITORY_TYPE, **self._body(name)})
        return operation(op, {"done": False}, METADATA)

    @route("GET", BASE + "/operations/{op}")
    def get_operation(self, call: Call, project: str, location: str, op: str) -> dict:
        parent = self._parent(call, project, location, "artifactregistry.repositories.get")
        name = f"{parent}/operations/{op}"
        try:
            return operation(name, self.state.poll_operation(name), METADATA)
        except NotFound:
            raise NOT_FOUND() from None

    @route("GET", BASE + "/repositories/{repository}")
    def get(self, call: Call, project: str, location: str, repository: str) -> dict:
        return self._body(
            self._repository(call, project, location, repository, "artifactregistry.repositories.get")
        )

    @route("GET", BASE + "/repositories")
    def list_repositories(self, call: Call, project: str, location: str) -> dict:
        parent = self._parent(call, project, location, "artifactregistry.repositories.list")
        names = sorted(n for n in self.state.repositories if n.startswith(parent + "/repositories/"))
        return {"repositories": [self._body(n) for n in names]} if names else {}

    @route("GET", BASE + "/repositories/{repository}:getIamPolicy")
    def get_iam_policy(self, call: Call, project: str, location: str, repository: str) -> dict:
        name = self._repository(
            call, project, location, repository, "artifactregistry.repositories.getIamPolicy"
        )
        return policy_body(self.state, name)

    @route("POST", BASE + "/repositories/{repository}:setIamPolicy")
    def set_iam_policy(self, call: Call, project: str, location: str, repository: str) -> dict:
        name = self._repository(
            call, project, location, repository, "artifactregistry.repositories.setIamPolicy"
        )
        return set_policy(self.state, name, call.body, repository_roles)
