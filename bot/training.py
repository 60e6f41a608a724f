"""Fitting the two models with scikit-learn (the field's standard). Imported lazily: only a knowledge version the
disk cache does not hold pays for scikit-learn (~1.7 s and ~120 MB to import); serving never imports it.

Deterministic: fixed seeds, fixed fold assignment, single-threaded solvers. Calibration is fitted on out-of-fold
predictions (one of 3 folds: SCORED_FOLDS), so probabilities mean the same after every publish:
- intent: a linear support-vector machine, one-vs-rest (liblinear; up to LR_MAX_CLASSES classes): measured on
  the held-out blind set it ranks the right entry first as often as logistic regression (0.96 against 0.92-0.94)
  and fits in 1 s instead of 4-40 s on this machine; above LR_MAX_CLASSES classes a nearest-centroid model
  (cosine to each class's mean TF-IDF vector, top CENTROID_TOP weights per class) keeps training and serving linear
  in the size of the knowledge. One temperature for the softmax, fitted by minimising the out-of-fold log loss;
- safety: a linear support-vector machine with balanced class weights, Platt-scaled on out-of-fold scores (the
  classic Platt scaling); a fit takes a fraction of liblinear's logistic regression (2.8 s on this machine).
"""

from __future__ import annotations

import logging
import random
import time
import warnings
from typing import Any

import numpy as np

from bot.models import (
    CHAR_NGRAMS,
    WORD_NGRAMS,
    WORD_TOKEN,
    Block,
    Features,
    IntentModel,
    Models,
    SafetyModel,
)
from bot.models import (
    model_text as _model_text,
)

log = logging.getLogger(__name__)

SEED = 20261130
# liblinear's stopping tolerance (scikit-learn's default is 1e-4): at 1e-2 the fitted models score the same (out-of-fold
# recall, intent accuracy, temperature and Platt scaling equal to 3-4 decimals; pooled LOSO equal) in ~2/3 the time.
TOL = 1e-2
FOLDS = 3
# Of the FOLDS splits, how many are scored for calibration: each model is fitted on (FOLDS-1)/FOLDS of the rows and
# scores the rest, so one scored fold calibrates on a third of the rows (thousands) for a third of the fits.
# Measured by pooled leave-one-set-out (bench/loso.py): the same figures as scoring all three, training ~5 s faster.
SCORED_FOLDS = 1
LR_MAX_CLASSES = 400
CENTROID_TOP = 300
# A feature (n-gram) kept in at most this many classes' centroids, the ones where it weighs most: an n-gram shared
# by thousands of classes says little about any of them, and its row would dominate the cost of every message.
CENTROID_ROW_CAP = 100
SAFETY_MAX_NEGATIVES = 12000
# Thresholds at which training reports out-of-fold recall and false alarms (how the defaults were chosen).
OOF_THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5)
CALIBRATION_SAMPLE = 1500
PARAMS: dict[str, Any] = {
    "char": list(CHAR_NGRAMS), "word": list(WORD_NGRAMS), "char_max": 150_000, "word_max": 60_000,
    "intent_C": 1.0, "safety_C": 1.0, "prune": 0.01, "folds": FOLDS, "scored_folds": SCORED_FOLDS, "seed": SEED,
    "lr_max_classes": LR_MAX_CLASSES, "centroid_top": CENTROID_TOP, "centroid_row_cap": CENTROID_ROW_CAP, "safety_max_negatives": SAFETY_MAX_NEGATIVES,
}


def _vectorizers() -> tuple[Any, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    common: dict[str, Any] = {"lowercase": False, "sublinear_tf": True, "dtype": np.float32}
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=tuple(PARAMS["char"]), max_features=PARAMS["char_max"],
                           **common)
    word = TfidfVectorizer(analyzer="word", ngram_range=tuple(PARAMS["word"]), max_features=PARAMS["word_max"],
                           token_pattern=WORD_TOKEN.pattern, **common)
    return char, word


def _folds(labels: list[Any]) -> list[tuple[np.ndarray, np.ndarray]]:
    from sklearn.model_selection import StratifiedKFold

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # classes smaller than the number of folds are expected
        splitter = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
        return list(splitter.split(np.zeros(len(labels)), labels))


def _fit_temperature(scores: np.ndarray, truth: np.ndarray) -> float:
    """The softmax temperature minimising the log loss of (n, classes) scores against class indices."""
    from scipy.optimize import minimize_scalar

    def loss(log_t: float) -> float:
        z = scores / np.exp(log_t)
        z = z - z.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return float(-log_p[np.arange(len(truth)), truth].mean())

    found = minimize_scalar(loss, bounds=(-5.0, 5.0), method="bounded")
    return float(np.exp(found.x))


