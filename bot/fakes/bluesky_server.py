"""A fake Bluesky PDS (XRPC) on 127.0.0.1, strict enough that a request it accepts a PDS would too.

Every call is checked against the AT Protocol lexicons vendored in ``specs/bluesky`` (one file per
NSID): the method must be one the lexicons define, with the HTTP verb its type implies (query =
GET, procedure = POST); parameters and JSON bodies must match the lexicon's schema, and a post
record is validated field by field against ``app.bsky.feed.post`` and the embeds and facets it
refers to: required fields, string lengths in UTF-8 bytes and in graphemes (``text`` at most 300),
facet byte ranges inside the text, ``alt`` on every image, blobs that were uploaded. Errors come
back in XRPC's shape (``{"error": name, "message": text}``) with the status a PDS uses, so the real
client (the ``atproto`` SDK) meets the errors it would meet on Bluesky.

Departures, on purpose:

- images are refused above 1,000,000 bytes at upload, the limit Bluesky enforced for years; the
  current lexicon allows 2,000,000, so a post the fake accepts is accepted everywhere;
- sessions are real JWT-shaped tokens (the SDK reads their ``exp`` to refresh in time) but are
  signed with nothing: the fake checks them by identity, not by signature.

Counts (likes, reposts, quotes, replies) grow with each post's age on the injected clock.
Run ``python -m bot.fakes.bluesky_server --port 8768`` for a standalone training sandbox.
"""

from __future__ import annotations

import argparse
import base64
import functools
import hashlib
import itertools
import json
import secrets
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import regex

from bot.fakes.base import Clock, FakeRequest, FakeResponse, FakeServer, Fault

SPEC_DIR = Path(__file__).parent / "specs" / "bluesky"
POST_COLLECTION = "app.bsky.feed.post"
MAX_BLOB_BYTES = 1_000_000
MAX_GRAPHEMES = 300
ACCESS_SECONDS = 2 * 3600
REFRESH_SECONDS = 60 * 86400
# How fast a post's counts grow with its age, in seconds per unit. Tests read these to predict.
LIKE_EVERY = 60.0
REPOST_EVERY = 180.0
REPLY_EVERY = 600.0
QUOTE_EVERY = 1200.0
# Methods a PDS serves without an access token (sign-in, refresh with its own token, public
# record reads).
NO_ACCESS_TOKEN = frozenset(
    {
        "com.atproto.server.createSession",
        "com.atproto.server.refreshSession",
        "com.atproto.repo.getRecord",
    }
)
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_DATETIME = regex.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_LANGUAGE = regex.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


@functools.cache
def load_lexicons() -> dict[str, dict[str, Any]]:
    """Every vendored lexicon by NSID, read once per process."""
    return {
        path.stem: json.loads(path.read_text(encoding="utf-8")) for path in SPEC_DIR.glob("*.json")
    }


def lexicon_def(ref: str, context: str = "") -> dict[str, Any] | None:
    """The definition a lexicon ref names: ``nsid``, ``nsid#name`` or ``#name`` (in ``context``)."""
    nsid, _, name = ref.partition("#")
    doc = load_lexicons().get(nsid or context)
    if doc is None:
        return None
    found = doc["defs"].get(name or "main")
    return found if isinstance(found, dict) else None


def graphemes(text: str) -> int:
    """User-perceived characters (extended grapheme clusters, Unicode UAX #29)."""
    return len(regex.findall(r"\X", text))


