"""Retrieval quality: gold questions, metrics, stock baselines, the refusal fit and the harness (`lessons eval`)."""
