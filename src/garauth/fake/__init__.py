"""The fake Google Cloud: Artifact Registry's Docker API on every AR host, the OAuth 2.0 token
endpoint, STS, IAM credentials and a CircleCI-style OIDC issuer, over one `State`.

Entry points: `garauth.fake.server.prepare` / `serve` (and `garauth fake-registry`),
`garauth.fake.testing.running_fake` / `route` for in-process tests, `garauth.fake.state.State`.
"""
