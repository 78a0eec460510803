"""Target 6: the register of tip-offs and complaints (DOMAIN.md "Target 6")."""
