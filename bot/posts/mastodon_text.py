"""How Mastodon counts a status's length: graphemes, each link with a scheme as 23.

Mastodon refuses a status over the instance's ``max_characters`` (500 by default), and counts
it as its StatusLengthValidator does: user-perceived characters (grapheme clusters), where each
link counts ``characters_reserved_per_url`` (23) however long, and anything after a link that
its grammar leaves out (a full stop, a closing bracket, a comma) counts as the characters it
is. The grammar is twitter-text's (its domains and the character allowed before a link),
reconfigured by Mastodon's config/initializers/twitter_regex.rb (a path may hold any character
but whitespace, <, >, (, ) and ?, and never ends in punctuation), with a scheme required
(``extract_url_without_protocol: false``). The composer and the fake Mastodon both count with
this module.
"""

from __future__ import annotations

import regex

from bot.posts.twitter_text import VALID_DOMAIN, VALID_PORT_NUMBER, VALID_URL_PRECEDING_CHARS


def _mastodon_url_pattern() -> regex.Pattern[str]:
    """The links Mastodon's StatusLengthValidator counts as 23 characters: twitter-text's URL
    grammar as Mastodon reconfigures it (config/initializers/twitter_regex.rb: a path may hold
    any character but whitespace, <, >, (, ) and ?, and never ends in punctuation such as
    .,;:!?'"), with a scheme required (extract_url_without_protocol: false). Group 1 is the
    character before the link, which stays."""
    general = r"[^\p{White_Space}<>()?]"
    parens = rf"\((?:{general}+|(?:{general}*\({general}+\){general}*))\)"
    ending = rf"""(?:[^\p{{White_Space}}()?!*"'「」<>;:=,.$%\[\]~&|@]|{parens})"""
    path = rf"(?:(?:{general}*(?:{parens}{general}*)*{ending})|(?:{general}+/))"
    uchars = (
        "\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef\U00010000-\U0001fffd\U00020000-\U0002fffd"
        "\U00030000-\U0003fffd\U000e1000-\U000efffd\ue000-\uf8ff\U000f0000-\U000ffffd"
        "\U00100000-\U0010fffd"
    )
    query = rf"[a-z0-9!?*'();:&=+$/%#\[\]\-_.,~|@\^{uchars}]"
    query_end = rf"[a-z0-9_&=#/\-{uchars}]"
    return regex.compile(
        rf"({VALID_URL_PRECEDING_CHARS.pattern})"
        rf"((?:https?|dat|dweb|ipfs|ipns|ssb|gopher|gemini)://(?:{VALID_DOMAIN.pattern})"
        rf"(?::(?:{VALID_PORT_NUMBER.pattern}))?(?:/{path}*)?(?:\?{query}*{query_end})?)",
        regex.IGNORECASE | regex.VERSION0,
    )


_COUNTED_URL = _mastodon_url_pattern()


def graphemes(text: str) -> int:
    """User-perceived characters (Unicode extended grapheme clusters, UAX #29): a family emoji
    or a flag is one, as Mastodon (and Bluesky) count them."""
    return len(regex.findall(r"\X", text)) if not text.isascii() else len(text)


def countable_length(text: str, url_weight: int = 23) -> int:
    """A status's length as Mastodon counts it: graphemes, each link with a scheme as
    ``url_weight`` (an instance's ``characters_reserved_per_url``)."""
    if "://" not in text:
        return graphemes(text)
    return graphemes(_COUNTED_URL.sub(lambda found: found[1] + "x" * url_weight, text))
