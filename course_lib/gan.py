"""Generative adversarial networks: the DCGAN parts, a GAN ``keras.Model`` and its training tools.

Chapter 06 explains the objective, chapter 07 writes the training step out and trains a DCGAN on
MNIST, and chapter 08d makes it class-conditional (choose the digit to draw) with the copy here.

What lives here:

* ``build_generator`` / ``build_discriminator``: the article's section 3.2 as Keras models
  (noise → dense → transposed convolutions → 28×28×1 image; convolutions → probability "real").
  Pass ``num_classes`` to get the class-conditional versions of chapter 08d. Chapters 07 and 08d
  write them out and assert that theirs equal these (``compare.architecture_differences``).
* ``discriminator_loss`` / ``generator_loss``: the two sides of the minimax objective (chapter 06).
* ``dense_gradients``: TensorFlow's gradient of a label ``Embedding`` made a plain tensor before Adam,
  which would otherwise square a repeated label's rows one by one (chapter 08d).
* ``GAN``: a ``keras.Model`` whose ``train_step`` plays one round of the minimax game per batch
  (a discriminator step, then a generator step), so that ``gan.fit(images)`` trains both; it
  keeps a weight-averaged generator (EMA) for drawing. Chapter 07 writes the same step in a
  notebook cell and asserts that the two agree.
* ``SampleGrid`` (samples from fixed noise after every epoch), ``GANCheckpoint``,
  ``save_checkpoint`` and ``restore_checkpoint`` (stop, and resume from the saved step).
* ``interpolate`` and ``latent_directions``: the maths of walking through the noise space (chapter
  07; the interactive explorer is ``widgets.LatentExplorer``).

Backends: the models, the losses and every helper use ``keras``/``keras.ops`` only. Computing
gradients is the one thing Keras 3 leaves to each backend; ``GAN`` writes its round of the game for
TensorFlow (``_train_step_tensorflow``, the course's default backend, the form chapter 07 teaches) and
for JAX (``_train_step_jax``), and says so plainly on any other. What it shares with chapter 08e's
pix2pix (compile with two optimizers, the dispatch, the logs) is ``two_networks.TwoNetworkModel``.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

from course_lib import _validate, viz
from course_lib.train import in_notebook
from course_lib.two_networks import TwoNetworkModel

import keras
import numpy as np
from keras import layers, ops

IMAGE_SHAPE = (28, 28, 1)


# --------------------------------------------------------------------------------------------
# checking arguments

def _optional_classes(num_classes):
    if num_classes is None:
        return None
    num_classes = _validate.positive_int(num_classes, "num_classes")
    if num_classes < 2:
        raise ValueError(f"num_classes should be at least 2 (or None for an unconditional GAN), "
                         f"got {num_classes}")
    return num_classes


# --------------------------------------------------------------------------------------------
# the two networks (chapter 07; conditional versions in chapter 08d)

def build_generator(latent_dim: int = 64, num_classes: int | None = None, filters: int = 64,
                    name: str | None = None) -> keras.Model:
    """The DCGAN generator of chapter 07: noise z → dense → two transposed convolutions → 28×28×1.

    z (``latent_dim`` numbers) goes through a dense layer to a 7×7×``filters`` block, then two
    ``Conv2DTranspose`` layers with stride 2 double the size twice (7 → 14 → 28). Batch
    normalisation and LeakyReLU sit between them; the last layer's sigmoid gives pixels in [0, 1],
    the same scale as ``data.prepare_images``.

    With ``num_classes`` (chapter 08d) the model takes ``[z, label]``: the label (an int) is
    embedded as a vector and joined to z, so the generator learns to draw the digit it is asked for.
    """
    latent_dim = _validate.positive_int(latent_dim, "latent_dim")
    filters = _validate.positive_int(filters, "filters")
    num_classes = _optional_classes(num_classes)
    z = keras.Input(shape=(latent_dim,), name="z")
    inputs, x = z, z
    if num_classes:
        label = keras.Input(shape=(), dtype="int32", name="label")
        embedded = layers.Embedding(num_classes, latent_dim, name="label_embedding")(label)
        inputs, x = [z, label], layers.Concatenate(name="z_and_label")([z, embedded])
    x = layers.Dense(7 * 7 * filters, use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Reshape((7, 7, filters))(x)
    x = layers.Conv2DTranspose(filters // 2, 4, strides=2, padding="same", use_bias=False)(x)  # 14×14
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(0.2)(x)
    image = layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="sigmoid",
                                   name="image")(x)  # 28×28
    default = "conditional_generator" if num_classes else "generator"
    return keras.Model(inputs, image, name=name or default)


def build_discriminator(num_classes: int | None = None, filters: int = 64, dropout: float = 0.3,
                        input_shape=IMAGE_SHAPE, name: str | None = None) -> keras.Model:
    """The DCGAN discriminator of chapter 07: three strided convolutions → dense → P(real).

    Each ``Conv2D`` with stride 2 halves the image (28 → 14 → 7 → 4), so that the last features
    each see most of the digit and the verdict can judge its overall shape, not only its strokes.
    LeakyReLU keeps a gradient for negative inputs, which the generator needs to learn from the
    discriminator's verdict. The output is one probability per image, through a sigmoid.

    With ``num_classes`` (chapter 08d) the model takes ``[image, label]`` and adds to its score
    the dot product of the image features with a learned vector for the label (a "projection"
    discriminator): an image that looks like a good 3 but was labelled 7 scores low.
    """
    filters = _validate.positive_int(filters, "filters")
    num_classes = _optional_classes(num_classes)
    dropout = _validate.fraction(dropout, "dropout")
    image = keras.Input(shape=_validate.image_shape(input_shape), name="image")
    x = layers.Conv2D(filters // 2, 4, strides=2, padding="same")(image)  # 14×14
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Conv2D(filters, 4, strides=2, padding="same")(x)  # 7×7
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Conv2D(2 * filters, 3, strides=2, padding="same")(x)  # 4×4: each unit sees most of the digit
    x = layers.LeakyReLU(0.2)(x)
    features = layers.Flatten()(x)
    if dropout:
        features = layers.Dropout(dropout)(features)
    score = layers.Dense(1, name="realness")(features)
    inputs = image
    if num_classes:
        label = keras.Input(shape=(), dtype="int32", name="label")
        label_vector = layers.Embedding(num_classes, features.shape[-1], name="label_projection")(label)
        match = layers.Dot(axes=1, name="label_match")([features, label_vector])
        score = layers.Add()([score, match])
        inputs = [image, label]
    probability = layers.Activation("sigmoid", name="p_real")(score)
    default = "conditional_discriminator" if num_classes else "discriminator"
    return keras.Model(inputs, probability, name=name or default)


# --------------------------------------------------------------------------------------------
# the losses (chapter 06 derives them)

def discriminator_loss(p_real, p_fake, label_smoothing: float = 0.0):
    """−[mean log D(x) + mean log(1 − D(G(z)))]: the discriminator ascends V by descending this.

    ``label_smoothing`` (e.g. 0.1) asks for D(x) = 0.9 instead of 1 on real images, a common trick
    that keeps the discriminator from becoming over-confident (chapter 07).
    """
    real_target = ops.ones_like(p_real) * (1.0 - label_smoothing)
    return (ops.mean(ops.binary_crossentropy(real_target, p_real))
            + ops.mean(ops.binary_crossentropy(ops.zeros_like(p_fake), p_fake)))


def generator_loss(p_fake, kind: str = "non_saturating"):
    """The generator's loss from D's verdict on its samples (chapter 06 compares the two kinds).

    ``"minimax"``: mean log(1 − D(G(z))), the article's formula, which the generator minimises;
    its gradient vanishes while D easily rejects the samples, i.e. at the start of training.
    ``"non_saturating"``: −mean log D(G(z)), same fixed point, strong gradient early on.
    """
    if kind == "non_saturating":
        return ops.mean(ops.binary_crossentropy(ops.ones_like(p_fake), p_fake))
    if kind == "minimax":
        return -ops.mean(ops.binary_crossentropy(ops.zeros_like(p_fake), p_fake))
    raise ValueError(f"kind should be 'non_saturating' or 'minimax', got {kind!r}")


# --------------------------------------------------------------------------------------------
# TensorFlow's gradients of an Embedding (chapter 08d)

def dense_gradients(gradients) -> list:
    """TensorFlow-specific: each gradient as a plain tensor, the rows of a ``tf.IndexedSlices`` summed.

    ``tf.GradientTape`` returns the gradient of an ``Embedding`` (the label tables of chapter 08d's
    networks) as ``tf.IndexedSlices``: one row per lookup, so a label that occurs twice in the batch is
    listed twice. Keras's Adam squares that gradient row by row before the rows are added up, so its
    second moment holds g₁² + g₂² instead of (g₁ + g₂)², and the row moves by up to √2 times the
    learning rate on the first step instead of at most once. As a plain tensor the rows are summed first:
    the gradient Adam is meant to see, and the one JAX computes. Other gradients (and ``None``, for a
    weight the loss does not reach) pass unchanged.
    """
    import tensorflow as tf

    return [tf.convert_to_tensor(gradient) if isinstance(gradient, tf.IndexedSlices) else gradient
            for gradient in gradients]


# --------------------------------------------------------------------------------------------
# the GAN model

class GAN(TwoNetworkModel):
    """A generator and a discriminator trained against each other by ``fit`` (chapters 06–08d).

    ``train_step`` plays one round of the game per batch of real images:

    1. **discriminator step**: draw z, make G(z); push D(x) towards 1 and D(G(z)) towards 0;
    2. **generator step**: draw fresh z; push D(G(z)) towards 1, changing only G's weights.

    Train with ``gan.fit(images, ...)``, or ``gan.fit(images, labels, ...)`` when the networks
    are class-conditional (built with ``num_classes``). The logs show ``d_loss``, ``g_loss``,
    ``d_real`` (mean D(x)) and ``d_fake`` (mean D(G(z))). ``step`` counts generator updates, and
    survives ``GANCheckpoint``/``restore_checkpoint`` together with ``random_states()``.

    Chapter 07 writes this step out in a notebook cell (``class DCGAN(gan.GAN)`` overriding
    ``train_step``), trains with it, and asserts that one step of each, from the same weights and
    random-number states, gives the same losses and weights; chapter 08d does the same for the
    conditional parts (random fake labels, judging with labels), then trains with this copy.
    ``tests/test_cross_backend_steps.py`` checks that the JAX form takes the same step.

    ``ema_decay`` (e.g. 0.99) keeps ``ema_generator``, an exponential moving average of the
    generator's weights, updated after every step with decay min(ema_decay, (1 + t)/(10 + t)) at
    step t (so the random initial weights are soon forgotten): GAN training oscillates, and the
    average draws cleaner samples than the latest weights (Yazıcı et al., 2019). ``generate``
    then uses it.
    """

    metric_names = ("d_loss", "g_loss", "d_real", "d_fake")

    def __init__(self, generator: keras.Model, discriminator: keras.Model, latent_dim: int | None = None,
                 num_classes: int | None = None, seed: int = 0, ema_decay: float | None = None, **kwargs):
        super().__init__(generator, discriminator, **kwargs)   # checks both networks, holds the trackers
        gen_inputs = generator.inputs
        conditional = len(gen_inputs) == 2
        if num_classes is None and conditional:
            raise ValueError("the generator takes [z, label]: pass num_classes to GAN as well")
        if num_classes is not None and not conditional:
            raise ValueError(f"num_classes={num_classes} was given but the generator takes only z; "
                             "build it with build_generator(num_classes=...)")
        if len(discriminator.inputs) != len(gen_inputs):
            raise ValueError("the generator and the discriminator should both be conditional (take a label) "
                             f"or both not; the generator has {len(gen_inputs)} input(s), the discriminator "
                             f"{len(discriminator.inputs)}")
        inferred = int(gen_inputs[0].shape[-1])
        if latent_dim is not None and _validate.positive_int(latent_dim, "latent_dim") != inferred:
            raise ValueError(f"latent_dim={latent_dim} but the generator's noise input has {inferred} "
                             "numbers")
        if ema_decay is not None and _validate.fraction(ema_decay, "ema_decay") == 0.0:
            raise ValueError(f"ema_decay should be in (0, 1) or None, got {ema_decay!r}")
        self.ema_decay = ema_decay
        self.ema_generator = None
        if ema_decay is not None:
            self.ema_generator = keras.models.clone_model(generator)
            self.ema_generator.set_weights(generator.get_weights())
        self.latent_dim = inferred
        self.num_classes = _optional_classes(num_classes)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def compile(self, d_optimizer=None, g_optimizer=None, generator_loss_kind: str = "non_saturating",
                label_smoothing: float = 0.0, **kwargs):
        """Give each network its own optimizer (defaults: Adam, learning rate 2e-4, β1 = 0.5).

        ``generator_loss_kind``: ``"non_saturating"`` (default) or ``"minimax"`` (chapter 06).
        ``label_smoothing``: the discriminator's target for real images is 1 − ``label_smoothing``.
        The optimizers are checked and built by ``two_networks.TwoNetworkModel.compile``.
        """
        if generator_loss_kind not in ("non_saturating", "minimax"):
            raise ValueError("generator_loss_kind should be 'non_saturating' or 'minimax', "
                             f"got {generator_loss_kind!r}")
        label_smoothing = _validate.fraction(label_smoothing, "label_smoothing", high=0.5)
        super().compile(d_optimizer, g_optimizer, **kwargs)
        self.generator_loss_kind = generator_loss_kind
        self.label_smoothing = float(label_smoothing)

    @property
    def step(self) -> int:
        """How many generator updates have been made (the optimizer's iteration counter)."""
        if not hasattr(self, "g_optimizer"):
            return 0
        return int(ops.convert_to_numpy(self.g_optimizer.iterations))

    # -- the random-number state, which save_weights keeps too -----------------------------------
    def random_states(self) -> list:
        """The state variables of every random-number generator a training step draws from.

        First the GAN's own ``seed_generator`` (the noise z, and the labels of a conditional GAN),
        then each ``SeedGenerator`` inside the networks (the discriminator's ``Dropout``), in layer
        order. Each state is ``[seed, counter]``; the counter advances with every draw. Keras's
        ``Layer.variables`` is the weights plus these states, so they are what it has beyond
        ``weights``.
        """
        weight_ids = {id(weight) for weight in self.weights}
        return [variable for variable in self.variables if id(variable) not in weight_ids]

    def save_own_variables(self, store):
        """Called by ``save_weights``: also store ``random_states()``, which Keras does not save itself.

        The networks, the averaged generator and both optimizers store their own variables; without
        this, a restored GAN would draw its noise (and its dropout masks) from the start again.
        """
        super().save_own_variables(store)
        for index, state in enumerate(self.random_states()):
            store[f"random_state_{index}"] = state

    def load_own_variables(self, store):
        """Called by ``load_weights``: put back the random-number states ``save_own_variables`` wrote."""
        states = self.random_states()
        keys = [f"random_state_{index}" for index in range(len(states))]
        saved = sorted(key for key in store.keys() if key.startswith("random_state_"))
        if saved != sorted(keys):
            raise ValueError(f"the weights file holds {len(saved)} random-number state(s) but this GAN has "
                             f"{len(states)}: it was saved from a GAN built differently (with or without "
                             "dropout?) or by a course_lib older than the one that saves them")
        super().load_own_variables({key: store[key] for key in store.keys() if key not in keys})
        for key, state in zip(keys, states):
            state.assign(np.asarray(store[key]))

    # -- drawing noise and samples ------------------------------------------------------------
    def _noise(self, batch_size):
        return keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)

    def _random_labels(self, batch_size):
        return keras.random.randint((batch_size,), 0, self.num_classes, seed=self.seed_generator,
                                    dtype="int32")

    def _generate(self, z, labels, training):
        return self.generator([z, labels] if self.num_classes else z, training=training)

    def _judge(self, images, labels, training):
        return self.discriminator([images, labels] if self.num_classes else images, training=training)

    def generate(self, count: int | None = None, z=None, labels=None, seed: int = 0) -> np.ndarray:
        """Draw images as a NumPy array (N, 28, 28, 1): from given noise ``z`` or ``count`` new draws.

        Conditional GANs need ``labels`` (N ints); drawing is reproducible through ``seed``.
        """
        if z is None:
            count = _validate.positive_int(count, "count")
            z = np.random.default_rng(seed).normal(size=(count, self.latent_dim)).astype("float32")
        z = np.asarray(z, dtype="float32")
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z should have shape (N, {self.latent_dim}), got {z.shape}")
        inputs = z
        if self.num_classes:
            if labels is None:
                raise ValueError("this GAN is conditional: pass labels (one int per image) to generate()")
            labels = np.asarray(labels).astype("int32").reshape(-1)
            if labels.shape != (len(z),):
                raise ValueError(f"labels should hold one int per image ({len(z)}), got shape {labels.shape}")
            if labels.min() < 0 or labels.max() >= self.num_classes:
                raise ValueError(f"labels should lie in 0..{self.num_classes - 1}, "
                                 f"got {labels.min()}..{labels.max()}")
            inputs = [z, labels]
        return np.asarray(self.sampler.predict(inputs, batch_size=512, verbose=0))

    @property
    def sampler(self) -> keras.Model:
        """The generator to draw with: the averaged copy when ``ema_decay`` is set, else ``generator``."""
        return self.ema_generator if self.ema_generator is not None else self.generator

    # -- one round of the game ------------------------------------------------------------------
    def _unpack(self, data):
        images, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        if self.num_classes:
            if labels is None:
                raise ValueError("a conditional GAN trains on (images, labels): call fit(images, labels)")
            labels = ops.cast(ops.reshape(labels, (-1,)), "int32")
        return images, labels

    def _measured(self, d_loss, g_loss, p_real, p_fake) -> dict:
        return {"d_loss": d_loss, "g_loss": g_loss, "d_real": ops.mean(p_real), "d_fake": ops.mean(p_fake)}

    def _train_step_jax(self, values, data):
        """JAX-specific: the same round of the game on explicit state (``course_lib.jax_steps``).

        Each network runs through ``values.call`` (``stateless_call`` on the step's values); each
        ``values.descend`` takes the gradient of a pure function of the trained network's values and
        applies its optimizer. The noise is drawn from ``seed_generator``, whose state advances here as
        on TensorFlow, in the same order.
        """
        real, labels = self._unpack(data)
        batch_size = real.shape[0]
        seed_state = [self.seed_generator.state]
        with values.scoped(seed_state) as scope:   # the same draws, in the same order, as on TensorFlow
            fake_labels = self._random_labels(batch_size) if self.num_classes else None
            z_d = self._noise(batch_size)
            z_g = self._noise(batch_size)
        values.collect(scope, seed_state)
        d, g = self.discriminator, self.generator

        def generator_inputs(z):
            return [z, fake_labels] if self.num_classes else z

        def judge_inputs(images, image_labels):
            return [images, image_labels] if self.num_classes else images

        # 1. discriminator step: real → 1, fake → 0
        def d_loss_fn():
            fake = values.call(g, generator_inputs(z_d))
            p_real = values.call(d, judge_inputs(real, labels))
            p_fake = values.call(d, judge_inputs(fake, fake_labels))
            return discriminator_loss(p_real, p_fake, self.label_smoothing), (p_real, p_fake)

        d_loss, (p_real, p_fake) = values.descend(d, self.d_optimizer, d_loss_fn)

        # 2. generator step: fresh noise, make D say "real"
        def g_loss_fn():
            p_fake_g = values.call(d, judge_inputs(values.call(g, generator_inputs(z_g)), fake_labels))
            return generator_loss(p_fake_g, self.generator_loss_kind), ()

        g_loss, _ = values.descend(g, self.g_optimizer, g_loss_fn)

        if self.ema_generator is not None:   # update_ema, on values
            step = ops.cast(values.get([self.g_optimizer.iterations])[0], "float32")   # this update included
            decay = ops.minimum(self.ema_decay, (1.0 + step) / (10.0 + step))
            pairs = zip(values.get(self.ema_generator.weights), values.get(g.weights))
            averaged = [decay * average + (1.0 - decay) * ops.cast(current, average.dtype)
                        for average, current in pairs]
            values.set(self.ema_generator.weights, averaged)
        return self._measured(d_loss, g_loss, p_real, p_fake)

    def _train_step_tensorflow(self, data):
        """TensorFlow-specific: gradients through ``tf.GradientTape`` (everything else is keras.ops).

        The gradients go through ``dense_gradients`` before Adam: a conditional GAN's label ``Embedding``
        would otherwise give Adam a wrong second moment (see there).
        """
        import tensorflow as tf

        real, labels = self._unpack(data)
        batch_size = ops.shape(real)[0]
        fake_labels = self._random_labels(batch_size) if self.num_classes else None

        # 1. discriminator step: real → 1, fake → 0
        z = self._noise(batch_size)
        with tf.GradientTape() as tape:
            fake = self._generate(z, fake_labels, training=True)
            p_real = self._judge(real, labels, training=True)
            p_fake = self._judge(fake, fake_labels, training=True)
            d_loss = discriminator_loss(p_real, p_fake, self.label_smoothing)
        d_vars = self.discriminator.trainable_variables
        self.d_optimizer.apply(dense_gradients(tape.gradient(d_loss, d_vars)), d_vars)

        # 2. generator step: fresh noise, make D say "real"
        z = self._noise(batch_size)
        with tf.GradientTape() as tape:
            fake = self._generate(z, fake_labels, training=True)
            p_fake_g = self._judge(fake, fake_labels, training=True)
            g_loss = generator_loss(p_fake_g, self.generator_loss_kind)
        g_vars = self.generator.trainable_variables
        self.g_optimizer.apply(dense_gradients(tape.gradient(g_loss, g_vars)), g_vars)
        self.update_ema()
        return self._measured(d_loss, g_loss, p_real, p_fake)

    def update_ema(self):
        """Move ``ema_generator`` a step towards ``generator`` (keras.ops, any backend); a no-op without EMA.

        ``train_step`` calls it after every generator update; chapter 07's own step calls it too.
        """
        if self.ema_generator is None:
            return
        # Warm-up: early on, average over the few steps there are, not over the random start.
        step = ops.cast(self.g_optimizer.iterations, "float32")
        decay = ops.minimum(self.ema_decay, (1.0 + step) / (10.0 + step))
        for average, current in zip(self.ema_generator.weights, self.generator.weights):
            average.assign(decay * average + (1.0 - decay) * ops.cast(current, average.dtype))