def validate(defn: dict[str, Any], value: Any, where: str, nsid: str) -> list[str]:
    """Every way ``value`` breaks the lexicon definition ``defn`` (read in lexicon ``nsid``)."""
    kind = defn.get("type")
    if kind == "ref":
        ref = str(defn["ref"])
        target = lexicon_def(ref, nsid)
        if target is None:
            return [f"{where}: unknown lexicon ref {ref}"]
        return validate(target, value, where, ref.partition("#")[0] or nsid)
    if kind == "union":
        return _validate_union(defn, value, where, nsid)
    if kind in ("object", "params"):
        return _validate_object(defn, value, where, nsid)
    if kind == "array":
        if not isinstance(value, list):
            return [f"{where} must be an array"]
        errors = []
        if "maxLength" in defn and len(value) > defn["maxLength"]:
            errors.append(f"{where} must not have more than {defn['maxLength']} elements")
        for index, item in enumerate(value):
            errors += validate(defn["items"], item, f"{where}/{index}", nsid)
        return errors
    if kind == "string":
        return _validate_string(defn, value, where)
    if kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            return [f"{where} must be an integer"]
        if "minimum" in defn and value < defn["minimum"]:
            return [f"{where} can not be less than {defn['minimum']}"]
        if "maximum" in defn and value > defn["maximum"]:
            return [f"{where} can not be greater than {defn['maximum']}"]
        return []
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{where} must be a boolean"]
    if kind == "blob":
        return _validate_blob(defn, value, where)
    if kind == "unknown":
        return [] if isinstance(value, dict) else [f"{where} must be an object"]
    return []


def _validate_union(defn: dict[str, Any], value: Any, where: str, nsid: str) -> list[str]:
    if not isinstance(value, dict) or not isinstance(value.get("$type"), str):
        return [f'{where} must be an object which includes the "$type" property']
    wanted = value["$type"]
    for ref in defn["refs"]:
        full = f"{nsid}{ref}" if ref.startswith("#") else ref
        if full.removesuffix("#main") == wanted.removesuffix("#main"):
            return validate({"type": "ref", "ref": full}, value, where, nsid)
    return [f"{where} $type must be one of {', '.join(defn['refs'])}"]


def _validate_object(defn: dict[str, Any], value: Any, where: str, nsid: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{where} must be an object"]
    properties: dict[str, Any] = defn.get("properties", {})
    errors = [
        f'{where} must have the property "{name}"'
        for name in defn.get("required", [])
        if name not in value
    ]
    for name, item in value.items():
        if name == "$type":
            continue
        if name not in properties:
            errors.append(f'{where} has a property "{name}" its lexicon does not define')
            continue
        errors += validate(properties[name], item, f"{where}/{name}", nsid)
    return errors


def _validate_string(defn: dict[str, Any], value: Any, where: str) -> list[str]:
    if not isinstance(value, str):
        return [f"{where} must be a string"]
    errors = []
    if "maxLength" in defn and len(value.encode("utf-8")) > defn["maxLength"]:
        errors.append(f"{where} must not be longer than {defn['maxLength']} characters")
    if "maxGraphemes" in defn and graphemes(value) > defn["maxGraphemes"]:
        errors.append(f"{where} must not be longer than {defn['maxGraphemes']} graphemes")
    fmt = defn.get("format")
    if fmt == "uri" and not regex.match(r"^[a-z][a-z0-9+.-]*:\S+$", value):
        errors.append(f"{where} must be a uri")
    elif fmt == "datetime" and not _DATETIME.match(value):
        errors.append(f"{where} must be an valid atproto datetime (both RFC-3339 and ISO-8601)")
    elif fmt == "language" and not _LANGUAGE.match(value):
        errors.append(f"{where} must be a well-formed BCP 47 language tag")
    elif fmt == "at-uri" and not value.startswith("at://"):
        errors.append(f"{where} must be a valid at-uri")
    return errors


def _validate_blob(defn: dict[str, Any], value: Any, where: str) -> list[str]:
    if not isinstance(value, dict) or value.get("$type") != "blob":
        return [f"{where} should be a blob ref"]
    ref = value.get("ref")
    if not isinstance(ref, dict) or not isinstance(ref.get("$link"), str):
        return [f"{where} should be a blob ref"]
    errors = []
    mime = str(value.get("mimeType") or "")
    accept = defn.get("accept")
    if accept and not any(
        mime == a or (a.endswith("/*") and mime.startswith(a[:-1])) for a in accept
    ):
        errors.append(f"{where} has a mimeType of {mime!r}, not one of {', '.join(accept)}")
    if not isinstance(value.get("size"), int):
        errors.append(f"{where} should be a blob ref with a size")
    return errors


def xrpc_error(status: int, error: str, message: str, **headers: str) -> FakeResponse:
    """XRPC's error shape: a name a client can switch on and a human message."""
    return FakeResponse(status, {"error": error, "message": message}, dict(headers))


def tid(micros: int, clock_id: int = 0) -> str:
    """A record key in TID form: 53 bits of microseconds and 10 of clock id, base32-sortable."""
    number = (micros << 10) | (clock_id & 0x3FF)
    chars = []
    for _ in range(13):
        number, digit = divmod(number, 32)
        chars.append(_TID_ALPHABET[digit])
    return "".join(reversed(chars))


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


_MAGIC = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}


