"""The assistant: retrieval, cited answers, chat (Gradio) and the `lessons` CLI."""
