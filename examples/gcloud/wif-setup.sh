#!/bin/sh
# Keyless pulls: let CircleCI jobs of one organisation act as the reader service account
# through Workload Identity Federation. Goes with examples/circleci/gcp-auth-explicit.yml:
# the pool, provider and account below are the three values of its gcp_auth: block.
set -eu

# --8<-- [start:vars]
PROJECT_ID=demo-project
CIRCLECI_ORG_ID=5f6d3c2a-8b1e-4d7f-9a20-6c4e1b7d9f31   # Organization Settings > Overview
POOL_ID=circleci
PROVIDER_ID=circleci
SA_EMAIL="reader@$PROJECT_ID.iam.gserviceaccount.com"
# --8<-- [end:vars]

# --8<-- [start:number]
PROJECT_NUMBER=$(gcloud projects describe "$PROJECT_ID" --format='value(projectNumber)')
# --8<-- [end:number]

# --8<-- [start:pool]
gcloud iam workload-identity-pools create "$POOL_ID" \
  --project="$PROJECT_ID" --location=global --display-name="CircleCI"
# --8<-- [end:pool]

# --8<-- [start:provider]
gcloud iam workload-identity-pools providers create-oidc "$PROVIDER_ID" \
  --project="$PROJECT_ID" --location=global --workload-identity-pool="$POOL_ID" \
  --issuer-uri="https://oidc.circleci.com/org/$CIRCLECI_ORG_ID" \
  --allowed-audiences="$CIRCLECI_ORG_ID" \
  --attribute-mapping="google.subject=assertion.aud + '/' + assertion.sub.extract('/project/{project_id}/'),attribute.org_id=assertion.aud,attribute.project=assertion['oidc.circleci.com/project-id']" \
  --attribute-condition="attribute.org_id == '$CIRCLECI_ORG_ID'"
# --8<-- [end:provider]

# --8<-- [start:binding]
gcloud iam service-accounts add-iam-policy-binding "$SA_EMAIL" \
  --project="$PROJECT_ID" --role=roles/iam.workloadIdentityUser \
  --member="principalSet://iam.googleapis.com/projects/$PROJECT_NUMBER/locations/global/workloadIdentityPools/$POOL_ID/attribute.org_id/$CIRCLECI_ORG_ID"
# --8<-- [end:binding]

# --8<-- [start:gcp-auth]
echo "oidc_service_account:       $SA_EMAIL"
echo "workload_identity_pool:     projects/$PROJECT_NUMBER/locations/global/workloadIdentityPools/$POOL_ID"
echo "workload_identity_provider: $PROVIDER_ID"
# --8<-- [end:gcp-auth]
