"""`python -m bot` does what the `awarebot` console script does."""

from bot.cli import main

raise SystemExit(main())
