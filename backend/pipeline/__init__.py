"""The durable stage pipeline: a queued video becomes a finished MP4, one RQ job per stage."""


def install() -> None:
    """Connect the video queue to the pipeline: queued videos get their next stage enqueued."""
    from backend.pipeline.dispatch import on_video_queued
    from backend.videos import service

    service.on_queued(on_video_queued)
