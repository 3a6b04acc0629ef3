"""Link tracking: UTM parameters on links to the charity's own site, so its web analytics can
tell how many visitors each appeal brought from each platform (utm_source=x, facebook, bluesky,
mastodon).

Pure: a function of the link, the platform, the item and the settings. Only the charity's own
hosts are touched (``TRACKING_DOMAINS``, by default the hosts of the feed URLs): adding
parameters to a police force's or a newspaper's link would be noise in someone else's analytics
and could break their page. ``TRACKING=0`` leaves every link as it is.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

from bot.core.memo import small_lru_cache
from bot.core.settings import Settings

UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign")


def _bare(host: str) -> str:
    """``www.charity.org`` and ``charity.org`` are the same site to a reader."""
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def own_domains(settings: Settings) -> tuple[str, ...]:
    """The charity's hosts: TRACKING_DOMAINS, else the hosts of the appeals and news feeds.

    Remembered for the last settings asked about (frozen, so their hosts cannot change): every
    post of a poll asks with the same settings, and the cache below hashes three tuples a call.
    """
    global _last_own_domains
    held, domains = _last_own_domains
    if held is not settings:
        domains = _own_domains(
            settings.tracking_domains, settings.appeals_feed_urls, settings.news_feed_urls
        )
        _last_own_domains = (settings, domains)  # replaced whole: a thread sees one pair
    return domains


_last_own_domains: tuple[Settings | None, tuple[str, ...]] = (None, ())


@lru_cache(maxsize=16)
def _own_domains(tracking_domains: tuple[str, ...], *feed_urls: tuple[str, ...]) -> tuple[str, ...]:
    # Cached: every post of a poll asks, with the same settings.
    if tracking_domains:
        hosts = [urlsplit(d).hostname or "" if "//" in d else d for d in tracking_domains]
    else:
        hosts = [urlsplit(url).hostname or "" for urls in feed_urls for url in urls]
    return tuple(dict.fromkeys(_bare(h) for h in hosts if h))


@small_lru_cache(maxsize=256, max_size=2_000)
def is_own_link(url: str, domains: tuple[str, ...]) -> bool:
    """True for an http(s) link on one of ``domains`` or a subdomain of one (cached: an item's
    link is asked about once for each platform)."""
    if url.isascii() and url.isprintable():
        # Its host, in lower case, is then part of the link as written in lower case (urllib
        # only drops tabs and line breaks from inside a link, and spaces before it), and so is
        # one of the domains if the host is on it: most links (a police force's, a newspaper's)
        # are told apart by that search alone, without reading their host.
        lowered = url.lower()
        if not any(domain in lowered for domain in domains):
            return False
    hostname = http_hostname(url)
    if not hostname:
        return False
    host = _bare(hostname)
    return host in domains or host.endswith(_subdomain_suffixes(domains))


@lru_cache(maxsize=16)
def _subdomain_suffixes(domains: tuple[str, ...]) -> tuple[str, ...]:
    """ ".charity.org" for each of ``domains``: str.endswith takes them all at once (cached:
    asked of every new link, with the same few domains)."""
    return tuple("." + domain for domain in domains)


# "http(s)://host[:port]" followed by a path, query, fragment or nothing, in plain ASCII: the
# host is what urlsplit's hostname would give, without its cost (a poll asks for every link).
_PLAIN_HTTP_HOST = re.compile(r"https?://([A-Za-z0-9.-]+)(?::[0-9]*)?(?=[/?#]|\Z)", re.IGNORECASE)


def http_hostname(url: str) -> str | None:
    """The lower-case host of an http(s) ``url`` (``urlsplit(url).hostname``); None for any
    other scheme, no host, or a URL urllib cannot read."""
    plain = _PLAIN_HTTP_HOST.match(url)
    if plain:
        return plain.group(1).lower()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https"):
        return None
    return parts.hostname or None


# A feed id is written by whoever controls the site and may be thousands of characters long; in
# every link it would push the link past X's 4,096-character URL limit (twitter-text), and the
# post would have no room left for its text.
CAMPAIGN_ID_MAX = 64


def campaign_for(item_id: str, settings: Settings) -> str:
    """UTM_CAMPAIGN with ``{id}`` replaced (plain replace: other braces stay as written).

    An id over CAMPAIGN_ID_MAX characters is cut, with a short hash of the whole id so two long
    ids never share a campaign.
    """
    if len(item_id) > CAMPAIGN_ID_MAX:
        digest = hashlib.sha256(item_id.encode()).hexdigest()[:10]
        item_id = f"{item_id[: CAMPAIGN_ID_MAX - 11]}-{digest}"
    return settings.utm_campaign.replace("{id}", item_id)


def tracked_link(url: str, platform: str, item_id: str, settings: Settings) -> str:
    """``url`` with utm_source (the platform), utm_medium and utm_campaign, if it is the
    charity's own link and TRACKING is on; otherwise ``url`` unchanged.

    Existing query parameters are kept byte for byte and in order; an existing utm_source,
    utm_medium or utm_campaign (a CMS that tags its feed links "rss", say) is replaced, so the
    function is idempotent and a link never carries two sources. The fragment is kept.
    """
    if not settings.tracking or not url or not is_own_link(url, own_domains(settings)):
        return url
    parts = urlsplit(url)
    kept = [
        piece
        for piece in parts.query.split("&")
        if piece and unquote_plus(piece.split("=", 1)[0]) not in UTM_KEYS
    ]
    values = (platform, settings.utm_medium, campaign_for(item_id, settings))
    added = [
        f"{key}={quote(value, safe='')}"
        for key, value in zip(UTM_KEYS, values, strict=True)
        if value
    ]
    return urlunsplit(parts._replace(query="&".join(kept + added)))
