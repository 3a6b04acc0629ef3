"""appeal-bot: shares a missing-persons charity's appeals on X, Facebook, Bluesky and Mastodon,
and withdraws them when the person is found.

The flow is the folder: ``core`` (what every stage uses) → ``feeds`` → ``posts`` → ``sending``
(through ``platforms``) → ``appeals`` → ``shares``, with ``web`` and ``cli`` over the same
library and the daemon (``scheduler``) at the top.
"""

from bot.core import imports

imports.install()

__version__ = "0.1.0"