def _lr(c: float, balanced: bool = False) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, solver="liblinear", max_iter=5000, class_weight="balanced" if balanced else None,
                              random_state=SEED)


def _svm(c: float, balanced: bool = False) -> Any:
    from sklearn.svm import LinearSVC

    return LinearSVC(C=c, max_iter=10000, tol=TOL, class_weight="balanced" if balanced else None, random_state=SEED)


def _centroids(x: Any, y: np.ndarray, n_classes: int) -> tuple[Any, np.ndarray]:
    """(features, classes) sparse weights: each class's l2-normalised mean row, pruned to its top CENTROID_TOP."""
    from scipy import sparse
    from sklearn.preprocessing import normalize as l2

    member = sparse.csr_matrix((np.ones(len(y)), (y, np.arange(len(y)))), shape=(n_classes, len(y)))
    centroids = l2(member @ l2(x)).tocsr()
    rows, cols, vals = [], [], []
    for c in range(n_classes):
        start, end = centroids.indptr[c], centroids.indptr[c + 1]
        data, idx = centroids.data[start:end], centroids.indices[start:end]
        if len(data) > CENTROID_TOP:
            keep = np.argpartition(-data, CENTROID_TOP)[:CENTROID_TOP]
            data, idx = data[keep], idx[keep]
        rows.append(np.full(len(idx), c))
        cols.append(idx)
        vals.append(data)
    weights = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(cols), np.concatenate(rows))),
                                shape=(x.shape[1], n_classes))
    return cap_rows(weights, CENTROID_ROW_CAP), np.zeros(n_classes)


def cap_rows(weights: Any, cap: int) -> Any:
    """A CSR matrix keeping, in every row longer than `cap`, only its `cap` largest values."""
    from scipy import sparse

    weights = weights.tocsr()
    lengths = np.diff(weights.indptr)
    if lengths.max(initial=0) <= cap:
        return weights
    keep = np.ones(weights.nnz, dtype=bool)
    for row in np.flatnonzero(lengths > cap):
        start, end = weights.indptr[row], weights.indptr[row + 1]
        order = np.argsort(-weights.data[start:end], kind="stable")
        keep[start + order[cap:]] = False
    coo = weights.tocoo()
    return sparse.csr_matrix((coo.data[keep], (coo.row[keep], coo.col[keep])), shape=weights.shape)


def _intent_scores(x_train: Any, y_train: np.ndarray, n_classes: int, x_test: Any) -> np.ndarray:
    """Out-of-fold scores (test rows x all classes); classes missing from the training part score very low."""
    present = np.unique(y_train)
    out = np.full((x_test.shape[0], n_classes), -50.0, dtype=np.float32)
    if n_classes <= LR_MAX_CLASSES:
        if len(present) == 1:
            out[:, present[0]] = 0.0
            return out
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # liblinear's convergence notice on tiny folds
            model = _svm(PARAMS["intent_C"]).fit(x_train, y_train)
        scores = model.decision_function(x_test)
        if scores.ndim == 1:
            scores = np.stack([-scores, scores], axis=1)
        out[:, model.classes_] = scores
        return out
    weights, _ = _centroids(x_train, y_train, n_classes)
    scores = np.asarray((x_test @ weights).todense())
    out[:, present] = scores[:, present]
    return out


