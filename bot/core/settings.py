"""Settings: one table of every variable, its default and its meaning, validated once at start.

Values come from the environment, then from an optional ``.env`` file (python-dotenv), which never
overrides a variable already set. A bad value raises :class:`bot.core.errors.ConfigError` naming the
variable, and the CLI exits 2. ``config.example.env`` and the README list the same table; a test
keeps all three in step.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from bot.core.errors import ConfigError
from bot.core.templates import validate_template

# The settings naming the feed entry field of each card fact (kept in step with
# bot.posts.facts.FACT_KEYS by a test; core cannot import a later stage).
FACT_SETTINGS: dict[str, str] = {
    "name": "NAME_FIELD",
    "age": "AGE_FIELD",
    "place": "LAST_SEEN_FIELD",
    "when": "LAST_SEEN_DATE_FIELD",
    "description": "DESCRIPTION_FIELD",
    "reference": "REFERENCE_FIELD",
}

KNOWN_PLATFORMS = ("x", "facebook", "bluesky", "mastodon")
# What a sandbox bot with no APPEALS_FEED_URL or NEWS_FEED_URL polls: its sample feeds, at these
# paths of the sandbox's feed server on 127.0.0.1 (kind -> path). bot.sandbox serves them there;
# the health check watches their polls.
SANDBOX_FEED_PATHS = {"appeal": "/appeals.xml", "news": "/news.xml"}


@dataclass(frozen=True)
class Variable:
    """One configuration variable: its name, default (as text) and what it is for.

    ``empty`` is what an empty value (``REAPPEAL_DAYS=``) means: None for the default, which is
    how most settings read it; otherwise the text the help shows, e.g. ``"never"``, and the empty
    value is kept as a value. A test keeps ``empty`` and the help's ``empty = …`` in step.
    """

    name: str
    default: str
    help: str
    secret: bool = False
    empty: str | None = None


VARIABLES: tuple[Variable, ...] = (
    # Feeds
    Variable(
        "APPEALS_FEED_URL",
        "",
        "Appeals feed(s), RSS or Atom; comma-separated; http(s):// or file://.",
    ),
    Variable("NEWS_FEED_URL", "", "News feed(s), same format as APPEALS_FEED_URL."),
    Variable("FEED_POLL_MINUTES", "10", "How often the daemon polls the feeds, in minutes."),
    Variable("FEED_TIMEOUT_SECONDS", "20", "Give up on a feed request after this many seconds."),
    Variable("FEED_MAX_BYTES", "5000000", "Refuse a feed body larger than this many bytes."),
    Variable(
        "FEED_MAX_AGE_DAYS",
        "14",
        "At a feed's first poll, entries older than this many days are recorded but not queued (0: queue all).",
    ),
    Variable(
        "ALLOW_PRIVATE_ADDRESSES",
        "",
        "For testing only: 1 = photos and feed redirects may reach loopback and private addresses. Default: 1 in the sandbox, 0 live.",
    ),
    Variable(
        "FOUND_WORDS",
        "found,safe and well,located",
        "Title prefixes or categories meaning the person is found.",
    ),
    Variable(
        "WITHDRAWN_WORDS",
        "withdrawn,closed",
        "Title prefixes or categories meaning the appeal is withdrawn.",
    ),
    Variable(
        "URGENT_CATEGORIES",
        "urgent,high-risk,high risk,amber,amber alert",
        "Categories that mark an appeal urgent.",
    ),
    # Storage and time
    Variable("DATABASE_PATH", "appeals.db", "The SQLite database; created on first run."),
    Variable("TIMEZONE", "Europe/London", "Time zone of POST_SLOTS and of times shown to people."),
    # Posting
    Variable(
        "POST_SLOTS",
        "09:00,12:30,18:30",
        "Local times (HH:MM, comma-separated) when queued posts go out.",
    ),
    Variable("POSTS_PER_SLOT", "2", "At most this many posts per platform and page in each slot."),
    Variable(
        "SLOT_CATCH_UP_MINUTES",
        "60",
        "A slot cut short or missed (bot stopped, host asleep) is caught up this many minutes after its time; later, its posts take the next slot. 0: no catching up, the slot's posts go only in its own minute.",
    ),
    Variable(
        "PLATFORMS",
        "x,facebook",
        "Platforms to post to, comma-separated: x, facebook, bluesky, mastodon.",
    ),
    Variable(
        "SANDBOX",
        "",
        "1 = built-in sandbox X, Facebook, Bluesky and Mastodon on 127.0.0.1; 0 = the real APIs. Default: 1 when no credentials are set.",
    ),
    Variable(
        "X_TEMPLATE",
        "{prefix}{title}. {summary} {link} {hashtags}",
        "Template of X posts: {prefix} {title} {summary} {link} {hashtags}.",
    ),
    Variable(
        "FACEBOOK_TEMPLATE",
        "{prefix}{title}\n\n{summary}\n\n{link}\n\n{hashtags}",
        "Template of Facebook posts, same fields as X_TEMPLATE.",
    ),
    Variable(
        "BLUESKY_TEMPLATE",
        "{prefix}{title}. {summary} {link} {hashtags}",
        "Template of Bluesky posts (at most 300 characters), same fields as X_TEMPLATE.",
    ),
    Variable(
        "MASTODON_TEMPLATE",
        "{prefix}{title}\n\n{summary}\n\n{link}\n\n{hashtags}",
        "Template of Mastodon posts (fitted to the instance's limit), same fields as X_TEMPLATE.",
    ),
    Variable(
        "POST_LANGUAGE",
        "en",
        "Language of the posts (ISO 639-1, e.g. en, cy, ga), given to Bluesky and Mastodon.",
    ),
    Variable(
        "APPEAL_HASHTAGS",
        "#missing",
        'Hashtags added to appeal posts, space-separated; quote several: "#missing #help" (empty = none).',
        empty="none",
    ),
    Variable("NEWS_HASHTAGS", "", "Hashtags added to news posts, space-separated; quote several."),
    Variable(
        "URGENT_PREFIX",
        "URGENT: ",
        "Text put before the title of an urgent appeal (empty = none).",
        empty="none",
    ),
    # X
    Variable("X_API_KEY", "", "X app consumer key (OAuth 1.0a).", secret=True),
    Variable("X_API_SECRET", "", "X app consumer secret.", secret=True),
    Variable("X_ACCESS_TOKEN", "", "X access token of the charity's account.", secret=True),
    Variable("X_ACCESS_TOKEN_SECRET", "", "X access token secret.", secret=True),
    Variable("X_API_BASE_URL", "https://api.x.com", "Where every X API request goes."),
    Variable(
        "X_DAILY_POST_LIMIT",
        "17",
        "Never post more than this many times a day on X (free tier: 17).",
    ),
    # Facebook
    Variable("FACEBOOK_PAGE_ID", "", "The charity's Facebook Page id."),
    Variable(
        "FACEBOOK_PAGE_ACCESS_TOKEN", "", "A Page access token for FACEBOOK_PAGE_ID.", secret=True
    ),
    Variable(
        "FACEBOOK_REGIONAL_PAGES",
        "",
        "Extra pages as region=page_id, comma-separated; token of each in FACEBOOK_PAGE_ACCESS_TOKEN_<page_id>.",
    ),
    Variable("FACEBOOK_API_VERSION", "v24.0", "Graph API version."),
    Variable(
        "FACEBOOK_GRAPH_URL", "https://graph.facebook.com", "Where every Graph API request goes."
    ),
    Variable(
        "FACEBOOK_DAILY_POST_LIMIT", "25", "Never post more than this many times a day on Facebook."
    ),
    # Bluesky
    Variable("BLUESKY_HANDLE", "", "The charity's Bluesky handle, e.g. charity.bsky.social."),
    Variable(
        "BLUESKY_APP_PASSWORD",
        "",
        "A Bluesky app password (Settings > Privacy and security > App passwords).",
        secret=True,
    ),
    Variable("BLUESKY_SERVICE_URL", "https://bsky.social", "The Bluesky server to sign in to."),
    Variable(
        "BLUESKY_DAILY_POST_LIMIT", "25", "Never post more than this many times a day on Bluesky."
    ),
    # Mastodon
    Variable(
        "MASTODON_API_BASE_URL",
        "",
        "The charity's Mastodon instance, e.g. https://mastodon.social.",
    ),
    Variable(
        "MASTODON_ACCESS_TOKEN",
        "",
        "Access token of a Mastodon application (Preferences > Development) on that instance.",
        secret=True,
    ),
    Variable(
        "MASTODON_DAILY_POST_LIMIT", "25", "Never post more than this many times a day on Mastodon."
    ),
    # Safeguarding and the appeal lifecycle
    Variable(
        "STATUS_FIELD",
        "",
        "Feed entry field holding the appeal status (e.g. charity_status), besides title prefixes and categories.",
    ),
    Variable(
        "REGION_FIELD",
        "",
        "Feed entry field holding the appeal's region, besides region:<name> categories.",
    ),
    Variable(
        "WITHDRAW_WHEN_MISSING_FROM_FEED",
        "0",
        "Withdraw an appeal absent from N complete appeals-feed polls in a row (0 = never).",
    ),
    Variable(
        "RETENTION_DAYS",
        "30",
        "Days after withdrawal before a found person's text and photo are purged from the database.",
    ),
    Variable("FOUND_THANKS", "0", "1 = post a thank-you update when an appeal is found."),
    Variable(
        "FOUND_THANKS_TEMPLATE",
        "Update: the person in our recent appeal has been found. Thank you to everyone who shared it.",
        "Text of the thank-you update; {title} and {link} put the name and link in, only if you add them.",
    ),
    Variable(
        "URGENT_BUDGET_SHARE", "0.2", "Share of each daily limit kept for urgent appeals (0 to 1)."
    ),
    Variable(
        "REAPPEAL_DAYS",
        "7,30",
        "Post long-running appeals again this many days after the first post (comma-separated; empty = never).",
        empty="never",
    ),
    Variable(
        "REAPPEAL_EVERY_DAYS",
        "30",
        "After the last REAPPEAL_DAYS, post again every this many days (0 = stop).",
    ),
    Variable(
        "REQUIRE_APPROVAL",
        "0",
        "1 = feed items wait as drafts until a comms officer approves them.",
    ),
    Variable(
        "REGION_HASHTAGS",
        "",
        'Hashtags per region, region=#Tag #Tag2, separated by commas; quote the whole value: "north-west=#NorthWest #Manchester".',
    ),
    # Appeal cards
    Variable(
        "APPEAL_CARDS",
        "1",
        "1 = post each appeal's photo as a card with its facts, helpline and QR code; 0 = the plain photo.",
    ),
    Variable("CARD_HEADLINE", "MISSING", "Wording at the top of every card, e.g. HAVE YOU SEEN…?"),
    Variable("CHARITY_NAME", "", "The charity's name, shown on cards."),
    Variable("CHARITY_HELPLINE", "", "The helpline shown on cards, e.g. Call or text 116 000."),
    Variable("CARD_LOGO", "", "A PNG or JPEG logo file shown on cards (optional)."),
    Variable("NAME_FIELD", "", "Feed entry field holding the person's name (e.g. charity_name)."),
    Variable("AGE_FIELD", "", "Feed entry field holding the person's age (e.g. charity_age)."),
    Variable("LAST_SEEN_FIELD", "", "Feed entry field holding where the person was last seen."),
    Variable("LAST_SEEN_DATE_FIELD", "", "Feed entry field holding when the person was last seen."),
    Variable(
        "DESCRIPTION_FIELD", "", "Feed entry field holding a short description (height, clothing)."
    ),
    Variable("REFERENCE_FIELD", "", "Feed entry field holding the case reference."),
    # Shares and link tracking
    Variable(
        "METRICS_SCHEDULE",
        "15m,1h,6h,24h,3d,7d",
        "When to read share counts after each post (m, h, d).",
    ),
    Variable(
        "X_METRICS_READS_PER_15_MINUTES", "15", "At most this many X metrics reads per 15 minutes."
    ),
    Variable(
        "FACEBOOK_METRICS_READS_PER_HOUR",
        "180",
        "At most this many Facebook metrics reads per hour.",
    ),
    Variable(
        "TRACKING",
        "1",
        "1 = add UTM parameters to links to the charity's own site; 0 = leave links alone.",
    ),
    Variable(
        "TRACKING_DOMAINS",
        "",
        "The charity's own site(s), comma-separated; default: the hosts of the feed URLs.",
    ),
    Variable("UTM_MEDIUM", "social", "utm_medium of tracked links."),
    Variable(
        "UTM_CAMPAIGN",
        "appeal-{id}",
        "utm_campaign of tracked links; {id} (the only placeholder) is the item's id.",
    ),
    # Web dashboard
    Variable("WEB_HOST", "127.0.0.1", "Address the dashboard listens on (run_bot.py web)."),
    Variable("WEB_PORT", "8080", "Port of the dashboard, 1 to 65535."),
    Variable(
        "WEB_SECRET_KEY",
        "",
        "Signs dashboard sessions; default: a random key kept in the database.",
        secret=True,
    ),
    # Operations
    Variable("LOG_LEVEL", "INFO", "Logging level on stderr: DEBUG, INFO, WARNING or ERROR."),
    # Alerts
    Variable(
        "ALERT_URLS",
        "",
        "Where alerts go: Apprise URLs separated by spaces (mailtos://…, slack://…, json://…);"
        " unset: no alerts.",
        secret=True,
    ),
    Variable(
        "ALERT_FEED_FAILURES",
        "3",
        "Alert when a feed has failed this many polls in a row.",
    ),
    Variable(
        "ALERT_DAILY_SUMMARY",
        "",
        "Send a daily summary alert at this time (HH:MM, in TIMEZONE); unset: no summary.",
    ),
)
_BY_NAME = {v.name: v for v in VARIABLES}


@dataclass(frozen=True)
class FacebookPage:
    """A Facebook Page the bot may post on; ``region`` is None for the main page."""

    page_id: str
    token: str = field(repr=False)
    region: str | None = None


@dataclass(frozen=True)
class Settings:
    """Every setting, typed and validated. Secrets are kept out of ``repr``."""

    appeals_feed_urls: tuple[str, ...]
    news_feed_urls: tuple[str, ...]
    feed_poll_minutes: int
    feed_timeout_seconds: float
    feed_max_bytes: int
    feed_max_age_days: int
    found_words: tuple[str, ...]
    withdrawn_words: tuple[str, ...]
    urgent_categories: tuple[str, ...]
    database_path: Path
    timezone: ZoneInfo
    post_slots: tuple[time, ...]
    posts_per_slot: int
    platforms: tuple[str, ...]
    sandbox: bool
    x_template: str
    facebook_template: str
    appeal_hashtags: tuple[str, ...]
    news_hashtags: tuple[str, ...]
    urgent_prefix: str
    x_api_key: str = field(repr=False)
    x_api_secret: str = field(repr=False)
    x_access_token: str = field(repr=False)
    x_access_token_secret: str = field(repr=False)
    x_api_base_url: str
    x_daily_post_limit: int
    facebook_pages: tuple[FacebookPage, ...]
    facebook_api_version: str
    facebook_graph_url: str
    facebook_daily_post_limit: int
    log_level: str
    status_field: str = ""
    region_field: str = ""
    withdraw_when_missing_from_feed: int = 0
    retention_days: int = 30
    slot_catch_up_minutes: int = 60
    found_thanks: bool = False
    found_thanks_template: str = ""
    urgent_budget_share: float = 0.2
    reappeal_days: tuple[int, ...] = (7, 30)
    reappeal_every_days: int = 30
    require_approval: bool = False
    region_hashtags: dict[str, tuple[str, ...]] = field(default_factory=dict)
    metrics_schedule: tuple[timedelta, ...] = ()
    x_metrics_reads_per_15_minutes: int = 15
    facebook_metrics_reads_per_hour: int = 180
    tracking: bool = True
    tracking_domains: tuple[str, ...] = ()
    utm_medium: str = "social"
    utm_campaign: str = "appeal-{id}"
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    web_secret_key: str = field(default="", repr=False)
    appeal_cards: bool = True
    card_headline: str = "MISSING"
    charity_name: str = ""
    alert_urls: tuple[str, ...] = field(default=(), repr=False)
    alert_feed_failures: int = 3
    alert_daily_summary: time | None = None
    charity_helpline: str = ""
    card_logo: Path | None = None
    # Fact (bot.posts.facts.FACT_KEYS) → the feed entry field that holds it, for those set.
    fact_fields: dict[str, str] = field(default_factory=dict)
    bluesky_template: str = "{prefix}{title}. {summary} {link} {hashtags}"
    mastodon_template: str = "{prefix}{title}\n\n{summary}\n\n{link}\n\n{hashtags}"
    post_language: str = "en"
    bluesky_handle: str = ""
    bluesky_app_password: str = field(default="", repr=False)
    bluesky_service_url: str = "https://bsky.social"
    bluesky_daily_post_limit: int = 25
    mastodon_api_base_url: str = ""
    mastodon_access_token: str = field(default="", repr=False)
    mastodon_daily_post_limit: int = 25
    allow_private_addresses: bool = False

    @property
    def x_credentials_set(self) -> bool:
        return all(
            (self.x_api_key, self.x_api_secret, self.x_access_token, self.x_access_token_secret)
        )

    @property
    def facebook_credentials_set(self) -> bool:
        return bool(self.facebook_pages)

    @property
    def bluesky_credentials_set(self) -> bool:
        return bool(self.bluesky_handle and self.bluesky_app_password)

    @property
    def mastodon_credentials_set(self) -> bool:
        return bool(self.mastodon_api_base_url and self.mastodon_access_token)

    def daily_limit(self, platform: str) -> int:
        return {
            "x": self.x_daily_post_limit,
            "bluesky": self.bluesky_daily_post_limit,
            "mastodon": self.mastodon_daily_post_limit,
        }.get(platform, self.facebook_daily_post_limit)

    def secrets(self) -> list[str]:
        """Every secret value in force, so logging can scrub them wherever they appear."""
        values = [
            self.x_api_key,
            self.x_api_secret,
            self.x_access_token,
            self.x_access_token_secret,
        ]
        values += [page.token for page in self.facebook_pages]
        values += [self.web_secret_key, self.bluesky_app_password, self.mastodon_access_token]
        values += self.alert_urls
        return [v for v in values if v]

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed (tests, the demo pointing at its own servers)."""
        from dataclasses import replace

        return replace(self, **changes)


