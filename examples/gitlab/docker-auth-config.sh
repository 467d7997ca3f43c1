#!/bin/sh
# The value of the CI/CD variable DOCKER_AUTH_CONFIG, made from a service-account key file
# (key.json) for one registry host. The key goes through pipes only, never on a command line.
# Paste the file's content into Settings > CI/CD > Variables, then delete the file.
set -eu

# --8<-- [start:host]
REGISTRY=us-central1-docker.pkg.dev   # exactly the host your image: lines name
# --8<-- [end:host]

# --8<-- [start:json-key]
# username _json_key, password the key file as downloaded
{
  printf '{"auths":{"%s":{"auth":"' "$REGISTRY"
  { printf '_json_key:'; cat key.json; } | openssl base64 -A
  printf '"}}}\n'
} > docker-auth-config.json
# --8<-- [end:json-key]

# --8<-- [start:json-key-base64]
# username _json_key_base64, password the key file's base64 (one line)
{
  printf '{"auths":{"%s":{"auth":"' "$REGISTRY"
  { printf '_json_key_base64:'; openssl base64 -A < key.json; } | openssl base64 -A
  printf '"}}}\n'
} > docker-auth-config-base64.json
# --8<-- [end:json-key-base64]
