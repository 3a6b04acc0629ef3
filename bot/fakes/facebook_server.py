"""A fake Facebook Graph API on 127.0.0.1, strict enough that a request it accepts would pass Graph.

Every request is checked against Meta's own specs vendored in ``specs/facebook`` (``Page.json``,
``PagePost.json``, ``Photo.json``): unknown paths, wrong methods, unknown POST parameters and
nonexisting fields are refused with Graph's error shapes and codes, so a client bug shows up here
rather than on the charity's live Page. Only the handful of behaviours appeal-bot uses are real:
posting to a Page's feed or photos, reading and deleting posts, listing recent posts, reading the
Page's name. Counts (reactions, comments, shares) grow from each post's age on the injected clock,
so a test that moves the clock can predict them, and ``shares`` stays absent for the first
:data:`SHARE_EVERY` seconds, as Graph omits it while it is zero.

Run ``python -m bot.fakes.facebook_server --port 8002`` for a standalone training sandbox.
"""

from __future__ import annotations

import argparse
import base64
import functools
import itertools
import json
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from http.client import HTTPConnection, HTTPException, HTTPSConnection
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from bot.fakes.base import (
    IMAGE_MAGIC,
    Clock,
    FakeRequest,
    FakeResponse,
    FakeServer,
    Fault,
    parse_multipart,
)
from bot.platforms.error_table import Rule, rule_named

SPEC_DIR = Path(__file__).parent / "specs" / "facebook"
DEFAULT_PAGES: dict[str, str] = {"1000000001": "sandbox-page-token"}
GRAPH_DOCS = (
    "Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api"
)

# Photos Graph fetches from a ``url``: only those on this machine, never past this size.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
MAX_PHOTO_BYTES = 10_000_000
PHOTO_FETCH_SECONDS = 5.0

# What a Page access token made for appeal-bot carries.
PAGE_PERMISSIONS = frozenset({"pages_manage_posts", "pages_read_engagement", "pages_show_list"})

# How fast a post's counts grow with its age, in seconds per unit. Tests read these to predict.
REACTION_EVERY = 60.0
COMMENT_EVERY = 300.0
SHARE_EVERY = 600.0

# Parameters Graph accepts on any request, beside those the spec lists for an edge.
UNIVERSAL_PARAMS = frozenset(
    {
        "access_token",
        "appsecret_proof",
        "appsecret_time",
        "fields",
        "format",
        "method",
        "pretty",
        "suppress_http_code",
        "locale",
        "debug",
        "limit",
        "after",
        "before",
        "summary",
    }
)
FAULT_NAMES = (
    "rate_limit",
    "user_throttle",
    "page_throttle",
    "rate_613",
    "server_error",
    "slow",
    "duplicate",
    "expired_token",
    "drop_after_success",
)


# --- the vendored specs --------------------------------------------------------------------


@dataclass(frozen=True)
class NodeSpec:
    """One Graph node type as its spec describes it: its fields and its (method, edge) calls.

    The node itself is the edge ``""`` (``GET /{id}``, ``DELETE /{id}``); ``edges`` maps each
    (method, edge) to the parameter names the spec lists, ``returns`` to the node type returned.
    """

    name: str
    fields: frozenset[str]
    edges: dict[tuple[str, str], frozenset[str]]
    returns: dict[tuple[str, str], str]

    def edge_names(self, method: str | None = None) -> set[str]:
        return {e for (m, e) in self.edges if method is None or m == method}


@functools.cache
def load_specs() -> dict[str, NodeSpec]:
    """Read the three vendored specs once per process (they are large and never change)."""
    nodes: dict[str, NodeSpec] = {}
    for name in ("Page", "PagePost", "Photo"):
        raw = json.loads((SPEC_DIR / f"{name}.json").read_text(encoding="utf-8"))
        edges: dict[tuple[str, str], frozenset[str]] = {}
        returns: dict[tuple[str, str], str] = {}
        for api in raw["apis"]:
            key = (api["method"].upper(), api.get("endpoint", ""))
            edges[key] = frozenset(p["name"] for p in api.get("params", []))
            returns[key] = api.get("return", name)
        fields = frozenset(f["name"] for f in raw["fields"])
        nodes[name] = NodeSpec(name, fields, edges, returns)
    return nodes


