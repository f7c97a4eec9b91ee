"""API of the case-file PDF."""
