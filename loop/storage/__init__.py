"""Storage and proof: the application base and its unit of work, group commit,
the hash chain, the per-person keys and cipher, verification. It knows no rule
of the loop and no command."""
