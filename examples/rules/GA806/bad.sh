#!/bin/sh
# The key in the command's arguments, through --creds.
set -eu
skopeo inspect --creds "_json_key:$GAR_KEY" docker://us-central1-docker.pkg.dev/demo-project/demo-repo/hello:1.0
