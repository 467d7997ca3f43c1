#!/bin/sh
# Log skopeo in once into an auth file of the job's own, then name that file on each command.
# The key goes in on standard input; the auth file is readable by its owner only (0600).
set -eu
# --8<-- [start:login]
skopeo login --authfile auth.json -u _json_key --password-stdin us-central1-docker.pkg.dev < key.json
skopeo inspect --authfile auth.json docker://us-central1-docker.pkg.dev/demo-project/demo-repo/hello:1.0
# --8<-- [end:login]
