"""Pose backends, tracking and the pipeline that joins them to a video."""
