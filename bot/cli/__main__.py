"""``python -m bot.cli COMMAND``, the same as ``run_bot.py COMMAND``."""

import sys

from bot.cli.main import main

sys.exit(main())
