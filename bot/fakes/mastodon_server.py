"""A fake Mastodon instance on 127.0.0.1, checked against Mastodon's OpenAPI description.

Every request is matched to an operation of ``specs/mastodon/openapi.json`` (abraham/mastodon-
openapi, generated from Mastodon's own documentation): an unknown path or method is refused,
query parameters must be ones the operation declares, and a status's parameters must match the
spec's ``TextStatus``/``MediaStatus`` schemas, whether sent as JSON or, as Mastodon.py sends them,
as a form (``media_ids[]=...``, booleans as 1/0), which Mastodon accepts too. Then the rules the
schema cannot say: the instance's character limit (each URL counts as
``characters_reserved_per_url``, text is counted in grapheme clusters as Mastodon's
``StatusLengthValidator`` does), media that exist and have finished processing, the image size
limit and types, and the ``Idempotency-Key``: a status created again with a key seen in the last
hour is not created twice, the first one is returned, as Mastodon does.

Answers have the spec's shapes (``Status``, ``MediaAttachment``, ``Account``, ``Instance``) and
Mastodon's errors (``{"error": ...}`` with 401, 404, 422, 429, 503), and every answer carries
``X-RateLimit-*`` headers. An uploaded image answers 202 and is "processing" for
``processing_reads`` reads of ``GET /api/v1/media/:id`` (206), as a busy instance does.

One departure, on purpose: an image without a ``description`` (alt text) is refused with 422;
Mastodon allows it, but appeal-bot never posts a photo without one.
"""

from __future__ import annotations

import argparse
import email.parser
import email.policy
import functools
import itertools
import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from bot.fakes.base import Clock, FakeRequest, FakeResponse, FakeServer, Fault
from bot.posts.mastodon_text import countable_length

SPEC_PATH = Path(__file__).parent / "specs" / "mastodon" / "openapi.json"
# The scopes the README tells the charity to give appeal-bot's token, and no more.
README_SCOPES = ("write:statuses", "write:media", "read:statuses", "profile")
IDEMPOTENCY_SECONDS = 3600
RATE_LIMIT = 300
RATE_WINDOW = 300
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
# How fast a status's counts grow with its age, in seconds per unit. Tests read these to predict.
FAVOURITE_EVERY = 60.0
REBLOG_EVERY = 180.0
REPLY_EVERY = 600.0
QUOTE_EVERY = 1200.0
_URL = re.compile(r"https?://[^\s]+", re.IGNORECASE)  # what the rendered status links


_MAGIC = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}


@functools.cache
def load_spec() -> dict[str, Any]:
    """The vendored OpenAPI document, parsed once per process (1.4 MB)."""
    spec: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    return spec


def resolve(schema: Any) -> Any:
    """Follow ``$ref`` pointers until a concrete schema remains."""
    for _ in range(50):
        if not (isinstance(schema, dict) and "$ref" in schema):
            return schema
        node: Any = load_spec()
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    raise ValueError("$ref cycle in the spec")


def _properties(schema: Any) -> dict[str, Any]:
    """The properties an object schema declares, through ``allOf`` (and every ``oneOf`` and
    ``anyOf`` branch, for reading a form's types)."""
    schema = resolve(schema)
    if not isinstance(schema, dict):
        return {}
    found = dict(schema.get("properties", {}))
    for combinator in ("allOf", "oneOf", "anyOf"):
        for part in schema.get(combinator, []):
            found.update(_properties(part))
    return found


