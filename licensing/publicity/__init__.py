"""Publicity of licensing decisions (双公示): records in the provincial platform's format."""
