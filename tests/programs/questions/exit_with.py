"""Prints its name and exits with the status it is given: exit_with.py NAME STATUS [WORDS...]."""

import sys

name, status = sys.argv[1], int(sys.argv[2])
print(f"{name} says {' '.join(sys.argv[3:])}".strip())
sys.exit(status)
