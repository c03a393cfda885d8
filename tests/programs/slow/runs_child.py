"""Waits for a child process: runs `sleep SECONDS` and waits for it to finish."""

import subprocess
import sys

if __name__ == "__main__":
    subprocess.run(["sleep", sys.argv[1] if len(sys.argv) > 1 else "1"], check=True)
