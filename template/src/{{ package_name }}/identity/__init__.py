"""Identity: who is calling, what they may do (RBAC) and whose rows they see (tenancy)."""
