"""The fake Google Cloud: Artifact Registry's Docker API on every AR host, the OAuth 2.0 token
endpoint, STS, IAM credentials, a CircleCI-style OIDC issuer, and the admin APIs the guide's gcloud
commands call (IAM, Resource Manager, Artifact Registry's management API), over one `State`.

Entry points: `garauth.fake.server.prepare` / `serve` (and `garauth fake-registry`),
`garauth.fake.testing.running_fake` / `route` for in-process tests, `garauth.fake.state.State`.
"""
