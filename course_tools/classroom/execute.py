"""nbgrader's Execute step for this course: per-chapter timeouts, a kernel that dies, stderr in a checker.

``classroom init`` puts ``CourseExecute`` in place of nbgrader's ``Execute`` in the course's
``nbgrader_config.py``, so ``nbgrader autograde`` itself (and the formgrader) behaves as follows:

* **the course's environment in the kernel**: ``kernel_env`` (strict checks, fast mode, offline data) is
  set in every kernel it starts, whatever the teacher's shell has;
* **a timeout per chapter**: ``cell_timeouts`` maps an assignment (a chapter's stem) to seconds per cell;
  nbgrader's own default, 30 s, would cut a training cell;
* **a kernel that dies** (what a hub's out-of-memory killer does) no longer fails the whole submission:
  the cells after it are marked "not run", so the exercises checked before the crash keep their points, and
  the notebook's metadata says where it died (nbgrader alone removes the autograded copy and records 0);
* **stderr in a graded cell**: nbgrader gives 0 to a graded cell that wrote to stderr, so a library warning
  inside a checker would cost a correct answer its point; in graded cells it is shown as ordinary output.

What it saw is written to ``metadata["course_grading"]`` of the autograded notebook:
``{"cell_timeout": seconds, "timed_out_cells": [...], "kernel_died_at_cell": index or null}``.
"""

from __future__ import annotations

import os

from nbclient.exceptions import DeadKernelError
from nbclient.util import run_sync
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import Execute
from traitlets import Dict, Integer

METADATA_KEY = "course_grading"
TIMEOUT_ERROR = "CellTimeoutError"  # the ename nbgrader's Execute gives a cell that ran out of time


class CourseExecute(Execute):
    cell_timeouts = Dict({}, help="Seconds per cell for each assignment id (a chapter's stem).").tag(
        config=True
    )
    default_cell_timeout = Integer(120, help="Seconds per cell for an assignment not in cell_timeouts.").tag(
        config=True
    )
    kernel_env = Dict({}, help="Environment variables set in every kernel this step starts.").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        assignment = (resources or {}).get("nbgrader", {}).get("assignment")
        self._cell_timeout = int(self.cell_timeouts.get(assignment, self.default_cell_timeout))
        self._died_at = None
        self._timed_out = []
        nb, resources = super().preprocess(nb, resources, km)
        nb.metadata[METADATA_KEY] = {
            "cell_timeout": self._cell_timeout,
            "timed_out_cells": self._timed_out,
            "kernel_died_at_cell": self._died_at,
        }
        return nb, resources

    async def async_start_new_kernel(self, **kwargs):
        kwargs["env"] = {**os.environ, **kwargs.get("env", {}), **self.kernel_env}
        return await super().async_start_new_kernel(**kwargs)

    # nbclient's synchronous name is bound to its own async method when its class is made: rebind it here
    start_new_kernel = run_sync(async_start_new_kernel)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if self._died_at is not None:
            cell.outputs = [_error("NotRun", f"not run: the kernel died in cell {self._died_at}")]
            return cell, resources
        self.timeout = (
            self._cell_timeout
        )  # read by nbclient for each cell (NotebookClient.__init__ resets it)
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._died_at = index
            cell.outputs.append(
                _error(
                    "DeadKernelError",
                    "the kernel died while this cell ran (killed from outside, or out of memory)",
                )
            )
            return cell, resources
        if any(
            output.output_type == "error" and output.get("ename") == TIMEOUT_ERROR for output in cell.outputs
        ):
            self._timed_out.append(index)
        if utils.is_grade(cell):
            for output in cell.outputs:
                if output.output_type == "stream" and output.name == "stderr":
                    output.name = "stdout"
        return cell, resources


def _error(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def autograde_steps() -> list:
    """nbgrader's autograde steps, in its order, with ``CourseExecute`` in place of ``Execute``."""
    from nbgrader.converters import Autograde

    steps = Autograde.class_traits()["autograde_preprocessors"].default()
    return [CourseExecute if step is Execute else step for step in steps]
