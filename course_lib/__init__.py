"""course_lib: the helper library of the course "Deep learning on large image datasets".

Small modules, one concern each (see README.md, "How the course is built"):

``config``   fast/full mode, ``pick``, seeding, data folders
``data``     MNIST offline-first loading, the bundled sample, subsets
``models``   the article's CNN and the improved CNN
``train``    device report, mixed precision, live plot and throughput callbacks
``viz``      image grids, curves, confusion matrix, mistakes, feature maps, kernels
``checks``   the exercise-checker pattern and each chapter's checkers
``student``  writes the student version of the notebooks (solutions stubbed out)

Modules are imported on demand, so ``import course_lib`` stays cheap and TensorFlow is loaded only
by the modules that need Keras.
"""
import os as _os

# Quieten TensorFlow's C++ start-up messages when course_lib is imported before Keras (the chapters
# do so); a learner who wants them sets TF_CPP_MIN_LOG_LEVEL themselves.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

__version__ = "0.1.0"
