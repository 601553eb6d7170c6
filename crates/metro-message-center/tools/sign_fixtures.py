#!/usr/bin/env python3
"""Checks (or writes) the `x-signature` of every METRO fixture, independently of the
Rust signer (`marketplace_runtime::MetroHmac`).

METRO signs HMAC-SHA256(client secret, "METHOD\\nFULL_URL\\nBODY\\nTIMESTAMP"),
lower-case hex. The replay harness signs for METRO's sandbox host (the mock server's
address changes on every run), so FULL_URL here is the spec's sandbox origin + the
recorded path + the query string as the client sends it: parameters in name order
(progenitor's order), form-urlencoded (`[` → `%5B`, space → `+`). BODY is the JSON
body as serde_json writes the generated struct (compact, fields in name order), or
empty (no body, or a multipart upload). TIMESTAMP is the fixture's `now`.

    python3 crates/metro-message-center/tools/sign_fixtures.py          # check
    python3 crates/metro-message-center/tools/sign_fixtures.py --write  # fill in

The replay (`cargo xtask check`) then proves the Rust signer produces the same
header for the same request.
"""

import hashlib
import hmac
import json
import pathlib
import sys

SECRET = b"fake-metro-client-secret"
CLIENT_ID = "fake-metro-client-id"
ORIGINS = {
    "metro-message-center": "https://service-message-center.sandbox.infra.metro-markets.cloud",
    "metro-subscriptions": "https://service-subscription-settings.sandbox.infra.metro-markets.cloud",
}
ROOT = pathlib.Path(__file__).resolve().parents[3]


def form_urlencode(text):
    """`form_urlencoded::byte_serialize`, what reqwest's `.query()` uses."""
    out = []
    for byte in text.encode("utf-8"):
        char = chr(byte)
        if char.isascii() and (char.isalnum() or char in "*-._"):
            out.append(char)
        elif char == " ":
            out.append("+")
        else:
            out.append("%%%02X" % byte)
    return "".join(out)


def full_url(origin, request):
    url = origin + request["path"]
    query = request.get("query") or {}
    if query:
        url += "?" + "&".join(
            form_urlencode(name) + "=" + form_urlencode(value)
            for name, value in sorted(query.items())
        )
    return url


def body_bytes(request):
    if request.get("body") is None:
        return b""
    return json.dumps(
        request["body"], separators=(",", ":"), sort_keys=True, ensure_ascii=False
    ).encode("utf-8")


def signature(origin, fixture):
    request = fixture["request"]
    text = b"\n".join(
        [
            request["method"].encode(),
            full_url(origin, request).encode(),
            body_bytes(request),
            str(fixture["now"]).encode(),
        ]
    )
    return hmac.new(SECRET, text, hashlib.sha256).hexdigest(), text


def main():
    write = "--write" in sys.argv[1:]
    problems = 0
    count = 0
    for spec, origin in ORIGINS.items():
        for path in sorted((ROOT / "tests/fixtures" / spec).glob("*/*.json")):
            fixture = json.loads(path.read_text())
            count += 1
            expected, text = signature(origin, fixture)
            headers = fixture["request"].setdefault("headers", {})
            if write:
                headers["x-client-id"] = CLIENT_ID
                headers["x-timestamp"] = str(fixture["now"])
                headers["x-signature"] = expected
                path.write_text(json.dumps(fixture, indent=2, ensure_ascii=False) + "\n")
                continue
            for name, want in [
                ("x-client-id", CLIENT_ID),
                ("x-timestamp", str(fixture["now"])),
                ("x-signature", expected),
            ]:
                if headers.get(name) != want:
                    problems += 1
                    print(f"{path.relative_to(ROOT)}: {name} is {headers.get(name)!r}, expected {want!r}")
                    print(f"  signed text: {text!r}")
    print(f"{count} fixtures {'written' if write else 'checked'}, {problems} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
