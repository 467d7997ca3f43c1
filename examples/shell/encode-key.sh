#!/bin/sh
# Turn a downloaded service-account key into one line of base64, for a variable that is used
# with the username _json_key_base64. Works with GNU and BSD/macOS base64 alike.
set -eu
# --8<-- [start:encode]
base64 < key.json | tr -d '\n' > key.json.b64
# --8<-- [end:encode]
