"""The dashboard's words for the bot's terms: a comms officer reads "live on X", never
``sent``/``x``. One place, so every page says the same thing."""

from __future__ import annotations

from bot.appeals.thanks import THANKS_SUFFIX
from bot.core.settings import Settings

POST_STATUS_WORDS = {
    "draft": "waiting for approval",
    "queued": "waiting to go out",
    "sending": "going out now",
    "sent": "live",
    "failed": "failed",
    "cancelled": "cancelled",
    "deleting": "being deleted",
    "deleted": "deleted",
}
PLATFORM_NAMES = {"x": "X", "facebook": "Facebook", "bluesky": "Bluesky", "mastodon": "Mastodon"}
# The operators' log in words: what the bot did, and how it went.
ACTION_WORDS = {
    "send": "posting", "fetch": "reading a feed", "withdraw": "withdrawal", "delete": "deletion",
    "slot": "posting slot", "add": "added by hand", "thanks": "thank-you update",
    "reopen": "appeal reopened", "reappeal": "posted again", "purge": "details forgotten",
    "metrics": "share counts", "credentials": "platform sign-in", "reconcile": "checking a post",
    "recover": "recovery after a stop", "daemon": "the bot", "dashboard": "dashboard",
    "edit": "edit", "reject": "rejected", "retry": "trying again",
}  # fmt: skip
OUTCOME_WORDS = {
    "retry": "will try again", "pending": "waiting", "missed": "missed its slot",
    "duplicate": "already posted", "held": "held back", "gone": "already gone",
    "skipped": "skipped", "error": "error", "ok": "done", "done": "done",
}  # fmt: skip


def action_word(action: str) -> str:
    return ACTION_WORDS.get(action, action)


def outcome_word(outcome: str) -> str:
    return OUTCOME_WORDS.get(outcome, outcome)


def platform_name(platform: str) -> str:
    return PLATFORM_NAMES.get(platform, platform.capitalize())


def place_name(settings: Settings, platform: str, target: str = "") -> str:
    """Where a post goes: "X", "Facebook", "Facebook, north-west page"."""
    name = platform_name(platform)
    if not target:
        return name
    region = next((p.region for p in settings.facebook_pages if p.page_id == target), None)
    return f"{name}, {region} page" if region else f"{name}, page {target}"


def kind_word(kind: str, item_id: str = "") -> str:
    """The kind in words: "appeal", "news" or "thank-you" (a found thank-you is a news item)."""
    if item_id.endswith(THANKS_SUFFIX):
        return "thank-you"
    return kind