def fit(intent_pairs: list[tuple[str, str]], safety_pairs: list[tuple[str, bool]], key: str,
        language_pairs: list[tuple[str, str]] | None = None) -> Models:
    """Fit features, the intent model, the safety model and (given (text, language code) pairs in at least two
    languages) the language model; raises ValueError when there is nothing to learn (no intent classes)."""
    from scipy import sparse

    started = time.perf_counter()
    normalised: dict[str, str] = {}  # most texts are in two or three of the pair lists: normalise each once

    def model_text(text: str) -> str:
        found = normalised.get(text)
        if found is None:
            found = normalised[text] = _model_text(text)
        return found

    intent_texts = [model_text(t) for t, _ in intent_pairs]
    labels = [label for _, label in intent_pairs]
    classes = sorted(set(labels))
    if not classes:
        raise ValueError("no intent examples to train on")
    class_index = {c: i for i, c in enumerate(classes)}
    y = np.array([class_index[label] for label in labels])

    # A text repeated in the pairs counts once per repeat: one row with that sample weight (no row in two folds).
    counts: dict[tuple[str, bool], int] = {}
    for t, u in safety_pairs:
        k = (model_text(t), bool(u))
        counts[k] = counts.get(k, 0) + 1
    positives = [t for t, u in counts if u]
    negatives = [t for t, u in counts if not u]
    if len(positives) < FOLDS or len(negatives) < FOLDS:
        # Nothing to learn urgency from (a knowledge folder without examples): the rule net alone decides.
        log.warning("no urgent examples to train on: the safety model stays silent (p = 0)")
    if len(negatives) > SAFETY_MAX_NEGATIVES:
        negatives = random.Random(SEED).sample(negatives, SAFETY_MAX_NEGATIVES)
    safety_texts = positives + negatives
    s = np.array([1] * len(positives) + [0] * len(negatives))
    sw = np.array([counts[(t, True)] for t in positives] + [counts[(t, False)] for t in negatives], dtype=np.float64)
    learn_safety = len(positives) >= FOLDS and len(negatives) >= FOLDS

    char_vec, word_vec = _vectorizers()
    language_texts = [model_text(t) for t, _ in language_pairs or ()]
    corpus = sorted(set(intent_texts) | set(safety_texts) | set(language_texts))
    row_of = {text: i for i, text in enumerate(corpus)}
    x_corpus = sparse.hstack([char_vec.fit_transform(corpus), word_vec.fit_transform(corpus)]).tocsr()

    def featurise(texts: list[str]) -> Any:
        return x_corpus[[row_of[t] for t in texts]]

    x = featurise(intent_texts)
    n_classes = len(classes)
    # Out-of-fold scores for the temperature. With many classes only a fixed sample of rows is scored (a dense
    # rows x classes matrix of every row would not fit in memory at 10,000 entries).
    folds = _folds(labels)[:SCORED_FOLDS]
    if n_classes > LR_MAX_CLASSES:
        keep = np.zeros(len(y), dtype=bool)
        keep[np.random.default_rng(SEED).choice(len(y), size=min(len(y), CALIBRATION_SAMPLE), replace=False)] = True
        folds = [(train, test[keep[test]]) for train, test in folds]
    scored = np.concatenate([test for _, test in folds])
    oof = np.zeros((len(scored), n_classes), dtype=np.float32)
    at = 0
    for train, test in folds:
        oof[at:at + len(test)] = _intent_scores(x[train], y[train], n_classes, x[test])
        at += len(test)
    y_scored = y[scored]
    n_intent = len(y)
    temperature = _fit_temperature(oof, y_scored)
    if n_classes <= LR_MAX_CLASSES and n_classes > 1:
        weights, bias = _svm_weights(x, y, n_classes)
    elif n_classes > 1:
        weights, bias = _centroids(x, y, n_classes)
        weights = weights.astype(np.float32).tocsr()
    else:
        weights, bias = sparse.csr_matrix((x.shape[1], 1), dtype=np.float32), np.zeros(1)
    weights.sort_indices()
    intent = IntentModel(
        classes=tuple(classes), indptr=weights.indptr.astype(np.int64), indices=weights.indices.astype(np.int32),
        data=weights.data.astype(np.float32), bias=np.asarray(bias, dtype=np.float64), temperature=temperature,
    )

    oof_s = np.zeros(len(s))
    scored_s = np.zeros(len(s), dtype=bool)
    if learn_safety:
        xs = featurise(safety_texts)
        for train, test in _folds(s.tolist())[:SCORED_FOLDS]:
            oof_s[test] = _svm(PARAMS["safety_C"], balanced=True).fit(
                xs[train], s[train], sample_weight=sw[train]).decision_function(xs[test])
            scored_s[test] = True
        platt = _lr(1e6).fit(oof_s[scored_s].reshape(-1, 1), s[scored_s])
        safety_lr = _svm(PARAMS["safety_C"], balanced=True).fit(xs, s, sample_weight=sw)
        safety = SafetyModel(
            weights=safety_lr.coef_[0].astype(np.float32), bias=float(safety_lr.intercept_[0]),
            a=float(platt.coef_[0][0]), b=float(platt.intercept_[0]),
        )
    else:
        safety = SafetyModel(weights=np.zeros(x.shape[1], dtype=np.float32), bias=0.0, a=0.0, b=-50.0)

    language, language_accuracy = _fit_languages(language_texts, [code for _, code in language_pairs or ()],
                                                 featurise)

    oof_p = np.exp(oof / temperature - (oof / temperature).max(axis=1, keepdims=True))
    oof_p /= oof_p.sum(axis=1, keepdims=True)
    y = y_scored
    oof_ps = 1.0 / (1.0 + np.exp(-(safety.a * oof_s[scored_s] + safety.b)))
    s_scored = s[scored_s]
    info = {
        "classes": n_classes, "intent_examples": n_intent, "calibration_rows": len(y), "safety_examples": len(s), "urgent_examples": len(positives),
        "features": len(char_vec.vocabulary_) + len(word_vec.vocabulary_), "intent_weights": int(weights.nnz),
        "intent_model": "linear-svm" if n_classes <= LR_MAX_CLASSES else "nearest-centroid",
        "temperature": round(temperature, 4), "platt": [round(safety.a, 4), round(safety.b, 4)],
        "oof_intent_accuracy": round(float((oof_p.argmax(axis=1) == y).mean()), 4),
        "oof_urgent_recall": {str(t): round(float((oof_ps[s_scored == 1] >= t).mean()), 4) for t in OOF_THRESHOLDS}
        if learn_safety else {},
        "oof_false_urgent": {str(t): round(float((oof_ps[s_scored == 0] >= t).mean()), 4) for t in OOF_THRESHOLDS}
        if learn_safety else {},
        "oof_intent_confident": {str(t): round(float((oof_p.max(axis=1) >= t).mean()), 4) for t in OOF_THRESHOLDS},
        "oof_intent_accuracy_when_confident": {
            str(t): round(float((oof_p.argmax(axis=1) == y)[oof_p.max(axis=1) >= t].mean()), 4)
            for t in OOF_THRESHOLDS},
        "languages": list(language.classes) if language else [],
        "oof_language_accuracy": language_accuracy,
        "seconds": round(time.perf_counter() - started, 2),
    }
    return Models(features=features_of(char_vec, word_vec), intent=intent, safety=safety, key=key, info=info,
                  language=language)


