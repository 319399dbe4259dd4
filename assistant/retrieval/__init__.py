"""From a question to ranked evidence: reading the question, hybrid search over the snapshot, fusion and the
second stage, the glossary, and refusal."""
