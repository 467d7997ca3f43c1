#!/bin/sh
# Write a Workload Identity Federation credential configuration: where the CI system's OIDC token
# is (a file), which provider exchanges it, and which service account to act as. The file holds
# no secret. gcloud writes it without calling any API.
set -eu
# --8<-- [start:create]
gcloud iam workload-identity-pools create-cred-config \
  projects/123456789012/locations/global/workloadIdentityPools/circleci/providers/circleci \
  --service-account=reader@demo-project.iam.gserviceaccount.com \
  --credential-source-file=oidc-token \
  --output-file=credential-config.json
# --8<-- [end:create]
