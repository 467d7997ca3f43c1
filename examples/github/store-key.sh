#!/bin/sh
# The two forms of a service-account key a GitHub secret can hold, made from key.json as
# downloaded. Paste the output file's content into the secret, then delete the file.
set -eu

# --8<-- [start:minify]
jq -c . key.json > key.min.json
# --8<-- [end:minify]

# --8<-- [start:base64]
base64 -w0 key.json > key.json.b64
# --8<-- [end:base64]
