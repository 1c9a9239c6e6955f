"""French everywhere in French pages (issue 18): every page of the tour (tests/presentation/
tour.py) rendered in French shows no English sentence, from Authlib or from our code; protocol
errors are told in words with their code on a detail line; and French typography holds (a
no-break space before « : ; ! ? » and inside « »), in every catalog entry and every page."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from babel.messages.pofile import read_po
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from idp.context import AppContext
from idp.i18n import DOMAINS, LOCALE_DIR, french_spacing, gettext
from idp.settings import Settings
from idp.web.protocol_errors import BY_CODE, BY_PARAMETER, explain
from idp.web.templating import TEMPLATE_DIR
from tests.presentation.tour import Stop, anonymous_tour, authorize_url, signed_in_tour
from tests.support import Seeded

# Words of English sentences that French never uses: one of them in a French page is English
# leaking through (an Authlib description, an untranslated message id).
ENGLISH = frozenset(
    (
        *("the", "is", "are", "not", "and", "your", "you", "please", "must", "was", "were"),
        *("with", "this", "that", "of", "to", "for", "from", "by", "be", "been", "has", "have"),
        *("does", "cannot", "could", "should", "would", "will", "which", "there", "their"),
        *("invalid", "missing", "request", "parameter", "redirect", "supported", "found"),
        *("error", "sign"),
    )
)
# French typography, on visible text: an ordinary space (or none) before « : ; ! ? », or an
# ordinary space inside « ».
ORDINARY_SPACE_BEFORE = re.compile(r" [:;!?]")
GLUED = re.compile(r"[^\s\u00a0\u202f(][;!?]|[^\s\u00a0\u202f]:(?=\s|$)")
ORDINARY_SPACE_IN_QUOTES = re.compile(r"« | »")
PROTOCOL_DESCRIPTIONS = (
    "Redirect URI",
    "does not exist on this server",
    "Repeated parameter",
    "Missing 'client_id'",
    "id_token_hint",
    "is not a JWT",
)


class VisibleText(HTMLParser):
    """The text a person meets on a page: its body's text and the attributes read aloud or
    shown (`aria-label`, `title`, `placeholder`, `alt`, button values)."""

    SHOWN_ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skipping = 0
        self._in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            self._in_body = True
        if tag in ("script", "style", "title"):
            self._skipping += 1
        self.parts += [value for name, value in attrs if name in self.SHOWN_ATTRIBUTES and value]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "title"):
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if self._in_body and not self._skipping:
            self.parts.append(data)

    @classmethod
    def of(cls, page: str) -> str:
        parser = cls()
        parser.feed(page)
        return " ".join(" ".join(parser.parts).split(" "))


def _sentences(page: str) -> list[str]:
    return [line.strip() for line in VisibleText.of(page).splitlines() if line.strip()]


@pytest.fixture
async def tour(client: httpx.AsyncClient, ctx: AppContext, seeded: Seeded) -> list[Stop]:
    """The whole tour once, in French (the browser's language and no `ui_locales`)."""
    client.headers["accept-language"] = "fr-FR,fr;q=0.9"
    stops = await anonymous_tour(client)
    client.cookies.clear()
    return stops + await signed_in_tour(client, ctx, seeded)


async def test_no_french_page_shows_english(tour: list[Stop]) -> None:
    assert len(tour) == 41
    problems = []
    for name, response in tour:
        assert response.headers.get("content-type", "").startswith("text/html"), (
            name,
            response.status_code,
            response.headers.get("location"),
        )
        assert '<html lang="fr">' in response.text, name
        for sentence in _sentences(response.text):
            # Error codes (`invalid_request`) are shown as they are, on purpose.
            words = {w for w in re.findall(r"[a-z_]+", sentence.lower()) if "_" not in w}
            if english := words & ENGLISH:
                problems.append(f"{name}: {sentence!r} ({', '.join(sorted(english))})")
            problems += [
                f"{name}: {sentence!r} says {leak!r}"
                for leak in PROTOCOL_DESCRIPTIONS
                if leak in sentence
            ]
    assert problems == []


async def test_french_typography_holds_on_every_page(tour: list[Stop]) -> None:
    problems = []
    for name, response in tour:
        for sentence in _sentences(response.text):
            for rule in (ORDINARY_SPACE_BEFORE, GLUED, ORDINARY_SPACE_IN_QUOTES):
                if found := rule.search(sentence):
                    problems.append(f"{name}: {found.group()!r} in {sentence!r}")
    assert problems == []


async def test_protocol_errors_are_told_in_words_with_their_code(tour: list[Stop]) -> None:
    pages = dict(tour)
    expected = {
        "authorize-unknown-client": ("Cette application n’est pas connue", "invalid_client"),
        "authorize-no-client": ("Cette application n’est pas connue", "invalid_client"),
        "authorize-bad-redirect": ("L’adresse de retour", "invalid_request"),
        "authorize-repeated": ("plusieurs fois le même paramètre", "invalid_request"),
        "logout-bad-hint": ("La preuve de connexion", "invalid_request"),
        "logout-repeated": ("plusieurs fois le même paramètre", "invalid_request"),
    }
    for name, (words, code) in expected.items():
        text = VisibleText.of(pages[name].text)
        assert pages[name].status_code == 400, name
        assert words in text, (name, text)
        assert french_spacing(f"Code de l’erreur : {code}") in text, (name, text)


async def test_the_404_page_names_itself_once(tour: list[Stop]) -> None:
    page = dict(tour)["not-found"]
    assert page.status_code == 404
    assert VisibleText.of(page.text).count("Page introuvable") == 1


async def test_an_english_page_tells_the_same_in_english(
    client: httpx.AsyncClient, seeded: Seeded
) -> None:
    page = await client.get(authorize_url(client_id="nobody", ui_locales="en"))
    text = VisibleText.of(page.text)
    assert "This application is not known to Sage ID." in text
    assert "Error code: invalid_client" in text


@pytest.mark.parametrize(
    ("error", "description", "sentence"),
    [
        ("invalid_client", "The client does not exist on this server.", BY_CODE["invalid_client"]),
        ("invalid_request", "Redirect URI https://x/ is not supported by client.", None),
        ("invalid_request", "Missing 'redirect_uri' in request.", None),
        ("invalid_request", "Repeated parameter: redirect_uri.", None),
        ("invalid_request", "Something new.", BY_CODE["invalid_request"]),
        ("slow_down", "", "The request could not be accepted."),
    ],
)
def test_each_protocol_error_has_a_translated_sentence(
    error: str, description: str, sentence: str | None
) -> None:
    explained = explain(error, description)
    assert explained.code == error
    if sentence is not None:
        assert explained.reason == sentence
    assert gettext("fr", explained.reason) != explained.reason
    assert explained.reason in {s for _, s in BY_PARAMETER} | set(BY_CODE.values()) | {
        "The request could not be accepted."
    }


def _french_entries() -> list[tuple[str, str]]:
    entries = []
    for domain in DOMAINS:
        with (LOCALE_DIR / "fr" / "LC_MESSAGES" / f"{domain}.po").open("rb") as f:
            catalog = read_po(f, locale="fr", domain=domain)
        entries += [(domain, str(m.id)) for m in catalog if m.id]
    return entries


@pytest.mark.parametrize(("domain", "msgid"), _french_entries())
def test_french_typography_holds_in_every_catalog_entry(domain: str, msgid: str) -> None:
    """As loaded (idp.i18n applies the rule): no ordinary space before « : ; ! ? » or inside
    « », and no such mark glued to the word before it in the catalog's French."""
    french = gettext("fr", msgid)
    assert not ORDINARY_SPACE_BEFORE.search(french), french
    assert not ORDINARY_SPACE_IN_QUOTES.search(french), french
    assert not GLUED.search(re.sub(r"https?://\S+|%\(\w+\)s", "", french)), french


def _template_text(path: Path) -> str:
    """The literal text of a template: neither Jinja (translated through the catalog) nor
    tags."""
    source = path.read_text()
    source = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", " ", source, flags=re.S)
    return re.sub(r"<[^>]*>", " ", source)


@pytest.mark.parametrize("path", sorted(TEMPLATE_DIR.glob("*.html")), ids=lambda p: p.name)
def test_templates_write_no_french_punctuation_themselves(path: Path) -> None:
    """A mark beside data is written `{{ punctuation(":") }}`, spaced per language."""
    assert not re.search(r"[:;!?«»]", _template_text(path)), path.name


def test_the_spacing_rule() -> None:
    assert french_spacing("Mot de passe oublié ?") == "Mot de passe oublié\u202f?"
    assert french_spacing("Félicitations !") == "Félicitations\u202f!"
    assert french_spacing("Essais restants : 4 ; réessayez") == (
        "Essais restants\u00a0: 4\u202f; réessayez"
    )
    assert french_spacing("« Sage EDI Online »") == "«\u00a0Sage EDI Online\u00a0»"
    assert french_spacing("«Sage»") == "«\u00a0Sage\u00a0»"
    # A colon without a space is not punctuation: URLs and times stay as they are.
    assert french_spacing("https://sage.example/a?b=1 à 10:30") == (
        "https://sage.example/a?b=1 à 10:30"
    )
    assert french_spacing(french_spacing("Prêt ?")) == "Prêt\u202f?"


async def test_an_unexpected_error_is_told_in_french(
    app: Starlette, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(_request: Request) -> Response:
        raise RuntimeError("an English internal message")

    app.router.add_route("/broken", broken)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=settings.issuer) as http:
        page = await http.get("/broken")
    assert page.status_code == 500
    text = VisibleText.of(page.text)
    assert "Une erreur est survenue de notre côté." in text, text
    assert "English" not in text and "RuntimeError" not in text
    [reference] = re.findall(r"Code de l’erreur\u00a0: ([0-9a-f]{12})", text)
    assert reference in caplog.text  # the same reference as in the log


async def test_the_favicon_is_served(client: httpx.AsyncClient) -> None:
    icon = await client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    asked = await client.get("/favicon.ico")
    assert asked.status_code == 301 and asked.headers["location"] == "/static/favicon.svg"
    page = await client.get("/signin")
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page.text
