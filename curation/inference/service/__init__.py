"""Model processes: one process per GPU runs only the models; CPU worker processes feed it.

A whole run reads, decodes, filters and tokenises in its CPU worker processes (as many as there are cores),
each running the engine's document side: tokenisation, length-sorted token-budget batches, order restored
per window. The forward passes happen in a model process, one per GPU, which holds the models once and
serves every worker:

- a worker stages each batch in a shared-memory buffer of its own (token ids, row lengths; outputs come back
  in the same block), and sends only a small message naming the buffer and its shape; no array is pickled;
- the model process serves each worker in a thread of its own and runs one batch at a time on its device,
  so while one batch runs, other workers' batches are already staged; each worker keeps several batches
  in flight. Out-of-memory halving and the precision check happen there, once per GPU;
- the executor starts the model processes before the workers (``ModelHost``) and tells the workers where
  they are (``CURATION_MODEL_PROCESSES``); the models start loading at once, while the workers start up and
  read their first shards;
- a model process that dies fails the shards that were waiting for it with a clear error; committed shards
  stay committed and a rerun completes the rest.

``server`` is the model process, ``client`` the engine's side of it, ``hosts`` starts and stops them.
"""
