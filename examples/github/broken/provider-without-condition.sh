#!/bin/sh
# Broken: a provider for GitHub's issuer without --attribute-condition, as older guides and
# Terraform modules create it. Google refuses it. Run after wif-setup.sh's pool exists, or alone:
# it creates the pool first.
set -eu

PROJECT_ID=demo-project
gcloud iam workload-identity-pools create github \
  --project="$PROJECT_ID" --location=global --display-name="GitHub Actions"

# --8<-- [start:provider]
gcloud iam workload-identity-pools providers create-oidc github \
  --project="$PROJECT_ID" --location=global --workload-identity-pool=github \
  --issuer-uri="https://token.actions.githubusercontent.com" \
  --attribute-mapping="google.subject=assertion.sub,attribute.repository=assertion.repository"
# --8<-- [end:provider]
