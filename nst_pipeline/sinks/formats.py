"""Which files the video sink writes (kept apart so choosing a sink does not import PyAV)."""

#: output suffix -> encoders to try, best first
ENCODERS = {
    ".mp4": ("libx264", "mpeg4"), ".m4v": ("libx264", "mpeg4"), ".mov": ("libx264", "mpeg4"),
    ".mkv": ("libx264", "mpeg4"), ".avi": ("mpeg4",), ".webm": ("libvpx-vp9", "libvpx"),
}
VIDEO_SUFFIXES = set(ENCODERS)
