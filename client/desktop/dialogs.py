"""The two dialogs over the main window: the migration assistant (seed, étapes 1 and 2) and
« Envoyer une déclaration ». Each draws a `View` and turns clicks into presenter events.
"""

from __future__ import annotations

import base64
import io
import time
import tkinter as tk
from collections.abc import Callable
from tkinter import filedialog, ttk

import segno

from .i18n import Texts
from .model import Level, Message, SendForm, State, View
from .presenter import Presenter

SAGE_GREEN = "#007e45"
WRAP = 460  # pixels: the assistant's paragraphs
MESSAGE_STYLES = {
    Level.INFO: "Info.TLabel",
    Level.SUCCESS: "Success.TLabel",
    Level.ERROR: "Error.TLabel",
}


def qr_image(master: tk.Misc, data: str, *, scale: int = 4) -> tk.PhotoImage:
    """`data` as a QR code image Tk can show (a PNG, which Tk 8.6 reads natively)."""
    buffer = io.BytesIO()
    # Error level L keeps the code small; the URL is short and the screen is clean.
    segno.make(data, error="l", micro=False).save(buffer, kind="png", scale=scale, border=2)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return tk.PhotoImage(master=master, data=encoded, format="png")


def dialog(
    root: tk.Tk,
    title: str,
    on_close: Callable[[], None],
    dx: int,
    dy: int,
    on_return: Callable[[], None] | None = None,
) -> tk.Toplevel:
    """A dialog over the main window, with its title also drawn in a band at the top (seen
    even where no window manager decorates it). The keyboard works as in any dialog:
    Escape closes it, Return presses the focused button, else `on_return` (the default)."""
    window = tk.Toplevel(root, borderwidth=1, relief="solid")
    window.title(title)
    window.transient(root)
    window.protocol("WM_DELETE_WINDOW", on_close)
    window.bind("<Escape>", lambda _event: on_close())

    def pressed(_event: object) -> str:
        focused = window.focus_get()
        if isinstance(focused, ttk.Button) and str(focused.cget("state")) != "disabled":
            focused.invoke()
        elif on_return is not None:
            on_return()
        return "break"

    window.bind("<Return>", pressed)
    window.bind("<KP_Enter>", pressed)
    band = tk.Label(window, text=title, background=SAGE_GREEN, foreground="white", anchor="w")
    band.configure(font=("TkDefaultFont", 11, "bold"), padx=20, pady=8)
    band.pack(fill="x")
    root.update_idletasks()
    window.geometry(f"+{root.winfo_rootx() + dx}+{root.winfo_rooty() + dy}")
    return window


