"""Builds the optional C accelerators of the tracer: its inner loop (spykit/tracer/_fastloop.c)
and its launcher (spykit/tracer/_fastspawn.c, x86_64).

Everything else is declared in pyproject.toml. ``optional=True``: without a C compiler or
Python's headers the install still succeeds and the tracer runs its pure-Python code (slower on
programs that make many system calls, and about 3 ms more per program started; otherwise the same).
"""

from setuptools import Extension, setup

FLAGS = ["-O2", "-Wall", "-Wextra", "-Wno-missing-field-initializers", "-Wno-cast-function-type"]

setup(
    ext_modules=[
        Extension("spykit.tracer._fastloop", sources=["spykit/tracer/_fastloop.c"], extra_compile_args=FLAGS,
                  optional=True),
        Extension("spykit.tracer._fastspawn", sources=["spykit/tracer/_fastspawn.c"], extra_compile_args=FLAGS,
                  optional=True),
    ]
)
