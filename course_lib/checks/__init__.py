"""Exercise checkers: the shared pattern in ``core``, one module of checkers per chapter.

Use in a notebook::

    from course_lib.checks import mnist_project as checks
    checks.check_preprocess(preprocess)

A new checker is a function decorated with ``core.checker`` that raises ``core.Hint`` with a
helpful message when the answer is wrong (see ``course_lib/checks/core.py``).
"""
