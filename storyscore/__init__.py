"""storyscore: narrated, scored picture-book videos from a small story language."""

__version__ = "0.1.0"
