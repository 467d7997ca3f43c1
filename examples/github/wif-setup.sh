#!/bin/sh
# Keyless pulls from GitHub Actions: let the workflows of one GitHub repository act as the reader
# service account through Workload Identity Federation. Goes with examples/github/keyless.yml:
# the provider and the account printed at the end are its two inputs.
set -eu

# --8<-- [start:vars]
PROJECT_ID=demo-project
GITHUB_OWNER=demo-org            # the organisation or user that owns the repository
GITHUB_REPOSITORY=demo-org/demo-app
POOL_ID=github
PROVIDER_ID=github
SA_EMAIL="reader@$PROJECT_ID.iam.gserviceaccount.com"
# --8<-- [end:vars]

# --8<-- [start:number]
PROJECT_NUMBER=$(gcloud projects describe "$PROJECT_ID" --format='value(projectNumber)')
# --8<-- [end:number]

# --8<-- [start:pool]
gcloud iam workload-identity-pools create "$POOL_ID" \
  --project="$PROJECT_ID" --location=global --display-name="GitHub Actions"
# --8<-- [end:pool]

# --8<-- [start:provider]
gcloud iam workload-identity-pools providers create-oidc "$PROVIDER_ID" \
  --project="$PROJECT_ID" --location=global --workload-identity-pool="$POOL_ID" \
  --issuer-uri="https://token.actions.githubusercontent.com" \
  --attribute-mapping="google.subject=assertion.sub,attribute.repository=assertion.repository,attribute.repository_owner=assertion.repository_owner" \
  --attribute-condition="assertion.repository_owner == '$GITHUB_OWNER'"
# --8<-- [end:provider]

# --8<-- [start:binding]
gcloud iam service-accounts add-iam-policy-binding "$SA_EMAIL" \
  --project="$PROJECT_ID" --role=roles/iam.workloadIdentityUser \
  --member="principalSet://iam.googleapis.com/projects/$PROJECT_NUMBER/locations/global/workloadIdentityPools/$POOL_ID/attribute.repository/$GITHUB_REPOSITORY"
# --8<-- [end:binding]

# --8<-- [start:inputs]
echo "workload_identity_provider: projects/$PROJECT_NUMBER/locations/global/workloadIdentityPools/$POOL_ID/providers/$PROVIDER_ID"
echo "service_account: $SA_EMAIL"
# --8<-- [end:inputs]
