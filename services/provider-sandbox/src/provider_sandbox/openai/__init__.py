"""The OpenAI-compatible chat completions stand-in of the provider sandbox."""
