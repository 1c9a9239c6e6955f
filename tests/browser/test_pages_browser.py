"""Every page of the journeys and the portal in a real Chromium, in French (issue 18): axe-core
finds no serious or critical violation at 1280 × 800 nor at 390 × 844, no page scrolls
sideways on a phone, errors are announced and focused, and a screenshot of each page at both
sizes lands in test-artifacts/pages/.

One provider and one browser for the module: the tour is walked once, each stop checked as it
is reached, and the tests read what was found.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, ViewportSize

from idp.migrate import upgrade
from idp.settings import Settings
from idp.store import Store
from tests.accounts.helpers import NEW_EMAIL, NEW_NAME, NEW_PASSWORD
from tests.browser.conftest import ARTIFACTS, CHROMIUM, launched_chromium, opened_page
from tests.conftest import LiveServer, serving
from tests.edi.helpers import add_received_submission
from tests.referencing.helpers import BOULANGERIE, import_customers
from tests.support import (
    EMAIL,
    NATIVE_ID,
    PARTNER_ID,
    PARTNER_REDIRECT,
    PASSWORD,
    authorize_params,
    pkce_pair,
    seed_store,
)

pytestmark = pytest.mark.browser

DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}
SHOTS = ARTIFACTS / "pages"
SERIOUS = ("serious", "critical")
# The stops of the tour, in order (tests are parametrized by them).
STOPS = (
    "signin",
    "signin-password",
    "signin-wrong-password",
    "password-forgot",
    "password-reset",
    "password-reset-errors",
    "signup",
    "signup-errors",
    "verify",
    "verify-wrong-code",
    "device",
    "terms",
    "privacy",
    "legal",
    "not-found",
    "authorize-error",
    "logout-done",
    "account",
    "consent",
    "logout-confirm",
    "device-confirm",
    "device-done",
    "portal-unreferenced",
    "reference",
    "reference-wrong-proof",
    "referenced",
    "portal-tracking",
    "portal-profile",
    "portal-admin",
)


@dataclass
class Finding:
    violations: dict[str, list[str]] = field(default_factory=dict)  # size → "rule (impact)"
    phone_scroll_width: int = 0
    focused: str = ""  # the focused element when the page loaded
    phone_rows: list[str] = field(default_factory=list)  # `display` of table rows at 390 px
    shots: list[Path] = field(default_factory=list)


async def _seed(settings: Settings) -> None:
    """Marie Martin, not referenced yet; three submissions of Boulangerie Martin, which she
    will see once referenced to it by proof."""
    seeded = await seed_store(settings)
    store = Store(settings.database_url)
    try:
        now = time.time()
        await import_customers(store, now)
        for n, (kind, name) in enumerate(
            [("DSN", "paie-janvier-2026.dsn"), ("TVA", "ca3-janvier.edi"), ("DSN", "paie.dsn")]
        ):
            await add_received_submission(
                store,
                seeded.user_id,
                now - 3600 * n,
                kind=kind,
                file_name=name,
                notification_email="comptabilite.boulangerie-martin@example.com",
                record_email=False,
            )
    finally:
        await store.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, key_template: Path) -> Iterator[LiveServer]:
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (make test runs scripts/system-deps.sh)")
    folder = tmp_path_factory.mktemp("pages")
    database = f"sqlite+aiosqlite:///{folder / 'sageid.db'}"
    upgrade(database)
    with serving(folder, database, key_template, seed_with=_seed) as server:
        yield server


@pytest.fixture(scope="module")
def chromium(site: LiveServer) -> Iterator[Browser]:
    """Started after the provider (see tests/browser/conftest.py, `browser`)."""
    with launched_chromium() as browser:
        yield browser


class Tour:
    """Checks each page where the tour stops, at both sizes."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.axe = Axe()
        self.findings: dict[str, Finding] = {}
        SHOTS.mkdir(parents=True, exist_ok=True)
        for old in SHOTS.glob("*.png"):
            old.unlink()

    def stop(self, name: str) -> None:
        page = self.page
        page.wait_for_load_state("load")
        finding = Finding(focused=page.evaluate("document.activeElement?.id || ''"))
        number = len(self.findings) + 1
        for label, size in (("1280", DESKTOP), ("390", PHONE)):
            page.set_viewport_size(size)
            if size is PHONE:
                finding.phone_scroll_width = page.evaluate("document.documentElement.scrollWidth")
                finding.phone_rows = page.evaluate(
                    "[...document.querySelectorAll('main tbody tr')]"
                    ".map(row => getComputedStyle(row).display)"
                )
            shot = SHOTS / f"{number:02d}-{name}-{label}.png"
            page.screenshot(path=str(shot), full_page=True)
            finding.shots.append(shot)
            results = self.axe.run(page).response
            finding.violations[label] = [
                f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
                for v in results["violations"]
                if v["impact"] in SERIOUS
            ]
        page.set_viewport_size(DESKTOP)
        self.findings[name] = finding


