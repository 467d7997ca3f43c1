#!/bin/sh
# Log podman in with a key file, then pull with the credential it stored. podman login writes
# ${XDG_RUNTIME_DIR}/containers/auth.json unless --authfile or REGISTRY_AUTH_FILE names another file.
set -eu
# --8<-- [start:login]
podman login -u _json_key --password-stdin us-central1-docker.pkg.dev < key.json
podman pull us-central1-docker.pkg.dev/demo-project/demo-repo/hello:1.0
# --8<-- [end:login]
