"""Features: versioned prompts, and flags that pick a prompt version or model."""