def _fill(page: Page, fields: dict[str, str]) -> None:
    for label, value in fields.items():
        page.get_by_label(label, exact=True).fill(value)


def _walk(site: LiveServer, tour: Tour) -> None:
    page, url = tour.page, site.url

    def go(path: str) -> None:
        page.goto(url + path)

    go("/signin")
    tour.stop("signin")
    _fill(page, {"Adresse email": EMAIL})
    page.get_by_role("button", name="Continuer").click()
    tour.stop("signin-password")
    _fill(page, {"Mot de passe": "pas le bon mot de passe"})
    page.get_by_role("button", name="Se connecter").click()
    tour.stop("signin-wrong-password")

    go("/password/forgot?" + urlencode({"login_hint": EMAIL}))
    tour.stop("password-forgot")
    page.locator("form[action='/password/forgot'] button[type=submit]").click()
    tour.stop("password-reset")
    _fill(page, {"Code reçu par email": "000000", "Nouveau mot de passe": "court"})
    page.get_by_role("button", name="Changer mon mot de passe").click()
    tour.stop("password-reset-errors")

    go("/signup")
    tour.stop("signup")
    _fill(page, {"Adresse email": "pas-une-adresse", "Mot de passe": "court"})
    page.get_by_role("button", name="Créer mon Sage ID").click()
    tour.stop("signup-errors")
    _fill(
        page,
        {
            "Adresse email": NEW_EMAIL,
            "Nom": NEW_NAME,
            "Mot de passe": NEW_PASSWORD,
            "Confirmation du mot de passe": NEW_PASSWORD,
        },
    )
    page.get_by_role("button", name="Créer mon Sage ID").click()
    tour.stop("verify")
    _fill(page, {"Code de vérification": "000000"})
    page.get_by_role("button", name="Valider").click()
    tour.stop("verify-wrong-code")

    go("/device")
    tour.stop("device")
    for name in ("terms", "privacy", "legal"):
        go(f"/{name}")
        tour.stop(name)
    go("/cette-page-n-existe-pas")
    tour.stop("not-found")
    _, challenge = pkce_pair()
    bad = authorize_params(challenge=challenge, redirect_uri="https://evil.example/callback")
    go("/authorize?" + urlencode(bad))
    tour.stop("authorize-error")
    go("/logout")
    tour.stop("logout-done")

    go("/signin?next=/account")
    _fill(page, {"Adresse email": EMAIL})
    page.get_by_role("button", name="Continuer").click()
    _fill(page, {"Mot de passe": PASSWORD})
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/account")
    tour.stop("account")
    _, challenge = pkce_pair()
    consent = authorize_params(
        challenge=challenge,
        client_id=PARTNER_ID,
        redirect_uri=PARTNER_REDIRECT,
        scope="openid profile email",
    )
    go("/authorize?" + urlencode(consent))
    tour.stop("consent")
    go("/logout")
    tour.stop("logout-confirm")

    with httpx.Client(base_url=url) as http:
        started = http.post(
            "/device_authorization", data={"client_id": NATIVE_ID, "scope": "openid profile"}
        ).json()
    go("/device")
    _fill(page, {"Code": started["user_code"]})
    page.get_by_role("button", name="Continuer").click()
    tour.stop("device-confirm")
    page.get_by_role("button", name="Approuver").click()
    tour.stop("device-done")

    go("/portal")
    tour.stop("portal-unreferenced")
    go("/reference?next=/portal")
    tour.stop("reference")
    proof = {"Code client Sage": BOULANGERIE, "Numéro de facture ou numéro de série": "FA-1"}
    _fill(page, proof)
    page.get_by_label("J’ai lu et j’accepte les conditions générales de vente.").check()
    page.get_by_role("button", name="Valider").click()
    tour.stop("reference-wrong-proof")
    _fill(page, {**proof, "Numéro de facture ou numéro de série": "FA-2025-004711"})
    page.get_by_label("J’ai lu et j’accepte les conditions générales de vente.").check()
    page.get_by_role("button", name="Valider").click()
    page.wait_for_url("**/referenced*")
    tour.stop("referenced")
    go("/portal")
    tour.stop("portal-tracking")
    go("/portal/profile")
    tour.stop("portal-profile")
    page.get_by_role("button", name="Devenir administrateur").click()
    go(f"/portal/admin/{BOULANGERIE}")
    tour.stop("portal-admin")


