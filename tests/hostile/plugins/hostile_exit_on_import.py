"""Calls ``sys.exit`` while being imported, as a plugin that runs a script at import might."""

import sys

sys.exit(0)
