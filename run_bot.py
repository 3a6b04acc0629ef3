#!/usr/bin/env python3
"""appeal-bot's entry point: ``python run_bot.py COMMAND`` (see ``--help``)."""

import sys

from bot.cli import main

if __name__ == "__main__":
    sys.exit(main())
