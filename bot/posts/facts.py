"""An appeal's facts (name, age, where and when last seen, description, reference) for its card.

Pure: text in, facts out. A fact comes from the feed entry's own field when the site gives one
(the fields named by NAME_FIELD, AGE_FIELD, LAST_SEEN_FIELD, ...: see :data:`FACT_SETTINGS`),
or from a person typing it into ``add``; else it is read from the common ways charities write
appeal titles and summaries ("Sam Jones, 15, missing from Leeds", "Have you seen Sam Jones
(15)?", "was last seen on Tuesday 4 November in Leeds"); else it is left out. A fact is never
guessed beyond those patterns: a wrong age or place on a poster misleads the public.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields

# Longest a fact may be, in characters: a field holding a whole article is not a fact.
MAX_FACT_CHARS = 200


@dataclass(frozen=True)
class Facts:
    """What a card says about the person. None: not known, so not shown (never invented)."""

    name: str | None = None
    age: str | None = None
    place: str | None = None  # where last seen, as the charity wrote it
    when: str | None = None  # when last seen, as the charity wrote it (no time zone implied)
    description: str | None = None  # height, build, clothing
    reference: str | None = None  # the charity's or police case reference

    def as_dict(self) -> dict[str, str]:
        """The known facts only, by field name (the form stored in ``items.facts``)."""
        return {key: value for key, value in asdict(self).items() if value}


FACT_KEYS: tuple[str, ...] = tuple(f.name for f in fields(Facts))


def clean_fact(value: str) -> str:
    """One line, trimmed and cut to MAX_FACT_CHARS at a word."""
    text = " ".join(value.split())
    if len(text) <= MAX_FACT_CHARS:
        return text
    return text[:MAX_FACT_CHARS].rsplit(" ", 1)[0] + "…"


def given_facts(values: Mapping[str, str | None]) -> dict[str, str]:
    """The facts a feed field or a person gave, cleaned; unknown keys and blanks dropped."""
    cleaned = {key: clean_fact(values.get(key) or "") for key in FACT_KEYS}
    return {key: value for key, value in cleaned.items() if value}


# --- reading titles and summaries --------------------------------------------------------------

# What appeal titles put before the name: "Missing: ", "URGENT - ", "Have you seen ", ...
BEFORE_NAME = re.compile(
    r"^(?:[^:]{1,40}:\s*)?(?:(?:urgent|missing|appeal(?:\s+(?:to\s+find|for))?|have\s+you\s+seen"
    r"|(?:can\s+you\s+)?help\s+(?:us\s+)?find|please\s+share)\b[\s:,.!–—-]*)*",
    re.IGNORECASE,
)
# What ends it: punctuation, an age, or the words that usually follow a name in a title.
AFTER_NAME = re.compile(
    r"\s*(?:[,(?!;:–—]|\s-\s|\d|\b(?:aged?|missing|from|last|who|has|have|was|is|in|of)\b)",
    re.IGNORECASE,
)
# Two to four capitalised words, as a name is written ("Sam Jones", "Mary-Ann O'Neil").
NAME = re.compile(r"[^\W\d_][\w'’.-]*(?:\s+[^\W\d_][\w'’.-]*){1,3}")

_AGE_IN_TITLE = re.compile(
    r"(?:,\s*(?:aged?\s+)?(\d{1,3})\s*(?:,|$|\b(?:years?|missing|from)\b)|\(\s*(?:aged?\s+)?(\d{1,3})\s*\)"
    r"|\baged?\s+(\d{1,3})\b|\b(\d{1,3})[-\s]years?[-\s]old\b)",
    re.IGNORECASE,
)
_WEEKDAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_DATE = (
    rf"(?:(?:{_WEEKDAY},?\s+)?(?:(?:the\s+)?{_DAY}\s+(?:of\s+)?{_MONTH}(?:,?\s+\d{{4}})?"
    rf"|{_MONTH}\s+{_DAY}(?:,?\s+\d{{4}})?)|{_WEEKDAY}(?:\s+(?:morning|afternoon|evening|night))?"
    r"|\d{1,2}/\d{1,2}/\d{2,4}|yesterday|today|last\s+night|this\s+(?:morning|afternoon|evening))"
)
_TIME = r"(?:\d{1,2}(?:[.:]\d{2})?\s*(?:am|pm)|\d{1,2}[.:]\d{2}|midnight|midday|noon)"
_WHEN = re.compile(
    rf"(?:(?:at|around|about)\s+)?{_TIME}\s+(?:on\s+)?{_DATE}"
    rf"|(?:on\s+|since\s+)?{_DATE}(?:\s+(?:at|around)\s+{_TIME})?",
    re.IGNORECASE,
)
_LEADING_WHEN_WORD = re.compile(r"^(?:on|at|since|around|about)\s+", re.IGNORECASE)
# A place as written: capitalised words, maybe a street then a town ("Library Street, Wigan").
_PLACE_WORDS = r"[A-Z][\w'’-]*(?:\s+(?:(?:upon|on|in|under|de|la|le|the|of)\s+)?[A-Z][\w'’-]*)*"
_PLACE = re.compile(
    rf"\b(?:in|at|near|around|on|from)\s+(?:the\s+)?({_PLACE_WORDS}(?:,\s*{_PLACE_WORDS})?)"
)
_MISSING_FROM = re.compile(
    rf"\bmissing\s+from\s+(?:the\s+)?({_PLACE_WORDS}(?:,\s*{_PLACE_WORDS})?)"
)
_SINCE = re.compile(rf"\bmissing\s+from\s+[^.]*?\bsince\s+({_DATE})", re.IGNORECASE)
_LAST_SEEN = re.compile(r"\blast\s+seen\b(.*?)(?:[.;!?](?:\s|$)|$)", re.IGNORECASE | re.DOTALL)
_SENTENCES = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“‘'])")
_DESCRIBED = re.compile(
    r"\bdescribed\s+as\s+|\b\d\s*(?:ft|foot|feet|'|’)\s*\d*|\b1\.\d{2}\s*m\b|\bwearing\b|\bwears\b",
    re.IGNORECASE,
)
_SUBJECT = re.compile(
    r"^(?:[A-Z][\w'’-]*|he|she|they)\s+(?:is|was|were|are|has\s+been)\s+(?:described\s+as\s+)?",
    re.IGNORECASE,
)
_REFERENCE = re.compile(
    r"\b(?:(?:case|police|crime|incident)\s+)?(?:ref(?:erence)?|number|no)\b\.?\s*"
    r"(?:(?:number|no)\.?\s*)?[:#]?\s*([A-Z0-9][A-Z0-9/-]*\d[A-Z0-9/-]*)",
    re.IGNORECASE,
)
_WEEKDAY_OR_DATE = re.compile(rf"^(?:{_DATE})$", re.IGNORECASE)
_PLACE_STOP = re.compile(rf"\s+(?:on|at|since)\s+(?:{_DATE}|{_TIME}).*$", re.IGNORECASE)


def name_from_title(title: str) -> str | None:
    """The person's name as an appeal title writes it, or None when it does not look like one.

    "Sam Jones, 15, missing from Leeds", "Missing: Sam Jones (15)" and "Have you seen Sam
    Jones?" all give "Sam Jones"; "Have you seen this man?" gives None (not capitalised).
    """
    rest = BEFORE_NAME.sub("", title.strip(), count=1)
    end = AFTER_NAME.search(rest)
    guess = (rest[: end.start()] if end else rest).strip()
    if NAME.fullmatch(guess) and all(word[0].isupper() for word in guess.split()):
        return guess
    return None


def age_from_title(title: str) -> str | None:
    """ "15" from "Sam Jones, 15, missing…", "Sam Jones (15)", "aged 15" or "15-year-old"."""
    match = _AGE_IN_TITLE.search(title)
    if not match:
        return None
    age = next(group for group in match.groups() if group)
    return age if 0 < int(age) <= 120 else None


def last_seen(summary: str) -> tuple[str | None, str | None]:
    """(where, when) from the first "last seen …" clause, or from "missing from X since Y"."""
    place: str | None = None
    when: str | None = None
    clause = _LAST_SEEN.search(summary)
    if clause:
        text = clause.group(1)
        when_match = _WHEN.search(text)
        if when_match:
            when = _LEADING_WHEN_WORD.sub("", when_match.group(0).strip())
            text = text[: when_match.start()] + " " + text[when_match.end() :]
        for candidate in _PLACE.finditer(text):
            found = _PLACE_STOP.sub("", candidate.group(1)).strip(" ,")
            if found and not _WEEKDAY_OR_DATE.match(found):
                place = found
                break
    if place is None:
        missing_from = _MISSING_FROM.search(summary)
        if missing_from:
            place = _PLACE_STOP.sub("", missing_from.group(1)).strip(" ,") or None
    if when is None:
        since = _SINCE.search(summary)
        if since:
            when = since.group(1)
    return place, when


def description_from(summary: str) -> str | None:
    """The first sentence giving height, build or clothing, without its subject ("She is …")."""
    for sentence in _SENTENCES.split(summary.strip()):
        found = _DESCRIBED.search(sentence)
        if found:
            # "Last seen in Leeds, wearing a grey hoodie": where and when are facts of their own.
            start = found.start() if _LAST_SEEN.search(sentence) else 0
            text = _SUBJECT.sub("", sentence[start:].strip()).rstrip(" .")
            if text:
                return clean_fact(text[0].upper() + text[1:])
    return None


def reference_from(text: str) -> str | None:
    """ "24-1234" from "reference 24-1234", "quote ref: ABC/123" or "case number 5678"."""
    match = _REFERENCE.search(text)
    return match.group(1) if match else None


def read_facts(title: str, summary: str) -> Facts:
    """The facts the title and summary state in the common styles; the rest None."""
    both = f"{title}. {summary}"
    place, when = last_seen(summary)
    if place is None:
        place, _ = last_seen(title)
    return Facts(
        name=name_from_title(title),
        age=age_from_title(title),
        place=place,
        when=when,
        description=description_from(summary),
        reference=reference_from(both),
    )


def facts_of(title: str, summary: str, given: Mapping[str, str] | None = None) -> Facts:
    """The appeal's facts: each given one (feed field, ``add``) first, else read from the text."""
    read = read_facts(title, summary).as_dict()
    chosen = {**read, **given_facts(given or {})}
    return Facts(**{key: clean_fact(value) for key, value in chosen.items()})
