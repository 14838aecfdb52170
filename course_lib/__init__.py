"""course_lib: the helper library of the course "Deep learning on large image datasets".

Small modules, one concern each (see README.md, "How the course is built"):

``config``       fast/full mode, ``pick``, seeding, data folders
``data``         MNIST and Fashion-MNIST offline-first loading, bundled samples, subsets,
                 digit canvases with boxes and masks (detection, segmentation)
``models``       the article's CNN and the improved CNN (and, re-exported, the DCGAN builders)
``train``        device report, mixed precision, live plot, throughput and time-budget callbacks
``viz``          image grids, curves, confusion matrix, mistakes, feature maps, kernels
``scratch``      NumPy reference versions of convolution, pooling, dense, softmax, the GAN value
``widgets``      the kernel editor and pooling explorer (ipywidgets)
``gan``          DCGAN and conditional GAN: builders, the ``GAN`` model, checkpoints, latent tools
``detection``    a grid detector: box encoding, IoU, non-maximum suppression, mAP@0.5
``unet``         the U-Net used for segmentation and image-to-image translation
``translation``  pix2pix-style 4× super-resolution: degrading, U-Net generator, L1 plus adversarial loss, PSNR
``checks``       the exercise-checker pattern and each chapter's checkers
``student``      writes the student version of the notebooks (solutions stubbed out)

Modules are imported on demand, so ``import course_lib`` stays cheap and TensorFlow is loaded only
by the modules that need Keras.
"""
import os as _os

# Quieten TensorFlow's C++ start-up messages when course_lib is imported before Keras (the chapters
# do so); a learner who wants them sets TF_CPP_MIN_LOG_LEVEL themselves.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

__version__ = "0.1.0"