def _sniff(data: bytes) -> str | None:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((mime for magic, mime in _MAGIC.items() if data.startswith(magic)), None)


def _cid(data: bytes) -> str:
    """A CID-looking string (base32 of a SHA-256), stable for the same bytes."""
    digest = base64.b32encode(hashlib.sha256(data).digest()).decode().lower().rstrip("=")
    return "bafyrei" + digest[:52]


class FakeBluesky(FakeServer):
    """One Bluesky account on a fake PDS. ``posts`` (rkey → dict) is the truth tests inspect:
    record, cid, created_at (clock seconds), deleted."""

    KIND = "bluesky"

    def __init__(
        self,
        handle: str = "appealbot.bsky.social",
        app_password: str = "sandbox-app-pass",
        clock: Clock = time.time,
        port: int = 0,
    ) -> None:
        super().__init__(clock=clock, port=port)
        load_lexicons()
        self.handle = handle
        self.app_password = app_password
        self.did = "did:plc:" + hashlib.sha256(handle.encode()).hexdigest()[:24]
        self.posts: dict[str, dict[str, Any]] = {}
        self.blobs: dict[str, dict[str, Any]] = {}
        # Live tokens: value → expiry (clock seconds). Revoking the password empties both.
        self.access_tokens: dict[str, float] = {}
        self.refresh_tokens: dict[str, float] = {}
        self.logins = 0  # createSession calls that succeeded: a kept session makes none
        self.slow_seconds = 0.5
        self.hold_seconds = 30.0
        self._clock_ids = itertools.count(1)

    # --- test controls ---------------------------------------------------------------------
    def reset(self) -> None:
        """Forget posts, blobs, sessions, faults and requests (one running fake, many tests)."""
        self.forget_in_flight()
        with self._lock:
            self.posts.clear()
            self.blobs.clear()
            self.access_tokens.clear()
            self.refresh_tokens.clear()
            self._faults.clear()
            self.requests.clear()
            self.logins = 0
            self.slow_seconds = 0.5
            self.hold_seconds = 30.0

    def revoke_app_password(self, new_password: str = "a-password-that-was-changed") -> None:
        """The account owner revoked the app password: it and every session it made stop working."""
        with self._lock:
            self.app_password = new_password
            self.access_tokens.clear()
            self.refresh_tokens.clear()

    def expire_access_tokens(self) -> None:
        """Every access token expires now (refresh tokens still work): two hours have passed."""
        with self._lock:
            self.access_tokens.clear()

    def state(self) -> Any:
        return {"posts": json.loads(json.dumps(self.posts)), "did": self.did}

    def counts(self, rkey: str) -> dict[str, int]:
        """The counts a post shows now, from its age on the clock."""
        age = max(0.0, self.clock() - self.posts[rkey]["created_at"])
        return {
            "likeCount": int(age // LIKE_EVERY),
            "repostCount": int(age // REPOST_EVERY),
            "replyCount": int(age // REPLY_EVERY),
            "quoteCount": int(age // QUOTE_EVERY),
        }

    def live_posts(self) -> list[dict[str, Any]]:
        return [p for p in self.posts.values() if not p["deleted"]]

    # --- faults ----------------------------------------------------------------------------
    def inject_named(self, name: str, times: int = 1) -> None:
        self.inject(self.named_fault(name, times))

    def named_fault(self, name: str, times: int = 1) -> Fault:
        """A PDS's throttling, outage and token answers, and network faults, by name."""
        now = int(self.clock())
        create = "com.atproto.repo.createRecord"
        if name == "rate_limit":
            response = xrpc_error(
                429,
                "RateLimitExceeded",
                "Rate Limit Exceeded",
                **{
                    "ratelimit-limit": "3000",
                    "ratelimit-remaining": "0",
                    "ratelimit-reset": str(now + 300),
                    "ratelimit-policy": "3000;w=300",
                },
            )
            return Fault(name, response=response, path_contains="/xrpc/", times=times)
        if name == "daily_cap":
            # createRecord's own budget: 1,666 creates an hour and 11,666 a day.
            response = xrpc_error(
                429,
                "RateLimitExceeded",
                "Rate Limit Exceeded",
                **{
                    "ratelimit-limit": "11666",
                    "ratelimit-remaining": "0",
                    "ratelimit-reset": str(now + 6 * 3600),
                    "ratelimit-policy": "11666;w=86400",
                },
            )
            return Fault(name, response=response, path_contains=create, times=times)
        if name == "server_error":
            response = xrpc_error(500, "InternalServerError", "Internal Server Error")
            return Fault(name, response=response, path_contains="/xrpc/", times=times)
        if name == "bad_gateway":
            response = FakeResponse(
                502, b"<html>502 Bad Gateway</html>", {"content-type": "text/html"}
            )
            return Fault(name, response=response, path_contains="/xrpc/", times=times)
        if name == "expired_token":
            response = xrpc_error(400, "ExpiredToken", "Token has expired")
            return Fault(name, response=response, path_contains="/xrpc/app.bsky", times=times)
        if name == "slow":
            return Fault(name, delay=self.slow_seconds, path_contains="/xrpc/", times=times)
        if name == "drop_after_success":
            return Fault(name, drop_after=True, path_contains=create, times=times)
        if name == "hold_after_success":
            return Fault(name, hold_after=self.hold_seconds, path_contains=create, times=times)
        if name == "hold_before_request":
            return Fault(name, hold_before=self.hold_seconds, path_contains=create, times=times)
        raise KeyError(name)

    # --- routing ---------------------------------------------------------------------------
    def route(self, request: FakeRequest) -> FakeResponse:
        if not request.path.startswith("/xrpc/"):
            return FakeResponse(404, b"Not Found", {"content-type": "text/plain"})
        nsid = request.path[len("/xrpc/") :]
        main = lexicon_def(nsid)
        if main is None or main.get("type") not in ("query", "procedure"):
            return xrpc_error(501, "MethodNotImplemented", "Method Not Implemented")
        verb = "GET" if main["type"] == "query" else "POST"
        if request.method != verb:
            return xrpc_error(
                400, "InvalidRequest", f"Incorrect HTTP method ({request.method}) expected {verb}"
            )
        handler = getattr(self, "_" + nsid.replace(".", "_"), None)
        if handler is None:
            return xrpc_error(501, "MethodNotImplemented", "Method Not Implemented")
        if nsid not in NO_ACCESS_TOKEN:  # a PDS checks who is asking before what is asked
            refused = self._check_access(request)
            if refused:
                return refused
        params, errors = self._params(main, request, nsid)
        body: Any = None
        encoding = (main.get("input") or {}).get("encoding")
        if encoding == "application/json":
            body = request.json
            if isinstance(body, ValueError) or not isinstance(body, dict):
                return xrpc_error(400, "InvalidRequest", "Request body must be a JSON object")
            errors += validate(main["input"]["schema"], body, "Input", nsid)
        if errors:
            return xrpc_error(400, "InvalidRequest", errors[0])
        result: FakeResponse = handler(request, params, body)
        return result

    def _params(
        self, main: dict[str, Any], request: FakeRequest, nsid: str
    ) -> tuple[dict[str, Any], list[str]]:
        """Query parameters typed as the lexicon says (arrays repeat the name)."""
        schema = main.get("parameters") or {"type": "params", "properties": {}}
        properties: dict[str, Any] = schema.get("properties", {})
        values: dict[str, Any] = {}
        errors: list[str] = []
        for name, raw in request.query.items():
            prop = properties.get(name)
            if prop is None:
                errors.append(f'Params has a property "{name}" its lexicon does not define')
                continue
            if prop["type"] == "array":
                values[name] = list(raw)
            elif prop["type"] == "integer":
                try:
                    values[name] = int(raw[-1])
                except ValueError:
                    errors.append(f"Params/{name} must be an integer")
            elif prop["type"] == "boolean":
                values[name] = raw[-1] == "true"
            else:
                values[name] = raw[-1]
        return values, errors + validate(schema, values, "Params", nsid)

    # --- auth ------------------------------------------------------------------------------
    def _token(self, kind: str, lifetime: float) -> str:
        now = int(self.clock())
        payload = {
            "scope": "com.atproto.appPass" if kind == "access" else "com.atproto.refresh",
            "sub": self.did,
            "aud": "did:web:fake-pds.invalid",
            "iat": now,
            "exp": now + int(lifetime),
            "jti": secrets.token_urlsafe(12),
        }
        header = {"typ": "at+jwt" if kind == "access" else "refresh+jwt", "alg": "ES256K"}
        return f"{_b64(header)}.{_b64(payload)}.{secrets.token_urlsafe(32)}"

    def _new_session(self) -> dict[str, Any]:
        access = self._token("access", ACCESS_SECONDS)
        refresh = self._token("refresh", REFRESH_SECONDS)
        now = self.clock()
        self.access_tokens[access] = now + ACCESS_SECONDS
        self.refresh_tokens[refresh] = now + REFRESH_SECONDS
        return {
            "accessJwt": access,
            "refreshJwt": refresh,
            "handle": self.handle,
            "did": self.did,
            "active": True,
        }

    def _bearer(self, request: FakeRequest) -> str | None:
        header = request.header("authorization") or ""
        return header[len("Bearer ") :] if header.startswith("Bearer ") else None

    def _check_access(self, request: FakeRequest) -> FakeResponse | None:
        """None when the request carries a live access token, else the PDS's refusal."""
        token = self._bearer(request)
        if token is None:
            return xrpc_error(401, "AuthMissing", "Authentication Required")
        if token in self.refresh_tokens:
            return xrpc_error(400, "InvalidToken", "Invalid token type")
        expiry = self.access_tokens.get(token)
        if expiry is None:
            return xrpc_error(400, "ExpiredToken", "Token has been revoked")
        if self.clock() >= expiry:
            return xrpc_error(400, "ExpiredToken", "Token has expired")
        return None

    def _repo_matches(self, repo: str) -> bool:
        return repo in (self.did, self.handle)

    # --- com.atproto.server ----------------------------------------------------------------
    def _com_atproto_server_createSession(self, _: FakeRequest, __: Any, body: Any) -> FakeResponse:
        if (
            body["identifier"] not in (self.handle, self.did)
            or body["password"] != self.app_password
        ):
            return xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password")
        self.logins += 1
        return FakeResponse(200, self._new_session())

    def _com_atproto_server_refreshSession(
        self, request: FakeRequest, _: Any, __: Any
    ) -> FakeResponse:
        token = self._bearer(request) or ""
        expiry = self.refresh_tokens.pop(token, None)  # a refresh token is good for one use
        if expiry is None:
            return xrpc_error(400, "ExpiredToken", "Token has been revoked")
        if self.clock() >= expiry:
            return xrpc_error(400, "ExpiredToken", "Token has expired")
        return FakeResponse(200, self._new_session())

    def _com_atproto_server_getSession(self, request: FakeRequest, _: Any, __: Any) -> FakeResponse:
        return FakeResponse(200, {"handle": self.handle, "did": self.did, "active": True})

    # --- com.atproto.repo ------------------------------------------------------------------
    def _com_atproto_repo_uploadBlob(self, request: FakeRequest, _: Any, __: Any) -> FakeResponse:
        # A PDS sniffs the type from the bytes: the SDK sends "*/*" unless told otherwise.
        mime = _sniff(request.body)
        if not request.body:
            return xrpc_error(400, "InvalidRequest", "Request body is empty")
        if len(request.body) > MAX_BLOB_BYTES:
            return xrpc_error(
                400,
                "BlobTooLarge",
                f"This file is too large. It is {len(request.body)} bytes but the maximum size is "
                f"{MAX_BLOB_BYTES} bytes.",
            )
        if mime is None:
            return xrpc_error(400, "InvalidMimeType", "The blob is not an image this fake knows")
        cid = _cid(request.body)
        self.blobs[cid] = {"mimeType": mime, "size": len(request.body)}
        blob = {"$type": "blob", "ref": {"$link": cid}, "mimeType": mime, "size": len(request.body)}
        return FakeResponse(200, {"blob": blob})

    def _com_atproto_repo_createRecord(
        self, request: FakeRequest, _: Any, body: Any
    ) -> FakeResponse:
        if not self._repo_matches(body["repo"]):
            return xrpc_error(400, "InvalidRequest", "Invalid repo: not the authenticated account")
        if body["collection"] != POST_COLLECTION:
            return xrpc_error(400, "InvalidRequest", f"The fake serves only {POST_COLLECTION}")
        record = body["record"]
        if not isinstance(record, dict) or record.get("$type") != POST_COLLECTION:
            return xrpc_error(400, "InvalidRequest", f"Invalid $type: must be {POST_COLLECTION}")
        errors = validate(lexicon_def(POST_COLLECTION)["record"], record, "Record", POST_COLLECTION)  # type: ignore[index]
        errors = errors or self._check_post(record)
        if errors:
            return xrpc_error(
                400, "InvalidRequest", f"Invalid app.bsky.feed.post record: {errors[0]}"
            )
        micros = int(self.clock() * 1_000_000)
        rkey = tid(micros, next(self._clock_ids))
        while rkey in self.posts:
            micros += 1
            rkey = tid(micros, next(self._clock_ids))
        cid = _cid(json.dumps(record, sort_keys=True).encode() + rkey.encode())
        uri = f"at://{self.did}/{POST_COLLECTION}/{rkey}"
        self.posts[rkey] = {
            "uri": uri,
            "cid": cid,
            "record": record,
            "created_at": self.clock(),
            "deleted": False,
        }
        commit = {"cid": _cid(cid.encode()), "rev": tid(micros)}
        return FakeResponse(
            200, {"uri": uri, "cid": cid, "commit": commit, "validationStatus": "valid"}
        )

    def _check_post(self, record: dict[str, Any]) -> list[str]:
        """What the lexicon alone cannot say: facet ranges inside the text, known blobs."""
        text_bytes = len(record["text"].encode("utf-8"))
        errors = []
        for index, facet in enumerate(record.get("facets") or []):
            start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]
            if not 0 <= start < end <= text_bytes:
                errors.append(
                    f"Record/facets/{index}/index [{start}, {end}) is outside the text's "
                    f"{text_bytes} bytes"
                )
        embed = record.get("embed") or {}
        images = embed.get("images") or [] if isinstance(embed, dict) else []
        for index, image in enumerate(images):
            link = image["image"]["ref"]["$link"]
            blob = self.blobs.get(link)
            if blob is None:
                errors.append(f"Record/embed/images/{index}/image: blob {link} was not uploaded")
            elif blob["size"] > MAX_BLOB_BYTES:
                errors.append(f"Record/embed/images/{index}/image is over {MAX_BLOB_BYTES} bytes")
        return errors

    def _rkey_of(self, params: dict[str, Any]) -> str | None:
        if not self._repo_matches(str(params["repo"])) or params["collection"] != POST_COLLECTION:
            return None
        return str(params["rkey"])

    def _com_atproto_repo_getRecord(
        self, request: FakeRequest, params: Any, _: Any
    ) -> FakeResponse:
        rkey = self._rkey_of(params)
        post = self.posts.get(rkey or "")
        if post is None or post["deleted"]:
            uri = f"at://{params['repo']}/{params['collection']}/{params['rkey']}"
            return xrpc_error(400, "RecordNotFound", f"Could not locate record: {uri}")
        return FakeResponse(200, {"uri": post["uri"], "cid": post["cid"], "value": post["record"]})

    def _com_atproto_repo_deleteRecord(
        self, request: FakeRequest, _: Any, body: Any
    ) -> FakeResponse:
        if not self._repo_matches(body["repo"]):
            return xrpc_error(400, "InvalidRequest", "Invalid repo: not the authenticated account")
        post = self.posts.get(body["rkey"]) if body["collection"] == POST_COLLECTION else None
        if post is None or post["deleted"]:
            return FakeResponse(200, {})  # a PDS deletes idempotently: no commit, no error
        post["deleted"] = True
        return FakeResponse(
            200,
            {"commit": {"cid": _cid(post["cid"].encode()), "rev": tid(int(self.clock() * 1e6))}},
        )

    # --- app.bsky (the AppView) --------------------------------------------------------------
    def _post_view(self, rkey: str) -> dict[str, Any]:
        post = self.posts[rkey]
        view: dict[str, Any] = {
            "uri": post["uri"],
            "cid": post["cid"],
            "author": {"did": self.did, "handle": self.handle, "displayName": "Appeal Sandbox"},
            "record": post["record"],
            "indexedAt": _iso(post["created_at"]),
            **self.counts(rkey),
        }
        embed = post["record"].get("embed") or {}
        if embed.get("$type") == "app.bsky.embed.images":
            view["embed"] = {
                "$type": "app.bsky.embed.images#view",
                "images": [
                    {
                        "thumb": f"https://cdn.bsky.invalid/thumb/{i['image']['ref']['$link']}",
                        "fullsize": f"https://cdn.bsky.invalid/full/{i['image']['ref']['$link']}",
                        "alt": i["alt"],
                        **({"aspectRatio": i["aspectRatio"]} if "aspectRatio" in i else {}),
                    }
                    for i in embed["images"]
                ],
            }
        elif embed.get("$type") == "app.bsky.embed.external":
            external = embed["external"]
            view["embed"] = {
                "$type": "app.bsky.embed.external#view",
                "external": {k: external[k] for k in ("uri", "title", "description")},
            }
        return view

    def _app_bsky_feed_getPosts(self, request: FakeRequest, params: Any, _: Any) -> FakeResponse:
        views = []
        for uri in params["uris"]:
            did, _, rest = uri.removeprefix("at://").partition("/")
            collection, _, rkey = rest.partition("/")
            post = self.posts.get(rkey)
            if did == self.did and collection == POST_COLLECTION and post and not post["deleted"]:
                views.append(self._post_view(rkey))
        return FakeResponse(200, {"posts": views})  # missing posts are left out, not errors

    def _app_bsky_feed_getAuthorFeed(
        self, request: FakeRequest, params: Any, _: Any
    ) -> FakeResponse:
        if not self._repo_matches(str(params["actor"])):
            return xrpc_error(400, "InvalidRequest", "Profile not found")
        limit = int(params.get("limit", 50))
        live = sorted((k for k, p in self.posts.items() if not p["deleted"]), reverse=True)
        start = live.index(params["cursor"]) + 1 if params.get("cursor") in live else 0
        page = live[start : start + limit]
        body: dict[str, Any] = {"feed": [{"post": self._post_view(k)} for k in page]}
        if start + limit < len(live):
            body["cursor"] = page[-1]
        return FakeResponse(200, body)

    def _app_bsky_actor_getProfile(self, request: FakeRequest, params: Any, _: Any) -> FakeResponse:
        if not self._repo_matches(str(params["actor"])):
            return xrpc_error(400, "InvalidRequest", "Profile not found")
        return FakeResponse(
            200, {"did": self.did, "handle": self.handle, "displayName": "Appeal Sandbox"}
        )


def main(argv: list[str] | None = None) -> None:
    """Serve the fake Bluesky until interrupted, for a training sandbox or a manual try-out."""
    parser = argparse.ArgumentParser(description="A local fake of a Bluesky PDS.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--handle", default="appealbot.bsky.social")
    parser.add_argument("--app-password", default="sandbox-app-pass")
    args = parser.parse_args(argv)
    fake = FakeBluesky(args.handle, args.app_password, port=args.port)
    fake.start()
    print(fake.url, flush=True)
    fake.serve_until_interrupted()


if __name__ == "__main__":
    main()
