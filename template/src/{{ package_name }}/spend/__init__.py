"""Spend: what requests cost, budgets per tenant, user and key, and rate limits."""
