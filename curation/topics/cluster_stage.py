"""``topic_cluster``: fit k-means on a uniform sample, assign every document, name the topics.

A global stage (``curation.global_stage``) in five steps:

- **collect** (per shard): each document's embedding (``topic_embedding``, from ``topic_embed``) goes to
  ``embeddings/<stem>.npy`` (float16), its id, token count, sampling priority and first ``keyword_chars``
  characters to ``docs/<stem>.parquet``. A document without a usable vector is dropped with a reason
  (``missing_embedding``, ``invalid_embedding``).
- wave 1, **fit** (one task): the ``sample_size`` documents with the smallest priorities (a uniform sample,
  fixed by ``seed``; ``sampling``) are loaded, k-means is fitted on them (``kmeans``), optionally a second
  level of ``parent_k`` topics over the centroids, the keyword vocabulary is fitted on their texts, and each
  topic's similarity distribution is kept for ``topic_confidence``. With ``topic_model``, the saved model
  is loaded instead and nothing is fitted: topic ids stay those of the saved model.
- wave 2, **assign** (one task per shard): every document goes to its most similar centroid, a chunk of
  rows at a time; per topic, the shard's documents, tokens, keyword counts and nearest documents are kept.
- wave 3, **describe** (one task): per-shard statistics are added up, c-TF-IDF keywords (``keywords``) and
  unique names (``naming``) are made, and ``topics.json``, ``topics.md`` and the model folder are written;
  they are published into the output folder (``topics.json``, ``topics.md``, ``topic_model/``).
- **apply** (per shard): ``topic_id``, ``topic_name``, ``topic_similarity``, ``topic_confidence``,
  ``topic_low_confidence`` and, with a second level, ``topic_parent`` are written into each document;
  every document that reached the stage with a vector gets a topic (no outlier bucket).

Memory is bounded by the sample, the centroids and one shard: never by the corpus.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
from datatrove.data import Document, DocumentsPipeline
from datatrove.io import DataFolder
from loguru import logger
from scipy import sparse

from curation.dedup import storage
from curation.global_stage import GlobalStage, GlobalTask, ShardContext
from curation.topics import confidence as confidence_grid
from curation.topics import keywords as kw
from curation.topics.embed_stage import EMBEDDING_FIELD, ENCODER_FIELD
from curation.topics.encoder import UNKNOWN_ENCODER
from curation.topics.kmeans import ALGORITHMS, Algorithm, assign, fit_centroids, normalize_rows
from curation.topics.model import MODEL_FILE, TopicModel, TopicModelError
from curation.topics.naming import keyword_name, load_namer, name_topics
from curation.topics.report import write_reports
from curation.topics.sampling import bottom_k, priorities, sample_fingerprint

FIT_DIR = "fit"
MODEL_DIR = "model"
TOKEN_COUNT_FIELD = "token_count"
PUBLISHED_MODEL_DIR = "topic_model"
MODEL_FILES = ("model.json", "centroids.npy", "similarity_quantiles.npy", "vocabulary.json", "parent_centroids.npy")
REPRESENTATIVE_CHARS = 600


class TopicCluster(GlobalStage):
    """Every document gets a topic: k-means on a uniform sample, streaming assignment, named topics.

    Args:
        k: number of topics.
        parent_k: a second level of this many coarse topics over the k fine ones (``topic_parent``).
        sample_size: documents the k-means fit sees (uniform over the corpus, fixed by ``seed``): large
            enough for stable centroids (about 100 per topic at k = 1,000), small enough for one machine
            (100,000 x 384 float32 is 150 MB).
        seed: fixes the sample, the k-means++ seeding and so the topic ids.
        algorithm: ``kmeans`` (scikit-learn Lloyd), ``minibatch`` (scikit-learn MiniBatchKMeans) or ``faiss``
            (needs faiss-cpu).
        max_iter, n_init: k-means iterations and restarts (the best inertia is kept).
        topic_model: folder of a saved topic model: assign against it without fitting (stable ids across runs
            and crawls); its encoder and dimension must match the embeddings'.
        model_path: also save the fitted model to this folder (it is always published to the output's
            ``topic_model/``).
        embedding_field, encoder_field: where ``topic_embed`` put the vector and the encoder's tag.
        keep_embedding: keep the vector in the output documents (it is dropped by default: the float16 copy
            lives in the stage's work folder).
        keywords: c-TF-IDF keywords per topic; stop_words: scikit-learn stop words (``english``, a list, or
            None); max_features: vocabulary size; keyword_chars: characters of each document counted for
            keywords (and kept in the work folder).
        representatives: documents nearest to the centroid listed per topic.
        namer, namer_params, naming_attempts: optional topic namer (``module:factory`` called with
            ``namer_params``; see ``curation.topics.naming``); names are made unique, a taken name is asked
            for again up to ``naming_attempts`` times. Without a namer, the keyword name is the label.
        low_confidence: ``topic_low_confidence`` is set below this ``topic_confidence``.
        token_counter: ``words`` or a tokenizer, for documents without a ``token_count`` (as domain_classify).
    """

    name = "🗂️ topic cluster"
    path_params: ClassVar[dict[str, str]] = {"topic_model": "read", "model_path": "write"}
    """A saved topic model it assigns against and the folder it saves its own to (``curation.recipe.paths``)."""
    summary_groups = ("topic_id",)
    """Metadata fields the run summary counts documents and tokens of, per value."""

    def __init__(
        self,
        k: int = 100,
        parent_k: int | None = None,
        sample_size: int = 100_000,
        seed: int = 0,
        algorithm: Algorithm = "kmeans",
        max_iter: int = 100,
        n_init: int = 1,
        topic_model: str | None = None,
        model_path: str | None = None,
        embedding_field: str = EMBEDDING_FIELD,
        encoder_field: str = ENCODER_FIELD,
        keep_embedding: bool = False,
        keywords: int = 10,
        stop_words: str | list[str] | None = "english",
        max_features: int = kw.DEFAULT_MAX_FEATURES,
        keyword_chars: int = 2000,
        representatives: int = 5,
        namer: str | None = None,
        namer_params: dict[str, Any] | None = None,
        naming_attempts: int = 3,
        low_confidence: float = 0.05,
        token_counter: str = "words",
    ):
        super().__init__()
        problems = []
        if k < 1:
            problems.append(f"k must be at least 1, got {k}")
        if parent_k is not None and not 1 <= parent_k <= k:
            problems.append(f"parent_k must be between 1 and k ({k}), got {parent_k}")
        if sample_size < 1:
            problems.append(f"sample_size must be at least 1, got {sample_size}")
        if algorithm not in ALGORITHMS:
            problems.append(f"algorithm {algorithm!r} is not one of {', '.join(ALGORITHMS)}")
        if not 0.0 <= low_confidence <= 1.0:
            problems.append(f"low_confidence must be in [0, 1], got {low_confidence}")
        if keyword_chars < 1 or keywords < 1 or representatives < 0 or max_iter < 1 or n_init < 1:
            problems.append("keyword_chars, keywords, max_iter and n_init must be at least 1; representatives 0+")
        if problems:
            raise ValueError("topic_cluster: " + "; ".join(problems))
        self.k = k
        self.parent_k = parent_k
        self.sample_size = sample_size
        self.seed = seed
        self.algorithm = algorithm
        self.max_iter = max_iter
        self.n_init = n_init
        self.topic_model = topic_model
        self.model_path = model_path
        self.embedding_field = embedding_field
        self.encoder_field = encoder_field
        self.keep_embedding = keep_embedding
        self.keyword_count = keywords
        self.stop_words = stop_words
        self.max_features = max_features
        self.keyword_chars = keyword_chars
        self.representatives = representatives
        self.namer = namer
        self.namer_params = dict(namer_params or {})
        self.naming_attempts = naming_attempts
        self.low_confidence = low_confidence
        self.token_counter = token_counter
        self._tokens = None
        self._saved: TopicModel | None = None
        if topic_model is not None:
            self._saved = TopicModel.load(topic_model)  # now: a missing or broken model stops the run at start-up
            self.k = self._saved.k
        if namer is not None:
            load_namer(namer, self.namer_params)  # fail at start-up on a namer that cannot be built

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_tokens"] = None
        return state

    def published_files(self) -> dict[str, str]:
        files = {"topics.json": "topics.json", "topics.md": "topics.md"}
        for name in MODEL_FILES:
            if name != "parent_centroids.npy" or self._has_parents():
                files[f"{PUBLISHED_MODEL_DIR}/{name}"] = f"{MODEL_DIR}/{name}"
        return files

    def _has_parents(self) -> bool:
        if self._saved is not None:
            return self._saved.parents is not None
        return self.parent_k is not None

    # ---- collect -----------------------------------------------------------------------------------------

    def _count_tokens(self, texts: list[str]) -> list[int]:
        if self._tokens is None:
            from curation.classify.tokens import TokenCounter

            self._tokens = TokenCounter(self.token_counter)
        return self._tokens.count(texts)

    def collect(self, data: DocumentsPipeline, context: ShardContext) -> DocumentsPipeline:
        ids: list[str] = []
        heads: list[str] = []
        tokens: list[int] = []
        vectors: list[np.ndarray] = []
        encoders: set[str] = set()
        dimension: int | None = None
        for document in data:
            vector = self._vector(document, dimension)
            if vector is None:
                continue
            if dimension is None:
                dimension = len(vector)
                self._check_saved_model(document, dimension)
            encoder = str(document.metadata.get(self.encoder_field) or UNKNOWN_ENCODER)
            if encoders and encoder not in encoders:
                raise TopicModelError(
                    f"shard {context.stem!r}: document {document.id!r} was embedded by {encoder!r}, earlier ones by "
                    f"{sorted(encoders)[0]!r}; one topic space needs one encoder"
                )
            encoders.add(encoder)
            if not self.keep_embedding:
                document.metadata.pop(self.embedding_field, None)
            text = document.text if isinstance(document.text, str) else ""
            ids.append(str(document.id))
            heads.append(text[: self.keyword_chars])
            count = document.metadata.get(TOKEN_COUNT_FIELD)
            if not isinstance(count, int) or isinstance(count, bool):
                count = self._count_tokens([text])[0]
            tokens.append(count)
            vectors.append(vector)
            self.stat_update("collected")
            yield document
        matrix = np.stack(vectors).astype(np.float16) if vectors else np.zeros((0, dimension or 0), np.float16)
        _save_npy(context.workdir, f"embeddings/{context.stem}.npy", matrix)
        storage.save_json(
            context.workdir, f"shards/{context.stem}.json", {"encoders": sorted(encoders), "dimension": dimension}
        )
        # the docs table is written last: its presence means the shard's whole state is there
        storage.save_table(
            context.workdir,
            f"docs/{context.stem}.parquet",
            {
                "id": pa.array(ids, pa.string()),
                "tokens": pa.array(tokens, pa.int64()),
                "priority": pa.array(priorities(ids, context.stem, self.seed), pa.uint64()),
                "text": pa.array(heads, pa.large_string()),
            },
        )

    def _vector(self, document: Document, dimension: int | None) -> np.ndarray | None:
        """The document's embedding as float32, or None after counting why it cannot be used."""
        value = document.metadata.get(self.embedding_field)
        if value is None:
            self.stat_update("dropped_missing_embedding")
            return None
        try:
            vector = np.asarray(value, dtype=np.float32)
        except (TypeError, ValueError):
            vector = np.empty(0, dtype=np.float32)
        bad = vector.ndim != 1 or len(vector) == 0 or (dimension is not None and len(vector) != dimension)
        if bad or not np.isfinite(vector).all() or not vector.any():
            self.stat_update("dropped_invalid_embedding")
            return None
        return vector

    def _check_saved_model(self, document: Document, dimension: int) -> None:
        if self._saved is None:
            return
        encoder = str(document.metadata.get(self.encoder_field) or UNKNOWN_ENCODER)
        self._saved.check_compatible({encoder}, dimension, str(self.topic_model))

    # ---- global waves ------------------------------------------------------------------------------------

    def global_waves(self, workdir: DataFolder, shard_stems: list[str]) -> list[list[GlobalTask]]:
        stems = sorted(shard_stems)
        missing = [stem for stem in stems if not workdir.exists(f"docs/{stem}.parquet")]
        if missing:
            raise RuntimeError(
                f"topic_cluster: collect did not finish for {len(missing)} shard(s) (first: {missing[0]!r}); "
                "run the recipe again to complete it"
            )
        return [
            [GlobalTask("fit", {"stems": stems})],
            [GlobalTask(f"assign-{stem}", {"stem": stem}) for stem in stems],
            [GlobalTask("describe", {"stems": stems})],
        ]

    def run_global_task(self, task: GlobalTask, workdir: DataFolder) -> None:
        if task.key == "fit":
            self._fit_task(task.params["stems"], workdir)
        elif task.key.startswith("assign-"):
            self._assign_task(task.params["stem"], workdir)
        elif task.key == "describe":
            self._describe_task(task.params["stems"], workdir)
        else:
            raise ValueError(f"topic_cluster has no global task {task.key!r}")

    def _corpus_encoders(self, stems: list[str], workdir: DataFolder) -> tuple[set[str], int | None]:
        encoders: set[str] = set()
        dimensions: set[int] = set()
        for stem in stems:
            info = storage.load_json(workdir, f"shards/{stem}.json")
            encoders.update(info["encoders"])
            if info["dimension"] is not None:
                dimensions.add(int(info["dimension"]))
        if len(encoders) > 1 or len(dimensions) > 1:
            raise TopicModelError(
                f"topic_cluster: the shards were embedded by several encoders ({', '.join(sorted(encoders))}) or "
                f"with several dimensions ({sorted(dimensions)}); one topic space needs one encoder"
            )
        return encoders, (dimensions.pop() if dimensions else None)

    def _fit_task(self, stems: list[str], workdir: DataFolder) -> None:
        encoders, dimension = self._corpus_encoders(stems, workdir)
        size = self.sample_size
        shard, position = bottom_k(
            ((number, _column(workdir, stem, "priority")) for number, stem in enumerate(stems)), size
        )
        vectors, texts = self._gather(workdir, stems, shard, position)
        fit_info = {
            "seed": self.seed,
            "algorithm": self.algorithm,
            "max_iter": self.max_iter,
            "n_init": self.n_init,
            "sample": {
                "size": len(shard),
                "requested": size,
                "fingerprint": sample_fingerprint(stems, shard, position, self.seed),
            },
        }
        if self._saved is not None:
            model = self._saved
            model.check_compatible(encoders, dimension, str(self.topic_model))
            logger.info(f"topic_cluster: assigning against the saved model {self.topic_model} (k={model.k})")
        else:
            model = self._fit(vectors, texts, encoders, fit_info)
        model.save(_subfolder(workdir, FIT_DIR))

    def _fit(self, vectors: np.ndarray, texts: list[str], encoders: set[str], fit_info: dict) -> TopicModel:
        logger.info(f"topic_cluster: fitting k={self.k} ({self.algorithm}) on a sample of {len(vectors):,} documents")
        centroids = fit_centroids(
            vectors, self.k, seed=self.seed, algorithm=self.algorithm, max_iter=self.max_iter, n_init=self.n_init
        )
        sample = assign(vectors, centroids)
        quantiles = confidence_grid.similarity_quantiles(sample.topic, sample.similarity, self.k)
        encoder = _encoder_record(encoders)
        parents = parent_centroids = None
        if self.parent_k is not None:
            parents, parent_centroids = _second_level(centroids, sample.topic, self.parent_k, self.seed)
        vocabulary = kw.fit_vocabulary(texts, self.stop_words, self.max_features)
        return TopicModel(
            centroids=centroids,
            encoder=encoder,
            similarity_quantiles=quantiles,
            vocabulary=vocabulary,
            fit=fit_info,
            parents=parents,
            parent_centroids=parent_centroids,
        )

    def _gather(
        self, workdir: DataFolder, stems: list[str], shard: np.ndarray, position: np.ndarray
    ) -> tuple[np.ndarray, list[str]]:
        """The sampled documents' vectors (float32, unit length) and texts, shard by shard."""
        parts: list[np.ndarray] = []
        texts: list[str] = []
        for number in np.unique(shard):
            rows = position[shard == number]
            stem = stems[int(number)]
            parts.append(_load_npy(workdir, f"embeddings/{stem}.npy")[rows].astype(np.float32))
            column = storage.load_table(workdir, f"docs/{stem}.parquet", ["text"]).column("text")
            texts.extend(column.take(pa.array(rows)).to_pylist())
        vectors = np.concatenate(parts) if parts else np.zeros((0, 1), np.float32)
        return normalize_rows(vectors), texts

    def _assign_task(self, stem: str, workdir: DataFolder) -> None:
        model = TopicModel.load(_subfolder(workdir, FIT_DIR))
        vectors = _load_npy(workdir, f"embeddings/{stem}.npy")
        table = storage.load_table(workdir, f"docs/{stem}.parquet", ["tokens", "text"])
        result = assign(vectors, model.centroids)
        sure = confidence_grid.confidence(result.topic, result.similarity, model.similarity_quantiles)
        storage.save_arrays(
            workdir,
            f"assignments/{stem}.npz",
            topic=result.topic,
            similarity=result.similarity,
            confidence=sure,
        )
        k = model.k
        tokens = table.column("tokens").to_numpy(zero_copy_only=False).astype(np.int64)
        vectorizer = kw.build_vectorizer(model.vocabulary, self.stop_words)
        terms = kw.topic_term_counts(vectorizer, table.column("text").to_pylist(), result.topic, k)
        rep_rows = _nearest_per_topic(result.topic, result.similarity, self.representatives)
        storage.save_arrays(
            workdir,
            f"stats/{stem}.npz",
            documents=np.bincount(result.topic, minlength=k).astype(np.int64),
            tokens=np.bincount(result.topic, weights=tokens, minlength=k).astype(np.int64),
            similarity=np.bincount(result.topic, weights=result.similarity, minlength=k),
            low_confidence=np.bincount(result.topic[sure < self.low_confidence], minlength=k).astype(np.int64),
            terms_data=terms.data,
            terms_indices=terms.indices,
            terms_indptr=terms.indptr,
            rep_topic=result.topic[rep_rows],
            rep_similarity=result.similarity[rep_rows],
            rep_position=rep_rows.astype(np.int64),
        )

    def _describe_task(self, stems: list[str], workdir: DataFolder) -> None:
        model = TopicModel.load(_subfolder(workdir, FIT_DIR))
        k = model.k
        documents = np.zeros(k, np.int64)
        tokens = np.zeros(k, np.int64)
        similarity = np.zeros(k, np.float64)
        low = np.zeros(k, np.int64)
        terms = sparse.csr_matrix((k, len(model.vocabulary)), dtype=np.int64)
        reps: list[tuple[int, float, int, int]] = []
        for number, stem in enumerate(stems):
            stats = storage.load_arrays(workdir, f"stats/{stem}.npz")
            documents += stats["documents"]
            tokens += stats["tokens"]
            similarity += stats["similarity"]
            low += stats["low_confidence"]
            terms = terms + sparse.csr_matrix(
                (stats["terms_data"], stats["terms_indices"], stats["terms_indptr"]), shape=terms.shape
            )
            reps.extend(
                (int(t), float(s), number, int(p))
                for t, s, p in zip(stats["rep_topic"], stats["rep_similarity"], stats["rep_position"], strict=True)
            )
        keywords = kw.top_keywords(kw.ctfidf(terms), model.vocabulary, self.keyword_count)
        chosen = _best_representatives(reps, k, self.representatives)
        rep_ids, rep_texts = self._representative_texts(workdir, stems, chosen)
        namer = load_namer(self.namer, self.namer_params) if self.namer else None
        fixed = model.names if self._saved is not None and len(model.names) == k else None
        naming = name_topics(keywords, rep_texts, documents.tolist(), namer, self.naming_attempts, fixed)
        model.names = naming.names
        model.keywords = [list(words) for words in keywords] if fixed is None else model.keywords
        parent_rows = None
        if model.parents is not None:
            parent_k = int(model.parent_centroids.shape[0])
            membership = sparse.csr_matrix((np.ones(k, np.int64), (model.parents, np.arange(k))), shape=(parent_k, k))
            parent_keywords = kw.top_keywords(kw.ctfidf(membership @ terms), model.vocabulary, self.keyword_count)
            parent_sizes = membership @ documents
            if self._saved is None or len(model.parent_names) != parent_k:
                model.parent_names = name_topics(parent_keywords, [[]] * parent_k, parent_sizes.tolist()).names
            parent_rows = {
                "keywords": parent_keywords,
                "documents": parent_sizes.tolist(),
                "tokens": (membership @ tokens).tolist(),
            }
        report = {
            "k": k,
            "documents": int(documents.sum()),
            "tokens": int(tokens.sum()),
            "low_confidence": int(low.sum()),
            "low_confidence_below": self.low_confidence,
            "encoder": model.encoder,
            "fit": model.fit,
            "topic_model": str(self.topic_model) if self.topic_model else None,
            "naming": {
                "namer": self.namer,
                "failures": naming.failures,
                "retries": naming.retries,
                "errors": naming.errors[:20],
            },
            "topics": [
                {
                    "id": t,
                    "name": model.names[t],
                    "name_source": naming.sources[t],
                    "keywords": keywords[t],
                    "documents": int(documents[t]),
                    "tokens": int(tokens[t]),
                    "share": round(float(documents[t] / max(1, documents.sum())), 6),
                    "mean_similarity": round(float(similarity[t] / documents[t]), 4) if documents[t] else None,
                    "low_confidence": int(low[t]),
                    "representatives": rep_ids[t],
                    **({"parent": int(model.parents[t])} if model.parents is not None else {}),
                }
                for t in range(k)
            ],
        }
        if parent_rows is not None:
            report["parents"] = [
                {
                    "id": p,
                    "name": model.parent_names[p],
                    "keywords": parent_rows["keywords"][p],
                    "documents": int(parent_rows["documents"][p]),
                    "tokens": int(parent_rows["tokens"][p]),
                    "children": [int(t) for t in np.flatnonzero(model.parents == p)],
                }
                for p in range(len(model.parent_names))
            ]
        write_reports(workdir, report)
        if self.model_path:
            model.save(self.model_path)
        model.save(_subfolder(workdir, MODEL_DIR))  # model.json last: its presence marks the describe done
        logger.info(
            f"topic_cluster: {k} topics over {int(documents.sum()):,} documents; "
            f"{int(low.sum()):,} flagged low-confidence; largest: {keyword_name(keywords[int(documents.argmax())])}"
        )

    def _representative_texts(
        self, workdir: DataFolder, stems: list[str], chosen: list[list[tuple[int, int]]]
    ) -> tuple[list[list[str]], list[list[str]]]:
        wanted: dict[int, set[int]] = {}
        for rows in chosen:
            for number, position in rows:
                wanted.setdefault(number, set()).add(position)
        found: dict[tuple[int, int], tuple[str, str]] = {}
        for number, positions in wanted.items():
            order = sorted(positions)
            table = storage.load_table(workdir, f"docs/{stems[number]}.parquet", ["id", "text"]).take(pa.array(order))
            columns = zip(order, table.column("id").to_pylist(), table.column("text").to_pylist(), strict=True)
            for position, doc_id, text in columns:
                found[(number, position)] = (doc_id, text[:REPRESENTATIVE_CHARS])
        ids = [[found[key][0] for key in rows] for rows in chosen]
        texts = [[found[key][1] for key in rows] for rows in chosen]
        return ids, texts

    # ---- apply -------------------------------------------------------------------------------------------

    def apply(self, data: DocumentsPipeline, context: ShardContext) -> DocumentsPipeline:
        workdir = context.workdir
        if not workdir.exists(f"{MODEL_DIR}/{MODEL_FILE}"):
            raise RuntimeError(
                f"topic_cluster: no topics in {workdir.path}; the global phase has not finished (run the recipe "
                "again to complete it)"
            )
        model = TopicModel.load(_subfolder(workdir, MODEL_DIR))
        assigned = storage.load_arrays(workdir, f"assignments/{context.stem}.npz")
        table = storage.load_table(workdir, f"docs/{context.stem}.parquet", ["id", "tokens"])
        expected_ids = table.column("id").to_pylist()
        tokens = table.column("tokens").to_pylist()
        topics, similarity, sure = assigned["topic"], assigned["similarity"], assigned["confidence"]
        position = -1
        for position, document in enumerate(data):
            if position >= len(expected_ids) or str(document.id) != expected_ids[position]:
                raise RuntimeError(
                    f"topic_cluster: shard {context.stem!r} changed between collect and apply (document {position} "
                    f"is {document.id!r}, collect saw "
                    f"{expected_ids[position] if position < len(expected_ids) else 'no document'!r})"
                )
            topic = int(topics[position])
            metadata = document.metadata
            metadata["topic_id"] = topic
            metadata["topic_name"] = model.names[topic]
            metadata["topic_similarity"] = round(float(similarity[position]), 4)
            metadata["topic_confidence"] = round(float(sure[position]), 4)
            metadata["topic_low_confidence"] = bool(sure[position] < self.low_confidence)
            if model.parents is not None:
                metadata["topic_parent"] = int(model.parents[topic])
            metadata.setdefault(TOKEN_COUNT_FIELD, int(tokens[position]))
            self.stat_update("assigned")
            if metadata["topic_low_confidence"]:
                self.stat_update("low_confidence")
            yield document
        if position + 1 != len(expected_ids):
            raise RuntimeError(
                f"topic_cluster: shard {context.stem!r} had {len(expected_ids)} documents at collect but "
                f"{position + 1} at apply"
            )


def _subfolder(folder: DataFolder, name: str) -> DataFolder:
    return DataFolder(folder._join(name), fs=folder.fs)


def _column(workdir: DataFolder, stem: str, name: str) -> np.ndarray:
    return storage.load_table(workdir, f"docs/{stem}.parquet", [name]).column(name).to_numpy(zero_copy_only=False)


def _save_npy(folder: DataFolder, path: str, array: np.ndarray) -> None:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    storage.write_bytes(folder, path, buffer.getvalue())


def _load_npy(folder: DataFolder, path: str) -> np.ndarray:
    return np.load(io.BytesIO(storage.read_bytes(folder, path)), allow_pickle=False)


def _encoder_record(encoders: set[str]) -> dict[str, Any]:
    tag = next(iter(encoders)) if encoders else UNKNOWN_ENCODER
    name, _, fingerprint = tag.partition("@")
    return {"tag": tag, "name": name, "fingerprint": fingerprint or None}


def _second_level(
    centroids: np.ndarray, sample_topics: np.ndarray, parent_k: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """``parent_k`` coarse topics over the fine centroids (weighted by their share of the sample)."""
    from sklearn.cluster import KMeans

    weights = np.bincount(sample_topics, minlength=len(centroids)).astype(np.float64) + 1.0
    model = KMeans(parent_k, n_init=4, random_state=seed).fit(centroids, sample_weight=weights)
    parent_centroids = normalize_rows(model.cluster_centers_)
    return assign(centroids, parent_centroids).topic, parent_centroids


def _nearest_per_topic(topics: np.ndarray, similarity: np.ndarray, count: int) -> np.ndarray:
    """Rows of the ``count`` most similar documents of each topic (ties: earlier rows first)."""
    if count == 0 or len(topics) == 0:
        return np.empty(0, dtype=np.int64)
    order = np.lexsort((np.arange(len(topics)), -similarity, topics))
    sorted_topics = topics[order]
    starts = np.searchsorted(sorted_topics, sorted_topics, side="left")
    rank = np.arange(len(order)) - starts
    return np.sort(order[rank < count])


def _best_representatives(
    candidates: Sequence[tuple[int, float, int, int]], k: int, count: int
) -> list[list[tuple[int, int]]]:
    """Per topic, the (shard number, position) of its ``count`` most similar documents over all shards."""
    chosen: list[list[tuple[int, int]]] = [[] for _ in range(k)]
    for topic, _similarity, number, position in sorted(candidates, key=lambda c: (c[0], -c[1], c[2], c[3])):
        if len(chosen[topic]) < count:
            chosen[topic].append((number, position))
    return chosen
