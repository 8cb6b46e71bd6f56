"""``gemini`` and ``vertex``: Google's Gemini models through the Gemini API or Vertex AI."""
