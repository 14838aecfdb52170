"""The course on JAX in a process where TensorFlow cannot be imported (the GPU machines have none).

``import tensorflow`` is made to fail before anything else runs (the path finder cannot see it),
then the library is imported and ``bench/gpu.py --quick`` trains every kind of model the course has: the
two CNN recipes, a DCGAN and pix2pix. Skipped, with the reason, where JAX is not installed.
"""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("jax", reason="JAX is not installed: pip install 'jax[cpu]' to test the JAX backend")
pytestmark = [pytest.mark.once, pytest.mark.slow]   # it starts a JAX process of its own
ROOT = Path(__file__).resolve().parent.parent

NO_TENSORFLOW = textwrap.dedent("""
    import importlib.machinery, runpy, sys

    class PathFinderWithoutTensorFlow(importlib.machinery.PathFinder):
        # TensorFlow cannot be found, so `import tensorflow` raises ImportError and "tensorflow" never appears
        # in sys.modules, as on a machine without it (a None entry there would make Keras's preprocessing
        # layers believe it is loaded)
        @classmethod
        def find_spec(cls, name, path=None, target=None):
            if name.split(".")[0] == "tensorflow":
                return None
            return super().find_spec(name, path, target)

    sys.meta_path[:] = [PathFinderWithoutTensorFlow if finder is importlib.machinery.PathFinder else finder
                        for finder in sys.meta_path]
    import course_lib, keras
    from course_lib import (adversarial, autodiff, data, detection, explain, gan, models, quality, scratch,
                            segmentation, train, translation, viz, widgets)
    assert keras.backend.backend() == "jax"
    sys.argv = [sys.argv[1], "--quick"]
    runpy.run_path(sys.argv[0], run_name="__main__")
    assert "tensorflow" not in sys.modules, "something imported TensorFlow"
""")


def test_the_library_and_every_kind_of_training_run_without_tensorflow():
    env = {**os.environ, "KERAS_BACKEND": "jax", "COURSE_FAST": "1"}
    result = subprocess.run([sys.executable, "-c", NO_TENSORFLOW, str(ROOT / "bench" / "gpu.py")],
                            capture_output=True, text=True, env=env, timeout=900, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-4000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["backend"] == "jax" and figures["device"].startswith(("CPU", "GPU", "TPU"))
    assert 0 <= figures["improved_test_accuracy"] <= 1 and figures["article_images_per_second"] > 0
    assert figures["dcgan_steps"] == 1024 // 128 and figures["dcgan_generator_steps_per_second"] > 0
    assert figures["pix2pix_steps"] == 4 and figures["pix2pix_seconds"] > 0