# --- parsing ---------------------------------------------------------------------------------


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _int(name: str, text: str, minimum: int = 0) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ConfigError(name, f"expected a whole number, got {text!r}") from None
    if value < minimum:
        raise ConfigError(name, f"must be at least {minimum}, got {value}")
    return value


def _float(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(name, f"expected a number of seconds, got {text!r}") from None
    if value <= 0:
        raise ConfigError(name, f"must be more than 0, got {text}")
    return value


def check_port(name: str, value: int) -> int:
    """A TCP port the dashboard can listen on: 0 would pick a random one nobody is told."""
    if not 1 <= value <= 65535:
        raise ConfigError(name, f"must be a port number from 1 to 65535, got {value}")
    return value


def _port(name: str, text: str) -> int:
    return check_port(name, _int(name, text))


def _template(name: str, text: str) -> str:
    """The template with ``\\n`` as line breaks, checked now: a typo such as ``{titel}``
    found only when composing would fail every poll of a running daemon."""
    template = text.replace("\\n", "\n")
    try:
        validate_template(template)
    except ValueError as error:
        raise ConfigError(name, str(error)) from None
    return template


def _campaign(name: str, text: str) -> str:
    """UTM_CAMPAIGN, whose only placeholder is {id}: "{ID}" or "{item}" would otherwise go out
    as literal braces in every link, and the analytics would lump every appeal together."""
    unknown = sorted(set(re.findall(r"\{[^{}]*\}", text)) - {"{id}"})
    if unknown:
        raise ConfigError(name, f"unknown placeholder {', '.join(unknown)}; the only one is {{id}}")
    return text


def _file(name: str, text: str) -> Path | None:
    if not text:
        return None
    path = Path(text).expanduser()
    if not path.is_file():
        raise ConfigError(name, f"no file at {text}")
    return path


def _bool(name: str, text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(name, f"expected 1 or 0, got {text!r}")


def _urls(name: str, text: str) -> tuple[str, ...]:
    urls = _split(text)
    for url in urls:
        if not url.startswith(("http://", "https://", "file://")):
            raise ConfigError(name, f"{url!r} is not an http(s):// or file:// URL")
    return urls


def _slots(name: str, text: str) -> tuple[time, ...]:
    slots = []
    for part in _split(text):
        try:
            hour, minute = part.split(":")
            slots.append(time(int(hour), int(minute)))
        except ValueError:
            raise ConfigError(name, f"{part!r} is not a time like 09:00") from None
    if not slots:
        raise ConfigError(name, "needs at least one time, like 09:00,18:30")
    return tuple(sorted(set(slots)))


def _alert_urls(name: str, text: str) -> tuple[str, ...]:
    """Apprise URLs, each checked by Apprise itself; an error names only the scheme, since the
    rest of such a URL usually holds a password or token."""
    urls = tuple(text.split())
    if not urls:
        return ()
    import apprise

    for number, url in enumerate(urls, 1):
        if not apprise.Apprise().add(url):
            scheme = url.partition("://")[0] if "://" in url else "?"
            raise ConfigError(
                name,
                f"URL number {number} ({scheme}://…) is not one Apprise can send to;"
                " see https://github.com/caronc/apprise/wiki",
            )
    return urls


def _timezone(name: str, text: str) -> ZoneInfo:
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(name, f"unknown time zone {text!r} (try Europe/London)") from None


def _platforms(name: str, text: str) -> tuple[str, ...]:
    platforms = tuple(p.lower() for p in _split(text))
    for platform in platforms:
        if platform not in KNOWN_PLATFORMS:
            choices = ", ".join(KNOWN_PLATFORMS)
            raise ConfigError(name, f"unknown platform {platform!r}; choose from {choices}")
    if not platforms:
        raise ConfigError(name, f"needs at least one platform: {', '.join(KNOWN_PLATFORMS)}")
    return tuple(dict.fromkeys(platforms))


def _share(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(name, f"expected a number between 0 and 1, got {text!r}") from None
    if not 0 <= value <= 1:
        raise ConfigError(name, f"must be between 0 and 1, got {text}")
    return value


def _durations(name: str, text: str) -> tuple[timedelta, ...]:
    units = {"m": "minutes", "h": "hours", "d": "days"}
    durations = []
    for part in _split(text):
        number, unit = part[:-1], part[-1:].lower()
        if unit not in units or not (number.isascii() and number.isdigit()):
            raise ConfigError(name, f"{part!r} is not a duration like 15m, 6h or 3d")
        durations.append(timedelta(**{units[unit]: int(number)}))
    return tuple(sorted(durations))


def _region_hashtags(name: str, text: str) -> dict[str, tuple[str, ...]]:
    tags: dict[str, tuple[str, ...]] = {}
    for part in _split(text):
        region, sep, hashtags = part.partition("=")
        if not sep or not region.strip():
            raise ConfigError(name, f"{part!r} is not region=#Tag")
        tags[region.strip().lower()] = tuple(hashtags.split())
    return tags


def _http_url(name: str, text: str) -> str:
    if not text.startswith(("http://", "https://")):
        raise ConfigError(name, f"{text!r} is not an http(s):// URL")
    return text.rstrip("/")


def _pair(get: Callable[[str], str], first: str, second: str) -> bool:
    """Whether a two-part credential is set; one part without the other is a ConfigError."""
    given = [bool(get(first)), bool(get(second))]
    if any(given) and not all(given):
        missing, present = (second, first) if given[0] else (first, second)
        raise ConfigError(missing, f"is missing; it must be set together with {present}")
    return all(given)


def _language(name: str, text: str) -> str:
    """A language code as Bluesky (BCP 47) and Mastodon (ISO 639) both take: "en", "cy"."""
    if not re.fullmatch(r"[a-z]{2,3}", text.strip().lower()):
        raise ConfigError(name, f"expected a two-letter language code like en or cy, got {text!r}")
    return text.strip().lower()


def _facebook_pages(get: Callable[[str], str]) -> tuple[FacebookPage, ...]:
    pages: list[FacebookPage] = []
    main_id, main_token = get("FACEBOOK_PAGE_ID"), get("FACEBOOK_PAGE_ACCESS_TOKEN")
    if bool(main_id) != bool(main_token):
        pair = ("FACEBOOK_PAGE_ID", "FACEBOOK_PAGE_ACCESS_TOKEN")
        given, missing = pair if main_id else pair[::-1]
        raise ConfigError(missing, f"is missing; it must be set together with {given}")
    if main_id:
        pages.append(FacebookPage(main_id, main_token))
    for part in _split(get("FACEBOOK_REGIONAL_PAGES")):
        region, sep, page_id = part.partition("=")
        if not sep or not region.strip() or not page_id.strip():
            raise ConfigError("FACEBOOK_REGIONAL_PAGES", f"{part!r} is not region=page_id")
        token_name = f"FACEBOOK_PAGE_ACCESS_TOKEN_{page_id.strip()}"
        token = get(token_name)
        if not token:
            raise ConfigError(token_name, f"is needed for the {region.strip()} page")
        pages.append(FacebookPage(page_id.strip(), token, region.strip().lower()))
    return tuple(pages)


def read_env_file(env_file: str | Path | None) -> dict[str, str | None]:
    """The settings file's variables as python-dotenv reads them (a name with no ``=`` maps to
    None); ``{}`` when ``env_file`` is None or no file is there."""
    if env_file is None or not Path(env_file).is_file():
        return {}
    return dict(dotenv_values(env_file))


def load_settings(
    environ: Mapping[str, str] | None = None,
    env_file: str | Path | None = ".env",
    *,
    file_values: Mapping[str, str | None] | None = None,
) -> Settings:
    """Build the settings from ``environ`` (default: the process environment) and ``env_file``,
    or ``file_values``, that file as :func:`read_env_file` already read it (the CLI reads it once
    for the settings and the misspelt-name check)."""
    if file_values is None:
        file_values = read_env_file(env_file)
    source = {name: value for name, value in file_values.items() if value is not None}
    source.update(os.environ if environ is None else environ)

    def get(name: str) -> str:
        variable = _BY_NAME.get(name)
        default = variable.default if variable else ""
        value = source.get(name)
        if value is None:
            return default
        if not value.strip() and not (variable and variable.empty is not None):
            return default
        return value.strip()

    facebook_pages = _facebook_pages(get)
    x_keys = ("X_API_KEY", "X_API_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET")
    x_set = [bool(get(k)) for k in x_keys]
    if any(x_set) and not all(x_set):
        missing = next(k for k, present in zip(x_keys, x_set, strict=True) if not present)
        raise ConfigError(missing, "is missing; all four X credentials must be set together")
    bluesky_pair = _pair(get, "BLUESKY_HANDLE", "BLUESKY_APP_PASSWORD")
    mastodon_pair = _pair(get, "MASTODON_API_BASE_URL", "MASTODON_ACCESS_TOKEN")
    sandbox_text = get("SANDBOX")
    any_credentials = all(x_set) or facebook_pages or bluesky_pair or mastodon_pair
    sandbox = _bool("SANDBOX", sandbox_text) if sandbox_text else not any_credentials
    log_level = get("LOG_LEVEL").upper()
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError("LOG_LEVEL", f"expected DEBUG, INFO, WARNING or ERROR, got {log_level!r}")
    version = get("FACEBOOK_API_VERSION")
    digits = version[1:].replace(".", "")
    if not (version.startswith("v") and digits.isascii() and digits.isdigit()):
        raise ConfigError("FACEBOOK_API_VERSION", f"expected a version like v24.0, got {version!r}")

    return Settings(
        appeals_feed_urls=_urls("APPEALS_FEED_URL", get("APPEALS_FEED_URL")),
        news_feed_urls=_urls("NEWS_FEED_URL", get("NEWS_FEED_URL")),
        feed_poll_minutes=_int("FEED_POLL_MINUTES", get("FEED_POLL_MINUTES"), minimum=1),
        feed_timeout_seconds=_float("FEED_TIMEOUT_SECONDS", get("FEED_TIMEOUT_SECONDS")),
        feed_max_bytes=_int("FEED_MAX_BYTES", get("FEED_MAX_BYTES"), minimum=1024),
        feed_max_age_days=_int("FEED_MAX_AGE_DAYS", get("FEED_MAX_AGE_DAYS"), minimum=0),
        found_words=tuple(w.lower() for w in _split(get("FOUND_WORDS"))),
        withdrawn_words=tuple(w.lower() for w in _split(get("WITHDRAWN_WORDS"))),
        urgent_categories=tuple(w.lower() for w in _split(get("URGENT_CATEGORIES"))),
        database_path=Path(get("DATABASE_PATH")),
        timezone=_timezone("TIMEZONE", get("TIMEZONE")),
        post_slots=_slots("POST_SLOTS", get("POST_SLOTS")),
        posts_per_slot=_int("POSTS_PER_SLOT", get("POSTS_PER_SLOT"), minimum=1),
        platforms=_platforms("PLATFORMS", get("PLATFORMS")),
        sandbox=sandbox,
        x_template=_template("X_TEMPLATE", get("X_TEMPLATE")),
        facebook_template=_template("FACEBOOK_TEMPLATE", get("FACEBOOK_TEMPLATE")),
        appeal_hashtags=tuple(get("APPEAL_HASHTAGS").split()),
        news_hashtags=tuple(get("NEWS_HASHTAGS").split()),
        # Not stripped: the space between the prefix and the title is part of it.
        urgent_prefix=source.get("URGENT_PREFIX", _BY_NAME["URGENT_PREFIX"].default),
        x_api_key=get("X_API_KEY"),
        x_api_secret=get("X_API_SECRET"),
        x_access_token=get("X_ACCESS_TOKEN"),
        x_access_token_secret=get("X_ACCESS_TOKEN_SECRET"),
        x_api_base_url=_http_url("X_API_BASE_URL", get("X_API_BASE_URL")),
        x_daily_post_limit=_int("X_DAILY_POST_LIMIT", get("X_DAILY_POST_LIMIT")),
        facebook_pages=facebook_pages,
        facebook_api_version=version,
        facebook_graph_url=_http_url("FACEBOOK_GRAPH_URL", get("FACEBOOK_GRAPH_URL")),
        facebook_daily_post_limit=_int(
            "FACEBOOK_DAILY_POST_LIMIT", get("FACEBOOK_DAILY_POST_LIMIT")
        ),
        log_level=log_level,
        status_field=get("STATUS_FIELD"),
        region_field=get("REGION_FIELD"),
        withdraw_when_missing_from_feed=_int(
            "WITHDRAW_WHEN_MISSING_FROM_FEED", get("WITHDRAW_WHEN_MISSING_FROM_FEED")
        ),
        retention_days=_int("RETENTION_DAYS", get("RETENTION_DAYS")),
        slot_catch_up_minutes=_int("SLOT_CATCH_UP_MINUTES", get("SLOT_CATCH_UP_MINUTES")),
        found_thanks=_bool("FOUND_THANKS", get("FOUND_THANKS")),
        found_thanks_template=get("FOUND_THANKS_TEMPLATE"),
        urgent_budget_share=_share("URGENT_BUDGET_SHARE", get("URGENT_BUDGET_SHARE")),
        reappeal_days=tuple(_int("REAPPEAL_DAYS", d, 1) for d in _split(get("REAPPEAL_DAYS"))),
        reappeal_every_days=_int("REAPPEAL_EVERY_DAYS", get("REAPPEAL_EVERY_DAYS")),
        require_approval=_bool("REQUIRE_APPROVAL", get("REQUIRE_APPROVAL")),
        region_hashtags=_region_hashtags("REGION_HASHTAGS", get("REGION_HASHTAGS")),
        metrics_schedule=_durations("METRICS_SCHEDULE", get("METRICS_SCHEDULE")),
        x_metrics_reads_per_15_minutes=_int(
            "X_METRICS_READS_PER_15_MINUTES", get("X_METRICS_READS_PER_15_MINUTES"), 1
        ),
        facebook_metrics_reads_per_hour=_int(
            "FACEBOOK_METRICS_READS_PER_HOUR", get("FACEBOOK_METRICS_READS_PER_HOUR"), 1
        ),
        tracking=_bool("TRACKING", get("TRACKING")),
        tracking_domains=tuple(d.lower() for d in _split(get("TRACKING_DOMAINS"))),
        utm_medium=get("UTM_MEDIUM"),
        utm_campaign=_campaign("UTM_CAMPAIGN", get("UTM_CAMPAIGN")),
        web_host=get("WEB_HOST"),
        web_port=_port("WEB_PORT", get("WEB_PORT")),
        web_secret_key=get("WEB_SECRET_KEY"),
        appeal_cards=_bool("APPEAL_CARDS", get("APPEAL_CARDS")),
        card_headline=get("CARD_HEADLINE"),
        charity_name=get("CHARITY_NAME"),
        charity_helpline=get("CHARITY_HELPLINE"),
        card_logo=_file("CARD_LOGO", get("CARD_LOGO")),
        fact_fields={key: get(name) for key, name in FACT_SETTINGS.items() if get(name)},
        bluesky_template=_template("BLUESKY_TEMPLATE", get("BLUESKY_TEMPLATE")),
        mastodon_template=_template("MASTODON_TEMPLATE", get("MASTODON_TEMPLATE")),
        post_language=_language("POST_LANGUAGE", get("POST_LANGUAGE")),
        bluesky_handle=get("BLUESKY_HANDLE").lstrip("@"),
        bluesky_app_password=get("BLUESKY_APP_PASSWORD"),
        bluesky_service_url=_http_url("BLUESKY_SERVICE_URL", get("BLUESKY_SERVICE_URL")),
        bluesky_daily_post_limit=_int("BLUESKY_DAILY_POST_LIMIT", get("BLUESKY_DAILY_POST_LIMIT")),
        mastodon_api_base_url=(
            _http_url("MASTODON_API_BASE_URL", get("MASTODON_API_BASE_URL"))
            if get("MASTODON_API_BASE_URL")
            else ""
        ),
        mastodon_access_token=get("MASTODON_ACCESS_TOKEN"),
        mastodon_daily_post_limit=_int(
            "MASTODON_DAILY_POST_LIMIT", get("MASTODON_DAILY_POST_LIMIT")
        ),
        alert_urls=_alert_urls("ALERT_URLS", get("ALERT_URLS")),
        alert_feed_failures=_int("ALERT_FEED_FAILURES", get("ALERT_FEED_FAILURES"), minimum=1),
        alert_daily_summary=(
            _slots("ALERT_DAILY_SUMMARY", get("ALERT_DAILY_SUMMARY"))[0]
            if get("ALERT_DAILY_SUMMARY").strip()
            else None
        ),
        allow_private_addresses=(
            _bool("ALLOW_PRIVATE_ADDRESSES", get("ALLOW_PRIVATE_ADDRESSES"))
            if get("ALLOW_PRIVATE_ADDRESSES")
            else sandbox
        ),
    )
