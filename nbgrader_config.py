"""nbgrader's settings for this course (teachers: README "Teaching with it").

Run from this folder, the chapters folder is nbgrader's assignment ``chapters``:

    nbgrader generate_assignment chapters --no-db --force     # writes release/chapters/

One set of markers feeds both student versions: the lines between ``### BEGIN SOLUTION`` and
``### END SOLUTION`` are replaced by the same stub as ``python -m course_tools student`` writes
(course_tools/student.py; tests/test_nbgrader.py checks that both give the same text in every cell).
"""
# The stubs of course_tools/student.py, not nbgrader's defaults (course_tools loads no Keras backend, so
# reading this file stays quick).
from course_tools.student import BEGIN, CODE_STUB, END, MARKDOWN_STUB

c = get_config()  # noqa: F821 -- nbgrader (traitlets) defines get_config when it reads this file

c.ClearSolutions.code_stub = {"python": CODE_STUB}
c.ClearSolutions.text_stub = MARKDOWN_STUB
c.ClearSolutions.begin_solution_delimeter = BEGIN   # nbgrader spells it "delimeter"
c.ClearSolutions.end_solution_delimeter = END

# This folder is the course root and the chapters are the assignment: source/<assignment>/ becomes
# ./chapters/, the release lands in release/chapters/. What the notebooks write while they run stays out.
c.CourseDirectory.source_directory = "."
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "artifacts"]
