"""Shorts: a vertical 30 to 60 s cut of a long video's strongest segment, made as a linked
video of the same channel (``videos.format = short``, ``parent_video_id``) once the long
one is ready, for channels whose style asks for Shorts."""
