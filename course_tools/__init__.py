"""course_tools: the teacher's and CI's tools for the course (``python -m course_tools COMMAND``).

A sibling of ``course_lib``, not a part of it: importing ``course_lib`` loads TensorFlow (so that a
chapter's first cell shows no C++ log lines), and none of these tools needs it, so none of them imports
``course_lib`` at module level. ``import course_tools`` loads no Keras backend (tests/test_packaging.py).

``student``   the student version of the notebooks: solutions replaced by nbgrader's stubs
``doctor``    checks a learner's machine and names the fix for each problem
``site``      runs the chapters and writes a static HTML site that works offline
``slides``    sets each cell's slide type, for presenting a chapter
``manifest``  the chapter manifest (chapters/chapters.toml) and what is generated from it
``__main__``  the command line: info, fetch, student, doctor, site, slides, chapters

``python -m course_lib COMMAND`` still works: it is an alias of this command line.
"""
from pathlib import Path

#: The folder of the checkout (chapters/, README.md, requirements.txt) when the tools run from one.
REPO_ROOT = Path(__file__).resolve().parent.parent