# --- the fields= mini-language ---------------------------------------------------------------


@dataclass(frozen=True)
class FieldRequest:
    """One entry of ``fields=``, e.g. ``reactions.summary(total_count).limit(0)``."""

    name: str
    modifiers: dict[str, str]
    subfields: str | None = None


class FieldSyntaxError(ValueError):
    pass


def parse_fields(text: str) -> list[FieldRequest]:
    """Split ``fields=`` at top-level commas and read each entry's name, modifiers and subfields."""
    parts: list[str] = []
    depth, start = 0, 0
    for index, char in enumerate(text):
        if char in "({":
            depth += 1
        elif char in ")}":
            depth -= 1
            if depth < 0:
                raise FieldSyntaxError(f"Syntax error \"Unexpected '{char}'\" at character {index}")
        elif char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    if depth:
        raise FieldSyntaxError(f'Syntax error "Expected end of string" at character {len(text)}')
    parts.append(text[start:])
    requests: list[FieldRequest] = []
    for part in (p.strip() for p in parts):
        if not part:
            continue
        match = re.match(r"[A-Za-z_][A-Za-z0-9_]*", part)
        if not match:
            raise FieldSyntaxError(f'Syntax error "Expected field name" in "{part}"')
        rest = part[match.end() :]
        subfields = None
        brace = rest.find("{")
        if brace >= 0:
            subfields = rest[brace + 1 : rest.rfind("}")]
            rest = rest[:brace]
        modifiers = dict(re.findall(r"\.([A-Za-z_]+)\(([^)]*)\)", rest))
        requests.append(FieldRequest(match.group(0), modifiers, subfields))
    return requests


# --- errors in Graph's shape -----------------------------------------------------------------


