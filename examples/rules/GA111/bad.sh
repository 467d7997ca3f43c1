#!/bin/sh
# GA111: the key is base64-encoded on its way in, but _json_key takes the raw key.
set -eu
base64 -w0 key.json | docker login -u _json_key --password-stdin https://us-central1-docker.pkg.dev
