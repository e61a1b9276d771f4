"""The durable stage pipeline: a queued video becomes a finished MP4, one RQ job per stage.

The videos service hands queued videos to a ``dispatch.PipelineDispatcher`` it is given
(``backend.app.assemble`` builds the app's); nothing here is installed at import time.
"""
