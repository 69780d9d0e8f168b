"""The Textual interface: models, region matrix, jobs, result detail (SPEC §6)."""
