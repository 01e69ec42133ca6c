"""Exports beside the video: subtitles, the picture book, score files."""
