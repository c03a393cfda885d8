"""Writes one line to a log file in the directory it is given: log_writer.py DIR."""

import os
import sys

with open(os.path.join(sys.argv[1], "app.log"), "w") as log:
    log.write("INFO the spy was here\n")