class AssistantDialog:
    """The assistant: one page per state, rebuilt only when what it shows changes."""

    def __init__(self, root: tk.Tk, presenter: Presenter, texts: Texts) -> None:
        self._root = root
        self._presenter = presenter
        self._texts = texts
        self.window: tk.Toplevel | None = None
        self._page: ttk.Frame | None = None
        self._shown: tuple[object, ...] | None = None
        self.email = tk.StringVar(root)
        self.buttons: dict[str, ttk.Button] = {}
        self.default: ttk.Button | None = None  # what Return presses
        self.qr: tk.PhotoImage | None = None  # kept: Tk forgets images Python collects

    def render(self, view: View) -> None:
        if not view.assistant_open:
            self.close()
            return
        if self.window is None:
            title = self._texts("assistant_title")
            self.window = dialog(
                self._root, title, self._presenter.later_clicked, 70, 50, self._press_default
            )
            self.window.resizable(False, False)
        shown = (view.state, view.assistant_message, view.browser_url, view.device, view.again)
        if shown == self._shown:
            return
        self._shown = shown
        if self._page is not None:
            self._page.destroy()
        self._page = ttk.Frame(self.window, padding=20)
        self._page.pack(fill="both", expand=True)
        self.buttons = {}
        self.default = None
        if view.state is State.ASSISTANT:
            self._welcome(view)
        elif view.state is State.SESSION_EXPIRED:
            self._sign_in_again(view)
        elif view.state is State.EMAIL:
            self._email_page(view)
        elif view.state is State.SIGNING_IN_BROWSER:
            self._browser_page(view)
        else:
            self._device_page(view)

    def close(self) -> None:
        if self.window is not None:
            self.window.destroy()
        self.window = self._page = self._shown = self.qr = None
        self.buttons = {}
        self.default = None

    def _press_default(self) -> None:
        if self.default is not None and str(self.default.cget("state")) != "disabled":
            self.default.invoke()

    # Building blocks.

    def _label(self, text: str, style: str = "TLabel", **options: object) -> ttk.Label:
        label = ttk.Label(self._page, text=text, style=style, wraplength=WRAP, justify="left")
        label.pack(anchor="w", pady=(0, 10), **options)  # type: ignore[arg-type]
        return label

    def _message(self, message: Message | None) -> None:
        if message is not None:
            self._label(message.text, MESSAGE_STYLES[message.level])

    def _buttons(self, *buttons: tuple[str, Callable[[], None]], left: str | None = None) -> None:
        row = ttk.Frame(self._page)
        row.pack(fill="x", pady=(12, 0))
        for key, command in reversed(buttons):
            button = ttk.Button(row, text=self._texts(key), command=command)
            button.pack(side="right", padx=(6, 0))
            self.buttons[key] = button
        if buttons:
            self.default = self.buttons[buttons[-1][0]]
            self.default.configure(default="active")
            self.default.focus_set()
        if left is not None:
            link = ttk.Button(row, text=self._texts(left), style="Link.TButton")
            link.configure(command=self._presenter.device_chosen)
            link.pack(side="left")
            self.buttons[left] = link

    # The pages.

    def _welcome(self, view: View) -> None:
        self._label(view.assistant_heading or "", "Heading.TLabel")
        self._label(view.assistant_text or "")
        self._message(view.assistant_message)
        self._buttons(
            ("later", self._presenter.later_clicked), ("start", self._presenter.start_clicked)
        )

    def _sign_in_again(self, view: View) -> None:
        # Migrated already: say why the sign-in ended, one button, the email filled in.
        self._label(view.assistant_heading or "", "Heading.TLabel")
        self._label(view.assistant_text or "")
        entry = self._email_entry(view)
        self._message(view.assistant_message)
        self._buttons(("sign_in_again", self._continue), left="use_code")
        if not view.email:
            entry.focus_set()

    def _email_entry(self, view: View) -> ttk.Entry:
        ttk.Label(self._page, text=self._texts("email_label")).pack(anchor="w")
        self.email.set(view.email)
        entry = ttk.Entry(self._page, textvariable=self.email, width=44)
        entry.pack(anchor="w", pady=(2, 10))
        return entry

    def _email_page(self, view: View) -> None:
        self._label(self._texts("email_heading"), "Heading.TLabel")
        self._label(self._texts("email_text"))
        entry = self._email_entry(view)  # Return in it presses « Continuer », the default
        self._message(view.assistant_message)
        self._buttons(
            ("later", self._presenter.later_clicked),
            ("continue", self._continue),
            left="use_code",
        )
        entry.focus_set()

    def _continue(self) -> None:
        self._presenter.email_submitted(self.email.get())

    def _browser_page(self, view: View) -> None:
        self._label(self._texts("browser_heading"), "Heading.TLabel")
        self._label(self._texts("browser_text"))
        progress = ttk.Progressbar(self._page, mode="indeterminate", length=WRAP)
        progress.pack(anchor="w", pady=(0, 10))
        progress.start(15)
        if view.browser_url:
            self._label(self._texts("browser_link"))
            link = ttk.Entry(self._page, width=60)
            link.insert(0, view.browser_url)
            link.configure(state="readonly")
            link.pack(anchor="w", fill="x", pady=(0, 10))
        self._message(view.assistant_message)
        self._buttons(("cancel", self._presenter.sign_in_cancelled), left="use_code")

    def _device_page(self, view: View) -> None:
        self._label(self._texts("device_heading"), "Heading.TLabel")
        device = view.device
        if device is None:
            self._label(self._texts("device_preparing"))
            progress = ttk.Progressbar(self._page, mode="indeterminate", length=WRAP)
            progress.pack(anchor="w", pady=(0, 10))
            progress.start(15)
        else:
            self._label(self._texts("device_text", uri=device.verification_uri))
            self._label(device.user_code, "Code.TLabel", padx=12)
            self._label(self._texts("device_qr"))
            self.qr = qr_image(self._root, device.qr_data)
            ttk.Label(self._page, image=self.qr).pack(anchor="w", padx=12, pady=(0, 10))
            until = time.strftime("%H:%M", time.localtime(device.expires_at))
            self._label(self._texts("device_expires", time=until))
        self._message(view.assistant_message)
        self._buttons(("cancel", self._presenter.sign_in_cancelled))


