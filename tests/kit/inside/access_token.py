"""Print an OAuth 2.0 access token for a service-account key file, as google-auth gets one.

Run inside `garauth sandbox`: the key's token_uri (https://oauth2.googleapis.com/token) reaches
the fake, and REQUESTS_CA_BUNDLE makes requests trust the fake's CA.
    python access_token.py keys/reader.json
"""

import sys

import google.auth.transport.requests
from google.oauth2 import service_account

creds = service_account.Credentials.from_service_account_file(
    sys.argv[1], scopes=["https://www.googleapis.com/auth/cloud-platform"]
)
creds.refresh(google.auth.transport.requests.Request())
print(creds.token)
