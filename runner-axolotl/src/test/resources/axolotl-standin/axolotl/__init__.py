"""A stand-in for axolotl 0.18.0 in the SDK tests; see README.md beside this package."""
__version__ = "0.18.0"
