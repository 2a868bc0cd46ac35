"""The HTTP API, the web page and the command line. Never imports torch."""
