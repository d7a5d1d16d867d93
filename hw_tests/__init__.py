"""On-device hardware checks. Each exits non-zero on failure and leaves outputs off."""
