"""Chunking: a ParsedDocument → token-bounded, overlapping chunks that keep their place.

Interface (used by ingestion)::

    chunk_document(doc: ParsedDocument, settings: ChunkingSettings) -> list[Chunk]
    ChunkingSettings(chunk_tokens=400, overlap_tokens=50, separators=None)   # .validate()
    Chunk(index, text, token_count, heading_path, page, char_start, char_end, page_end)
        with ``doc.text[chunk.char_start:chunk.char_end] == chunk.text``;
        ``chunk.embedding_text(doc.title)`` prefixes title and headings for the embedder.

Tokens are cl100k_base tokens counted offline (mesh.tokens). The split is structure-aware
and recursive (headings → blocks → paragraphs → lines → sentences, Chinese sentence punctuation
included → clauses → words → tokens); see ``splitter``.
"""

from knowledge.chunking.settings import MAX_CHUNK_TOKENS, Chunk, ChunkingSettings
from knowledge.chunking.splitter import chunk_document

__all__ = ["MAX_CHUNK_TOKENS", "Chunk", "ChunkingSettings", "chunk_document"]
