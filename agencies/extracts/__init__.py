"""Nightly extracts: the published schema, the streaming validator and the load pipeline.

`schema` and `validation` are the pure core (plain data in and out, no Django, tested without a
database); `pipeline` does the database work around them (staging, COPY, publish).
"""
