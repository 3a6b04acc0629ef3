"""The command line: ``python run_bot.py COMMAND``.

One small module per group of commands (:mod:`bot.cli.queue`, :mod:`bot.cli.withdraw`, …), each
command a :class:`~bot.cli.command.Command`: its arguments and a thin ``run`` that calls one
library function and prints the result. :mod:`bot.cli.main` collects them. Errors are one line
on stderr and a non-zero exit code (2 for bad settings). Command modules import the library
inside ``run``, so ``--help`` and light commands stay quick to start.
"""

from bot.cli.main import COMMANDS, build_parser, main

__all__ = ["COMMANDS", "build_parser", "main"]