def validate(schema: Any, value: Any, where: str = "") -> list[str]:
    """Every way ``value`` breaks ``schema`` (``$ref``, ``allOf``, ``oneOf``/``anyOf`` read as
    "any one fits", ``type``, ``required``, ``properties``, ``enum``, ``items``). An object may
    hold no property its schema (with all its ``allOf`` parts) does not declare."""
    schema = resolve(schema)
    if not isinstance(schema, dict):
        return []
    if "allOf" in schema:
        found = [e for part in schema["allOf"] for e in validate(part, value, where)]
        if isinstance(value, dict):
            known = _properties(schema)
            found += [f"{where}{k} is not a known parameter" for k in value if k not in known]
        return list(dict.fromkeys(found))
    for combinator in ("oneOf", "anyOf"):
        if combinator in schema:
            branches = [validate(branch, value, where) for branch in schema[combinator]]
            if all(branches):
                return min(branches, key=len)
            return []
    expected = schema.get("type")
    types = expected if isinstance(expected, list) else [expected] if expected else []
    if types and not any(_is_type(t, value) for t in types):
        return [f"{where or 'value'} must be {' or '.join(types)}"]
    errors: list[str] = []
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where} must be one of {', '.join(map(str, schema['enum']))}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            errors += validate(schema["items"], item, f"{where}[{index}]")
    if isinstance(value, dict):
        errors += [
            f"{where}{name} is missing" for name in schema.get("required", []) if name not in value
        ]
        properties = schema.get("properties", {})
        for name, item in value.items():
            if name in properties:
                errors += validate(properties[name], item, f"{where}{name}.")
    return errors


def _is_type(kind: str, value: Any) -> bool:
    checks: dict[str, Any] = {
        "object": dict,
        "array": list,
        "string": (str, bytes),  # bytes: a multipart file part
        "boolean": bool,
        "null": type(None),
    }
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, checks.get(kind, object))


@functools.cache
def _routes() -> tuple[tuple[str, re.Pattern[str], dict[str, Any]], ...]:
    """The spec's paths as regexes, literal ones first (``verify_credentials`` before ``{id}``)."""
    routes = []
    for template, item in load_spec()["paths"].items():
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
        routes.append((template, re.compile(f"^{pattern}/?$"), item))
    return tuple(sorted(routes, key=lambda r: (r[0].count("{"), r[0])))


def match_route(path: str) -> tuple[str, dict[str, Any], dict[str, str]] | None:
    for template, pattern, item in _routes():
        found = pattern.match(path)
        if found:
            return template, item, {k: unquote(v) for k, v in found.groupdict().items()}
    return None


def mastodon_error(status: int, message: str, **headers: str) -> FakeResponse:
    return FakeResponse(status, {"error": message}, dict(headers))


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _form(request: FakeRequest) -> dict[str, Any]:
    """A form or multipart body as Rails reads it: ``name[]`` repeated makes a list."""
    content_type = request.header("content-type") or ""
    fields: dict[str, Any] = {}
    if content_type.startswith("multipart/form-data"):
        head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + request.body)
        for part in message.iter_parts() if message.is_multipart() else []:
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
            if isinstance(name, str):
                fields[name] = data if part.get_filename() else data.decode("utf-8", "replace")
        return fields
    from urllib.parse import parse_qsl

    for name, value in parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True):
        if name.endswith("[]"):
            fields.setdefault(name[:-2], []).append(value)
        else:
            fields[name] = value
    return fields


def _typed(fields: dict[str, Any], schema: Any) -> dict[str, Any]:
    """Form strings turned into the types the schema declares (Rails casts "1"/"0" too)."""
    properties = _properties(schema)
    typed: dict[str, Any] = {}
    for name, value in fields.items():
        kind = resolve(properties.get(name, {})).get("type")
        if kind == "boolean" and isinstance(value, str):
            typed[name] = value.lower() in ("1", "true")
        elif kind == "integer" and isinstance(value, str) and value.lstrip("-").isdigit():
            typed[name] = int(value)
        else:
            typed[name] = value
    return typed


