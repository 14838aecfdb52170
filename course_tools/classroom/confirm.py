"""Judge a submission's answers outside the student's kernel: ``python -m course_tools.classroom.confirm``.

nbgrader runs a notebook's checker cells in the student's own kernel, so an answer cell that rebinds a
checker (``checks.check_rgb_to_gray = lambda f: True``) earns its point there. This judge runs in a process
of its own, started by ``classroom grade`` for each submission:

1. it loads the course's checkers first, as private copies that no notebook code can name (they are not
   left in ``sys.modules``);
2. it runs the chapter's import lines (from the teacher's copy) and then each answer cell of the
   submission, in order, in a fresh namespace: only the imports and the earlier answers are there;
3. after each answer cell it compares the attributes of ``course_lib``'s modules, NumPy and ``builtins``
   with a snapshot, names what the cell changed and puts it back;
4. the private checker judges the answer, under the chapter's cell timeout.

Each exercise's verdict is written as one JSON line to the results file as soon as it is known, so the
verdicts reached before a crash (an answer that kills its process) survive it. Outcomes: ``confirmed``,
``wrong``, ``timeout``, ``missing`` (no answer cell), ``outside`` (a NameError: the answer uses a name that
the notebook defines outside the answer cells, so it cannot be judged here), ``tampered`` (the answer changed
NumPy, ``builtins`` or the checkers while it was being checked, so the check cannot be trusted).

This catches code that cheats from inside a notebook; it is no sandbox. Student code still runs with the
grader's rights, which is why TEACHING.md says to grade as a separate user or in a container.
"""

from __future__ import annotations

import argparse
import builtins
import contextlib
import importlib
import io
import json
import os
import signal
import sys
import time
import types

from course_tools.classroom.exercises import (
    CHECKS_PACKAGE,
    answer_sources,
    exercises,
    import_lines,
    python_of,
    read_notebook,
)

#: Modules whose attributes an answer may not change: the course's own, NumPy's main ones, builtins.
GUARDED_PREFIXES = ("course_lib", "numpy", "builtins", "math")


class OutOfTime(BaseException):
    """Raised by the alarm; a BaseException, so that an answer's ``except Exception`` cannot swallow it."""


@contextlib.contextmanager
def time_limit(seconds: float):
    def alarm(signum, frame):
        raise OutOfTime()

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _is_checks_module(name: str) -> bool:
    return name == CHECKS_PACKAGE or name.startswith(CHECKS_PACKAGE + ".")


def load_private_checkers(module_names) -> dict[str, types.ModuleType]:
    """Import the checker modules as copies that are not in ``sys.modules`` afterwards, so that the
    notebook's own ``from course_lib.checks import ...`` gets other module objects."""
    import course_lib

    public = {name: module for name, module in sys.modules.items() if _is_checks_module(name)}
    public_attribute = course_lib.__dict__.get("checks")
    for name in public:
        del sys.modules[name]
    try:
        private = {name: importlib.import_module(name) for name in sorted(set(module_names))}
    finally:
        for name in [name for name in sys.modules if _is_checks_module(name)]:
            del sys.modules[name]
        sys.modules.update(public)
        if public_attribute is None:
            course_lib.__dict__.pop("checks", None)
        else:
            course_lib.checks = public_attribute
    return private


def _guarded_modules(prefixes) -> dict[str, types.ModuleType]:
    return {
        name: module
        for name, module in list(sys.modules.items())
        if isinstance(module, types.ModuleType) and (name.split(".")[0] in prefixes)
    }


def _interesting(module_name: str, key: str, value) -> bool:
    if key.startswith("__") and not (module_name == "builtins" and key == "__import__"):
        return False
    return not isinstance(value, types.ModuleType)  # submodules appear as they are imported


def snapshot(prefixes=GUARDED_PREFIXES) -> dict:
    """{(module, class or None): dict of attributes} for the guarded modules and the classes they define."""
    taken = {}
    for name, module in _guarded_modules(prefixes).items():
        attributes = dict(vars(module))
        taken[(name, None)] = attributes
        if name.startswith("course_lib"):
            for key, value in attributes.items():
                if isinstance(value, type) and value.__module__ == name:
                    taken[(name, key)] = dict(vars(value))
    return taken


def _owner(name: str, class_name):
    module = sys.modules.get(name)
    return getattr(module, class_name, None) if class_name else module


