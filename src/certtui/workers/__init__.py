"""Workers on several hosts: jobs queued in PostgreSQL (PGQueuer), run by `certtui worker`.

Same layer as the engine: it runs the engine's units and writers, and imports no Textual.
"""
