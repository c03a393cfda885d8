"""Builds the optional C accelerators of the tracer: its inner loop (spykit/tracer/_fastloop.c)
and its launcher (spykit/tracer/_fastspawn.c, x86_64).

Also copies the workshop's programs (mysteries/) into the package as spykit/_workshop/mysteries,
so that a regular (non-editable) install can run the exercises' checks; an editable install
finds them in the checkout instead (spykit/exercises/_live.py).

Everything else is declared in pyproject.toml. ``optional=True``: without a C compiler or
Python's headers the install still succeeds and the tracer runs its pure-Python code (slower on
programs that make many system calls, and about 3 ms more per program started; otherwise the same).
"""

import shutil
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class build_py_with_workshop(build_py):
    """build_py, plus a copy of mysteries/ inside the built package (not for editable installs,
    which read the checkout's own folder)."""

    def run(self) -> None:
        super().run()
        source = HERE / "mysteries"
        if self.editable_mode or not source.is_dir():
            return
        target = Path(self.build_lib) / "spykit" / "_workshop" / "mysteries"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


FLAGS = ["-O2", "-Wall", "-Wextra", "-Wno-missing-field-initializers", "-Wno-cast-function-type"]

setup(
    cmdclass={"build_py": build_py_with_workshop},
    ext_modules=[
        Extension("spykit.tracer._fastloop", sources=["spykit/tracer/_fastloop.c"], extra_compile_args=FLAGS,
                  optional=True),
        Extension("spykit.tracer._fastspawn", sources=["spykit/tracer/_fastspawn.c"], extra_compile_args=FLAGS,
                  optional=True),
    ]
)
