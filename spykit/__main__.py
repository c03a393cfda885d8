"""``python -m spykit ...`` runs the ``spykit`` command line."""

import sys

from .cli import main

sys.exit(main())
