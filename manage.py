#!/usr/bin/env python
"""Django's command-line utility for AIMS Register."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aims.settings.local")
    from django.core.management import execute_from_command_line

    from aims.audit.context import set_source

    set_source("command")  # history records written by commands say so

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
