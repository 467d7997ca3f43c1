#!/bin/sh
# A login to Container Registry's host, from before its shutdown.
set -eu
docker login -u _json_key --password-stdin https://gcr.io < key.json
