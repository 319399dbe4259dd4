"""Ingestion: files -> cleaned text -> structured blocks -> citable passages -> Chroma + BM25."""
