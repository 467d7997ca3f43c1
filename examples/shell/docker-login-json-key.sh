#!/bin/sh
# Log the Docker CLI in to Artifact Registry with a service-account key file. The key goes in
# on standard input, never on the command line, where other processes and the shell history
# would see it.
set -eu
# --8<-- [start:login]
docker login -u _json_key --password-stdin https://us-central1-docker.pkg.dev < key.json
# --8<-- [end:login]
