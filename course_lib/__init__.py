"""course_lib: the helper library of the course "Deep learning on large image datasets".

What the chapters import. Small modules, one concern each (README.md, "How the course is built"):

``config``       fast/full mode, ``pick``, seeding, data folders (the checkout's data/ or, installed, a
                 folder in the user's home)
``data``         MNIST and Fashion-MNIST offline-first loading (one loader over a table of datasets), the
                 bundled samples (``samples/``, package data), subsets, digit canvases with boxes and masks
``models``       the article's CNN, the improved CNN and its training recipe (the judge of 07 and 08d)
``train``        device report, mixed precision, live plot, throughput and time-budget callbacks
``viz``          image grids (figures and arrays), curves, confusion matrix, mistakes, feature maps, kernels
``scratch``      NumPy reference versions of convolution (standard, depthwise, separable), pooling, dense,
                 softmax, the GAN value
``widgets``      the kernel editor, the pooling, latent and attack explorers (ipywidgets)
``two_networks`` what GAN and pix2pix share: two networks, two optimizers, the step dispatched per backend
``compare``      a chapter's network against the library's copy: layer types and settings, then outputs
``gan``          DCGAN and conditional GAN: builders, losses, the ``GAN`` model with EMA, sample grid,
                 checkpoints, latent interpolation and directions
``quality``      judging generated samples with a classifier (confident share, class agreement)
``detection``    a grid detector: box encoding, IoU, non-maximum suppression, mAP@0.5
``segmentation`` pixel confusion counts, IoU per class, mask overlays (chapter 08c writes its U-Net out)
``translation``  pix2pix-style 4× super-resolution: degrading, its own residual U-Net generator,
                 patch discriminator, L1 plus adversarial loss, PSNR
``autodiff``     gradients with respect to a model's input on any backend (TensorFlow, JAX, PyTorch)
``jax_steps``    the JAX form of the two-network training steps (both optimizers as real state)
``explain``      saliency, Grad-CAM, occlusion and integrated gradients, and tests of such maps (09b)
``adversarial``  FGSM and PGD attacks and accuracy under attack (09b)
``checks``       the exercise-checker pattern and each chapter's checkers
``shards``       TFRecord shards streamed with tf.data (10a, 10b; TensorFlow-only, imported where used)
``measure``      images per second of a stream, a process's peak memory (chapter 10a)
``distributed``  one CPU split into devices, a local cluster of workers, weight comparison (chapter 10b);
                 the script each worker runs is ``scripts/multiworker_train.py`` in the checkout

The teacher's and CI's tools (student version, doctor, site, slides, the chapter manifest, the command
line) are the sibling package ``course_tools``: ``python -m course_tools COMMAND`` (``python -m course_lib
COMMAND`` is an alias).

Modules are imported on demand. One thing happens on import: when Keras will run on TensorFlow,
TensorFlow is loaded once with its start-up information lines dropped (``_quiet``), so that the
first cell of a chapter shows no wall of C++ log lines. Every chapter therefore imports
``course_lib`` before ``keras``; warnings and errors still show.
"""
from course_lib._quiet import import_tensorflow_quietly as _import_tensorflow_quietly

_import_tensorflow_quietly()

__version__ = "0.1.0"