@pytest.fixture(scope="module")
def findings(site: LiveServer, chromium: Browser) -> dict[str, Finding]:
    with opened_page(chromium, viewport=DESKTOP) as page:
        tour = Tour(page)
        _walk(site, tour)
        assert tuple(tour.findings) == STOPS
        return tour.findings


@pytest.mark.parametrize("stop", STOPS)
def test_axe_finds_no_serious_violation(findings: dict[str, Finding], stop: str) -> None:
    assert findings[stop].violations == {"1280": [], "390": []}


@pytest.mark.parametrize("stop", STOPS)
def test_no_page_scrolls_sideways_on_a_phone(findings: dict[str, Finding], stop: str) -> None:
    assert findings[stop].phone_scroll_width <= PHONE["width"]


@pytest.mark.parametrize(
    "stop",
    [
        "signin-wrong-password",
        "password-reset-errors",
        "signup-errors",
        "verify-wrong-code",
        "reference-wrong-proof",
    ],
)
def test_an_error_is_focused_when_the_page_loads(findings: dict[str, Finding], stop: str) -> None:
    assert findings[stop].focused == "error-summary"


def test_screenshots_of_every_page_at_both_sizes(findings: dict[str, Finding]) -> None:
    for stop, finding in findings.items():
        assert [p.name.rsplit("-", 1)[1] for p in finding.shots] == ["1280.png", "390.png"], stop
        assert all(p.stat().st_size > 1000 for p in finding.shots), stop


@pytest.mark.parametrize("stop", ["portal-tracking", "portal-profile", "portal-admin"])
def test_portal_tables_become_stacked_rows_on_a_phone(
    findings: dict[str, Finding], stop: str
) -> None:
    assert findings[stop].phone_rows, "no table rows"
    assert set(findings[stop].phone_rows) == {"block"}


@pytest.fixture
def fresh_page(site: LiveServer, chromium: Browser) -> Iterator[Page]:
    with opened_page(chromium, viewport=DESKTOP) as page:
        yield page


