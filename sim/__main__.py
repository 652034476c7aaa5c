"""``python -m sim``: run, check and gradient-check experiment files from the command line."""

import sys

from .cli import main

sys.exit(main())
