"""The rules of the regulations: stages and steps, policy, permissions, masking,
scoring, vocabulary and units. Data and pure functions; no storage, no command."""
