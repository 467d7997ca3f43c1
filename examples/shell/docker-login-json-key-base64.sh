#!/bin/sh
# Log the Docker CLI in with a key stored base64-encoded in a CI variable (GAR_KEY_BASE64, made
# with encode-key.sh). printf '%s' passes the value as stored, with no newline added; the
# username _json_key_base64 tells Artifact Registry to decode it.
set -eu
# --8<-- [start:login]
printf '%s' "$GAR_KEY_BASE64" | docker login -u _json_key_base64 --password-stdin https://us-central1-docker.pkg.dev
# --8<-- [end:login]
