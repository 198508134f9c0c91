"""Video in and out: probe, threaded decode, overlay render."""
