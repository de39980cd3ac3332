"""Chat: the OpenAI-compatible API and the pipeline every chat request runs through."""
