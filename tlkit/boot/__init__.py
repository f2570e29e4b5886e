"""tlkit.boot (in progress)."""
__all__: list[str] = []
