"""Logging to stderr with timestamps, with every configured secret scrubbed from every line."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable

# Header and query forms a library might print: OAuth headers, bearer tokens, access_token=…
_PATTERNS = [
    re.compile(r"(Authorization['\"]?\s*[:=]\s*['\"]?)(OAuth|Bearer)?\s*[^'\",}]+", re.I),
    re.compile(r"(access_token=)[^&\s'\"]+", re.I),
    re.compile(r"(oauth_(?:token|signature|consumer_key)=)[^&,\s'\"]+", re.I),
]


class ScrubSecrets(logging.Filter):
    """Replaces known secret values and token-shaped fragments with ``***``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        for pattern in _PATTERNS:
            text = pattern.sub(lambda m: f"{m.group(1)}***", text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
            record.exc_text = None
        record.msg, record.args = self.scrub(message), None
        return True


def configure_logging(level: str, secrets: Iterable[str] = ()) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S")
    )
    handler.addFilter(ScrubSecrets(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("appeal_bot").setLevel(level)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
