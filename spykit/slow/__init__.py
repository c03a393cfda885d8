"""Slow programs: where does the time go?

``timing`` (spykit.time), ``wchan`` (wait-channel sampling, with ``meanings`` and ``waits``),
``profile`` (cProfile for Python) and ``diagnose`` (all of them together, in plain words).
``run`` launches and watches programs untraced; ``render`` draws text
and HTML. All of them read /proc through ``spykit.procfs``. The public names are exported lazily
by ``spykit/__init__.py``.
"""
