"""Promised materials handed in later (承诺限期补齐补全): hand-ins, review, the missed sweep."""
