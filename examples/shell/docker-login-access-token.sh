#!/bin/sh
# Log the Docker CLI in with an access token of the account gcloud is signed in as. The token
# lasts an hour by default: log in again in each job, never store the token.
set -eu
# --8<-- [start:login]
gcloud auth print-access-token | docker login -u oauth2accesstoken --password-stdin https://us-central1-docker.pkg.dev
# --8<-- [end:login]