class SendDialog:
    """« Envoyer une déclaration »: a file, a kind and a customer account, then the result."""

    def __init__(self, root: tk.Tk, presenter: Presenter, texts: Texts) -> None:
        self._root = root
        self._presenter = presenter
        self._texts = texts
        self.window: tk.Toplevel | None = None
        self.file = tk.StringVar(root)
        self.kind = tk.StringVar(root)
        self.customer = tk.StringVar(root)
        self.file.trace_add("write", lambda *_: self._presenter.send_file_changed(self.file.get()))
        self.buttons: dict[str, ttk.Button] = {}
        self._result: ttk.Label | None = None
        self._kinds: dict[str, str] = {}

    def render(self, view: View) -> None:
        form = view.send
        if form is None:
            self.close()
            return
        if self.window is None:
            self._open(form)
        assert self._result is not None
        result = form.result
        if form.sending:
            self._result.configure(text=self._texts("sending"), style="Info.TLabel")
        elif result is not None:
            self._result.configure(text=result.text, style=MESSAGE_STYLES[result.level])
        else:
            self._result.configure(text="")
        self.buttons["send_submit"].configure(state="normal" if form.can_send else "disabled")

    def close(self) -> None:
        if self.window is not None:
            self.window.destroy()
        self.window = self._result = None
        self.buttons = {}

    def _open(self, form: SendForm) -> None:
        title = self._texts("send_title")
        window = self.window = dialog(
            self._root, title, self._presenter.send_closed, 90, 70, self._submit
        )
        page = ttk.Frame(window, padding=20)
        page.pack(fill="both", expand=True)
        self._kinds = {self._texts.kind_label(kind): kind for kind in form.kinds}
        customers = [f"{c.code} – {c.name}" if c.name else c.code for c in form.customers]
        self.file.set("")
        self.kind.set(next(iter(self._kinds)))
        self.customer.set(customers[0] if customers else "")
        kinds = ttk.Combobox(page, textvariable=self.kind, values=list(self._kinds), width=38)
        kinds.configure(state="readonly")
        rows: list[tuple[str, ttk.Widget]] = [
            ("send_file", ttk.Entry(page, textvariable=self.file, width=40)),
            ("send_kind", kinds),
            ("send_customer", ttk.Combobox(page, textvariable=self.customer, values=customers)),
        ]
        for row, (key, widget) in enumerate(rows):
            ttk.Label(page, text=self._texts(key)).grid(row=row, column=0, sticky="w", pady=4)
            widget.grid(row=row, column=1, sticky="we", padx=(8, 0), pady=4)
        browse = ttk.Button(page, text=self._texts("send_browse"), command=self._browse)
        browse.grid(row=0, column=2, padx=(6, 0))
        self._result = ttk.Label(page, wraplength=420, justify="left")
        self._result.grid(row=3, column=0, columnspan=3, sticky="w", pady=(10, 0))
        actions = ttk.Frame(page)
        actions.grid(row=4, column=0, columnspan=3, sticky="e", pady=(12, 0))
        self.buttons = {"send_browse": browse}
        for key, command in (
            ("send_close", self._presenter.send_closed),
            ("send_submit", self._submit),
        ):
            button = ttk.Button(actions, text=self._texts(key), command=command)
            button.pack(side="left", padx=(6, 0))
            self.buttons[key] = button
        self.buttons["send_submit"].configure(default="active")
        self.buttons["send_browse"].focus_set()

    def _browse(self) -> None:
        chosen = filedialog.askopenfilename(parent=self.window, title=self._texts("send_title"))
        if chosen:
            self.file.set(chosen)

    def _submit(self) -> None:
        if str(self.buttons["send_submit"].cget("state")) == "disabled":
            return
        customer = self.customer.get().strip().split(" ", 1)[0]
        kind = self._kinds.get(self.kind.get(), "")
        self._presenter.declaration_submitted(self.file.get(), kind, customer)