def _svm_weights(x: Any, y: np.ndarray, n_classes: int) -> tuple[Any, np.ndarray]:
    """One-vs-rest linear SVM on all rows: (features x classes CSR weights pruned below PARAMS["prune"], bias)."""
    from scipy import sparse

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = _svm(PARAMS["intent_C"]).fit(x, y)
    coef = model.coef_ if n_classes > 2 else np.vstack([-model.coef_[0], model.coef_[0]])
    bias = model.intercept_ if n_classes > 2 else np.array([-model.intercept_[0], model.intercept_[0]])
    coef = np.where(np.abs(coef) >= PARAMS["prune"], coef, 0.0)
    return sparse.csr_matrix(coef.T.astype(np.float32)), np.asarray(bias)


def _fit_languages(texts: list[str], codes: list[str], featurise: Any) -> tuple[IntentModel | None, float | None]:
    """The language model: a one-vs-rest linear SVM over the same features as the intent model, with a softmax
    temperature fitted on out-of-fold scores (as the intent model). None (and no accuracy) with fewer than two
    languages. Returns (model, out-of-fold argmax accuracy on the scored fold)."""

    classes = sorted(set(codes))
    if len(classes) < 2:
        return None, None
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[c] for c in codes])
    x = featurise(texts)
    folds = _folds(codes)[:SCORED_FOLDS]
    scored = np.concatenate([test for _, test in folds])
    oof = np.concatenate([_intent_scores(x[train], y[train], len(classes), x[test]) for train, test in folds])
    temperature = _fit_temperature(oof, y[scored])
    weights, bias = _svm_weights(x, y, len(classes))
    weights.sort_indices()
    accuracy = round(float((oof.argmax(axis=1) == y[scored]).mean()), 4)
    return IntentModel(
        classes=tuple(classes), indptr=weights.indptr.astype(np.int64), indices=weights.indices.astype(np.int32),
        data=weights.data.astype(np.float32), bias=np.asarray(bias, dtype=np.float64), temperature=temperature,
    ), accuracy


def features_of(char_vec: Any, word_vec: Any) -> Features:
    """The serving form of two fitted TfidfVectorizers: vocabularies and idf, the word block after the char block."""
    return Features(
        Block.from_vocabulary({t: int(i) for t, i in char_vec.vocabulary_.items()}, char_vec.idf_.astype(np.float32), 0),
        Block.from_vocabulary({t: int(i) for t, i in word_vec.vocabulary_.items()}, word_vec.idf_.astype(np.float32),
                              len(char_vec.vocabulary_)),
    )
