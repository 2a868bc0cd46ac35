"""Tokenizers for CTranslate2 checkpoints without transformers (and so without torch):
sentencepiece for Marian, the ``tokenizers`` JSON for BART, transformers' own as a
last resort. ``load_tokenizer`` picks one for a converted copy's tokenizer folder."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol


class SubwordTokenizer(Protocol):
    """What the engine needs of a tokenizer: token strings in and out."""

    bos_token: str | None

    def tokens(self, text: str) -> list[str]:
        """Source token strings of ``text``, specials (``</s>``) included."""
        ...

    def decode(self, tokens: Sequence[str]) -> str:
        """Text of output token strings, specials dropped."""
        ...

    def ids(self, tokens: Sequence[str]) -> list[int]:
        """Vocabulary ids of token strings."""
        ...


def load_tokenizer(folder: Path) -> SubwordTokenizer:
    """The lightest reader of the tokenizer saved in ``folder``.

    Marian's sentencepiece layout (``source.spm``, ``target.spm``, ``vocab.json``)
    and any ``tokenizer.json`` (BART) are read directly; anything else goes
    through transformers' ``AutoTokenizer``.
    """
    config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    marian_files = ("source.spm", "target.spm", "vocab.json")
    if config.get("tokenizer_class") == "MarianTokenizer" and all(
        (folder / name).is_file() for name in marian_files
    ):
        return MarianSpmTokenizer(folder, config)
    if (folder / "tokenizer.json").is_file():
        return JsonTokenizer(folder, config)
    return AutoTokenizerAdapter(folder)


def _special(config: Mapping[str, Any], name: str, default: str | None) -> str | None:
    value = config.get(name, default)
    if isinstance(value, dict):  # an AddedToken, serialized
        return str(value.get("content", default))
    return None if value is None else str(value)


class MarianSpmTokenizer:
    """opus-mt's tokenizer: source and target sentencepiece models, one shared vocabulary."""

    bos_token: str | None = None

    def __init__(self, folder: Path, config: Mapping[str, Any]) -> None:
        import sentencepiece as spm

        self._source = spm.SentencePieceProcessor(model_file=str(folder / "source.spm"))
        self._target = spm.SentencePieceProcessor(model_file=str(folder / "target.spm"))
        self._vocab: dict[str, int] = json.loads(
            (folder / "vocab.json").read_text(encoding="utf-8")
        )
        self.eos_token = _special(config, "eos_token", "</s>") or "</s>"
        self.unk_token = _special(config, "unk_token", "<unk>") or "<unk>"
        pad = _special(config, "pad_token", "<pad>")
        self._specials = {self.eos_token, self.unk_token} | ({pad} if pad else set())

    def tokens(self, text: str) -> list[str]:
        pieces: list[str] = self._source.encode(text, out_type=str)
        # A piece outside the shared vocabulary is <unk>, as MarianTokenizer makes it.
        return [p if p in self._vocab else self.unk_token for p in pieces] + [self.eos_token]

    def decode(self, tokens: Sequence[str]) -> str:
        pieces = [t for t in tokens if t not in self._specials]
        text: str = self._target.decode_pieces(pieces)
        return text.replace("\u2581", " ").strip()

    def ids(self, tokens: Sequence[str]) -> list[int]:
        unk = self._vocab[self.unk_token]
        return [self._vocab.get(t, unk) for t in tokens]


class JsonTokenizer:
    """A ``tokenizer.json`` (BART's byte-level BPE) read with the tokenizers library."""

    def __init__(self, folder: Path, config: Mapping[str, Any]) -> None:
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.bos_token = _special(config, "bos_token", None)

    def tokens(self, text: str) -> list[str]:
        return list(self._tokenizer.encode(text).tokens)

    def decode(self, tokens: Sequence[str]) -> str:
        text: str = self._tokenizer.decode(self.ids(tokens), skip_special_tokens=True)
        return text.strip()

    def ids(self, tokens: Sequence[str]) -> list[int]:
        found = (self._tokenizer.token_to_id(t) for t in tokens)
        return [i for i in found if i is not None]


class AutoTokenizerAdapter:
    """Any other tokenizer, through transformers (which imports torch)."""

    def __init__(self, folder: Path) -> None:
        from transformers import AutoTokenizer

        self._tokenizer: Any = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        self.bos_token = self._tokenizer.bos_token

    def tokens(self, text: str) -> list[str]:
        return list(self._tokenizer.convert_ids_to_tokens(self._tokenizer(text)["input_ids"]))

    def decode(self, tokens: Sequence[str]) -> str:
        text = self._tokenizer.decode(self.ids(tokens), skip_special_tokens=True)
        return str(text).strip()

    def ids(self, tokens: Sequence[str]) -> list[int]:
        return [int(self._tokenizer.convert_tokens_to_ids(token)) for token in tokens]
