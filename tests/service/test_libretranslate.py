"""The LibreTranslate-compatible routes through TestClient: where ``api_key`` is
read, LibreTranslate's error shape and codes, its Chinese codes, ``/languages``,
``/detect`` on lists, ``alternatives``, ``/translate_file`` (.txt, .html, .docx),
``/frontend/settings`` and ``/health``.

A fake task queue plays the worker: it answers ``EN:<text>`` for each text and,
asked for alternatives, ``ALT<k>:<text>``; a real (embedded) Redis holds keys,
rate windows, jobs and translated files.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.auth import KeyStore
from service.errors import LibreTranslateError
from service.libretranslate import LibreParams, alternatives_of, source_of
from service.libretranslate_files import read_document
from workers.settings import load_settings
from workers.store.cache import PipelineInfo, RedisLayout, connect_redis, publish_pipeline
from workers.store.embedded_redis import EmbeddedRedis
from workers.store.jobs import JobStore

ZH = "国务院常务会议今天召开。"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis(tmp_path_factory.mktemp("redis-lt")) as embedded:
        yield embedded


class Worker:
    """The task queue, answering translate tasks at once as a worker would."""

    def __init__(self, jobs: JobStore) -> None:
        self.jobs = jobs
        self.sent: list[tuple[list[str], str, dict[str, Any] | None]] = []

    def send_translate(
        self,
        texts: list[str],
        fmt: str,
        job_id: str,
        queue: str,
        options: dict[str, Any] | None = None,
    ) -> None:
        self.sent.append((texts, fmt, options))
        wanted = int((options or {}).get("alternatives") or 0)
        result: dict[str, Any] = {"translatedText": [f"EN:{t}" for t in texts]}
        if wanted:
            result["alternatives"] = [[f"ALT{k}:{t}" for k in range(1, wanted + 1)] for t in texts]
        self.jobs.mark_done(job_id, result=result)

    def send_summary(self, *args: Any) -> None: ...

    def send_notify_batch(self, *args: Any) -> None: ...

    def send_plan_batch(self, *args: Any) -> None: ...


class Api:
    def __init__(self, server: EmbeddedRedis, anonymous: str = "interactive", **settings: Any):
        prefix = f"lt{uuid.uuid4().hex[:8]}"
        self.settings = load_settings(
            redis_url=server.url, redis_prefix=prefix, anonymous=anonymous, **settings
        )
        self.redis = connect_redis(server.url)
        self.layout = RedisLayout(prefix)
        self.worker = Worker(JobStore(self.redis, self.layout, 300))
        app = create_app(self.settings, queue=self.worker, client=self.redis)
        self.http = TestClient(app)
        info = PipelineInfo("standard", "fp-test", [], True, [])
        publish_pipeline(self.redis, self.layout, info, also_as=("auto",))

    def key(self, rate: int = 60, glossary: dict[str, str] | None = None) -> str:
        key, _ = KeyStore(self.redis, self.layout).create("desk", rate, None, glossary=glossary)
        return key

    def translate(self, how: str = "json", **params: Any) -> Any:
        body = {"q": ZH, "source": "zh", "target": "en", **params}
        if how == "json":
            return self.http.post("/translate", json=body)
        if how == "form":
            return self.http.post("/translate", data=body)
        return self.http.post("/translate", params=body)  # deep-translator's way


@pytest.fixture
def api(server: EmbeddedRedis) -> Api:
    return Api(server)


@pytest.fixture
def closed(server: EmbeddedRedis) -> Api:
    """No anonymous calls (NEWSUM_ANONYMOUS=none)."""
    return Api(server, anonymous="none")


def lt_error(response: Any) -> str:
    body = response.json()
    assert set(body) == {"error"} and isinstance(body["error"], str), body
    message: str = body["error"]
    return message


# ------------------------------------------------------------------ the key


@pytest.mark.parametrize("how", ["json", "form", "query"])
def test_api_key_is_read_from_the_body_form_and_query(closed: Api, how: str) -> None:
    key = closed.key()
    r = closed.translate(how, api_key=key)
    assert r.status_code == 200, r.text
    assert r.json() == {"translatedText": f"EN:{ZH}"}


def test_header_keys_still_work_and_no_key_is_refused_like_libretranslate(closed: Api) -> None:
    key = closed.key()
    body = {"q": ZH, "source": "zh", "target": "en"}
    assert closed.http.post("/translate", json=body, headers={"X-API-Key": key}).status_code == 200
    bearer = {"Authorization": f"Bearer {key}"}
    assert closed.http.post("/translate", json=body, headers=bearer).status_code == 200
    r = closed.http.post("/translate", json=body)
    assert r.status_code == 400
    assert lt_error(r).startswith("Please contact the server operator to get an API key")
    assert closed.worker.sent and len(closed.worker.sent) == 2


@pytest.mark.parametrize("anonymous", ["none", "interactive"])
def test_a_wrong_key_anywhere_is_403_invalid_api_key(server: EmbeddedRedis, anonymous: str) -> None:
    api = Api(server, anonymous=anonymous)
    wrong = api.key()[:-4] + "AAAA"
    for how in ("json", "form", "query"):
        r = api.translate(how, api_key=wrong)
        assert (r.status_code, lt_error(r)) == (403, "Invalid API key")
    r = api.http.get("/languages", params={"api_key": wrong})
    assert r.status_code == 403
    assert api.worker.sent == []


def test_a_key_in_the_body_gets_its_own_rate(api: Api) -> None:
    key = api.key(rate=2)
    codes = [api.translate("form", api_key=key).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    r = api.translate("json", api_key=key)
    assert lt_error(r).startswith("Slowdown: over the rate of 2 requests a minute")
    assert 1 <= int(r.headers["retry-after"]) <= 61
    # Anonymous calls (allowed here) are not counted against the key.
    assert api.translate("json").status_code == 200


def test_a_key_in_the_body_brings_its_glossary(api: Api) -> None:
    key = api.key(glossary={"国务院": "the State Council"})
    api.translate("form", api_key=key)
    api.translate("json")
    [(_, _, with_key), (_, _, anonymous)] = api.worker.sent
    assert with_key == {"alternatives": 0, "glossary": {"国务院": "the State Council"}}
    assert anonymous == {"alternatives": 0}


def test_the_discovery_routes_need_no_key(closed: Api) -> None:
    assert closed.http.get("/languages").status_code == 200
    settings = closed.http.get("/frontend/settings").json()
    assert settings["keyRequired"] is True and settings["apiKeys"] is True
    assert closed.http.get("/health").json() == {"status": "ok"}
    # libretranslatepy sends /languages as a GET with a form body.
    key = closed.key()
    r = closed.http.request(
        "GET",
        "/languages",
        content=f"api_key={key}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 200
    assert closed.http.post("/detect", json={"q": ZH}).status_code == 400
    assert closed.http.post("/detect", json={"q": ZH, "api_key": key}).status_code == 200


# ------------------------------------------------------------------ languages and detection


@pytest.mark.parametrize("code", ["zh", "zh-Hans", "zh-Hant", "zt", "zh-CN", "zh-TW", "ZH-HANS"])
def test_every_chinese_code_is_accepted(api: Api, code: str) -> None:
    r = api.translate(source=code)
    assert r.status_code == 200 and r.json()["translatedText"] == f"EN:{ZH}"


def test_languages_are_listed_as_libretranslate_lists_them(api: Api) -> None:
    listed = api.http.get("/languages").json()
    assert all(set(entry) == {"code", "name", "targets"} for entry in listed)
    codes = {entry["code"]: entry["targets"] for entry in listed}
    assert codes == {"zh-Hans": ["en"], "zh-Hant": ["en"], "zh": ["en"], "zt": ["en"], "en": []}
    # Every code listed as a source is accepted by /translate.
    for code, targets in codes.items():
        if targets:
            assert api.translate(source=code).status_code == 200


def test_unsupported_languages_are_400_in_libretranslates_words(api: Api) -> None:
    r = api.translate(source="ja")
    assert (r.status_code, lt_error(r)) == (400, "ja is not supported")
    r = api.translate(target="fr")
    assert (r.status_code, lt_error(r)) == (400, "fr is not supported")
    assert lt_error(api.translate(format="pdf")) == "pdf format is not supported"
    assert api.worker.sent == []


def test_detect_answers_each_text_of_a_list(api: Api) -> None:
    one = api.http.post("/detect", data={"q": ZH}).json()
    assert list(one[0]) == ["confidence", "language"] and one[0]["language"] == "zh"
    assert 0 <= one[0]["confidence"] <= 100
    many = api.http.post("/detect", json={"q": [ZH, "The State Council met.", "新闻"]}).json()
    assert [d["language"] for d in many] == ["zh", "en", "zh"]
    assert all(0 <= d["confidence"] <= 100 for d in many)
    r = api.http.post("/detect", json={})
    assert (r.status_code, lt_error(r)) == (400, "Invalid request: missing q parameter")


def test_auto_source_answers_detected_language_in_libretranslates_form(api: Api) -> None:
    r = api.translate(source="auto").json()
    assert r["detectedLanguage"]["language"] == "zh"
    assert isinstance(r["detectedLanguage"]["confidence"], float)
    many = api.translate(source="auto", q=[ZH, "Hello there"]).json()
    assert many["translatedText"] == [f"EN:{ZH}", "Hello there"]
    assert [d["language"] for d in many["detectedLanguage"]] == ["zh", "en"]


# ------------------------------------------------------------------ alternatives


def test_alternatives_are_asked_of_the_worker_and_answered(api: Api) -> None:
    r = api.translate(alternatives=2).json()
    assert r == {"translatedText": f"EN:{ZH}", "alternatives": [f"ALT1:{ZH}", f"ALT2:{ZH}"]}
    assert api.worker.sent[-1][2] == {"alternatives": 2}
    many = api.translate("json", q=[ZH, "Hi"], source="auto", alternatives=1).json()
    assert many["alternatives"] == [[f"ALT1:{ZH}"], []]
    assert "alternatives" not in api.translate().json()


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("abc", "Invalid request: alternatives parameter is not a number"),
        ("4", "Invalid request: alternatives parameter must be <= 3"),
    ],
)
def test_bad_alternatives_are_400(api: Api, value: str, says: str) -> None:
    r = api.translate("form", alternatives=value)
    assert (r.status_code, lt_error(r)) == (400, says)


def test_parameters_parse_like_libretranslate() -> None:
    assert alternatives_of(LibreParams({"alternatives": "2"})) == 2
    assert alternatives_of(LibreParams({"alternatives": -1})) == 0
    assert alternatives_of(LibreParams({})) == 0
    assert source_of(LibreParams({"source": " zh-Hant "})) == "zh-hant"
    with pytest.raises(LibreTranslateError, match="missing source"):
        source_of(LibreParams({"source": ""}))
    assert LibreParams({"api_key": "  "}).api_key is None


# ------------------------------------------------------------------ files


def download(api: Api, response: Any) -> bytes:
    assert response.status_code == 200, response.text
    url: str = response.json()["translatedFileUrl"]
    assert url.startswith("http://testserver/download_file/")
    got = api.http.get(url)
    assert got.status_code == 200 and got.headers["content-disposition"].startswith("attachment")
    return got.content


def post_file(api: Api, name: str, data: bytes, **fields: str) -> Any:
    form = {"source": "zh", "target": "en", **fields}
    return api.http.post("/translate_file", data=form, files={"file": (name, data)})


def test_a_text_file_comes_back_in_english_line_for_line(api: Api) -> None:
    text = f"{ZH}\r\nKeep this line.\r\n\r\n会议决定加快发展。\n"
    out = download(api, post_file(api, "稿件.txt", text.encode("gb18030"))).decode("utf-8")
    assert out == f"EN:{ZH}\r\nKeep this line.\r\n\r\nEN:会议决定加快发展。\n"
    assert api.worker.sent[-1][:2] == ([ZH, "会议决定加快发展。"], "text")


def test_an_html_file_keeps_its_markup_scripts_and_entities(api: Api) -> None:
    page = (
        "<html><head><script>var s = '不要翻译';</script></head>"
        f"<body><p class='a'> {ZH} </p><p>A &amp; B</p><p>新华社 &amp; 人民网</p></body></html>"
    )
    out = download(api, post_file(api, "page.html", page.encode())).decode()
    assert "<script>var s = '不要翻译';</script>" in out
    assert f"<p class='a'> EN:{ZH} </p>" in out and "<p>A &amp; B</p>" in out
    assert "<p>EN:新华社 &amp; 人民网</p>" in out


def test_a_docx_file_is_translated_paragraph_by_paragraph(api: Api) -> None:
    import docx

    document = docx.Document()
    para = document.add_paragraph()
    para.add_run("国务院").bold = True
    para.add_run("常务会议今天召开。")
    document.add_paragraph("English stays.")
    document.add_table(rows=1, cols=1).cell(0, 0).text = "表格里的中文"
    buffer = io.BytesIO()
    document.save(buffer)
    out = docx.Document(io.BytesIO(download(api, post_file(api, "a.docx", buffer.getvalue()))))
    texts = [p.text for p in out.paragraphs]
    assert texts == [f"EN:{ZH}", "English stays."]
    assert out.paragraphs[0].runs[0].bold is True
    assert out.tables[0].cell(0, 0).text == "EN:表格里的中文"


def test_file_errors_are_libretranslates(api: Api, closed: Api) -> None:
    r = post_file(api, "a.pdf", b"%PDF")
    assert (r.status_code, lt_error(r)) == (400, "Invalid request: file format not supported")
    r = api.http.post("/translate_file", data={"source": "zh", "target": "en"})
    assert (r.status_code, lt_error(r)) == (400, "Invalid request: missing file parameter")
    r = post_file(api, "a.docx", b"not a zip")
    assert r.status_code == 400 and "not a readable .docx" in lt_error(r)
    r = api.http.get(f"/download_file/{'0' * 32}.a.txt")
    assert r.status_code == 404 and "no such translated file" in lt_error(r)
    # A key in the form is read here too.
    assert post_file(closed, "a.txt", ZH.encode()).status_code == 400
    assert post_file(closed, "a.txt", ZH.encode(), api_key=closed.key()).status_code == 200


def test_read_document_finds_only_chinese_passages() -> None:
    document = read_document("Title\n第一行\nLast".encode(), ".txt")
    assert document.segments == ["第一行"]
    assert document.rebuild(["Line one"]) == b"Title\nLine one\nLast"


# ------------------------------------------------------------------ settings, health, shape


def test_frontend_settings_have_libretranslates_keys(api: Api) -> None:
    settings = api.http.get("/frontend/settings").json()
    assert set(settings) >= {
        "charLimit",
        "frontendTimeout",
        "apiKeys",
        "keyRequired",
        "suggestions",
        "supportedFilesFormat",
        "language",
    }
    assert settings["charLimit"] == api.settings.max_chars and settings["keyRequired"] is False
    assert settings["supportedFilesFormat"] == [".txt", ".html", ".docx"]
    assert settings["language"] == {
        "source": {"code": "zh", "name": "Chinese"},
        "target": {"code": "en", "name": "English"},
    }


def test_every_error_on_these_routes_has_libretranslates_shape(server: EmbeddedRedis) -> None:
    api = Api(server, max_body_bytes=1_000)
    assert api.http.get("/translate").status_code == 405
    lt_error(api.http.get("/translate"))
    r = api.http.post("/translate", json={"q": "字" * 2_000, "source": "zh", "target": "en"})
    assert r.status_code == 413 and "NEWSUM_MAX_BODY_BYTES" in lt_error(r)
    r = api.http.post("/translate", content=b"[1, 2]", headers={"Content-Type": "application/json"})
    assert (r.status_code, lt_error(r)) == (400, "Invalid JSON format")
    assert api.http.post("/health").status_code == 405
    # The newsum routes keep their own shape.
    r = api.http.post("/v1/summaries", json={"text": "字" * 2_000})
    assert set(json.loads(r.content)["error"]) == {"code", "message", "limit"}


def test_no_worker_is_503_with_retry_after(api: Api) -> None:
    for profile in ("auto", "standard"):
        api.redis.delete(api.layout.pipeline(profile))
    r = api.translate()
    assert r.status_code == 503 and r.headers["retry-after"] and "no worker" in lt_error(r)
