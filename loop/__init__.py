"""The Lishu eight-step closed loop: its machine, policy and application service."""
