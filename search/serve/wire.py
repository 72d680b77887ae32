"""JSON for the client path without the ``json`` package: its C halves (``_json``).

``json`` imports ``re``, and with it ``enum``, ``functools`` and ``collections``: ten
milliseconds and more of a ``mlsearch search`` that a running server answers in a few tens.
``dumps`` and ``loads`` use the encoder and scanner ``json`` itself uses, so they read and
write the same JSON; on a Python without ``_json`` they are ``json``'s.
"""

from __future__ import annotations


def dumps(obj) -> str:
    """``json.dumps(obj)`` (ASCII) by the C encoder that ``json`` itself uses."""
    try:
        import _json
    except ImportError:  # another Python: the module then
        import json

        return json.dumps(obj)
    encode = _json.make_encoder(
        None, None, _json.encode_basestring_ascii, None, ": ", ", ", False, False, True
    )
    return "".join(encode(obj, 0))


class _Decoding:
    """What ``_json.make_scanner`` reads of a ``json.JSONDecoder``: the defaults."""

    strict = True
    object_hook = object_pairs_hook = None
    parse_float, parse_int, parse_constant = float, int, float


def loads(text: str):
    """``json.loads(text)`` by the C scanner that ``json`` itself uses; ValueError when
    ``text`` is not one JSON value."""
    try:
        import _json
    except ImportError:
        import json

        return json.loads(text)
    start = len(text) - len(text.lstrip(" \t\n\r"))
    try:
        value, end = _json.make_scanner(_Decoding())(text, start)
    except (StopIteration, ValueError, SystemError):
        # SystemError: the scanner reports bad JSON with json.decoder's JSONDecodeError,
        # which it finds only when ``json`` has been imported; it fails without it.
        raise ValueError("not JSON") from None
    if text[end:].strip(" \t\n\r"):
        raise ValueError("extra data after JSON")
    return value
