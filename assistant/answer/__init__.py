"""From retrieved passages to a cited answer: types, quotes, the extractive composer, the LLM path, chat, coverage."""
