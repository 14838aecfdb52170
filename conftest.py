"""Test-session settings, applied before any notebook kernel starts (kernels inherit them)."""
import os

os.environ.setdefault("COURSE_FAST", "1")        # notebooks run their small configuration
os.environ.setdefault("COURSE_STRICT", "1")      # a failed exercise check fails the notebook
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's C++ start-up chatter off
os.environ.setdefault("MPLBACKEND", "Agg")       # plain pytest processes draw off-screen
