"""The desktop app's words, in French (the seed's wording, the default) and English.

One table per language with the same keys and placeholders (a test checks it); `Texts` picks
one. The kinds of submission are the API's codes with a label for the people who send them.
"""

from __future__ import annotations

from typing import Final

LANGUAGES: Final = ("fr", "en")

# The submissions API's kinds (Sage EDI Online), in the order the dialog lists them.
KINDS: Final = ("DSN", "DUCS", "TVA", "TDFC", "BANK_REMITTANCE", "DIRECT_DEBIT")

_FRENCH: Final[dict[str, str]] = {
    "app_title": "Sage / Ciel direct",
    "home_heading": "Bienvenue",
    "home_text": "Vos déclarations sociales et fiscales et vos échanges bancaires passent par "
    "Sage EDI Online.",
    "toolbar_send": "Envoyer une déclaration",
    "toolbar_edi": "Sage EDI Online",
    "menu_tracking": "Suivi des envois",
    "menu_sign_out": "Se déconnecter",
    # Seed, étape 1: the yellow banner after « Plus tard ».
    "banner": "Vous n'avez pas encore basculé sur la nouvelle authentification.",
    "banner_action": "Commencer la migration",
    # Migrated, then signed out: say why, and ask to sign in again (never « pas encore basculé »).
    "banner_expired": "Votre session Sage ID a expiré : reconnectez-vous.",
    "banner_revoked": "Votre session Sage ID a été fermée : reconnectez-vous.",
    "banner_signed_out": "Vous vous êtes déconnecté de Sage ID : reconnectez-vous pour envoyer "
    "vos déclarations.",
    "starting": "Recherche de votre authentification Sage ID…",
    "assistant_title": "Assistant de migration Sage ID",
    "welcome_heading": "Passez au Sage ID",
    "welcome_text": "Sage fait évoluer son service déclaratif et bancaire et renforce sa "
    "sécurité. Une procédure de migration est nécessaire et obligatoire pour basculer vers "
    "cette nouvelle authentification : le Sage ID.",
    "expired_heading": "Reconnectez-vous avec votre Sage ID",
    "expired_text": "Votre session Sage ID a expiré : reconnectez-vous. Votre authentification "
    "est conservée 30 jours dans Sage / Ciel direct ; vous avez déjà basculé, il suffit de vous "
    "reconnecter.",
    "revoked_text": "Votre session Sage ID a été fermée (depuis votre compte, un autre poste ou "
    "par Sage) : reconnectez-vous pour continuer à utiliser les services déclaratifs et "
    "bancaires.",
    "signed_out_text": "Vous vous êtes déconnecté de Sage ID sur ce poste : reconnectez-vous "
    "pour continuer à utiliser les services déclaratifs et bancaires.",
    "later": "Plus tard",
    "start": "Commencer",
    "sign_in_again": "Se reconnecter",
    # Seed, étape 2, 2°.
    "email_heading": "Votre adresse email",
    "email_text": "Renseignez votre adresse email, celle que vous utilisez dans vos "
    "notifications lorsque vous transmettez vos déclarations, ou directement votre email "
    "Sage ID, si vous en avez déjà un.",
    "email_label": "Adresse email",
    "continue": "Continuer",
    "use_code": "Utiliser un code plutôt que ce navigateur",
    "browser_heading": "Poursuivez dans votre navigateur",
    "browser_text": "Connectez-vous ou créez votre Sage ID dans la page qui s'est ouverte, "
    "validez le code reçu par email et référencez-vous. Revenez ensuite ici.",
    "browser_link": "Si la page ne s'est pas ouverte, ouvrez ce lien :",
    "cancel": "Annuler",
    "device_heading": "Connexion avec un code",
    "device_preparing": "Préparation du code…",
    "device_text": "Sur votre téléphone ou un autre ordinateur, ouvrez {uri} et saisissez "
    "le code :",
    "device_qr": "ou scannez ce QR code :",
    "device_expires": "Ce code expire à {time}.",
    # Seed, étape 3, 2°, and étape 4.
    "signed_in": "Félicitations ! Vous pouvez utiliser les services déclaratifs et bancaires. "
    "Votre authentification est conservée 30 jours.",
    "not_referenced": "Vous êtes connecté, mais votre Sage ID n'est référencé à aucun compte "
    "client : terminez le référencement sur le portail Sage EDI Online.",
    "signed_out": "Vous êtes déconnecté de Sage EDI Online sur ce poste.",
    "cancelled": "Connexion annulée.",
    "email_invalid": "Saisissez une adresse email valide, par exemple nom@exemple.fr.",
    "tracking_opened": "Le suivi des envois s'ouvre dans votre navigateur.",
    "browser_failed": "Aucun navigateur n'a pu être ouvert : ouvrez {url} vous-même.",
    "sign_in_first": "Passez d'abord au Sage ID pour envoyer vos déclarations.",
    "session_expired": "Votre session Sage ID a expiré : reconnectez-vous.",
    "send_title": "Envoyer une déclaration",
    "send_file": "Fichier",
    "send_browse": "Parcourir…",
    "send_kind": "Type",
    "send_customer": "Compte client",
    "send_submit": "Envoyer",
    "send_close": "Fermer",
    "sending": "Envoi en cours…",
    "send_no_file": "Choisissez le fichier à envoyer.",
    "send_no_kind": "Choisissez le type de déclaration.",
    "send_no_customer": "Choisissez le compte client.",
    "sent": "Déclaration {kind} reçue pour {customer_name} ({customer_code}), référence "
    "{reference}. Suivez-la dans « Suivi des envois ».",
    "send_refused": "Envoi refusé par Sage EDI Online (erreur {status}). Réessayez ; si cela "
    "persiste, contactez le support Sage.",
    # The submissions API's problem types (RFC 9457), in the user's words.
    "problem_invalid-token": "Votre session Sage ID n'est plus valable : reconnectez-vous.",
    "problem_insufficient-scope": "Votre connexion ne donne pas accès à Sage EDI Online : "
    "reconnectez-vous.",
    "problem_not-referenced": "Votre Sage ID n'est pas référencé à ce compte client : terminez "
    "le référencement sur le portail Sage EDI Online.",
    "problem_permission-denied": "Votre profil ne permet pas d'envoyer ce type de déclaration "
    "pour ce compte client : demandez-le à son administrateur.",
    "problem_unsupported-media-type": "L'envoi n'a pas pu être lu par Sage EDI Online. "
    "Réessayez ; si cela persiste, contactez le support Sage.",
    "problem_malformed-multipart": "L'envoi n'a pas pu être lu par Sage EDI Online. Réessayez ; "
    "si cela persiste, contactez le support Sage.",
    "problem_invalid-parameters": "L'envoi est incomplet : vérifiez le fichier, le type de "
    "déclaration et le compte client.",
    "problem_invalid-query": "La demande n'a pas été comprise par Sage EDI Online. Réessayez.",
    "problem_file-too-large": "Le fichier est trop volumineux pour Sage EDI Online.",
    "problem_file-type-refused": "Ce fichier n'est pas accepté pour ce type de déclaration : "
    "vérifiez le fichier et le type choisis.",
    "err_unreachable": "Le service Sage ID est injoignable. Vérifiez votre connexion "
    "internet, puis réessayez.",
    "err_provider": "Le service Sage ID a répondu de façon inattendue. Réessayez plus tard.",
    "err_denied": "La connexion a été refusée.",
    "err_refused": "Sage ID a refusé la demande ({code}).",
    "err_timeout": "Le navigateur n'est pas revenu à temps : recommencez.",
    "err_device_expired": "Le code a expiré avant d'être validé : recommencez.",
    "err_security": "La réponse de Sage ID n'a pas passé les contrôles de sécurité : recommencez.",
    "err_keyring": "Aucun trousseau du système ne peut protéger votre connexion. Définissez "
    "SAGEID_CACHE_PASSPHRASE, ou insecure_storage = true dans config.toml.",
    "err_cache": "Votre connexion enregistrée est inutilisable : {detail}",
    "err_file": "Impossible de lire le fichier : {detail}",
    "err_unexpected": "Une erreur inattendue s'est produite. Réessayez ; si elle persiste, "
    "contactez le support Sage.",
    "kind_DSN": "DSN – Déclaration sociale nominative",
    "kind_DUCS": "DUCS – Cotisations sociales",
    "kind_TVA": "EDI-TVA – Déclaration de TVA",
    "kind_TDFC": "EDI-TDFC – Liasse fiscale",
    "kind_BANK_REMITTANCE": "Remise bancaire (virements)",
    "kind_DIRECT_DEBIT": "Prélèvements SEPA",
}


