"""What the two-network models share: a generator and a discriminator, one optimizer each (07, 08d, 08e).

``gan.GAN`` (chapters 07 and 08d) and ``translation.Pix2Pix`` (chapter 08e) train two networks against
each other, one step of each per batch. Only their losses differ; the rest lives here, once:

* ``TwoNetworkModel`` holds the two networks and the running means that ``fit`` reports (``trackers``,
  named by the subclass's ``metric_names``);
* its ``compile`` gives each network its own optimizer (default: Adam, learning rate 2e-4, β1 = 0.5),
  checks them and builds them at once, so that a checkpoint can be loaded before any training; on JAX it
  compiles one ``jax_steps.PairedOptimizers`` that carries both optimizers' states through ``fit``;
* its ``train_step`` dispatches on the backend. TensorFlow calls ``train_step(data)``, and the subclass's
  ``_train_step_tensorflow(data)`` takes the gradients with ``tf.GradientTape``. JAX calls
  ``train_step(state, data)``: the state is wrapped in a ``jax_steps.StateValues`` and the subclass's
  ``_train_step_jax(values, data)`` takes its gradient steps with ``values.descend``. Both return what the
  step measured, one value per tracker, and ``train_step`` records it, the same way on both backends.
  Any other backend stops with a plain message (``require_tensorflow_or_jax``).

"""
from __future__ import annotations

import keras


def require_tensorflow_or_jax(model_name: str) -> str:
    """The Keras backend, if a two-network ``train_step`` exists for it; else a plain ``NotImplementedError``.

    Keras 3 leaves computing gradients to each backend; the course writes the GAN and pix2pix steps for
    TensorFlow (``GradientTape``) and JAX (``jax.value_and_grad``, ``course_lib.jax_steps``). Without this
    check another backend would fail deep inside ``fit`` with a bare error.
    """
    backend = keras.backend.backend()
    if backend not in ("tensorflow", "jax"):
        raise NotImplementedError(
            f"{model_name} trains with TensorFlow's GradientTape or JAX's value_and_grad (one step updates "
            f"two networks), but the Keras backend is {backend!r}. Set KERAS_BACKEND=tensorflow (the course "
            "default) or jax before Keras is imported; the rest of course_lib runs on any backend."
        )
    return backend


def default_optimizer() -> keras.optimizers.Optimizer:
    """Adam with learning rate 2e-4 and β1 = 0.5, the DCGAN and pix2pix papers' setting."""
    return keras.optimizers.Adam(2e-4, beta_1=0.5)


class TwoNetworkModel(keras.Model):
    """A generator and a discriminator, each with its own optimizer, trained by one ``fit``.

    Subclasses set ``metric_names`` (what the logs show) and write ``_train_step_tensorflow(data)`` and
    ``_train_step_jax(values, data)``, each returning ``{name: value}`` for those names; this class does
    the rest (see the module's docstring). ``model(inputs)`` runs the generator.
    """

    metric_names: tuple[str, ...] = ()

    def __init__(self, generator: keras.Model, discriminator: keras.Model, **kwargs):
        super().__init__(**kwargs)
        for name, model in (("generator", generator), ("discriminator", discriminator)):
            if not isinstance(model, keras.Model):
                raise TypeError(f"{name} should be a keras.Model, got {type(model).__name__}")
        if generator is discriminator:
            raise ValueError("generator and discriminator should be two different networks, got the same one")
        self.generator = generator
        self.discriminator = discriminator
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.metric_names}
        self.built = True   # both networks are functional models, built already

    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """Give each network its own optimizer (``None``: Adam, learning rate 2e-4, β1 = 0.5)."""
        d_optimizer = default_optimizer() if d_optimizer is None else d_optimizer
        g_optimizer = default_optimizer() if g_optimizer is None else g_optimizer
        for name, optimizer in (("d_optimizer", d_optimizer), ("g_optimizer", g_optimizer)):
            if not isinstance(optimizer, keras.optimizers.Optimizer):
                raise TypeError(f"{name} should be a keras optimizer such as keras.optimizers.Adam(2e-4, "
                                f"beta_1=0.5), or None for that default; got {type(optimizer).__name__} "
                                f"{optimizer!r}")
        if d_optimizer is g_optimizer:
            raise ValueError("d_optimizer and g_optimizer should be two optimizer objects (each keeps its "
                             "own network's moments and step counter), got the same one twice")
        if keras.backend.backend() == "jax":
            # fit hands a JAX step the variables of model.optimizer only: make it carry both states
            from course_lib.jax_steps import PairedOptimizers

            kwargs["optimizer"] = PairedOptimizers(d_optimizer, g_optimizer)
        super().compile(**kwargs)
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer
        # Build the optimizers' slots now, so that a checkpoint can be loaded before any training.
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    @property
    def metrics(self):
        return list(self.trackers.values())

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    def train_step(self, *args):
        # TensorFlow calls train_step(data); JAX calls train_step(state, data).
        if require_tensorflow_or_jax(type(self).__name__) == "jax":
            from course_lib.jax_steps import StateValues

            state, data = args
            values = StateValues(self, state)
            measured = self._train_step_jax(values, data)
            logs = values.update_metrics(lambda: self._record(measured))
            return logs, values.state()
        return self._record(self._train_step_tensorflow(args[-1]))

    def _record(self, measured: dict) -> dict:
        """Add this step's values to the running means; return the logs ``fit`` shows."""
        for name, value in measured.items():
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def _train_step_tensorflow(self, data) -> dict:
        raise NotImplementedError(f"{type(self).__name__} should define _train_step_tensorflow(data)")

    def _train_step_jax(self, values, data) -> dict:
        raise NotImplementedError(f"{type(self).__name__} should define _train_step_jax(values, data)")
