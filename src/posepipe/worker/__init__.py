"""pose-service: warm the model, consume jobs, serve health and metrics, stay honest.

One process, one job thread, one message prefetched: the model is loaded in this process
before the first job and never in a parent that forks (CUDA does not survive a fork).
"""
