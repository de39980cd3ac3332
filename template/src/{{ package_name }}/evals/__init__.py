"""Evals and the red-team suite: datasets run through the real pipeline, scored and gated."""
