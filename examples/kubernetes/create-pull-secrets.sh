#!/bin/sh
# Make the pull Secrets the examples name, from the key file key.json, as manifests for
# `kubectl apply -f` (or for sealing). Do not commit them: they hold the key.
# The key goes from the file into the Secret through pipes, never onto a command line, where
# other processes and shell history would see it.
set -eu
umask 077
trap 'rm -f config.json' EXIT

# --8<-- [start:json-key]
HOST=us-central1-docker.pkg.dev
# A Docker config with one entry: auth is the base64 of "_json_key:" and the key file.
{
  printf '{"auths":{"%s":{"auth":"' "$HOST"
  { printf '_json_key:'; cat key.json; } | base64 | tr -d '\n'
  printf '"}}}'
} > config.json
kubectl create secret docker-registry ar-pull-json-key \
  --from-file=.dockerconfigjson=config.json \
  --dry-run=client -o yaml > pull-secret-json-key.yaml
rm config.json
# --8<-- [end:json-key]

# --8<-- [start:json-key-base64]
HOST=us-central1-docker.pkg.dev
# The same, with the username _json_key_base64 and the key file's base64 as the password.
{
  printf '{"auths":{"%s":{"auth":"' "$HOST"
  { printf '_json_key_base64:'; base64 < key.json | tr -d '\n'; } | base64 | tr -d '\n'
  printf '"}}}'
} > config.json
kubectl create secret docker-registry ar-pull-json-key-base64 \
  --from-file=.dockerconfigjson=config.json \
  --dry-run=client -o yaml > pull-secret-json-key-base64.yaml
rm config.json
# --8<-- [end:json-key-base64]
