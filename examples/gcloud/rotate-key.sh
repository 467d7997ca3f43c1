#!/bin/sh
# Rotate the key behind GCLOUD_SERVICE_KEY without a failed build: a service account can hold
# several live keys, so the new one is live before the old one is deleted.
set -eu

PROJECT_ID=demo-project
SA_EMAIL="reader@$PROJECT_ID.iam.gserviceaccount.com"

# --8<-- [start:list]
gcloud iam service-accounts keys list --project="$PROJECT_ID" \
  --iam-account="$SA_EMAIL" --managed-by=user
# --8<-- [end:list]

# --8<-- [start:create]
gcloud iam service-accounts keys create new-key.json \
  --project="$PROJECT_ID" --iam-account="$SA_EMAIL"
# --8<-- [end:create]

# Now replace the value of GCLOUD_SERVICE_KEY in the CircleCI context with new-key.json and
# re-run a job that pulls the image. Google's process then disables the old key for a while
# (https://cloud.google.com/iam/docs/key-rotation); only then delete it by its ID.

# --8<-- [start:delete]
OLD_KEY_ID=${OLD_KEY_ID:?set OLD_KEY_ID to the old key ID from the list above}
gcloud iam service-accounts keys delete "$OLD_KEY_ID" \
  --project="$PROJECT_ID" --iam-account="$SA_EMAIL" --quiet
# --8<-- [end:delete]
