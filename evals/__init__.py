"""Evaluation of Lessons retrieval: gold questions, metrics, baselines and the harness."""
