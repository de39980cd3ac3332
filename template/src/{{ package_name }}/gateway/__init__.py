"""The LLM gateway: catalog, routing, retries, fallbacks, breakers, cache, adapters."""
