#!/bin/sh
# Keyless steps: let the steps of one Bitbucket repository act as the reader service account
# through Workload Identity Federation. The workspace's identity provider URL, audience and UUIDs
# are on the repository's Repository settings > OpenID Connect page.
# Goes with keyless-step.bitbucket-pipelines.yml.
set -eu

# --8<-- [start:vars]
PROJECT_ID=demo-project
WORKSPACE=demo-workspace
WORKSPACE_UUID='{2f1c4d6e-8a0b-4c3d-9e5f-7a1b3c5d7e9f}'
REPOSITORY_UUID='{6b8d0f2a-4c6e-4a1b-8d3f-5e7a9c1b3d5f}'
POOL_ID=bitbucket
PROVIDER_ID=bitbucket
SA_EMAIL="reader@$PROJECT_ID.iam.gserviceaccount.com"
# --8<-- [end:vars]

# --8<-- [start:number]
PROJECT_NUMBER=$(gcloud projects describe "$PROJECT_ID" --format='value(projectNumber)')
# --8<-- [end:number]

# --8<-- [start:pool]
gcloud iam workload-identity-pools create "$POOL_ID" \
  --project="$PROJECT_ID" --location=global --display-name="Bitbucket"
# --8<-- [end:pool]

# --8<-- [start:provider]
gcloud iam workload-identity-pools providers create-oidc "$PROVIDER_ID" \
  --project="$PROJECT_ID" --location=global --workload-identity-pool="$POOL_ID" \
  --issuer-uri="https://api.bitbucket.org/2.0/workspaces/$WORKSPACE/pipelines-config/identity/oidc" \
  --allowed-audiences="ari:cloud:bitbucket::workspace/$WORKSPACE_UUID" \
  --attribute-mapping="google.subject=assertion.sub,attribute.repository=assertion.repositoryUuid,attribute.workspace=assertion.workspaceUuid" \
  --attribute-condition="assertion.workspaceUuid == '$WORKSPACE_UUID'"
# --8<-- [end:provider]

# --8<-- [start:binding]
gcloud iam service-accounts add-iam-policy-binding "$SA_EMAIL" \
  --project="$PROJECT_ID" --role=roles/iam.workloadIdentityUser \
  --member="principalSet://iam.googleapis.com/projects/$PROJECT_NUMBER/locations/global/workloadIdentityPools/$POOL_ID/attribute.repository/$REPOSITORY_UUID"
# --8<-- [end:binding]

# --8<-- [start:step-values]
echo "WIF_PROVIDER:    projects/$PROJECT_NUMBER/locations/global/workloadIdentityPools/$POOL_ID/providers/$PROVIDER_ID"
echo "SERVICE_ACCOUNT: $SA_EMAIL"
# --8<-- [end:step-values]
