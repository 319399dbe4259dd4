"""The Gradio app and its parts: the only package that imports gradio (checked by import-linter)."""
