#!/bin/sh
# From nothing to a key that can pull from one repository, and nothing else.
# Goes with examples/circleci/json-key-raw.yml: same project, location, repository and account.
set -eu

# --8<-- [start:vars]
PROJECT_ID=demo-project
LOCATION=us-central1
REPOSITORY=demo-repo
SA_NAME=reader
SA_EMAIL="$SA_NAME@$PROJECT_ID.iam.gserviceaccount.com"
# --8<-- [end:vars]

# --8<-- [start:repository]
gcloud artifacts repositories create "$REPOSITORY" \
  --project="$PROJECT_ID" --location="$LOCATION" \
  --repository-format=docker --description="Images CircleCI jobs run in"
# --8<-- [end:repository]

# --8<-- [start:account]
gcloud iam service-accounts create "$SA_NAME" \
  --project="$PROJECT_ID" --display-name="CircleCI image pulls"
# --8<-- [end:account]

# --8<-- [start:role]
gcloud artifacts repositories add-iam-policy-binding "$REPOSITORY" \
  --project="$PROJECT_ID" --location="$LOCATION" \
  --member="serviceAccount:$SA_EMAIL" --role=roles/artifactregistry.reader
# --8<-- [end:role]

# --8<-- [start:key]
gcloud iam service-accounts keys create key.json \
  --project="$PROJECT_ID" --iam-account="$SA_EMAIL"
# --8<-- [end:key]