# --------------------------------------------------------------------------------------------
# callbacks: sample grids and checkpoints

class SampleGrid(keras.callbacks.Callback):
    """After every epoch, draw samples from the same fixed noise and keep the grid (chapter 07).

    Fixed noise means each cell of the grid follows one z through training, so a learner sees
    the same "digit" sharpen epoch by epoch. ``grids`` holds one 2-D array per epoch; in a notebook
    the latest grid replaces the previous one in place.
    """

    def __init__(self, count: int = 32, ncols: int = 8, labels=None, seed: int = 123):
        super().__init__()
        self.count = _validate.positive_int(count, "count")
        self.ncols = _validate.positive_int(ncols, "ncols")
        self.labels = None if labels is None else np.asarray(labels).astype("int32").reshape(-1)
        if self.labels is not None and len(self.labels) != self.count:
            raise ValueError(f"labels should hold count={self.count} ints, got {len(self.labels)}")
        self.seed = seed
        self.grids: list[np.ndarray] = []
        self.epochs: list[int] = []
        self._noise = None
        self._handle = None

    def set_model(self, model):
        if not isinstance(model, GAN):
            raise TypeError(f"SampleGrid works with a course_lib.gan.GAN, got {type(model).__name__}")
        super().set_model(model)
        if self._noise is None:
            noise = np.random.default_rng(self.seed).normal(size=(self.count, model.latent_dim))
            self._noise = noise.astype("float32")

    def on_epoch_end(self, epoch, logs=None):
        samples = self.model.generate(z=self._noise, labels=self.labels)
        self.grids.append(viz.image_grid(samples, self.ncols))
        self.epochs.append(epoch + 1)
        if in_notebook():
            self._draw()

    def _draw(self):
        import matplotlib.pyplot as plt
        from IPython.display import display

        rows = math.ceil(self.count / self.ncols)
        figure, axis = plt.subplots(figsize=(self.ncols * 0.6, 0.6 * rows + 0.4))
        axis.imshow(self.grids[-1], cmap="gray", vmin=0, vmax=1)
        axis.set_title(f"samples from fixed noise after epoch {self.epochs[-1]}")
        axis.axis("off")
        plt.close(figure)
        if self._handle is None:
            self._handle = display(figure, display_id=True)
        else:
            self._handle.update(figure)


