"""The two learned models, served with numpy: a safety classifier (urgent or not) and an intent classifier over the
entries plus "@referral", "@smalltalk:<sub-intent>" and "@off_topic".

Features are TF-IDF of character 2–5-grams inside word boundaries plus word 1–2-grams, on normalised text
(bot.text.normalize), so typos, inflections and any script cost nothing extra. The models are fitted by
bot.training (scikit-learn, imported only there); this module reimplements scikit-learn's analyzers exactly
(tests/test_models.py proves the vectors equal) and scores with the fitted vocabulary, idf and weights:

- intent: weights held sparse by feature (CSR: feature -> classes), so a message touches only the rows of its
  n-grams; probabilities are softmax(scores / temperature), the temperature fitted on out-of-fold predictions;
- safety: one weight vector; p(urgent) = sigmoid(a * score + b), a and b fitted on out-of-fold scores (Platt).

Calibration makes one threshold mean the same after every publish. Fitted models are cached on disk under a hash
of everything they are trained on plus MODEL_VERSION (knowledge-derived data only, never a person's message).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import re
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock, Timeout

from bot.text import normalize

log = logging.getLogger(__name__)

# Bump when features, training or the file format change: cached models of other versions are never read.
MODEL_VERSION = 6
CHAR_NGRAMS = (2, 5)
WORD_NGRAMS = (1, 2)
WORD_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token_pattern
_WHITE_SPACES = re.compile(r"\s\s+")  # scikit-learn's white-space squeeze before char_wb n-grams
DEFAULT_CACHE_DIR = None  # callers pass MatchingConfig.model_cache_dir
_MEMO_SIZE = 4
# How long a process waits for another one training the same knowledge version before training itself (a cold
# build of the bundled knowledge takes ~15 s of CPU; a loaded machine can take several times that).
TRAIN_LOCK_SECONDS = 300
# Cache files kept (the most recently used): the live version, the ones a revert or a second worker may need, and
# a few test or bench variants; ~30 MB each for the bundled knowledge.
CACHE_FILES = 16
# The safety model learned from messages of at most a few hundred characters (the longest training example is 262,
# the 99th percentile 144). In a longer message one sentence of danger is diluted by everything around it in the
# TF-IDF vector, so such a message is also scored in windows of whole sentences of at most WINDOW_CHARS, and its
# p(urgent) is the highest of the whole and the windows.
WINDOW_CHARS = 300
_SENTENCE_END = re.compile(r"(?<=[.!?;…。！？\n])\s+|\n+")


def model_text(text: str) -> str:
    """The text the models read: normalised (invisible characters removed, folded, contractions expanded)."""
    return normalize(text)


def char_wb_ngrams(text: str, lo: int = CHAR_NGRAMS[0], hi: int = CHAR_NGRAMS[1]) -> list[str]:
    """Character n-grams inside word boundaries, padded with one space each side: scikit-learn's `char_wb`."""
    text = _WHITE_SPACES.sub(" ", text)
    grams: list[str] = []
    append = grams.append
    for word in text.split():
        w = f" {word} "
        w_len = len(w)
        for n in range(lo, hi + 1):
            offset = 0
            append(w[0:n])
            while offset + n < w_len:
                offset += 1
                append(w[offset:offset + n])
            if offset == 0:  # the word is shorter than n: longer n-grams would repeat it
                break
    return grams


