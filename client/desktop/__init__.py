"""Sage / Ciel direct, the reference desktop app: the Sage ID migration assistant of the seed
(étapes 1, 2 and 4), built only on the public API of `client`.

`presenter` holds the logic as a UI-free state machine over the seams of `seams`;
`services` implements them with the client library; `app` and `dialogs` are the Tkinter
view. Run it with `sageid-desktop` or `python -m client.desktop`.
"""
