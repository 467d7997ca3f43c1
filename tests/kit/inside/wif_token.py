"""Print a Google access token obtained the way CircleCI's gcp_auth does: the job's OIDC token
exchanged through Workload Identity Federation (STS, then IAM credentials), by google-auth's
own identity_pool credentials. Run inside `garauth sandbox`, where Google's hostnames reach
the fake. The OIDC token comes in $GA_OIDC_TOKEN, never on the command line.

    python wif_token.py POOL PROVIDER SERVICE_ACCOUNT
      POOL      projects/NUMBER/locations/global/workloadIdentityPools/POOL_ID (as in gcp_auth:)
      PROVIDER  the provider ID (as in gcp_auth:)
"""

import os
import sys
from pathlib import Path

import google.auth.transport.requests
from google.auth import identity_pool

from garauth import data

pool, provider, account = sys.argv[1:4]
token_file = Path("circleci-oidc-token")
token_file.write_text(os.environ["GA_OIDC_TOKEN"])
endpoints = data.endpoints()
info = {
    "type": "external_account",
    "audience": f"//iam.googleapis.com/{pool}/providers/{provider}",
    "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
    "token_url": f"https://{endpoints['sts']}/v1/token",
    "service_account_impersonation_url": (
        f"https://{endpoints['iamcredentials']}/v1/projects/-/serviceAccounts/{account}:generateAccessToken"
    ),
    "credential_source": {"file": str(token_file.resolve())},
}
creds = identity_pool.Credentials.from_info(info, scopes=["https://www.googleapis.com/auth/cloud-platform"])
try:
    creds.refresh(google.auth.transport.requests.Request())
except Exception as err:  # the message is what a user would see; it holds no secret
    print(f"{type(err).__name__}: {err}", file=sys.stderr)
    sys.exit(1)
finally:
    token_file.unlink()
print(creds.token)
