"""``python -m course_lib COMMAND``: an alias of ``python -m course_tools COMMAND`` (the teacher's tools)."""
import sys

from course_tools.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
