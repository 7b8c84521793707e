"""The scheduler: one active runner, a registry of idempotent jobs, and the deadline sweeps."""
