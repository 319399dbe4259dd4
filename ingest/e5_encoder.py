"""e5-small as a plain torch module (BERT, post-layer-norm), built from the weights `ingest.e5_weights` reads.

Input: the word embeddings of a padded batch (gathered outside, from the 4-bit table) and its attention
mask. Output, from one pass: the mean-pooled dense vector of every row (over its real tokens, as e5 is
pooled) and its sparse "latent terms" code: the sparse head maps each selected token's state to
ReLU(W h + b), keeps the k largest per token, and max-pools over the selected tokens.
"""

from __future__ import annotations

import torch
from torch import nn

from ingest.e5_weights import E5Weights, SparseHead


def _linear(weights: E5Weights, name: str) -> nn.Linear:
    weight = torch.from_numpy(weights.tensors[f"{name}.w"].copy())
    layer = nn.Linear(weight.shape[1], weight.shape[0])
    layer.weight.data, layer.bias.data = weight, torch.from_numpy(weights.tensors[f"{name}.b"].copy())
    return layer


def _norm(weights: E5Weights, name: str) -> nn.LayerNorm:
    layer = nn.LayerNorm(weights.hidden, eps=weights.eps)
    layer.weight.data = torch.from_numpy(weights.tensors[f"{name}.w"].copy())
    layer.bias.data = torch.from_numpy(weights.tensors[f"{name}.b"].copy())
    return layer


class EncoderLayer(nn.Module):
    """Self-attention then feed-forward, each followed by add & layer norm."""

    def __init__(self, weights: E5Weights, index: int) -> None:
        super().__init__()
        p = f"l{index}"
        self.heads = weights.heads
        self.q, self.k, self.v, self.out = (_linear(weights, f"{p}.{n}") for n in ("q", "k", "v", "ao"))
        self.attention_norm = _norm(weights, f"{p}.aln")
        self.up, self.down = _linear(weights, f"{p}.fi"), _linear(weights, f"{p}.fo")
        self.output_norm = _norm(weights, f"{p}.oln")

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        b, t, h = x.shape
        split = (b, t, self.heads, h // self.heads)
        q, k, v = (f(x).view(split).transpose(1, 2) for f in (self.q, self.k, self.v))
        context = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        x = self.attention_norm(x + self.out(context.transpose(1, 2).reshape(b, t, h)))
        return self.output_norm(x + self.down(nn.functional.gelu(self.up(x))))


class E5Encoder(nn.Module):
    """Word embeddings + mask -> (dense vectors, sparse codes) of a batch, in one pass."""

    def __init__(self, weights: E5Weights, head: SparseHead) -> None:
        super().__init__()
        h = weights.hidden
        pos = torch.from_numpy(weights.tensors["emb.pos"].reshape(-1, h).copy())
        self.register_buffer("positions", pos + torch.from_numpy(weights.tensors["emb.type"][:h].copy()))
        self.embedding_norm = _norm(weights, "emb.ln")
        self.layers = nn.ModuleList(EncoderLayer(weights, i) for i in range(weights.layers))
        self.sparse = nn.Linear(h, head.weight.shape[0])
        self.sparse.weight.data = torch.from_numpy(head.weight.copy())
        self.sparse.bias.data = torch.from_numpy(head.bias.copy())
        self.k = head.k

    def forward(self, words: torch.Tensor, mask: torch.Tensor, sparse_mask: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """words (B, T, H) float; mask (B, T) 1 for real tokens; sparse_mask (B, T) 1 for tokens the sparse
        code reads. Returns the mean-pooled states (B, H), not normalised, and the sparse codes (B, N)."""
        t = words.shape[1]
        x = self.embedding_norm(words + self.positions[:t])
        bias = ((1.0 - mask) * -1e9)[:, None, None, :]  # padded keys get no attention
        for layer in self.layers:
            x = layer(x, bias)
        dense = (x * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
        top = torch.topk(torch.relu(self.sparse(x)), self.k, dim=-1)  # each token's k strongest latents
        values = (top.values * sparse_mask[..., None]).flatten(1)
        pooled = torch.zeros(x.shape[0], self.sparse.out_features, dtype=x.dtype)
        return dense, pooled.scatter_reduce(1, top.indices.flatten(1), values, reduce="amax")
