"""``local-intent``: the offline stand-in for an LLM (intent matcher + templates, no model)."""
