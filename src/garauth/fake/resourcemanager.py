"""Resource Manager v1 (cloudresourcemanager.googleapis.com): a project by ID or number, and its IAM
policy. `gcloud projects describe` calls `GET /v1/projects/PROJECT`.

- projects.get: https://cloud.google.com/resource-manager/reference/rest/v1/projects/get
  (permission resourcemanager.projects.get; the Project fields projectNumber, projectId,
  lifecycleState, name, createTime: https://cloud.google.com/resource-manager/reference/rest/v1/projects)
- projects.getIamPolicy / setIamPolicy (both POST):
  https://cloud.google.com/resource-manager/reference/rest/v1/projects/getIamPolicy
"""

from __future__ import annotations

from garauth.fake.googleapi import Call, ErrorText, Service, policy_body, route, set_policy, timestamp
from garauth.fake.state import NotFound

# Resource Manager answers 403 both for a project the caller may not see and for one that does
# not exist, so that project IDs cannot be probed. The text is the one gcloud users quote
# (gcloud adds its own "does not have permission to access projects instance [P] (or it may
# not exist)" in front); UNCONFIRMED on a reference page.
PROJECT_DENIED = ErrorText(
    403,
    "PERMISSION_DENIED",
    "The caller does not have permission",
    "https://cloud.google.com/resource-manager/reference/rest/v1/projects/get",
    False,
)


class ResourceManager(Service):
    def _project(self, call: Call, project: str, permission: str) -> tuple[str, dict]:
        try:
            pid, record = self.state.project(project)
        except NotFound:
            raise PROJECT_DENIED() from None
        self.require(call, permission, f"projects/{pid}", PROJECT_DENIED())
        return pid, record

    @route("GET", "/v1/projects/{project}")
    def get(self, call: Call, project: str) -> dict:
        pid, record = self._project(call, project, "resourcemanager.projects.get")
        body = {
            "projectNumber": record["number"],
            "projectId": pid,
            "lifecycleState": "ACTIVE",
            "name": pid,
        }
        if "created" in record:
            body["createTime"] = timestamp(record["created"])
        return body

    @route("POST", "/v1/projects/{project}:getIamPolicy")
    def get_iam_policy(self, call: Call, project: str) -> dict:
        pid, _ = self._project(call, project, "resourcemanager.projects.getIamPolicy")
        return policy_body(self.state, f"projects/{pid}")

    @route("POST", "/v1/projects/{project}:setIamPolicy")
    def set_iam_policy(self, call: Call, project: str) -> dict:
        pid, _ = self._project(call, project, "resourcemanager.projects.setIamPolicy")
        return set_policy(self.state, f"projects/{pid}", call.body, lambda role: role.startswith("roles/"))
