"""`sageid-desktop`: a minimal « Sage / Ciel direct » window around the migration assistant.

The window only draws the presenter's `View` and forwards clicks; long work runs in worker
threads (`TkRunner`) whose outcomes come back through a queue the Tk loop drains, so the
window never freezes while the browser, the phone or the network take their time.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import queue
import sys
import tkinter as tk
import webbrowser
from collections.abc import Sequence
from pathlib import Path
from tkinter import messagebox, ttk
from types import TracebackType
from typing import Final, TypeVar

from client import (
    ConfigError,
    ExitCode,
    RelyingParty,
    TokenCache,
    default_http_client,
    exit_code_for,
    load_client_config,
)

from .dialogs import MESSAGE_STYLES, AssistantDialog, SendDialog
from .i18n import LANGUAGES, Texts
from .model import State, View
from .presenter import Presenter
from .seams import QueuedRunner
from .services import LibraryServices, MigrationRecord, default_record_path

logger = logging.getLogger("sageid.desktop")

T = TypeVar("T")

# Set by the window tests: the file the app writes its state to once its windows are drawn.
READY_FILE_ENV: Final = "SAGEID_DESKTOP_READY_FILE"
BANNER_YELLOW: Final = "#ffe27a"
TOOLBAR_GREY: Final = "#e8eaed"
FOCUS_GREEN: Final = "#007e45"


class TkRunner(QueuedRunner):
    """`Runner` for Tk: the queue drained by `after` (Tk may only be touched from its own
    thread)."""

    POLL_MS: Final = 50

    def __init__(self, root: tk.Misc) -> None:
        super().__init__()
        self._root = root
        root.after(self.POLL_MS, self._drain)

    def _drain(self) -> None:
        self._root.after(self.POLL_MS, self._drain)  # First: a failing callback must not stop it.
        while True:
            try:
                callback = self._queue.get_nowait()
            except queue.Empty:
                return
            callback()


def _styles(root: tk.Tk) -> None:
    style = ttk.Style(root)
    if "clam" in style.theme_names():
        style.theme_use("clam")
    style.configure("Toolbar.TFrame", background=TOOLBAR_GREY)
    style.configure("Brand.TLabel", background=TOOLBAR_GREY, font=("TkDefaultFont", 11, "bold"))
    style.configure("Heading.TLabel", font=("TkDefaultFont", 13, "bold"))
    style.configure("Code.TLabel", font=("TkFixedFont", 22, "bold"))
    style.configure("Info.TLabel", foreground="#1f3a5f")
    style.configure("Success.TLabel", foreground="#1b5e20")
    style.configure("Error.TLabel", foreground="#b00020")
    style.configure("Link.TButton", relief="flat", foreground="#0b57d0")
    # Visible keyboard focus (WCAG 2.4.7): a thick green ring on the focused control.
    style.configure("TButton", focuscolor=FOCUS_GREEN, focusthickness=2)
    style.map("TButton", bordercolor=[("focus", FOCUS_GREEN)])
    style.map("TEntry", bordercolor=[("focus", FOCUS_GREEN)], lightcolor=[("focus", FOCUS_GREEN)])
    style.map("TCombobox", bordercolor=[("focus", FOCUS_GREEN)])


class MainWindow:
    """The main window: a toolbar with « Sage EDI Online » (the name menu once migrated), the
    yellow banner, a status line, and the two dialogs."""

    def __init__(
        self, root: tk.Tk, presenter: Presenter, texts: Texts, *, ready_file: Path | None = None
    ) -> None:
        self.root = root
        self._presenter = presenter
        self._texts = texts
        self._ready_file = ready_file
        self._latest: View | None = None
        self._report_scheduled = False
        self.closed = False
        root.title(texts("app_title"))
        root.geometry("800x560")
        root.minsize(640, 400)
        root.protocol("WM_DELETE_WINDOW", presenter.quit_requested)
        root.report_callback_exception = self._callback_failed
        _styles(root)

        self.toolbar = ttk.Frame(root, padding=(10, 6), style="Toolbar.TFrame")
        self.toolbar.pack(side="top", fill="x")
        ttk.Label(self.toolbar, text=texts("app_title"), style="Brand.TLabel").pack(side="left")
        self.send_button = ttk.Button(
            self.toolbar, text=texts("toolbar_send"), command=presenter.send_clicked
        )
        self.send_button.pack(side="left", padx=(16, 0))
        self.edi_button = ttk.Button(
            self.toolbar, text=texts("toolbar_edi"), command=presenter.edi_menu_clicked
        )
        self.name_button = ttk.Menubutton(self.toolbar)
        self.name_menu = tk.Menu(self.name_button, tearoff=False)
        self.name_menu.add_command(label=texts("menu_tracking"), command=presenter.tracking_clicked)
        self.name_menu.add_command(label=texts("menu_sign_out"), command=presenter.sign_out_clicked)
        self.name_button.configure(menu=self.name_menu)

        self.banner = tk.Frame(root, background=BANNER_YELLOW, padx=12, pady=8)
        self.banner_label = tk.Label(self.banner, text=texts("banner"), background=BANNER_YELLOW)
        self.banner_label.pack(side="left")
        self.banner_button = ttk.Button(
            self.banner, text=texts("banner_action"), command=presenter.edi_menu_clicked
        )
        self.banner_button.pack(side="right")

        self.status = ttk.Label(root, padding=(10, 6), anchor="w", wraplength=760)
        self.status.pack(side="bottom", fill="x")
        body = ttk.Frame(root, padding=28)
        body.pack(side="top", fill="both", expand=True)
        ttk.Label(body, text=texts("home_heading"), style="Heading.TLabel").pack(anchor="w")
        ttk.Label(body, text=texts("home_text"), wraplength=700).pack(anchor="w", pady=(8, 0))

        self.assistant = AssistantDialog(root, presenter, texts)
        self.send_dialog = SendDialog(root, presenter, texts)
        presenter.subscribe(self.render)
        self.render(presenter.view)

    def render(self, view: View) -> None:
        if self.closed:
            return
        if view.state is State.CLOSED:
            self.closed = True
            self.root.destroy()
            return
        if view.user_name is not None:
            self.edi_button.pack_forget()
            self.name_button.configure(text=view.user_name)
            self.name_button.pack(side="right")
            self.name_menu.entryconfigure(1, state="disabled" if view.busy else "normal")
        else:
            self.name_button.pack_forget()
            self.edi_button.pack(side="right")
        if view.banner:
            # Not migrated yet: the seed's words; migrated and signed out: why, and again.
            self.banner_label.configure(text=view.banner_text or "")
            self.banner_button.configure(text=view.banner_action or "")
            self.banner.pack(side="top", fill="x", after=self.toolbar)
        else:
            self.banner.pack_forget()
        message = view.message
        self.status.configure(
            text=message.text if message else "",
            style=MESSAGE_STYLES[message.level] if message else "TLabel",
        )
        self.assistant.render(view)
        self.send_dialog.render(view)
        self._latest = view
        if self._ready_file is not None and not self._report_scheduled:
            self._report_scheduled = True
            self.root.after(50, self._report)

    def _callback_failed(
        self, kind: type[BaseException], error: BaseException, trace: TracebackType | None
    ) -> None:
        logger.error("Unexpected error in the window", exc_info=(kind, error, trace))
        if not self.closed:
            self.status.configure(text=self._texts("err_unexpected"), style="Error.TLabel")

    def _report(self) -> None:
        """Write the state to the ready file once every window shown is drawn (tests)."""
        self._report_scheduled = False
        if self.closed or self._ready_file is None or self._latest is None:
            return
        windows: list[tk.Misc] = [self.root]
        windows += [w for w in (self.assistant.window, self.send_dialog.window) if w is not None]
        if not all(window.winfo_viewable() for window in windows):
            self._report_scheduled = True
            self.root.after(50, self._report)
            return
        self.root.update_idletasks()
        view = self._latest
        state = {
            "state": view.state.value,
            "user_name": view.user_name,
            "banner": view.banner,
            "assistant": view.assistant_open,
            "windows": [
                [w.winfo_rootx(), w.winfo_rooty(), w.winfo_width(), w.winfo_height()]
                for w in windows
            ],
        }
        temporary = self._ready_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(state), encoding="utf-8")
        os.replace(temporary, self._ready_file)


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="sageid-desktop",
        description="Sage / Ciel direct (reference app): the Sage ID migration assistant.",
    )
    parser.add_argument("--issuer", metavar="URL", help="Sage ID provider [env SAGEID_ISSUER]")
    parser.add_argument("--client-id", metavar="ID", help="OAuth client [env SAGEID_CLIENT_ID]")
    parser.add_argument(
        "--lang", choices=LANGUAGES, help="fr or en (default: config.toml, the locale, else fr)"
    )
    parser.add_argument(
        "--insecure-storage",
        action="store_true",
        help="where no OS keyring works, keep the tokens UNENCRYPTED on disk (last resort)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Console script `sageid-desktop`."""
    args = _arguments(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        root = tk.Tk(className="SageCielDirect")
    except tk.TclError as error:
        print(f"sageid-desktop: cannot open a window: {error}", file=sys.stderr)
        raise SystemExit(ExitCode.FAILURE) from None
    try:
        config = load_client_config(
            issuer=args.issuer, client_id=args.client_id, insecure_storage=args.insecure_storage
        )
    except ConfigError as error:
        root.withdraw()
        messagebox.showerror("Sage / Ciel direct", str(error), parent=root)
        root.destroy()
        raise SystemExit(exit_code_for(error)) from None
    language = args.lang or config.language
    texts = Texts(language)
    services = LibraryServices(
        RelyingParty(default_http_client(), config.issuer, config.client_id),
        TokenCache(insecure_storage=config.insecure_storage),
        MigrationRecord(default_record_path()),
        open_browser=webbrowser.open,
        language=language,
    )
    presenter = Presenter(services, TkRunner(root), texts, open_url=webbrowser.open)
    ready_file = os.environ.get(READY_FILE_ENV)
    MainWindow(root, presenter, texts, ready_file=Path(ready_file) if ready_file else None)
    presenter.launched()
    try:
        root.mainloop()
    finally:
        services.close()
