"""Understanding caller text without an LLM: slot extraction and embedding intent matching."""
