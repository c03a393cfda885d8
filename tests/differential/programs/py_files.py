"""A Python program looking for its configuration, reading and writing files."""
import os
import sys

for name in ("app.conf", os.path.expanduser("~/.apprc"), "/etc/app/app.conf"):
    try:
        with open(name) as f:
            f.read()
    except OSError:
        pass
with open("result.txt", "w") as f:
    f.write("answer=42\n")
os.listdir(".")
os.stat("result.txt")
os.rename("result.txt", "final.txt")
os.unlink("final.txt")
sys.stdout.write("done\n")