CHECKPOINT_WEIGHTS = "gan.weights.h5"
CHECKPOINT_STATE = "gan_state.json"


class GANCheckpoint(keras.callbacks.Callback):
    """Save everything needed to resume after every epoch (chapter 07).

    ``directory/gan.weights.h5`` is what ``GAN.save_weights`` writes, and ``load_weights`` puts back
    exactly this: the weights of both networks and of the averaged generator (batch-norm statistics
    included), both optimizers' variables (Adam's moment estimates and iteration counters, i.e. the
    step), and ``GAN.random_states()``, the seed and draw counter of the noise generator and of each
    dropout layer. ``directory/gan_state.json`` records the epoch and step in words a person can read.
    ``restore_checkpoint`` loads both. The files are written to a temporary name and renamed, so an
    interruption in the middle of saving never leaves a damaged checkpoint.

    A restored GAN therefore takes the same next step as the one that was saved, given the same
    batch. What it does not reproduce is the batches themselves: the order in which ``fit`` shuffles
    the images in later epochs comes from the process's random state (``config.seed_everything``),
    not from the model, so a resumed run sees other batches than an uninterrupted one would.
    """

    def __init__(self, directory):
        super().__init__()
        self.directory = Path(directory)

    def on_epoch_end(self, epoch, logs=None):
        save_checkpoint(self.model, self.directory, epoch=epoch + 1)