class GraphError(Exception):
    """Raised inside the fake's handlers; turned into Graph's ``{"error": {...}}`` answer."""

    def __init__(
        self,
        message: str,
        code: int,
        type_: str = "OAuthException",
        status: int = 400,
        subcode: int | None = None,
        headers: dict[str, str] | None = None,
        transient: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.type = type_
        self.status = status
        self.subcode = subcode
        self.headers = headers or {}
        self.transient = transient

    def response(self) -> FakeResponse:
        error: dict[str, Any] = {"message": self.message, "type": self.type, "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.transient is not None:
            error["is_transient"] = self.transient
        error["fbtrace_id"] = _trace_id()
        return FakeResponse(self.status, {"error": error}, dict(self.headers))


def _trace_id() -> str:
    return "A" + secrets.token_urlsafe(16)[:22]


def graph_error_response(message: str, code: int, **kwargs: Any) -> FakeResponse:
    """A canned Graph error answer (used by the named faults)."""
    return GraphError(message, code, **kwargs).response()


def _unsupported(method: str, object_id: str) -> GraphError:
    return GraphError(
        f"Unsupported {method.lower()} request. Object with ID '{object_id}' does not exist, "
        f"cannot be loaded due to missing permissions, or does not support this operation. "
        + GRAPH_DOCS,
        100,
        "GraphMethodException",
        subcode=33,
    )


def _graph_time(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


# --- the fake ----------------------------------------------------------------------------------


class FakeFacebook(FakeServer):
    """A Graph API with Pages, their posts and photos, checked against Meta's specs.

    ``pages`` maps each page id to its page access token. ``posts`` (post id → dict) is the
    fake's truth for tests to inspect: page, message, link, photo_url, alt_text, created_time,
    deleted, published.
    """

    KIND = "facebook"

    def __init__(
        self,
        pages: dict[str, str] | None = None,
        page_names: dict[str, str] | None = None,
        api_version: str = "v24.0",
        clock: Clock = time.time,
        port: int = 0,
    ) -> None:
        super().__init__(clock=clock, port=port)
        self.pages: dict[str, str] = dict(pages if pages is not None else DEFAULT_PAGES)
        self.page_names: dict[str, str] = {
            page_id: (page_names or {}).get(page_id, f"Appeal Sandbox Page {page_id}")
            for page_id in self.pages
        }
        self.api_version = api_version
        self.posts: dict[str, dict[str, Any]] = {}
        self.photos: dict[str, str] = {}  # photo id → post id
        # The permissions each page's token carries (``GET /debug_token`` shows them; posting
        # without pages_manage_posts or reading without pages_read_engagement is refused).
        self.permissions: dict[str, set[str]] = {
            page_id: set(PAGE_PERMISSIONS) for page_id in self.pages
        }
        self.uploads: dict[str, bytes] = {}  # photo id → the file uploaded as "source"
        self.slow_seconds = 0.5
        # How long ``hold_after_success`` / ``hold_before_request`` hold a POST.
        self.hold_seconds = 30.0
        # Seeded from the time, like real ids: a fake restarted over the same database must not
        # hand out ids its posts already own (one remote id is one post, see bot.core.db).
        self._ids = itertools.count(122_100_000_000_000_001 + time.time_ns() // 1000)
        self.specs = load_specs()

    def reset(self) -> None:
        """Forget every post, queued fault and logged request, so one running fake serves many
        tests (starting and stopping a server costs up to half a second each time)."""
        self.forget_in_flight()
        with self._lock:
            self.posts.clear()
            self.photos.clear()
            self.uploads.clear()
            self._faults.clear()
            self.requests.clear()
            self.slow_seconds = 0.5
            self.hold_seconds = 30.0
            self.permissions = {page_id: set(PAGE_PERMISSIONS) for page_id in self.pages}

    # --- inspection ----------------------------------------------------------------------
    def state(self) -> Any:
        return {"posts": json.loads(json.dumps(self.posts))}

    def counts(self, post_id: str) -> dict[str, int]:
        """The reactions, comments and shares a post has now, from its age on the clock."""
        age = max(0.0, self.clock() - self.posts[post_id]["created_at"])
        return {
            "reactions": int(age // REACTION_EVERY),
            "comments": int(age // COMMENT_EVERY),
            "shares": int(age // SHARE_EVERY),
        }

    # --- faults ---------------------------------------------------------------------------
    def inject_named(self, name: str, times: int = 1) -> None:
        self.inject(self.named_fault(name, times))

    def named_fault(self, name: str, times: int = 1) -> Fault:
        """Graph's throttling, outage, duplicate and token-expiry answers, and network faults."""
        page_id = next(iter(self.pages), "0")
        app_usage = json.dumps({"call_count": 100, "total_cputime": 42, "total_time": 57})
        if name == "rate_limit":
            response = graph_error_response(
                "(#4) Application request limit reached",
                4,
                transient=True,
                headers={"x-app-usage": app_usage},
            )
        elif name == "user_throttle":
            response = graph_error_response(
                "(#17) User request limit reached",
                17,
                transient=True,
                headers={"x-app-usage": app_usage},
            )
        elif name == "page_throttle":
            usage = {
                page_id: [
                    {
                        "type": "pages",
                        "call_count": 100,
                        "total_cputime": 30,
                        "total_time": 40,
                        "estimated_time_to_regain_access": 17,
                    }
                ]
            }
            response = graph_error_response(
                "(#32) Page request limit reached",
                32,
                transient=True,
                headers={"x-business-use-case-usage": json.dumps(usage)},
            )
        elif name == "rate_613":
            response = graph_error_response(
                "(#613) Calls to this api have exceeded the rate limit.", 613, transient=True
            )
        elif name == "server_error":
            response = graph_error_response(
                "An unexpected error has occurred. Please retry your request later.",
                2,
                status=500,
                transient=True,
            )
        elif name == "duplicate":
            response = graph_error_response("(#506) Duplicate status message", 506)
        elif name == "expired_token":
            response = graph_error_response(
                "Error validating access token: Session has expired on Tuesday, 01-Jul-25 "
                "10:00:00 PDT. The current time is Wednesday, 02-Jul-25 09:00:00 PDT.",
                190,
                subcode=463,
            )
        elif name.startswith("table:"):
            return self.rule_fault(rule_named(name.removeprefix("table:")), times)
        elif name == "slow":
            return Fault(name, delay=self.slow_seconds, times=times)
        elif name == "drop_after_success":
            return Fault(name, drop_after=True, method="POST", times=times)
        elif name == "hold_after_success":
            return Fault(name, hold_after=self.hold_seconds, method="POST", times=times)
        elif name == "hold_before_request":
            return Fault(name, hold_before=self.hold_seconds, method="POST", times=times)
        else:
            raise KeyError(name)
        return Fault(name, response=response, times=times)

    def rule_fault(self, rule: Rule, times: int = 1) -> Fault:
        """Answer the next POST (to ``/photos`` for a photo row) as the error table's ``rule``."""
        response = graph_error_response(
            rule.example,
            rule.code or 1,
            status=rule.status,
            subcode=rule.subcode,
            transient=rule.transient,
        )
        path = "/photos" if "photo" in rule.calls else None
        return Fault(
            f"table:{rule.name}", response=response, method="POST", path_contains=path, times=times
        )

    # --- routing --------------------------------------------------------------------------
    def route(self, request: FakeRequest) -> FakeResponse:
        try:
            status, body = self._route(request)
        except GraphError as error:
            return error.response()
        return FakeResponse(status, body, {"facebook-api-version": self.api_version})

    def _route(self, request: FakeRequest) -> tuple[int, Any]:
        segments = [s for s in request.path.split("/") if s]
        if not segments:
            raise GraphError("Unknown path components: /", 2500)
        version, rest = segments[0], segments[1:]
        if version != self.api_version:
            if re.fullmatch(r"v\d+\.\d+", version):
                raise GraphError(
                    f"(#2635) You are calling a deprecated version of the Graph API. "
                    f"Please update to the latest version: {self.api_version}.",
                    2635,
                )
            raise GraphError(f"Unknown path components: /{version}", 2500)
        if not rest:
            raise GraphError("Unknown path components: /" + version, 2500)
        if len(rest) > 2:
            raise GraphError("Unknown path components: /" + "/".join(rest[2:]), 2500)
        params = dict(request.params)
        if (request.header("content-type") or "").startswith("multipart/form-data"):
            form = parse_multipart(request.header("content-type") or "", request.body) or {}
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
            request.files = {k: v for k, v in form.items() if isinstance(v, bytes)}
        if isinstance(request.json, dict):
            params.update(
                {k: v if isinstance(v, str) else json.dumps(v) for k, v in request.json.items()}
            )
        method = request.method.upper()
        token_page = self._authenticate(request, params)
        if rest == ["debug_token"] and method == "GET":
            return 200, self._debug_token(params.get("input_token", ""))

        object_id, edge = rest[0], (rest[1] if len(rest) > 1 else "")
        if object_id == "me":
            object_id = token_page
        node_type, owner = self._resolve(method, object_id)
        spec = self.specs[node_type]
        if (method, edge) not in spec.edges:
            if edge and edge not in spec.edge_names():
                raise GraphError(f"Unknown path components: /{edge}", 2500)
            raise _unsupported(method, object_id)

        granted = self.permissions.get(token_page, set())
        own_page_read = node_type == "Page" and method == "GET" and not edge
        if method in ("POST", "DELETE") and "pages_manage_posts" not in granted:
            owner = ""  # refused below, as Graph refuses a token without the permission
        elif method == "GET" and not own_page_read and "pages_read_engagement" not in granted:
            owner = ""
        if token_page != owner and not own_page_read:
            if method == "GET":
                raise GraphError(
                    "(#10) This endpoint requires the 'pages_read_engagement' permission or "
                    "the 'Page Public Content Access' feature.",
                    10,
                    status=403,
                )
            raise GraphError(
                "(#200) If posting to a page, requires both pages_read_engagement and "
                "pages_manage_posts as an admin with sufficient administrative permission",
                200,
                status=403,
            )
        if method == "POST":
            allowed = spec.edges[(method, edge)] | UNIVERSAL_PARAMS
            for name in params:
                if name not in allowed:
                    raise GraphError(f"(#100) Param {name} is not valid", 100)
        fields: list[FieldRequest] | None = None
        if method == "GET" and "fields" in params:
            returned = spec.returns[(method, edge)] if edge else node_type
            fields = self._check_fields(params["fields"], returned)

        if node_type == "Page":
            return self._page(method, edge, owner, params, fields, request)
        if node_type == "PagePost":
            return self._post(method, edge, object_id, params, fields)
        return self._photo(method, edge, object_id, fields)

    def _authenticate(self, request: FakeRequest, params: dict[str, str]) -> str:
        token = params.get("access_token")
        header = request.header("authorization") or ""
        scheme, _, value = header.partition(" ")
        if not token and scheme.lower() in ("oauth", "bearer"):
            token = value.strip()
        if not token:
            raise GraphError("An access token is required to request this resource.", 190)
        for page_id, page_token in self.pages.items():
            if secrets.compare_digest(page_token, token):
                return page_id
        raise GraphError("Invalid OAuth access token - Cannot parse access token", 190)

    def _debug_token(self, input_token: str) -> dict[str, Any]:
        """Graph's ``GET /debug_token``: what a token is for and which permissions it carries."""
        for page_id, page_token in self.pages.items():
            if input_token and secrets.compare_digest(page_token, input_token):
                scopes = sorted(self.permissions.get(page_id, set()))
                return {
                    "data": {
                        "app_id": "100000000000001",
                        "type": "PAGE",
                        "application": "Appeal Bot",
                        "expires_at": 0,
                        "is_valid": True,
                        "scopes": scopes,
                        "granular_scopes": [
                            {"scope": scope, "target_ids": [page_id]}
                            for scope in scopes
                            if scope.startswith("pages_")
                        ],
                        "profile_id": page_id,
                        "user_id": "100000000000777",
                    }
                }
        return {
            "data": {
                "error": {"code": 190, "message": "Invalid OAuth access token."},
                "is_valid": False,
                "scopes": [],
            }
        }

    def _resolve(self, method: str, object_id: str) -> tuple[str, str]:
        """The node type and owning page of an id, or Graph's 'does not exist' error."""
        if object_id in self.pages:
            return "Page", object_id
        post = self.posts.get(object_id)
        if post and not post["deleted"]:
            return "PagePost", post["page"]
        post_id = self.photos.get(object_id)
        if post_id and not self.posts[post_id]["deleted"]:
            return "Photo", self.posts[post_id]["page"]
        raise _unsupported(method, object_id)

    def _check_fields(self, text: str, node_type: str) -> list[FieldRequest]:
        spec = self.specs[node_type]
        try:
            fields = parse_fields(text)
        except FieldSyntaxError as error:
            raise GraphError(str(error), 2500) from None
        known = spec.fields | spec.edge_names("GET")
        for field in fields:
            if field.name not in known:
                raise GraphError(
                    f"(#100) Tried accessing nonexisting field ({field.name}) on node type "
                    f"({node_type})",
                    100,
                )
        return fields

    # --- Page ----------------------------------------------------------------------------
    def _page(
        self,
        method: str,
        edge: str,
        page_id: str,
        params: dict[str, str],
        fields: list[FieldRequest] | None,
        request: FakeRequest,
    ) -> tuple[int, Any]:
        if method == "GET" and not edge:
            wanted = [f.name for f in fields] if fields is not None else ["name", "id"]
            page = {
                "id": page_id,
                "name": self.page_names[page_id],
                "link": f"https://www.facebook.com/{page_id}",
                "can_post": True,
                "is_published": True,
            }
            return 200, {k: page[k] for k in [*wanted, "id"] if k in page}
        if method == "POST" and edge == "feed":
            return 200, {"id": self._create_feed_post(page_id, params)}
        if method == "POST" and edge == "photos":
            photo_id, post_id = self._create_photo(page_id, params, request.files)
            return 200, {"id": photo_id, "post_id": post_id}
        if method == "GET" and edge in ("posts", "published_posts", "feed"):
            return 200, self._list_posts(page_id, edge, params, fields, request)
        if method == "GET":
            return 200, {"data": []}
        raise GraphError(f"(#3) The fake Graph API does not implement {method} /{edge}", 3)

    def _new_post(self, page_id: str, **values: Any) -> str:
        post_id = f"{page_id}_{next(self._ids)}"
        now = self.clock()
        published = str(values.pop("published", "true")).lower() not in ("false", "0")
        self.posts[post_id] = {
            "id": post_id,
            "page": page_id,
            "message": None,
            "link": None,
            "photo_id": None,
            "photo_url": None,
            "alt_text": None,
            "created_at": now,
            "created_time": _graph_time(now),
            "published": published,
            "deleted": False,
            **values,
        }
        return post_id

    def _create_feed_post(self, page_id: str, params: dict[str, str]) -> str:
        message, link = params.get("message") or None, params.get("link") or None
        if not message and not link:
            raise GraphError("(#100) Missing message or attachment", 100)
        if link and not re.match(r"https?://[^\s/]+", link):
            raise GraphError("(#100) The parameter link must be a valid URL", 100)
        for post in self.posts.values():
            if (
                post["page"] == page_id
                and not post["deleted"]
                and post["photo_id"] is None
                and (post["message"], post["link"]) == (message, link)
            ):
                raise GraphError("(#506) Duplicate status message", 506)
        return self._new_post(
            page_id, message=message, link=link, published=params.get("published", "true")
        )

    def _create_photo(
        self, page_id: str, params: dict[str, str], uploads: dict[str, bytes]
    ) -> tuple[str, str]:
        """A photo post from ``url`` (Graph fetches it) or a ``source`` file upload."""
        url = params.get("url")
        source = uploads.get("source")
        photo_id = str(next(self._ids))
        if source is not None:
            if not source.startswith(IMAGE_MAGIC):
                raise GraphError("(#324) Requires upload file: the source is not an image", 324)
            url = f"https://scontent.fake.invalid/{photo_id}"
            self.uploads[photo_id] = source
        if not url:
            raise GraphError("(#100) Requires upload file: pass url (or a source upload)", 100)
        if not re.match(r"https?://[^\s/]+", url):
            raise GraphError("(#100) url should represent a valid URL", 100)
        if source is None:
            self._fetch_photo(url)
        post_id = self._new_post(
            page_id,
            message=params.get("message") or params.get("caption") or None,
            photo_id=photo_id,
            photo_url=url,
            alt_text=params.get("alt_text_custom") or None,
            published=params.get("published", "true"),
        )
        self.photos[photo_id] = post_id
        return photo_id, post_id

    def _fetch_photo(self, url: str) -> None:
        """Fetch a ``url`` photo as Graph does, refusing it in Graph's words: a missing page, a
        non-image or one over :data:`MAX_PHOTO_BYTES` is #324, a server that does not answer
        code 1. Only photos on this machine are fetched: a sandbox never reaches out, so a photo
        elsewhere is taken on trust."""
        parts = urlsplit(url)
        if parts.hostname not in LOOPBACK_HOSTS:
            return
        connection_type = HTTPSConnection if parts.scheme == "https" else HTTPConnection
        connection = connection_type(parts.hostname, parts.port, timeout=PHOTO_FETCH_SECONDS)
        try:
            connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
            response = connection.getresponse()
            body = response.read(MAX_PHOTO_BYTES + 1)
            status = response.status
        except (OSError, HTTPException):
            raise GraphError("An unknown error has occurred.", 1, transient=True) from None
        finally:
            connection.close()
        if status >= 500:
            raise GraphError("An unknown error has occurred.", 1, transient=True)
        if status != 200 or not body.startswith(IMAGE_MAGIC) or len(body) > MAX_PHOTO_BYTES:
            raise GraphError("(#324) Missing or invalid image file", 324)

    def _list_posts(
        self,
        page_id: str,
        edge: str,
        params: dict[str, str],
        fields: list[FieldRequest] | None,
        request: FakeRequest,
    ) -> dict[str, Any]:
        try:
            limit = min(100, max(1, int(params.get("limit", "25"))))
            offset = (
                int(base64.urlsafe_b64decode(params["after"]).decode()) if "after" in params else 0
            )
        except (ValueError, UnicodeDecodeError):
            raise GraphError("(#100) Invalid limit or cursor", 100) from None
        posts = sorted(
            (p for p in self.posts.values() if p["page"] == page_id and not p["deleted"]),
            key=lambda p: (p["created_at"], p["id"]),
            reverse=True,
        )
        posts = [p for p in posts if p["published"]]
        chosen = posts[offset : offset + limit]
        wanted = fields or [FieldRequest(n, {}) for n in ("created_time", "message", "id")]
        result: dict[str, Any] = {"data": [self._render_post(p, wanted) for p in chosen]}
        if chosen:

            def cursor(index: int) -> str:
                return base64.urlsafe_b64encode(str(index).encode()).decode()

            paging: dict[str, Any] = {
                "cursors": {"before": cursor(offset), "after": cursor(offset + len(chosen))}
            }
            if offset + len(chosen) < len(posts):
                query = {k: v for k, v in request.query.items() if k != "after"}
                query["after"] = [cursor(offset + len(chosen))]
                paging["next"] = f"{self.url}/{self.api_version}/{page_id}/{edge}?" + urlencode(
                    query, doseq=True
                )
            result["paging"] = paging
        return result

    # --- PagePost and Photo --------------------------------------------------------------
    def _post(
        self,
        method: str,
        edge: str,
        post_id: str,
        params: dict[str, str],
        fields: list[FieldRequest] | None,
    ) -> tuple[int, Any]:
        post = self.posts[post_id]
        if method == "DELETE" and not edge:
            post["deleted"] = True
            return 200, {"success": True}
        if method == "GET" and not edge:
            wanted = fields or [FieldRequest(n, {}) for n in ("created_time", "message", "id")]
            return 200, self._render_post(post, wanted)
        if method == "GET" and edge in ("reactions", "comments", "likes"):
            modifiers = {"limit": params.get("limit", "25")}
            if params.get("summary"):
                modifiers["summary"] = params["summary"]
            return 200, self._edge(post, edge, modifiers)
        if method == "GET":
            return 200, {"data": []}
        raise GraphError(f"(#3) The fake Graph API does not implement {method} /{edge}", 3)

    def _photo(
        self, method: str, edge: str, photo_id: str, fields: list[FieldRequest] | None
    ) -> tuple[int, Any]:
        post = self.posts[self.photos[photo_id]]
        if method == "DELETE" and not edge:
            post["deleted"] = True
            return 200, {"success": True}
        if method == "GET" and not edge:
            photo = {
                "id": photo_id,
                "alt_text_custom": post["alt_text"],
                "alt_text": post["alt_text"],
                "name": post["message"],
                "created_time": post["created_time"],
                "link": f"https://www.facebook.com/photo.php?fbid={photo_id}",
                "page_story_id": post["id"],
                "picture": post["photo_url"],
                "from": {"name": self.page_names[post["page"]], "id": post["page"]},
            }
            wanted = [f.name for f in fields] if fields is not None else ["created_time", "name"]
            return 200, {k: photo[k] for k in [*wanted, "id"] if photo.get(k) is not None}
        if method == "GET":
            return 200, {"data": []}
        raise GraphError(f"(#3) The fake Graph API does not implement {method} /{edge}", 3)

    def _edge(self, post: dict[str, Any], edge: str, modifiers: dict[str, str]) -> dict[str, Any]:
        counts = self.counts(post["id"])
        total = counts["comments"] if edge == "comments" else counts["reactions"]
        try:
            limit = max(0, int(modifiers.get("limit", "25")))
        except ValueError:
            raise GraphError("(#100) limit must be an integer", 100) from None
        data: list[dict[str, Any]] = []
        for k in range(min(total, limit)):
            if edge == "comments":
                data.append(
                    {
                        "id": f"{post['id'].split('_')[1]}_{k + 1}",
                        "message": "Shared.",
                        "created_time": post["created_time"],
                    }
                )
            else:
                data.append({"id": str(900_000 + k), "name": f"Supporter {k + 1}", "type": "LIKE"})
        result: dict[str, Any] = {"data": data}
        if "summary" in modifiers:
            summary: dict[str, Any] = {"total_count": total}
            if edge == "comments":
                summary = {"order": "ranked", **summary, "can_comment": True}
            else:
                summary["viewer_reaction"] = "NONE"
            result["summary"] = summary
        return result

    def _render_post(self, post: dict[str, Any], fields: list[FieldRequest]) -> dict[str, Any]:
        """A PagePost as Graph shows it: asked-for fields only, null and zero shares left out."""
        page_id, number = post["id"].split("_", 1)
        out: dict[str, Any] = {}
        for field in fields:
            name = field.name
            value: Any = None
            if name == "id":
                value = post["id"]
            elif name in ("message", "created_time"):
                value = post[name]
            elif name == "updated_time":
                value = post["created_time"]
            elif name == "permalink_url":
                value = f"https://www.facebook.com/{page_id}/posts/{number}"
            elif name == "is_published":
                value = post["published"]
            elif name == "from":
                value = {"name": self.page_names[page_id], "id": page_id}
            elif name in ("full_picture", "picture"):
                value = post["photo_url"]
            elif name == "status_type":
                value = (
                    "added_photos"
                    if post["photo_id"]
                    else "shared_story"
                    if post["link"]
                    else "mobile_status_update"
                )
            elif name == "shares":
                shares = self.counts(post["id"])["shares"]
                value = {"count": shares} if shares else None
            elif name in ("reactions", "comments", "likes"):
                value = self._edge(post, name, field.modifiers)
            elif name == "attachments":
                value = self._attachments(post)
            if value is not None:
                out[name] = value
        out.setdefault("id", post["id"])
        return out

    def _attachments(self, post: dict[str, Any]) -> dict[str, Any] | None:
        if post["photo_id"]:
            item = {
                "type": "photo",
                "media": {"image": {"src": post["photo_url"], "height": 720, "width": 720}},
                "target": {"id": post["photo_id"]},
                "url": f"https://www.facebook.com/photo.php?fbid={post['photo_id']}",
                "description": post["message"],
            }
        elif post["link"]:
            item = {
                "type": "share",
                "url": "https://l.facebook.com/l.php?u=" + quote(post["link"], safe=""),
                "unshimmed_url": post["link"],
            }
        else:
            return None
        return {"data": [item]}


def main(argv: list[str] | None = None) -> None:
    """Run the fake standalone, for a training sandbox or a bot started in another process."""
    parser = argparse.ArgumentParser(description="Fake Facebook Graph API on 127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--page-id", default=next(iter(DEFAULT_PAGES)))
    parser.add_argument("--token", default=DEFAULT_PAGES[next(iter(DEFAULT_PAGES))])
    parser.add_argument("--api-version", default="v24.0")
    args = parser.parse_args(argv)
    fake = FakeFacebook({args.page_id: args.token}, api_version=args.api_version, port=args.port)
    fake.start()
    print(f"Fake Facebook Graph API at {fake.url}", flush=True)
    print(f"FACEBOOK_GRAPH_URL={fake.url}", flush=True)
    print(f"FACEBOOK_API_VERSION={args.api_version}", flush=True)
    print(f"FACEBOOK_PAGE_ID={args.page_id}", flush=True)
    print(f"FACEBOOK_PAGE_ACCESS_TOKEN={args.token}", flush=True)
    fake.serve_until_interrupted()


if __name__ == "__main__":
    main()
