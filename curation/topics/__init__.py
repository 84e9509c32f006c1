"""Topic clustering: embeddings through the inference engine, k-means fitted on a uniform sample, every
document assigned (streaming, shard by shard), topics named by c-TF-IDF keywords or a pluggable namer.

- ``topic_embed`` (``embed_stage``): a unit-length sentence embedding per document (MiniLM from its wheel by
  default), optionally cached in float16 side files;
- ``topic_cluster`` (``cluster_stage``): the global stage that fits, assigns, names and writes
  ``topics.json`` / ``topics.md`` / ``topic_model/``; ``topic_model: PATH`` assigns against a saved model.

The algorithms are plain modules (``sampling``, ``kmeans``, ``confidence``, ``keywords``, ``naming``,
``model``) usable without a pipeline. This ``__init__`` imports nothing heavy.
"""

STAGES = {
    "topic_embed": "curation.topics.embed_stage:TopicEmbed",
    "topic_cluster": "curation.topics.cluster_stage:TopicCluster",
}