class FakeMastodon(FakeServer):
    """One account on a fake Mastodon instance. ``statuses`` (id → dict) and ``media`` are the
    truth tests inspect; ``idempotency`` maps each key seen to the status it created."""

    KIND = "mastodon"

    def __init__(
        self,
        access_token: str = "sandbox-mastodon-token",
        username: str = "appealbot",
        domain: str = "mastodon.sandbox.invalid",
        clock: Clock = time.time,
        port: int = 0,
        max_characters: int = 500,
    ) -> None:
        super().__init__(clock=clock, port=port)
        load_spec()
        self.access_token = access_token
        self.scopes = set(README_SCOPES)
        self.username = username
        self.domain = domain
        self.account_id = "109000000000000001"
        self.max_characters = max_characters
        self.url_weight = 23
        self.image_size_limit = 16_777_216
        self.description_limit = 1500
        self.processing_reads = 0
        self.statuses: dict[str, dict[str, Any]] = {}
        self.media: dict[str, dict[str, Any]] = {}
        self.idempotency: dict[str, tuple[str, float]] = {}
        self.slow_seconds = 0.5
        self.hold_seconds = 30.0
        self._ids = itertools.count(113_000_000_000_000_001)
        self._calls: list[float] = []

    # --- test controls ---------------------------------------------------------------------
    def reset(self) -> None:
        self.forget_in_flight()
        with self._lock:
            self.statuses.clear()
            self.media.clear()
            self.idempotency.clear()
            self._faults.clear()
            self.requests.clear()
            self._calls.clear()
            self.processing_reads = 0
            self.slow_seconds = 0.5
            self.hold_seconds = 30.0

    def revoke_token(self) -> None:
        """The account owner revoked the application's token."""
        with self._lock:
            self.access_token = "a-token-that-was-revoked"

    def state(self) -> Any:
        media = {k: {f: v for f, v in m.items() if f != "data"} for k, m in self.media.items()}
        return {"statuses": self.statuses, "media": media, "idempotency": self.idempotency}

    def counts(self, status_id: str) -> dict[str, int]:
        age = max(0.0, self.clock() - self.statuses[status_id]["created_at"])
        return {
            "favourites_count": int(age // FAVOURITE_EVERY),
            "reblogs_count": int(age // REBLOG_EVERY),
            "replies_count": int(age // REPLY_EVERY),
            "quotes_count": int(age // QUOTE_EVERY),
        }

    def add_status(self, text: str) -> str:
        """A status posted on the account by other means (the comms team, by hand)."""
        with self._lock:
            status_id = str(next(self._ids))
            self.statuses[status_id] = {
                "id": status_id,
                "text": text,
                "media_ids": [],
                "visibility": "public",
                "language": "en",
                "sensitive": False,
                "idempotency_key": None,
                "created_at": self.clock(),
                "deleted": False,
            }
            return status_id

    def live_statuses(self) -> list[dict[str, Any]]:
        return [s for s in self.statuses.values() if not s["deleted"]]

    # --- faults ----------------------------------------------------------------------------
    def inject_named(self, name: str, times: int = 1) -> None:
        self.inject(self.named_fault(name, times))

    def named_fault(self, name: str, times: int = 1) -> Fault:
        """Mastodon's throttling, outage and token answers, and network faults, by name."""
        post = "/api/v1/statuses"
        if name == "rate_limit":
            response = mastodon_error(429, "Too many requests", **self._limit_headers(remaining=0))
            return Fault(name, response=response, path_contains="/api/", times=times)
        if name == "server_error":
            response = mastodon_error(503, "Service Unavailable")
            return Fault(name, response=response, path_contains="/api/", times=times)
        if name == "expired_token":
            return Fault(
                name,
                response=mastodon_error(401, "The access token was revoked"),
                path_contains="/api/",
                times=times,
            )
        if name == "slow":
            return Fault(name, delay=self.slow_seconds, path_contains="/api/", times=times)
        if name == "drop_after_success":
            return Fault(name, drop_after=True, method="POST", path_contains=post, times=times)
        if name == "hold_after_success":
            return Fault(
                name, hold_after=self.hold_seconds, method="POST", path_contains=post, times=times
            )
        if name == "hold_before_request":
            return Fault(
                name, hold_before=self.hold_seconds, method="POST", path_contains=post, times=times
            )
        raise KeyError(name)

    def _limit_headers(self, remaining: int | None = None) -> dict[str, str]:
        now = self.clock()
        window_start = now - now % RATE_WINDOW
        self._calls = [t for t in self._calls if t >= window_start]
        left = RATE_LIMIT - len(self._calls) if remaining is None else remaining
        return {
            "X-RateLimit-Limit": str(RATE_LIMIT),
            "X-RateLimit-Remaining": str(max(0, left)),
            "X-RateLimit-Reset": _iso(window_start + RATE_WINDOW),
        }

    # --- routing ---------------------------------------------------------------------------
    def route(self, request: FakeRequest) -> FakeResponse:
        self._calls.append(self.clock())
        response = self._route(request)
        for name, value in self._limit_headers().items():
            response.headers.setdefault(name, value)
        return response

    def _route(self, request: FakeRequest) -> FakeResponse:
        found = match_route(request.path)
        if found is None:
            return mastodon_error(404, "Record not found")
        template, item, path_params = found
        operation = item.get(request.method.lower())
        if operation is None:
            return mastodon_error(405, "Method Not Allowed")
        handler = getattr(self, _handler_name(request.method, template), None)
        if handler is None:
            return mastodon_error(501, f"The fake does not serve {request.method} {template}")
        public = template in ("/api/v1/instance", "/api/v2/instance")
        if not public:
            refused = self._authorize(request, operation)
            if refused:
                return refused
        declared = {resolve(p)["name"]: resolve(p) for p in operation.get("parameters", [])}
        for name in request.query:
            param = declared.get(name.removesuffix("[]"))
            if param is None or param.get("in") != "query":
                return mastodon_error(422, f"Unknown query parameter {name}")
        result: FakeResponse = handler(request, path_params, operation)
        return result

    def _authorize(self, request: FakeRequest, operation: dict[str, Any]) -> FakeResponse | None:
        header = request.header("authorization") or ""
        if header != f"Bearer {self.access_token}":
            return mastodon_error(401, "The access token is invalid")
        needed = {
            scope
            for requirement in operation.get("security", [])
            for scope in requirement.get("OAuth2", [])
        }
        if needed and not any(_covers(have, scope) for scope in needed for have in self.scopes):
            return mastodon_error(403, "This action is outside the authorized scopes")
        return None

    def _body(
        self, request: FakeRequest, operation: dict[str, Any]
    ) -> tuple[dict[str, Any], list[str]]:
        request_body: dict[str, Any] = resolve(operation.get("requestBody")) or {}
        content: dict[str, Any] = request_body.get("content", {})
        if isinstance(request.json, dict):
            body: dict[str, Any] = request.json
            schema: Any = content.get("application/json", {}).get("schema", {})
        else:
            first: dict[str, Any] = next(iter(content.values()), {})
            schema = first.get("schema", {})
            body = _typed(_form(request), schema)
        return body, validate(schema, body)

    # --- accounts and instance -------------------------------------------------------------
    def _account(self) -> dict[str, Any]:
        created = _iso(1_600_000_000)
        return {
            "id": self.account_id,
            "username": self.username,
            "acct": self.username,
            "display_name": "Appeal Sandbox",
            "locked": False,
            "bot": True,
            "group": False,
            "discoverable": True,
            "indexable": True,
            "created_at": created,
            "note": "",
            "url": f"https://{self.domain}/@{self.username}",
            "uri": f"https://{self.domain}/users/{self.username}",
            "avatar": f"https://{self.domain}/avatars/original/missing.png",
            "avatar_static": f"https://{self.domain}/avatars/original/missing.png",
            "header": f"https://{self.domain}/headers/original/missing.png",
            "header_static": f"https://{self.domain}/headers/original/missing.png",
            "followers_count": 1200,
            "following_count": 10,
            "statuses_count": len(self.live_statuses()),
            "last_status_at": None,
            "emojis": [],
            "fields": [],
        }

    def _get_api_v1_accounts_verify_credentials(self, *_: Any) -> FakeResponse:
        source = {
            "privacy": "public",
            "sensitive": False,
            "language": "en",
            "note": "",
            "fields": [],
            "follow_requests_count": 0,
            "indexable": True,
        }
        role = {"id": "-99", "name": "", "color": "", "permissions": "65536", "highlighted": False}
        return FakeResponse(200, {**self._account(), "source": source, "role": role})

    def _get_api_v1_instance(self, *_: Any) -> FakeResponse:
        return FakeResponse(
            200,
            {
                "uri": self.domain,
                "title": "Sandbox Mastodon",
                "short_description": "",
                "description": "A fake instance for appeal-bot.",
                "email": "admin@example.invalid",
                "version": "4.3.0",
                "urls": {},
                "stats": {"user_count": 1, "status_count": 0, "domain_count": 1},
                "languages": ["en"],
                "registrations": False,
                "approval_required": False,
                "invites_enabled": False,
                "configuration": self._configuration(),
                "rules": [],
            },
        )

    def _configuration(self) -> dict[str, Any]:
        return {
            "urls": {"streaming": f"wss://{self.domain}"},
            "accounts": {"max_featured_tags": 10, "max_pinned_statuses": 5},
            "statuses": {
                "max_characters": self.max_characters,
                "max_media_attachments": 4,
                "characters_reserved_per_url": self.url_weight,
            },
            "media_attachments": {
                "supported_mime_types": list(IMAGE_TYPES),
                "description_limit": self.description_limit,
                "image_size_limit": self.image_size_limit,
                "image_matrix_limit": 33_177_600,
                "video_size_limit": 103_809_024,
                "video_frame_rate_limit": 120,
                "video_matrix_limit": 8_294_400,
            },
            "polls": {
                "max_options": 4,
                "max_characters_per_option": 50,
                "min_expiration": 300,
                "max_expiration": 2_629_746,
            },
            "translation": {"enabled": False},
        }

    def _get_api_v2_instance(self, *_: Any) -> FakeResponse:
        return FakeResponse(
            200,
            {
                "domain": self.domain,
                "title": "Sandbox Mastodon",
                "version": "4.3.0",
                "source_url": "https://github.com/mastodon/mastodon",
                "description": "A fake instance for appeal-bot.",
                "usage": {"users": {"active_month": 1}},
                "thumbnail": {"url": f"https://{self.domain}/thumbnail.png"},
                "icon": [],
                "languages": ["en"],
                "configuration": self._configuration(),
                "registrations": {"enabled": False, "approval_required": False, "message": None},
                "api_versions": {"mastodon": 2},
                "contact": {"email": "admin@example.invalid", "account": None},
                "rules": [],
            },
        )

    # --- media -----------------------------------------------------------------------------
    def _media_view(self, media: dict[str, Any]) -> dict[str, Any]:
        ready = media["reads_left"] <= 0
        url = f"https://{self.domain}/media/{media['id']}.png"
        return {
            "id": media["id"],
            "type": "image",
            "url": url if ready else None,
            "preview_url": url,
            "remote_url": None,
            "meta": {"original": {"width": media["width"], "height": media["height"]}},
            "description": media["description"],
            "blurhash": "UAAAAAAA",
        }

    def _post_api_v2_media(self, request: FakeRequest, _: Any, operation: Any) -> FakeResponse:
        body, errors = self._body(request, operation)
        if errors:
            return mastodon_error(422, f"Validation failed: {errors[0]}")
        data = body.get("file")
        if not isinstance(data, bytes) or not data:
            return mastodon_error(422, "Validation failed: File can't be blank")
        mime = next((m for magic, m in _MAGIC.items() if data.startswith(magic)), None)
        if mime is None:
            return mastodon_error(422, "Validation failed: File content type is invalid")
        if len(data) > self.image_size_limit:
            return mastodon_error(
                422,
                "Validation failed: File file size must be less than "
                f"{self.image_size_limit} Bytes",
            )
        description = str(body.get("description") or "")
        if not description.strip():
            return mastodon_error(422, "Validation failed: Description can't be blank (alt text)")
        if len(description) > self.description_limit:
            return mastodon_error(
                422,
                "Validation failed: Description is too long (maximum is "
                f"{self.description_limit} characters)",
            )
        media_id = str(next(self._ids))
        width, height = _png_size(data)
        self.media[media_id] = {
            "id": media_id,
            "size": len(data),
            "type": mime,
            "description": description,
            "reads_left": self.processing_reads,
            "width": width,
            "height": height,
            "status_id": None,
        }
        status = 202 if self.processing_reads > 0 else 200
        return FakeResponse(status, self._media_view(self.media[media_id]))

    def _get_api_v1_media_id(self, _: FakeRequest, params: dict[str, str], __: Any) -> FakeResponse:
        media = self.media.get(params["id"])
        if media is None:
            return mastodon_error(404, "Record not found")
        processing = media["reads_left"] > 0
        media["reads_left"] -= 1
        return FakeResponse(206 if processing else 200, self._media_view(media))

    # --- statuses --------------------------------------------------------------------------
    def _status_view(self, status: dict[str, Any]) -> dict[str, Any]:
        media = [self._media_view(self.media[m]) for m in status["media_ids"]]
        text = status["text"]
        tags = [
            {"name": t, "url": f"https://{self.domain}/tags/{t}"}
            for t in re.findall(r"#(\w+)", text)
        ]
        return {
            "id": status["id"],
            "uri": f"https://{self.domain}/users/{self.username}/statuses/{status['id']}",
            "url": f"https://{self.domain}/@{self.username}/{status['id']}",
            "created_at": _iso(status["created_at"]),
            "account": self._account(),
            "content": "<p>" + _html(text) + "</p>",
            "visibility": status["visibility"],
            "sensitive": status["sensitive"],
            "spoiler_text": "",
            "media_attachments": media,
            "application": {"name": "appeal-bot", "website": None},
            "mentions": [],
            "tags": tags,
            "emojis": [],
            "in_reply_to_id": None,
            "in_reply_to_account_id": None,
            "reblog": None,
            "poll": None,
            "card": None,
            "language": status["language"],
            "edited_at": None,
            **self.counts(status["id"]),
        }

    def _post_api_v1_statuses(self, request: FakeRequest, _: Any, operation: Any) -> FakeResponse:
        key = request.header("idempotency-key")
        now = self.clock()
        if key:
            seen = self.idempotency.get(key)
            if seen and now - seen[1] < IDEMPOTENCY_SECONDS:
                # Mastodon looks the first status up again: deleted, it answers 404.
                first = self._live(seen[0])
                if first is None:
                    return mastodon_error(404, "Record not found")
                return FakeResponse(200, self._status_view(first))
        body, errors = self._body(request, operation)
        if errors:
            return mastodon_error(422, f"Validation failed: {errors[0]}")
        text = str(body.get("status") or "")
        media_ids = [str(m) for m in body.get("media_ids") or []]
        if not text.strip() and not media_ids:
            return mastodon_error(422, "Validation failed: Text can't be blank")
        if countable_length(text, self.url_weight) > self.max_characters:
            return mastodon_error(
                422, f"Validation failed: Text character limit of {self.max_characters} exceeded"
            )
        for media_id in media_ids:
            media = self.media.get(media_id)
            if media is None or media["status_id"] is not None:
                return mastodon_error(422, "Validation failed: Media attachments are invalid")
            if media["reads_left"] > 0:
                return mastodon_error(
                    422,
                    "Cannot attach files that have not finished processing. Try again in a moment!",
                )
        language = body.get("language")
        if language is not None and not re.fullmatch(r"[a-z]{2,3}", str(language)):
            return mastodon_error(
                422, f"Validation failed: Language {language} is not a valid ISO 639 code"
            )
        status_id = str(next(self._ids))
        self.statuses[status_id] = {
            "id": status_id,
            "text": text,
            "media_ids": media_ids,
            "visibility": body.get("visibility", "public"),
            "language": language or "en",
            "sensitive": bool(body.get("sensitive", False)),
            "idempotency_key": key,
            "created_at": now,
            "deleted": False,
        }
        for media_id in media_ids:
            self.media[media_id]["status_id"] = status_id
        if key:
            self.idempotency[key] = (status_id, now)
        return FakeResponse(200, self._status_view(self.statuses[status_id]))

    def _live(self, status_id: str) -> dict[str, Any] | None:
        status = self.statuses.get(status_id)
        return None if status is None or status["deleted"] else status

    def _get_api_v1_statuses_id(
        self, _: FakeRequest, params: dict[str, str], __: Any
    ) -> FakeResponse:
        status = self._live(params["id"])
        if status is None:
            return mastodon_error(404, "Record not found")
        return FakeResponse(200, self._status_view(status))

    def _delete_api_v1_statuses_id(
        self, _: FakeRequest, params: dict[str, str], __: Any
    ) -> FakeResponse:
        status = self._live(params["id"])
        if status is None:
            return mastodon_error(404, "Record not found")
        status["deleted"] = True
        return FakeResponse(200, {**self._status_view(status), "text": status["text"]})

    def _get_api_v1_accounts_id_statuses(
        self, request: FakeRequest, params: dict[str, str], _: Any
    ) -> FakeResponse:
        if params["id"] != self.account_id:
            return mastodon_error(404, "Record not found")
        try:
            limit = min(40, int(request.params.get("limit") or 20))
        except ValueError:
            return mastodon_error(422, "limit must be a number")
        live = sorted(self.live_statuses(), key=lambda s: int(s["id"]), reverse=True)
        max_id = request.params.get("max_id")
        if max_id:
            live = [s for s in live if int(s["id"]) < int(max_id)]
        return FakeResponse(200, [self._status_view(s) for s in live[:limit]])


def _covers(have: str, needed: str) -> bool:
    """Mastodon's scope rule: ``write`` covers ``write:statuses``."""
    return have == needed or needed.startswith(have + ":")


def _handler_name(method: str, template: str) -> str:
    return (
        "_"
        + method.lower()
        + re.sub(r"[^a-z0-9]+", "_", template.replace("{", "").replace("}", "")).rstrip("_")
    )


def _html(text: str) -> str:
    """The status as Mastodon renders it: escaped, links made anchors, lines as <br />."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    linked = _URL.sub(
        lambda m: f'<a href="{m.group()}" rel="nofollow noopener" target="_blank">{m.group()}</a>',
        escaped,
    )
    return linked.replace("\n\n", "</p><p>").replace("\n", "<br />")


def _png_size(data: bytes) -> tuple[int, int]:
    if data.startswith(b"\x89PNG") and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return 1, 1


def status_id_of_key(fake: FakeMastodon, key: str) -> str | None:
    """The status the idempotency ``key`` created, if any (for tests)."""
    seen = fake.idempotency.get(key)
    return seen[0] if seen else None


def main(argv: list[str] | None = None) -> None:
    """Serve the fake Mastodon until interrupted, for a training sandbox or a manual try-out."""
    parser = argparse.ArgumentParser(description="A local fake of a Mastodon instance.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--access-token", default="sandbox-mastodon-token")
    args = parser.parse_args(argv)
    fake = FakeMastodon(args.access_token, port=args.port)
    fake.start()
    print(fake.url, flush=True)
    fake.serve_until_interrupted()


if __name__ == "__main__":
    main()
