"""nbgrader's settings for this course (teachers: README "Teaching with it").

Run from this folder, the chapters folder is nbgrader's assignment ``chapters``:

    nbgrader generate_assignment chapters --no-db --force     # writes release/chapters/

One set of markers feeds both student versions: the lines between ``### BEGIN SOLUTION`` and
``### END SOLUTION`` are replaced by the same stub as ``python -m course_lib student`` writes
(course_lib/student.py; tests/test_nbgrader.py checks that both give the same text in every cell).
"""
c = get_config()  # noqa: F821 -- nbgrader (traitlets) defines get_config when it reads this file

# The stubs of course_lib/student.py (CODE_STUB and MARKDOWN_STUB), not nbgrader's defaults.
c.ClearSolutions.code_stub = {
    "python": '# YOUR CODE HERE\nraise NotImplementedError("Write your solution here")',
}
c.ClearSolutions.text_stub = "_Your answer here._"
c.ClearSolutions.begin_solution_delimeter = "### BEGIN SOLUTION"   # nbgrader spells it "delimeter"
c.ClearSolutions.end_solution_delimeter = "### END SOLUTION"

# This folder is the course root and the chapters are the assignment: source/<assignment>/ becomes
# ./chapters/, the release lands in release/chapters/. What the notebooks write while they run stays out.
c.CourseDirectory.source_directory = "."
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "artifacts"]
