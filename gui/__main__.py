"""``python -m gui [FILE]``: start Backprop Studio."""

import sys

from .app import main

sys.exit(main())
