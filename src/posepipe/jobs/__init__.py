"""The job queue (Dramatiq on Redis): broker set-up, the actor, attempt counting, progress.

Nothing here imports a pose backend: the API imports this package to enqueue jobs and to
read progress; only the worker declares the actor with its pipeline behind it.
"""
