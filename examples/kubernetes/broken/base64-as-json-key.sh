#!/bin/sh
# The key file's base64 given as the password of _json_key, which takes the key file as it is
# (the base64 belongs with _json_key_base64). The Secret looks right and every pull is refused.
set -eu
umask 077
trap 'rm -f config.json' EXIT
HOST=us-central1-docker.pkg.dev
# --8<-- [start:mistake]
{
  printf '{"auths":{"%s":{"auth":"' "$HOST"
  { printf '_json_key:'; base64 < key.json | tr -d '\n'; } | base64 | tr -d '\n'
  printf '"}}}'
} > config.json
# --8<-- [end:mistake]
kubectl create secret docker-registry ar-pull-json-key \
  --from-file=.dockerconfigjson=config.json \
  --dry-run=client -o yaml > pull-secret-json-key.yaml
