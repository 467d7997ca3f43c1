#!/bin/sh
# Keyless jobs: let the jobs of one GitLab.com project act as the reader service account
# through Workload Identity Federation. Goes with keyless.gitlab-ci.yml: the provider's name
# is its WIF_PROVIDER, and "https://iam.googleapis.com/" + that name is its id_tokens aud.
set -eu

# --8<-- [start:vars]
PROJECT_ID=demo-project
GITLAB_GROUP=demo-group                  # the top-level group (namespace) on gitlab.com
GITLAB_PROJECT=demo-group/demo-app       # the project whose jobs may pull
POOL_ID=gitlab
PROVIDER_ID=gitlab
SA_EMAIL="reader@$PROJECT_ID.iam.gserviceaccount.com"
# --8<-- [end:vars]

# --8<-- [start:number]
PROJECT_NUMBER=$(gcloud projects describe "$PROJECT_ID" --format='value(projectNumber)')
# --8<-- [end:number]

# --8<-- [start:pool]
gcloud iam workload-identity-pools create "$POOL_ID" \
  --project="$PROJECT_ID" --location=global --display-name="GitLab"
# --8<-- [end:pool]

# --8<-- [start:provider]
gcloud iam workload-identity-pools providers create-oidc "$PROVIDER_ID" \
  --project="$PROJECT_ID" --location=global --workload-identity-pool="$POOL_ID" \
  --issuer-uri="https://gitlab.com" \
  --attribute-mapping="google.subject=assertion.sub,attribute.project_path=assertion.project_path,attribute.namespace_path=assertion.namespace_path" \
  --attribute-condition="assertion.namespace_path == '$GITLAB_GROUP'"
# --8<-- [end:provider]

# --8<-- [start:binding]
gcloud iam service-accounts add-iam-policy-binding "$SA_EMAIL" \
  --project="$PROJECT_ID" --role=roles/iam.workloadIdentityUser \
  --member="principalSet://iam.googleapis.com/projects/$PROJECT_NUMBER/locations/global/workloadIdentityPools/$POOL_ID/attribute.project_path/$GITLAB_PROJECT"
# --8<-- [end:binding]

# --8<-- [start:job-values]
echo "WIF_PROVIDER:    projects/$PROJECT_NUMBER/locations/global/workloadIdentityPools/$POOL_ID/providers/$PROVIDER_ID"
echo "id_tokens aud:   https://iam.googleapis.com/projects/$PROJECT_NUMBER/locations/global/workloadIdentityPools/$POOL_ID/providers/$PROVIDER_ID"
echo "SERVICE_ACCOUNT: $SA_EMAIL"
# --8<-- [end:job-values]
