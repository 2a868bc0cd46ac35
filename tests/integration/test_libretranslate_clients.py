"""Real LibreTranslate clients against a real newsum (API on a port, Redis, a
worker on the tiny test models): ``libretranslatepy`` and ``deep-translator``
unchanged, with and without a key, the key in the body included.

The tiny models have random weights: their English is noise, so the tests check
what the clients get (shapes, codes, the key's glossary, file layouts), not the
quality of the English.

deep-translator 1.11 refuses to start without a key (``ApiKeyException``,
client side), so it is driven with a key, a wrong key and on a server that asks
for none; libretranslatepy covers the calls without a key.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from urllib.error import HTTPError

import httpx
import pytest
import uvicorn

from service.app import create_app
from service.auth import KeyStore
from tests.integration.conftest import Stack, _free_port

pytestmark = pytest.mark.integration

libretranslatepy = pytest.importorskip("libretranslatepy")
deep_translator = pytest.importorskip("deep_translator")

SENTENCE = "嘉兴召开会议。"
OTHER = "会议决定加快发展。"


@pytest.fixture(scope="module")
def closed_url(translator_stack: Stack) -> Iterator[str]:
    """A second API on the same Redis and worker with NEWSUM_ANONYMOUS=none."""
    settings = translator_stack.settings.model_copy(update={"anonymous": "none"})
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def new_key(stack: Stack, rate: int = 60, glossary: dict[str, str] | None = None) -> str:
    key, _ = KeyStore(stack.redis, stack.layout).create("client", rate, None, glossary=glossary)
    return key


def test_libretranslatepy_without_a_key(translator_stack: Stack) -> None:
    lt = libretranslatepy.LibreTranslateAPI(translator_stack.base_url)
    english = lt.translate(SENTENCE, "zh", "en", timeout=90)
    assert isinstance(english, str) and english.strip()
    for code in ("zh-Hans", "zh-Hant", "zt"):
        assert lt.translate(SENTENCE, code, "en", timeout=90) == english
    detected = lt.detect(SENTENCE)
    assert detected[0]["language"] == "zh" and 0 < detected[0]["confidence"] <= 100
    codes = {entry["code"]: entry["targets"] for entry in lt.languages()}
    assert codes["zh-Hans"] == ["en"] and codes["zt"] == ["en"]


def test_libretranslatepy_with_a_key_in_the_body_gets_its_glossary(
    translator_stack: Stack,
) -> None:
    key = new_key(translator_stack, glossary={"嘉兴": "Jiaxing City"})
    with_key = libretranslatepy.LibreTranslateAPI(translator_stack.base_url, api_key=key)
    anonymous = libretranslatepy.LibreTranslateAPI(translator_stack.base_url)
    assert "Jiaxing City" in with_key.translate(SENTENCE, "zh", "en", timeout=90)
    assert "Jiaxing City" not in anonymous.translate(SENTENCE, "zh", "en", timeout=90)
    # languages() sends the key in a GET body: a key it does not know is refused.
    assert with_key.languages()
    with pytest.raises(HTTPError) as refused:
        libretranslatepy.LibreTranslateAPI(translator_stack.base_url, api_key=key + "x").languages()
    assert refused.value.code == 403


def test_libretranslatepy_on_a_server_that_needs_a_key(
    translator_stack: Stack, closed_url: str
) -> None:
    key = new_key(translator_stack)
    english = libretranslatepy.LibreTranslateAPI(closed_url, api_key=key).translate(
        SENTENCE, "zh", "en", timeout=90
    )
    assert english.strip()
    with pytest.raises(HTTPError) as missing:
        libretranslatepy.LibreTranslateAPI(closed_url).translate(SENTENCE, "zh", "en")
    assert missing.value.code == 400
    assert b"Please contact the server operator" in missing.value.read()
    with pytest.raises(HTTPError) as wrong:
        libretranslatepy.LibreTranslateAPI(closed_url, api_key=key[:-3] + "abc").detect(SENTENCE)
    assert wrong.value.code == 403


def test_a_key_in_the_body_gets_its_own_rate(translator_stack: Stack, closed_url: str) -> None:
    key = new_key(translator_stack, rate=2)
    lt = libretranslatepy.LibreTranslateAPI(closed_url, api_key=key)
    lt.detect(SENTENCE)
    lt.detect(OTHER)
    with pytest.raises(HTTPError) as slow:
        lt.detect(SENTENCE)
    assert slow.value.code == 429 and slow.value.headers["Retry-After"]
    assert b"Slowdown" in slow.value.read()


def test_deep_translator_with_a_key_in_the_query(translator_stack: Stack, closed_url: str) -> None:
    from deep_translator import LibreTranslator
    from deep_translator.exceptions import ApiKeyException, AuthorizationException

    key = new_key(translator_stack, glossary={"嘉兴": "Jiaxing City"})
    for url in (translator_stack.base_url, closed_url):
        translator = LibreTranslator(source="zh", target="en", api_key=key, custom_url=url + "/")
        assert "Jiaxing City" in translator.translate(SENTENCE)
        batch = translator.translate_batch([SENTENCE, OTHER])
        assert len(batch) == 2 and all(t.strip() for t in batch)
    wrong = LibreTranslator(
        source="zh", target="en", api_key=key[:-3] + "abc", custom_url=closed_url + "/"
    )
    with pytest.raises(AuthorizationException):
        wrong.translate(SENTENCE)
    with pytest.raises(ApiKeyException):
        LibreTranslator(source="zh", target="en", api_key=None, custom_url=closed_url + "/")


def test_alternatives_detect_lists_settings_and_health(translator_stack: Stack) -> None:
    with translator_stack.http() as http:
        r = http.post(
            "/translate", json={"q": SENTENCE, "source": "auto", "target": "en", "alternatives": 2}
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["detectedLanguage"]["language"] == "zh"
        assert isinstance(body["detectedLanguage"]["confidence"], float)
        assert 1 <= len(body["alternatives"]) <= 2
        assert body["translatedText"] not in body["alternatives"]
        detected = http.post("/detect", json={"q": [SENTENCE, "The council met."]}).json()
        assert [d["language"] for d in detected] == ["zh", "en"]
        settings = http.get("/frontend/settings").json()
        assert settings["supportedFilesFormat"] == [".txt", ".html", ".docx"]
        assert http.get("/health").json() == {"status": "ok"}


def test_translate_file_txt_and_docx(translator_stack: Stack) -> None:
    import docx

    with translator_stack.http() as http:
        text = f"{SENTENCE}\nKeep me.\n{OTHER}\n"
        r = http.post(
            "/translate_file",
            data={"source": "zh", "target": "en"},
            files={"file": ("note.txt", text.encode())},
        )
        assert r.status_code == 200, r.text
        lines = http.get(r.json()["translatedFileUrl"]).text.split("\n")
        assert len(lines) == 4 and lines[1] == "Keep me." and lines[3] == ""
        assert lines[0] != SENTENCE and lines[2] != OTHER

        document = docx.Document()
        document.add_paragraph(SENTENCE)
        document.add_paragraph("English stays.")
        buffer = io.BytesIO()
        document.save(buffer)
        r = http.post(
            "/translate_file",
            data={"source": "zh", "target": "en"},
            files={"file": ("report.docx", buffer.getvalue())},
        )
        assert r.status_code == 200, r.text
        got = httpx.get(r.json()["translatedFileUrl"], timeout=30)
        paragraphs = [p.text for p in docx.Document(io.BytesIO(got.content)).paragraphs]
        assert paragraphs[1] == "English stays." and paragraphs[0] != SENTENCE