def word_ngrams(text: str, lo: int = WORD_NGRAMS[0], hi: int = WORD_NGRAMS[1]) -> list[str]:
    """Word n-grams of tokens of two or more word characters: scikit-learn's `word` analyzer."""
    tokens = WORD_TOKEN.findall(text)
    grams = list(tokens) if lo == 1 else []
    for n in range(max(lo, 2), hi + 1):
        grams.extend(" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
    return grams


@dataclass(frozen=True, slots=True)
class Block:
    """One fitted TF-IDF vectorizer: vocabulary, idf per column, sublinear tf, l2 norm. The vocabulary is a sorted
    numpy string array searched with searchsorted (a few MB where a dict of the same n-grams takes tens)."""

    terms: np.ndarray  # sorted unicode array of the vocabulary
    columns: np.ndarray  # int64: the column of each sorted term
    idf: np.ndarray  # float32 (columns,)
    offset: int  # first column of this block in the joined feature space

    @classmethod
    def from_vocabulary(cls, vocabulary: dict[str, int], idf: np.ndarray, offset: int) -> Block:
        terms = sorted(vocabulary)
        array = np.array(terms, dtype=str) if terms else np.array([], dtype="<U1")
        columns = np.fromiter((vocabulary[t] for t in terms), dtype=np.int64, count=len(terms))
        return cls(array, columns, idf, offset)

    def __len__(self) -> int:
        return len(self.idf)

    def lookup(self, grams: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(columns, counts) of the grams that are in the vocabulary."""
        index = _small_index(self)
        if index is not None:  # a small vocabulary: a dict is ~2.5x faster than searching the string array
            counts = Counter(g for g in grams if g in index)
            if not counts:
                return np.zeros(0, dtype=np.int64), np.zeros(0)
            cols = np.fromiter((index[g] for g in counts), dtype=np.int64, count=len(counts))
            return cols, np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        counts = Counter(g for g in grams if len(g) <= self.terms.dtype.itemsize // 4)
        if not counts or not len(self.terms):
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        keys = np.array(list(counts), dtype=self.terms.dtype)
        found = np.searchsorted(self.terms, keys)
        found[found == len(self.terms)] = 0
        hit = self.terms[found] == keys
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        return self.columns[found[hit]], tf[hit]

    def add(self, grams: list[str], columns: list[np.ndarray], values: list[np.ndarray]) -> None:
        cols, tf = self.lookup(grams)
        if not len(cols):
            return
        weights = (1.0 + np.log(tf)) * self.idf[cols]
        norm = math.sqrt(float(weights @ weights))
        if norm:
            columns.append(cols + self.offset)
            values.append(weights / norm)


# Vocabularies up to this many terms are also held as a dict (about 100 bytes a term) for speed; larger ones (tens
# of thousands of entries) are only searched in their sorted array, to keep memory down.
SMALL_VOCABULARY = 100_000
# id(terms array) -> (that array, its dict). Holding the array keeps its id from being reused by another object.
_indexes: dict[int, tuple[np.ndarray, dict[str, int]]] = {}
_indexes_lock = threading.Lock()


def _small_index(block: Block) -> dict[str, int] | None:
    """The dict form of a small block's vocabulary, built once per block (keyed by the identity of its array)."""
    if len(block.terms) > SMALL_VOCABULARY:
        return None
    found = _indexes.get(id(block.terms))
    if found is not None and found[0] is block.terms:
        return found[1]
    index = dict(zip(block.terms.tolist(), block.columns.tolist(), strict=True))
    with _indexes_lock:
        if len(_indexes) >= 16:  # a few knowledge versions at most; older ones are rebuilt on demand
            _indexes.clear()
        _indexes[id(block.terms)] = (block.terms, index)
    return index


@dataclass(frozen=True, slots=True)
class Features:
    """The joined feature space: [char_wb block | word block], each block l2-normalised on its own."""

    char: Block
    word: Block

    @property
    def size(self) -> int:
        return self.word.offset + len(self.word)

    def vector(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Sparse feature vector of already model_text()-ed text: (columns int64, values float64)."""
        columns: list[np.ndarray] = []
        values: list[np.ndarray] = []
        self.char.add(char_wb_ngrams(text), columns, values)
        self.word.add(word_ngrams(text), columns, values)
        if not columns:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        return np.concatenate(columns), np.concatenate(values)


@dataclass(frozen=True, slots=True)
class IntentModel:
    """Linear scores per class from sparse weights (CSR by feature), calibrated by one temperature."""

    classes: tuple[str, ...]
    indptr: np.ndarray  # int64 (features + 1,)
    indices: np.ndarray  # int32 class of each stored weight
    data: np.ndarray  # float32 weights
    bias: np.ndarray  # float64 (classes,)
    temperature: float

    def probabilities(self, columns: np.ndarray, values: np.ndarray) -> np.ndarray:
        """p(class | message) for every class, summing to 1."""
        scores = self.bias.copy()
        if len(columns):
            starts = self.indptr[columns]
            lengths = self.indptr[columns + 1] - starts
            total = int(lengths.sum())
            if total:
                # Positions of every stored weight of the message's features, without a Python loop.
                shift = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
                positions = shift + np.arange(total)
                scores += np.bincount(self.indices[positions], self.data[positions] * np.repeat(values, lengths),
                                      minlength=len(self.classes))
        z = scores / self.temperature
        z -= z.max()
        p = np.exp(z)
        return p / p.sum()


@dataclass(frozen=True, slots=True)
class SafetyModel:
    """One weight vector; p(urgent) by Platt scaling of the linear score."""

    weights: np.ndarray  # float32 (features,)
    bias: float
    a: float
    b: float

    def probability(self, columns: np.ndarray, values: np.ndarray) -> float:
        score = self.bias + (float(self.weights[columns] @ values) if len(columns) else 0.0)
        return 1.0 / (1.0 + math.exp(-(self.a * score + self.b)))


@dataclass(frozen=True, slots=True)
class Prediction:
    """What the models read in one message: p(urgent) and the intent distribution, best first."""

    urgent: float
    intents: tuple[tuple[str, float], ...]  # (label, probability), best first, the top few
    # (ISO 639-1 code, probability) by the learned language model, best first, the top few; () without one
    languages: tuple[tuple[str, float], ...] = ()

    @property
    def intent(self) -> str:
        return self.intents[0][0]

    @property
    def confidence(self) -> float:
        return self.intents[0][1]


@dataclass(frozen=True, slots=True)
class Models:
    """Both fitted models over one feature space, for one knowledge version. Immutable; safe to share."""

    features: Features
    intent: IntentModel
    safety: SafetyModel
    key: str  # the training hash the cache file is named after
    info: dict[str, Any]  # training figures (sizes, out-of-fold scores), for logs and the bench
    # p(language | message) over the languages of the training texts (knowledge.language_examples); None when the
    # knowledge has one language only. bot.i18n.choose_language weighs it with the fastText detector.
    language: IntentModel | None = None

    def languages(self) -> tuple[str, ...]:
        """The languages the language model learned (ISO 639-1 codes, sorted); () without one."""
        return self.language.classes if self.language is not None else ()

    def urgent_probability(self, text: str) -> float:
        """p(urgent) of a message: of the whole, or for a message over WINDOW_CHARS the highest of the whole and
        its sentence windows."""
        columns, values = self.features.vector(model_text(text))
        return self._windowed(text, self.safety.probability(columns, values))

    def _windowed(self, text: str, whole: float) -> float:
        if len(text) <= WINDOW_CHARS:
            return whole
        best = whole
        for window in sentence_windows(text):
            columns, values = self.features.vector(model_text(window))
            best = max(best, self.safety.probability(columns, values))
        return best

    def predict(self, text: str, intent_text: str | None = None, top: int = 3, *, norm: str | None = None) -> Prediction:
        """p(urgent) of `text` and the `top` intents of `intent_text` (default: the same text; the engine passes a
        prefix for matching only). `norm` is `model_text(text)` when the caller has it already (once per message)."""
        columns, values = self.features.vector(norm if norm is not None else model_text(text))
        urgent = self._windowed(text, self.safety.probability(columns, values))
        if intent_text is not None and intent_text != text:
            columns, values = self.features.vector(model_text(intent_text))
        p = self.intent.probabilities(columns, values)
        best = np.argsort(-p)[:top]
        languages: tuple[tuple[str, float], ...] = ()
        if self.language is not None:
            pl = self.language.probabilities(columns, values)
            languages = tuple((self.language.classes[i], float(pl[i])) for i in np.argsort(-pl)[:top])
        return Prediction(urgent, tuple((self.intent.classes[i], float(p[i])) for i in best), languages)


def sentence_windows(text: str, size: int = WINDOW_CHARS) -> list[str]:
    """Consecutive whole sentences of `text` packed greedily into windows of at most `size` characters (a longer
    sentence is cut at white space into pieces of at most `size`). Every sentence lies whole inside one window, so
    one sentence of danger is never split across two. Returns [] for an empty text."""
    pieces: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        sentence = sentence.strip()
        while len(sentence) > size:
            cut = sentence.rfind(" ", 0, size)
            cut = cut if cut > 0 else size
            pieces.append(sentence[:cut])
            sentence = sentence[cut:].strip()
        if sentence:
            pieces.append(sentence)
    windows: list[str] = []
    current = ""
    for piece in pieces:
        if current and len(current) + 1 + len(piece) > size:
            windows.append(current)
            current = piece
        else:
            current = f"{current} {piece}" if current else piece
    if current:
        windows.append(current)
    return windows


# -- the training hash, the disk cache and the in-process memo -----------------------------------------------------


def training_key(intent_pairs: list[tuple[str, str]], safety_pairs: list[tuple[str, bool]], params: dict[str, Any],
                 language_pairs: list[tuple[str, str]] | None = None) -> str:
    """sha256 over MODEL_VERSION, the training parameters and every training pair, in order."""
    digest = hashlib.sha256()
    digest.update(json.dumps({"version": MODEL_VERSION, "params": params}, sort_keys=True).encode())
    for text, label in intent_pairs:
        digest.update(f"i\x00{label}\x00{text}\x01".encode())
    for text, urgent in safety_pairs:
        digest.update(f"s\x00{int(urgent)}\x00{text}\x01".encode())
    for text, code in language_pairs or ():
        digest.update(f"l\x00{code}\x00{text}\x01".encode())
    return digest.hexdigest()


def _linear_arrays(model: IntentModel, prefix: str) -> dict[str, np.ndarray]:
    return {f"{prefix}_classes": np.array(model.classes, dtype=str), f"{prefix}_indptr": model.indptr,
            f"{prefix}_indices": model.indices, f"{prefix}_data": model.data, f"{prefix}_bias": model.bias,
            f"{prefix}_temperature": np.array([model.temperature])}


def _linear_from(arrays: Any, prefix: str) -> IntentModel:
    return IntentModel(
        classes=tuple(arrays[f"{prefix}_classes"].tolist()),
        indptr=arrays[f"{prefix}_indptr"],
        indices=arrays[f"{prefix}_indices"],
        data=arrays[f"{prefix}_data"],
        bias=arrays[f"{prefix}_bias"],
        temperature=float(arrays[f"{prefix}_temperature"][0]),
    )


def to_arrays(models: Models) -> dict[str, np.ndarray]:
    """The arrays a cache file holds."""
    f = models.features
    return {
        "char_terms": f.char.terms,
        "char_columns": f.char.columns,
        "char_idf": f.char.idf,
        "word_terms": f.word.terms,
        "word_columns": f.word.columns,
        "word_idf": f.word.idf,
        **_linear_arrays(models.intent, "intent"),
        **(_linear_arrays(models.language, "language") if models.language is not None else {}),
        "safety_weights": models.safety.weights,
        "safety_scalars": np.array([models.safety.bias, models.safety.a, models.safety.b]),
        "info": np.array(json.dumps(models.info)),
    }


def from_arrays(arrays: Any, key: str) -> Models:
    char = Block(arrays["char_terms"], arrays["char_columns"], arrays["char_idf"], 0)
    word = Block(arrays["word_terms"], arrays["word_columns"], arrays["word_idf"], len(arrays["char_idf"]))
    scalars = arrays["safety_scalars"]
    return Models(
        features=Features(char, word),
        intent=_linear_from(arrays, "intent"),
        safety=SafetyModel(arrays["safety_weights"], float(scalars[0]), float(scalars[1]), float(scalars[2])),
        key=key,
        info=json.loads(str(arrays["info"])),
        language=_linear_from(arrays, "language") if "language_classes" in arrays else None,
    )


def save(models: Models, folder: Path) -> Path:
    """Write the cache file atomically (a reader never sees half of it); returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{models.key}.npz"
    tmp = folder / f".{models.key}.{os.getpid()}.{threading.get_ident()}.tmp.npz"
    np.savez(tmp, **to_arrays(models))  # type: ignore[arg-type]  # numpy's stub types **kwds as bool
    os.replace(tmp, path)
    prune(folder)
    return path


def prune(folder: Path, keep: int | None = None) -> list[Path]:
    """Delete all but the `keep` (default CACHE_FILES) most recently used cache files of `folder` (a file is "used"
    when written or read: load() touches it), and their stale lock files; returns what was deleted. Each file is
    ~30 MB for the bundled knowledge, and every published version of the knowledge writes one, so without this the
    cache grows without bound. A file another process is reading stays readable until it closes it (POSIX)."""
    keep = CACHE_FILES if keep is None else keep
    files = sorted(folder.glob("*.npz"), key=lambda f: f.stat().st_mtime, reverse=True)
    deleted = []
    for old in files[keep:]:
        with contextlib.suppress(OSError):
            old.unlink()
            deleted.append(old)
        with contextlib.suppress(OSError):
            (folder / f".{old.stem}.lock").unlink()
    return deleted


def load(folder: Path, key: str) -> Models | None:
    """The cached models of `key`, or None when absent or unreadable (then they are trained again)."""
    path = folder / f"{key}.npz"
    if not path.is_file():
        return None
    try:
        with contextlib.suppress(OSError):
            os.utime(path)  # most recently used: the last file prune() would delete
        with np.load(path, allow_pickle=False) as arrays:
            return from_arrays(arrays, key)
    except (OSError, ValueError, KeyError) as exc:
        log.warning("model cache file unreadable (%s); training again", type(exc).__name__)
        return None


_memo: OrderedDict[str, Models] = OrderedDict()
_memo_lock = threading.Lock()


def _train_and_save(training: Any, key: str, folder: Path | None, intent_pairs: list[tuple[str, str]],
                    safety_pairs: list[tuple[str, bool]], language_pairs: list[tuple[str, str]]) -> Models:
    models: Models = training.fit(intent_pairs, safety_pairs, key, language_pairs)
    if folder:
        try:
            save(models, folder)
        except OSError as exc:
            log.warning("model cache not writable (%s); serving without it", type(exc).__name__)
    return models


def models_for(knowledge: Any, cache_dir: str | Path | None = None) -> Models:
    """The fitted models of a knowledge version: from this process's memo, else the disk cache, else trained (and
    cached). `cache_dir` None disables the disk cache. Raises nothing for a well-formed Knowledge."""
    from bot import training  # light: scikit-learn itself is imported only inside training.fit

    intent_pairs = knowledge.training_phrasings()
    safety_pairs = knowledge.safety_examples()
    language_pairs = knowledge.language_examples()
    key = training_key(intent_pairs, safety_pairs, training.PARAMS, language_pairs)
    with _memo_lock:
        found = _memo.get(key)
        if found is not None:
            _memo.move_to_end(key)
            return found
    folder = Path(cache_dir) if cache_dir else None
    models = load(folder, key) if folder else None
    if models is None and folder:
        # Several processes starting on a new knowledge version (webhook workers, test processes) train it once:
        # the first takes the cache's lock and trains, the others wait for it and read the file it wrote.
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with FileLock(folder / f".{key}.lock", timeout=TRAIN_LOCK_SECONDS):
                models = load(folder, key) or _train_and_save(training, key, folder, intent_pairs, safety_pairs,
                                                              language_pairs)
        except (OSError, Timeout) as exc:
            log.warning("model cache lock unavailable (%s); training without it", type(exc).__name__)
    if models is None:
        models = _train_and_save(training, key, folder, intent_pairs, safety_pairs, language_pairs)
    for block in (models.features.char, models.features.word):
        _small_index(block)  # built now, at load, rather than on the first person's message
    with _memo_lock:
        _memo[key] = models
        while len(_memo) > _MEMO_SIZE:
            _memo.popitem(last=False)
    return models