def _typeset(text: str) -> str:
    """French typography: a no-break space before « : ; ! ? » and inside the guillemets,
    so a line never starts with the punctuation."""
    for before, after in ((" :", "\u00a0:"), (" ;", "\u00a0;"), (" !", "\u00a0!")):
        text = text.replace(before, after)
    return text.replace("« ", "«\u00a0").replace(" »", "\u00a0»").replace(" ?", "\u00a0?")


FRENCH: Final = {key: _typeset(text) for key, text in _FRENCH.items()}

ENGLISH: Final[dict[str, str]] = {
    "app_title": "Sage / Ciel direct",
    "home_heading": "Welcome",
    "home_text": "Your social and tax declarations and your banking exchanges go through "
    "Sage EDI Online.",
    "toolbar_send": "Send a declaration",
    "toolbar_edi": "Sage EDI Online",
    "menu_tracking": "Submission tracking",
    "menu_sign_out": "Sign out",
    "banner": "You have not switched to the new authentication yet.",
    "banner_action": "Start the migration",
    "banner_expired": "Your Sage ID session has expired: please sign in again.",
    "banner_revoked": "Your Sage ID session was closed: please sign in again.",
    "banner_signed_out": "You signed out of Sage ID: sign in again to send your declarations.",
    "starting": "Looking for your Sage ID sign-in…",
    "assistant_title": "Sage ID migration assistant",
    "welcome_heading": "Switch to Sage ID",
    "welcome_text": "Sage is upgrading its declaration and banking service and strengthening "
    "its security. A migration is required to switch to the new authentication: Sage ID.",
    "expired_heading": "Sign in again with your Sage ID",
    "expired_text": "Your Sage ID session has expired: please sign in again. Your sign-in is "
    "kept for 30 days in Sage / Ciel direct; you have already switched, you only need to sign "
    "in again.",
    "revoked_text": "Your Sage ID session was closed (from your account, another computer or "
    "by Sage): sign in again to keep using the declaration and banking services.",
    "signed_out_text": "You signed out of Sage ID on this computer: sign in again to keep using "
    "the declaration and banking services.",
    "later": "Later",
    "start": "Start",
    "sign_in_again": "Sign in again",
    "email_heading": "Your email address",
    "email_text": "Enter your email address: the one you use for notifications when you send "
    "your declarations, or your Sage ID email, if you already have one.",
    "email_label": "Email address",
    "continue": "Continue",
    "use_code": "Use a code instead of this browser",
    "browser_heading": "Continue in your browser",
    "browser_text": "Sign in or create your Sage ID in the page that opened, confirm the code "
    "sent by email and reference your customer account. Then come back here.",
    "browser_link": "If the page did not open, open this link:",
    "cancel": "Cancel",
    "device_heading": "Sign in with a code",
    "device_preparing": "Preparing the code…",
    "device_text": "On your phone or another computer, open {uri} and enter the code:",
    "device_qr": "or scan this QR code:",
    "device_expires": "This code expires at {time}.",
    "signed_in": "Congratulations! You can use the declaration and banking services. "
    "Your sign-in is kept for 30 days.",
    "not_referenced": "You are signed in, but your Sage ID is not referenced to any customer "
    "account yet: finish the referencing on the Sage EDI Online portal.",
    "signed_out": "You are signed out of Sage EDI Online on this computer.",
    "cancelled": "Sign-in cancelled.",
    "email_invalid": "Enter a valid email address, for example name@example.com.",
    "tracking_opened": "Submission tracking opens in your browser.",
    "browser_failed": "No browser could be opened: open {url} yourself.",
    "sign_in_first": "Switch to Sage ID first to send your declarations.",
    "session_expired": "Your Sage ID session has expired: please sign in again.",
    "send_title": "Send a declaration",
    "send_file": "File",
    "send_browse": "Browse…",
    "send_kind": "Kind",
    "send_customer": "Customer account",
    "send_submit": "Send",
    "send_close": "Close",
    "sending": "Sending…",
    "send_no_file": "Choose the file to send.",
    "send_no_kind": "Choose the kind of declaration.",
    "send_no_customer": "Choose the customer account.",
    "sent": "{kind} declaration received for {customer_name} ({customer_code}), reference "
    "{reference}. Follow it in “Submission tracking”.",
    "send_refused": "Sage EDI Online refused the submission (error {status}). Try again; if it "
    "persists, contact Sage support.",
    "problem_invalid-token": "Your Sage ID session is no longer valid: please sign in again.",
    "problem_insufficient-scope": "Your sign-in does not give access to Sage EDI Online: "
    "please sign in again.",
    "problem_not-referenced": "Your Sage ID is not referenced to this customer account: finish "
    "the referencing on the Sage EDI Online portal.",
    "problem_permission-denied": "Your profile does not allow sending this kind of declaration "
    "for this customer account: ask its administrator.",
    "problem_unsupported-media-type": "Sage EDI Online could not read the submission. Try "
    "again; if it persists, contact Sage support.",
    "problem_malformed-multipart": "Sage EDI Online could not read the submission. Try again; "
    "if it persists, contact Sage support.",
    "problem_invalid-parameters": "The submission is incomplete: check the file, the kind of "
    "declaration and the customer account.",
    "problem_invalid-query": "Sage EDI Online did not understand the request. Try again.",
    "problem_file-too-large": "The file is too large for Sage EDI Online.",
    "problem_file-type-refused": "This file is not accepted for this kind of declaration: "
    "check the file and the kind chosen.",
    "err_unreachable": "The Sage ID service cannot be reached. Check your internet "
    "connection, then try again.",
    "err_provider": "The Sage ID service gave an unexpected answer. Try again later.",
    "err_denied": "The sign-in was refused.",
    "err_refused": "Sage ID refused the request ({code}).",
    "err_timeout": "The browser did not come back in time: start again.",
    "err_device_expired": "The code expired before it was confirmed: start again.",
    "err_security": "Sage ID's answer failed the security checks: start again.",
    "err_keyring": "No system keyring can protect your sign-in. Set SAGEID_CACHE_PASSPHRASE, "
    "or insecure_storage = true in config.toml.",
    "err_cache": "Your saved sign-in cannot be used: {detail}",
    "err_file": "The file cannot be read: {detail}",
    "err_unexpected": "Something unexpected went wrong. Try again; if it persists, contact "
    "Sage support.",
    "kind_DSN": "DSN – Nominative social declaration",
    "kind_DUCS": "DUCS – Social contributions",
    "kind_TVA": "EDI-TVA – VAT return",
    "kind_TDFC": "EDI-TDFC – Annual tax return",
    "kind_BANK_REMITTANCE": "Bank remittance (credit transfers)",
    "kind_DIRECT_DEBIT": "SEPA direct debits",
}

TABLES: Final = {"fr": FRENCH, "en": ENGLISH}


class Texts:
    """The strings of one language: `texts("sent", file=…)` fills the placeholders."""

    def __init__(self, language: str = "fr") -> None:
        if language not in TABLES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
        self.language = language
        self._table = TABLES[language]

    def has(self, key: str) -> bool:
        """True if there is a text for `key`."""
        return key in self._table

    def __call__(self, key: str, **values: object) -> str:
        text = self._table[key]
        return text.format(**values) if values else text

    def kind_label(self, kind: str) -> str:
        """The label of a submission kind (its code if unknown)."""
        return self._table.get(f"kind_{kind}", kind)
