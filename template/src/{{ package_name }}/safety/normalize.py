"""Normalisation before detection: attackers hide instructions, detectors look at what is meant.

``views(text)`` returns the text as a reader would take it, in several forms: Unicode compatibility
forms folded (NFKC), look-alike letters from other scripts mapped to Latin, invisible characters
removed (and Unicode tag characters, an ASCII smuggling channel, decoded), markup stripped with
its hidden content kept, letter-by-letter spacing closed up, and the decodings of base64, hex,
URL-escapes, rot13 and leetspeak. Detectors run over every view.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import html
import re
import unicodedata
import urllib.parse

# Look-alike letters (Cyrillic, Greek, Armenian and a few symbols) that NFKC leaves alone.
CONFUSABLES = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
        "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i",
        "ј": "j", "ԁ": "d", "ԛ": "q", "ԝ": "w", "һ": "h", "ɡ": "g", "ӏ": "l", "ո": "n",
        "ս": "u", "օ": "o", "ց": "g", "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i",
        "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w",
        "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
        "С": "C", "Т": "T", "Х": "X", "І": "I", "Ј": "J", "Ѕ": "S", "Α": "A", "Β": "B",
        "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
        "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "ı": "i", "ℓ": "l", "∕": "/",
    }
)  # fmt: skip
LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i",
     "|": "l", "+": "t", "€": "e"}
)  # fmt: skip
TAG_BASE = 0xE0000
TAGS = re.compile("[\U000e0020-\U000e007e]+")
HTML_TAG = re.compile(r"<(?!!--)/?[a-zA-Z][^<>]{0,500}>")
INLINE_TAG = re.compile(
    r"</?(b|i|u|s|em|strong|span|a|font|code|mark|small|sub|sup)\b[^<>]{0,200}>", re.IGNORECASE
)
MARKUP = re.compile(r"<!--|-->|[*_~`#>|]+")
SPACED = re.compile(r"\b(?:\w[ .\-_/]){3,}\w\b")
BASE64 = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}|[A-Za-z0-9_-]{24,}={0,2}")
HEX = re.compile(r"(?:[0-9a-fA-F]{2}[ :]?){8,}")
URL_ESCAPE = re.compile(r"(?:%[0-9a-fA-F]{2}){3,}")
WHITESPACE = re.compile(r"\s+")
PRINTABLE_SHARE = 0.9


def _invisible(char: str) -> bool:
    return unicodedata.category(char) == "Cf" or "\ufe00" <= char <= "\ufe0f"


def _decode_tags(text: str) -> str:
    return "".join(chr(ord(c) - TAG_BASE) for match in TAGS.findall(text) for c in match)


def _close_spacing(text: str) -> str:
    """``i g n o r e`` and ``i.g.n.o.r.e`` -> ``ignore`` (only runs of single characters)."""
    return SPACED.sub(lambda m: re.sub(r"[ .\-_/]", "", m.group()), text)


def fold(text: str) -> str:
    """One canonical form: NFKC, Latin look-alikes, no invisibles or markup, one space, lower."""
    text = unicodedata.normalize("NFKC", text).translate(CONFUSABLES)
    text = "".join(c for c in text if not _invisible(c))
    text = html.unescape(HTML_TAG.sub(" ", INLINE_TAG.sub("", text)))
    text = MARKUP.sub(" ", text)
    text = _close_spacing(text)
    return WHITESPACE.sub(" ", text).strip().lower()


def _light(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(CONFUSABLES)
    return "".join(c for c in text if not _invisible(c)).lower()


def _readable(raw: bytes) -> str | None:
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not decoded:
        return None
    printable = sum(c.isprintable() or c.isspace() for c in decoded) / len(decoded)
    return decoded if printable >= PRINTABLE_SHARE and re.search(r"[a-zA-Z]{3}", decoded) else None


def _decodings(text: str) -> list[str]:
    found: list[str] = []
    for match in BASE64.findall(text):
        padded = match + "=" * (-len(match) % 4)
        for decoder in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                decoded = _readable(decoder(padded))
            except (binascii.Error, ValueError):
                continue
            if decoded:
                found.append(decoded)
                break
    for match in HEX.findall(text):
        try:
            decoded = _readable(bytes.fromhex(re.sub(r"[ :]", "", match)))
        except ValueError:
            continue
        if decoded:
            found.append(decoded)
    found += [urllib.parse.unquote(m) for m in URL_ESCAPE.findall(text)]
    return found


def views(text: str, *, depth: int = 2) -> list[str]:
    """Every reading of ``text`` a detector should look at, folded, without duplicates."""
    readings = [text]
    hidden = _decode_tags(text)
    if hidden:
        readings.append(hidden)
    folded = [fold(reading) for reading in readings]
    # Markup kept: chat-template role markers (``<|im_start|>``, ``### system:``) live in it.
    out = [*folded, *(_light(reading) for reading in readings)]
    for reading in folded:
        out.append(reading.translate(LEET))
        out.append(codecs.decode(reading, "rot13"))
    if depth > 0:
        for reading in readings:
            for decoded in _decodings(unicodedata.normalize("NFKC", reading)):
                out += views(decoded, depth=depth - 1)
    return list(dict.fromkeys(view for view in out if view))
