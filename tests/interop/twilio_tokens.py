"""Twilio's own helper library, for interoperability tests of access tokens.

    twilio_tokens.py mint ACCOUNT_SID KEY_SID SECRET IDENTITY ROOM
        prints a token minted by twilio-python's AccessToken + VideoGrant
    twilio_tokens.py decode TOKEN SECRET
        prints {"headers": ..., "payload": ...} as twilio-python decodes and
        verifies it (exit 1 when it does not verify)
    twilio_tokens.py validate KEY URL SIGNATURE PARAMS_JSON
        exits 0 when twilio-python's RequestValidator accepts the request
        signature (PARAMS_JSON: [[name, value], ...])
"""
import json
import sys

from twilio.jwt import Jwt
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VideoGrant
from twilio.request_validator import RequestValidator


def main(argv):
    if argv[1:2] == ["mint"]:
        account, key, secret, identity, room = argv[2:7]
        token = AccessToken(account, key, secret, identity=identity, ttl=3600)
        token.add_grant(VideoGrant(room=room))
        print(token.to_jwt())
        return 0
    if argv[1:2] == ["decode"]:
        token, secret = argv[2:4]
        decoded = Jwt.from_jwt(token, secret)
        print(json.dumps({"headers": decoded.headers, "payload": decoded.payload}))
        return 0
    if argv[1:2] == ["validate"]:
        key, url, signature, params = argv[2:6]
        ok = RequestValidator(key).validate(url, dict(json.loads(params)), signature)
        return 0 if ok else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
