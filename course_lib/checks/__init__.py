"""Exercise checkers: the shared pattern in ``core``, one module of checkers per chapter.

Use in a notebook::

    from course_lib.checks import mnist_project as checks
    checks.check_preprocess(preprocess)
"""
from course_lib.checks.core import (  # noqa: F401 - the public pattern
    CheckResult,
    ExerciseFailed,
    Hint,
    as_array,
    call,
    checker,
    expect_close,
    expect_equal_number,
    expect_shape,
)
