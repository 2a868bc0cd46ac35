"""What lives in Redis: the key layout, request and content digests, the result
cache, job records, batch records, the translation memory, the embedded Redis."""