def save_checkpoint(gan: GAN, directory, epoch: int) -> Path:
    """Write ``gan``'s weights, optimizer and random-number state, and step to ``directory``.

    What the files hold is listed under ``GANCheckpoint``.
    """
    if not isinstance(gan, GAN):
        raise TypeError(f"gan should be a course_lib.gan.GAN, got {type(gan).__name__}")
    if not hasattr(gan, "g_optimizer"):
        raise ValueError("compile the GAN before saving it: the optimizers are part of the checkpoint")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    temporary = directory / ("tmp_" + CHECKPOINT_WEIGHTS)
    gan.save_weights(temporary)
    temporary.replace(directory / CHECKPOINT_WEIGHTS)
    state = {"epoch": int(epoch), "step": gan.step}
    (directory / ("tmp_" + CHECKPOINT_STATE)).write_text(json.dumps(state))
    (directory / ("tmp_" + CHECKPOINT_STATE)).replace(directory / CHECKPOINT_STATE)
    return directory / CHECKPOINT_WEIGHTS


def restore_checkpoint(gan: GAN, directory) -> dict:
    """Load a checkpoint written by ``GANCheckpoint`` into a compiled ``gan`` built the same way.

    Returns ``{"epoch": ..., "step": ...}``; continue with ``gan.fit(..., initial_epoch=epoch)``.
    When the directory holds no checkpoint, returns epoch 0 and step 0 and changes nothing, so the
    same cell starts a fresh run or resumes an interrupted one.
    """
    if not isinstance(gan, GAN):
        raise TypeError(f"gan should be a course_lib.gan.GAN, got {type(gan).__name__}")
    if not hasattr(gan, "g_optimizer"):
        raise ValueError("compile the GAN before restoring: the checkpoint holds optimizer state too")
    directory = Path(directory)
    weights, state_file = directory / CHECKPOINT_WEIGHTS, directory / CHECKPOINT_STATE
    if not weights.is_file() or not state_file.is_file():
        return {"epoch": 0, "step": 0}
    gan.load_weights(weights)
    state = json.loads(state_file.read_text())
    if state.get("step") != gan.step:
        raise ValueError(f"{state_file} says step {state.get('step')} but the weights file holds step "
                         f"{gan.step}; the two files come from different runs")
    return {"epoch": int(state["epoch"]), "step": int(state["step"])}


