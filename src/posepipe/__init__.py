"""posepipe: tracked 3D human poses from video."""

__version__ = "0.1.0"
