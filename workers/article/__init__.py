"""Steps 1-4 of an article's way: intake (bytes, HTML, URL) → extract (main text,
metadata, boilerplate) → language and normalization → segment."""
