#!/bin/sh
# GA110: the key on the command line, where `ps` and the shell history show it.
set -eu
docker login -u _json_key -p "$(cat key.json)" https://us-central1-docker.pkg.dev
