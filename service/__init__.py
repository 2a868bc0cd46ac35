"""The HTTP API, the web page and the command line.

The API process never imports torch (it only queues jobs and reads Redis); the
command line may, lazily, when it loads models to summarize in-process or
converts a model.
"""
