"""Train chapter 05's CNN with data parallelism over several processes: Keras's distribution API on JAX.

Start one copy per process. The cluster is described by three environment variables that
``keras.distribution.initialize()`` reads (``course_lib.distributed.launch_local_cluster`` sets them
for workers on 127.0.0.1; on a real cluster a scheduler sets them on every host). Every process reads
its own shards; the global batch is the processes' local batches side by side.

Without the variables, one process stands in for the whole cluster: it splits its CPU into as many
devices as there were workers and builds each global batch from all the workers' shards, so its
weights can be compared with theirs.

    python multiworker_train.py SHARDS_DIR OUT_PREFIX [--workers 2] [--steps 20] [--global-batch 128]
"""
import argparse
import json
import os

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")

from course_lib import shards  # noqa: E402  (the backend is chosen above, before Keras loads)
from course_lib.models import build_article_cnn  # noqa: E402

import jax  # noqa: E402
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("shards")
parser.add_argument("out_prefix")
parser.add_argument("--workers", type=int, default=2)
parser.add_argument("--steps", type=int, default=20)
parser.add_argument("--global-batch", type=int, default=128)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()

num_processes = int(os.environ.get("KERAS_DISTRIBUTION_NUM_PROCESSES", "1"))
if num_processes > 1:
    keras.distribution.initialize()  # joins the cluster: waits until every process has started
else:
    jax.config.update("jax_num_cpu_devices", args.workers)  # one process, one device per worker
process_id = jax.process_index()

devices = keras.distribution.list_devices()  # every device of every process
distribution = keras.distribution.DataParallel(devices=devices)
distribution.auto_shard_dataset = False  # each process reads its own shards, below
keras.distribution.set_distribution(distribution)

keras.utils.set_random_seed(args.seed)  # the same starting weights in every process
model = build_article_cnn()
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")

files = shards.shard_paths(args.shards)
local_batch = args.global_batch // args.workers


def worker_stream(worker: int):
    """Worker ``worker``'s share: every ``args.workers``-th shard, shuffled with the common seed."""
    return shards.streaming_dataset(args.shards, local_batch, files=files[worker::args.workers],
                                    seed=args.seed, drop_remainder=True)


if num_processes > 1:
    dataset = worker_stream(process_id)
else:  # the global batch the workers form together: worker 0's batch, then worker 1's, ...
    dataset = tf.data.Dataset.zip(tuple(worker_stream(w) for w in range(args.workers))).map(
        lambda *parts: (tf.concat([p[0] for p in parts], 0), tf.concat([p[1] for p in parts], 0)))

history = model.fit(dataset.take(args.steps), epochs=1, verbose=0)
weights = [np.asarray(w) for w in model.get_weights()]
np.savez(f"{args.out_prefix}.process{process_id}.npz", *weights)
report = {"process_id": process_id, "num_processes": jax.process_count(), "devices": len(devices),
          "local_devices": jax.local_device_count(), "local_batch": local_batch,
          "loss": float(history.history["loss"][-1])}
print(json.dumps(report), flush=True)
