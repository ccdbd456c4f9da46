"""The bench: national-scale measurements, run on demand (bench/README.md)."""
