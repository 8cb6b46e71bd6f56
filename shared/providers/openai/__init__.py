"""``openai``: OpenAI's chat completions, or any OpenAI-compatible server (vLLM, Ollama)."""