# --------------------------------------------------------------------------------------------
# the maths of walking through the latent space (chapter 07; the explorer is widgets.LatentExplorer)

def interpolate(z_start, z_end, steps: int = 8, method: str = "linear") -> np.ndarray:
    """Points from ``z_start`` to ``z_end`` (both included): shape (steps, latent_dim).

    ``"linear"``: straight line. ``"slerp"``: along the great circle, keeping the length that
    Gaussian noise of this dimension usually has (a straight line passes through shorter vectors,
    which the generator rarely saw during training).
    """
    a = np.asarray(z_start, dtype="float64").reshape(-1)
    b = np.asarray(z_end, dtype="float64").reshape(-1)
    if a.shape != b.shape or a.size == 0:
        raise ValueError("z_start and z_end should be vectors of the same length, "
                         f"got shapes {a.shape} and {b.shape}")
    steps = _validate.positive_int(steps, "steps", minimum=2)  # at least the two ends
    t = np.linspace(0.0, 1.0, steps)[:, None]
    if method == "linear":
        return ((1 - t) * a + t * b).astype("float32")
    if method == "slerp":
        cos = np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12)
        omega = np.arccos(np.clip(cos, -1.0, 1.0))
        if omega < 1e-6:  # (nearly) the same direction: slerp is the straight line
            return ((1 - t) * a + t * b).astype("float32")
        return ((np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)).astype("float32")
    raise ValueError(f"method should be 'linear' or 'slerp', got {method!r}")


def latent_directions(latent_dim: int, count: int = 4, seed: int = 0) -> np.ndarray:
    """``count`` random orthonormal directions in the latent space, (count, latent_dim)."""
    latent_dim = _validate.positive_int(latent_dim, "latent_dim")
    count = _validate.positive_int(count, "count")
    if count > latent_dim:
        raise ValueError(f"count should be at most latent_dim={latent_dim}, got {count}")
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(latent_dim, count)))
    return q.T.astype("float32")