def restore(before: dict) -> list[str]:
    """Put back every attribute changed since ``before``; return their dotted names."""
    changed = []
    for (name, class_name), attributes in before.items():
        owner = _owner(name, class_name)
        if owner is None:
            continue
        where = f"{name}.{class_name}" if class_name else name
        now = dict(vars(owner))
        for key, value in attributes.items():
            if not _interesting(name, key, value) and not class_name:
                continue
            if key.startswith("__") and class_name:
                continue
            if key not in now or now[key] is not value:
                changed.append(f"{where}.{key}")
                setattr(owner, key, value)
        for key, value in now.items():
            if (
                key not in attributes
                and _interesting(name, key, value)
                and not (class_name and key.startswith("__"))
            ):
                changed.append(f"{where}.{key}")
                delattr(owner, key)
    return sorted(changed)


def _silently(code, namespace, seconds):
    """exec ``code`` in ``namespace`` with its prints swallowed, under a time limit."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        with time_limit(seconds):
            exec(code, namespace)


def _display(*objects, **kwargs):
    """The namespace's ``display``: answers may call it; nothing is shown."""


def judge(source_path, submission_path, results_path, timeout: float) -> int:
    teacher = read_notebook(source_path)
    table = exercises(teacher, str(source_path))
    answers = answer_sources(read_notebook(submission_path))
    checkers = load_private_checkers(exercise.module for exercise in table)
    namespace = {"__name__": "__main__", "__builtins__": builtins, "display": _display}
    with open(results_path, "a", encoding="utf-8") as results:

        def write(exercise, outcome, message, changed=(), seconds=0.0):
            record = {
                "check_id": exercise.check_id,
                "answer_id": exercise.answer_id,
                "points": exercise.points,
                "outcome": outcome,
                "message": message,
                "changed": list(changed),
                "seconds": round(seconds, 3),
            }
            results.write(json.dumps(record) + "\n")
            results.flush()
            os.fsync(results.fileno())

        _silently("\n".join(import_lines(teacher)), namespace, max(timeout, 120))
        for exercise in table:
            started = time.perf_counter()
            if exercise.answer_id not in answers:
                write(exercise, "missing", f"no answer cell '{exercise.answer_id}' in the submission")
                continue
            before = snapshot()
            try:
                _silently(
                    compile(python_of(answers[exercise.answer_id]), f"<answer {exercise.answer_id}>", "exec"),
                    namespace,
                    timeout,
                )
                problem = None
            except OutOfTime:
                problem = "timeout"
            except BaseException as error:  # an answer cell that raises: its checker says what is missing
                problem = f"{type(error).__name__}: {error}"
            changed = restore(before)
            if problem == "timeout":
                write(
                    exercise,
                    "timeout",
                    f"the answer cell ran longer than {timeout:g} s",
                    changed,
                    time.perf_counter() - started,
                )
                continue
            check = getattr(checkers[exercise.module], exercise.checker)
            before = snapshot(("numpy", "builtins", "math"))
            public_checks = snapshot(("course_lib",))
            try:
                with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                    with time_limit(timeout):
                        verdict = check(namespace.get(exercise.answer_name))
            except OutOfTime:
                restore(before)
                write(
                    exercise,
                    "timeout",
                    f"checking the answer took longer than {timeout:g} s",
                    changed,
                    time.perf_counter() - started,
                )
                continue
            except AssertionError as error:  # a failed check in strict mode
                verdict = error
            during = restore(before) + [name for name in restore(public_checks) if _is_checks_module(name)]
            seconds = time.perf_counter() - started
            if during:
                write(
                    exercise,
                    "tampered",
                    "the answer changed what checks it while it was checked",
                    changed + during,
                    seconds,
                )
            elif getattr(verdict, "passed", False) is True:
                write(exercise, "confirmed", verdict.message, changed, seconds)
            else:
                message = getattr(verdict, "message", str(verdict))
                if problem and exercise.answer_name not in namespace:
                    message = f"the answer cell raised {problem}"
                # a NameError: the answer needs something the notebook defines outside the answer cells,
                # which a judge that sees only the answers cannot confirm either way
                outcome = "outside" if "NameError" in message else "wrong"
                write(exercise, outcome, message, changed, seconds)
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_tools.classroom.confirm",
        description="judge a submission's answers outside its kernel",
    )
    parser.add_argument("source", help="the teacher's notebook (COURSE_DIR/source/<stem>/<stem>.ipynb)")
    parser.add_argument("submission", help="the student's notebook")
    parser.add_argument("results", help="a JSON-lines file to append one verdict per exercise to")
    parser.add_argument("--timeout", type=float, required=True, help="seconds per answer cell and per check")
    args = parser.parse_args(argv)
    return judge(args.source, args.submission, args.results, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
