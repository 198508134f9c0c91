"""MongoDB repositories (jobs, frames) and the media store behind uploads and overlays.

The API talks to MongoDB through pymongo's asyncio client (`AsyncMongoClient`, Motor's
successor). The worker runs each job synchronously in Dramatiq's actor thread, so it uses
the synchronous `MongoClient` with the same documents and indexes.
"""
