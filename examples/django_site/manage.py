#!/usr/bin/env python
"""Django's command-line utility for the example: `python examples/django_site/manage.py check`."""

import os
import sys
from pathlib import Path

if __name__ == "__main__":
    # The project is the package `examples.django_site`: put the checkout's root on the path.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "examples.django_site.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
