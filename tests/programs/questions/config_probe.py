"""Looks for its config file in three places that do not exist, then reads the fourth, which does.

Usage: config_probe.py DIR    (DIR/found.conf must exist; the others must not)
The places are tried in a fixed order, the way real programs walk a search path.
"""

import os
import sys

root = sys.argv[1]
candidates = [
    os.path.join(root, "home", ".proberc"),  # the directory "home" does not exist either
    os.path.join(root, "etc-probe.conf"),
    os.path.join(root, "found.conf", "nested.conf"),  # found.conf is a file: ENOTDIR
    os.path.join(root, "found.conf"),
]
for path in candidates:
    try:
        with open(path) as config:
            print(f"using {path}: {config.read().strip()}")
            break
    except (FileNotFoundError, NotADirectoryError):
        continue
else:
    sys.exit("no config found")