def _luminance(rgb: tuple[float, ...]) -> float:
    def channel(value: float) -> float:
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(v) for v in rgb[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def _contrast(first: tuple[float, ...], second: tuple[float, ...]) -> float:
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _rgb(css: str) -> tuple[float, ...]:
    return tuple(float(v) for v in css[css.index("(") + 1 : css.index(")")].split(",")[:3])


def test_the_skip_link_comes_first_and_leads_to_the_content(
    site: LiveServer, fresh_page: Page
) -> None:
    page = fresh_page
    page.goto(site.url + "/terms")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Aller au contenu"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_the_focus_ring_contrasts_at_least_3_to_1(site: LiveServer, fresh_page: Page) -> None:
    """WCAG 2.2 §1.4.11: against the white card, for a field, a button and a link."""
    page = fresh_page
    page.goto(site.url + "/signin")
    for selector in ("#email", "button[type=submit]", "p.aside a"):
        page.focus(selector)
        if selector != "#email":
            # :focus-visible is the keyboard's: reach the element with Tab.
            page.focus("#email")
            while not page.evaluate(f"document.activeElement.matches({selector!r})"):
                page.keyboard.press("Tab")
        style = page.evaluate(
            "(() => { const s = getComputedStyle(document.activeElement);"
            " return [s.outlineStyle, s.outlineWidth, s.outlineColor]; })()"
        )
        assert style[0] != "none", selector
        assert float(style[1].removesuffix("px")) >= 2, (selector, style)
        assert _contrast(_rgb(style[2]), (255, 255, 255)) >= 3, (selector, style)


def test_fields_in_error_are_marked_and_described(site: LiveServer, fresh_page: Page) -> None:
    page = fresh_page
    page.goto(site.url + "/signup")
    page.get_by_label("Mot de passe", exact=True).fill("court")
    page.get_by_role("button", name="Créer mon Sage ID").click()
    summary = page.locator("#error-summary")
    assert summary.get_attribute("role") == "alert"
    assert page.evaluate("document.activeElement.id") == "error-summary"
    for field_id in ("email", "name", "password", "confirmation"):
        field = page.locator(f"#{field_id}")
        assert field.get_attribute("aria-invalid") == "true", field_id
        described = (field.get_attribute("aria-describedby") or "").split()
        assert f"{field_id}-errors" in described, field_id
        assert page.locator(f"#{field_id}-errors").inner_text().strip(), field_id
        # The summary links to the field.
        assert summary.locator(f"a[href='#{field_id}']").count() == 1, field_id
    summary.locator("a[href='#password']").click()
    assert page.evaluate("document.activeElement.id") == "password"


def test_a_wrong_proof_marks_both_fields(site: LiveServer, fresh_page: Page) -> None:
    page = fresh_page
    page.goto(site.url + "/signin?next=/reference")
    _fill(page, {"Adresse email": EMAIL})
    page.get_by_role("button", name="Continuer").click()
    _fill(page, {"Mot de passe": PASSWORD})
    page.get_by_role("button", name="Se connecter").click()
    _fill(page, {"Code client Sage": "C0009999", "Numéro de facture ou numéro de série": "X"})
    page.get_by_label("J’ai lu et j’accepte les conditions générales de vente.").check()
    page.get_by_role("button", name="Valider").click()
    for field_id in ("customer_code", "number"):
        field = page.locator(f"#{field_id}")
        assert field.get_attribute("aria-invalid") == "true", field_id
        assert "error-summary" in (field.get_attribute("aria-describedby") or ""), field_id


def test_the_error_is_focused_without_javascript(site: LiveServer, chromium: Browser) -> None:
    with opened_page(chromium, java_script_enabled=False) as page:
        page.goto(site.url + "/signup")
        page.get_by_role("button", name="Créer mon Sage ID").click()
        page.wait_for_load_state("load")
        assert page.locator("#error-summary").count() == 1
        page.keyboard.press("Tab")  # from the focused summary, Tab reaches its first link
        focused = page.locator("#error-summary a:focus")
        assert focused.count() == 1


def test_the_footer_links_and_the_favicon(site: LiveServer, fresh_page: Page) -> None:
    page = fresh_page
    page.goto(site.url + "/signin")
    footer = page.locator("footer")
    for name, path in (
        ("Conditions générales de vente", "/terms"),
        ("Confidentialité", "/privacy"),
        ("Mentions légales", "/legal"),
    ):
        link = footer.get_by_role("link", name=name)
        assert (link.get_attribute("href") or "").startswith(path + "?"), name
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon
    answer = page.request.get(site.url + icon)
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in answer.body()
