"""What a customer account's administrator may do to its members (seed, étape 3: the profile
« défini par l'administrateur du compte »; issue 8: the portal's *Administration*)."""

from __future__ import annotations

from enum import StrEnum


class MemberRefusal(StrEnum):
    NOT_ADMINISTRATOR = "not_administrator"  # only the customer's administrator manages members
    OWN_MEMBERSHIP = "own_membership"  # the administrator must stay a member with their profile
    NO_SUCH_MEMBER = "no_such_member"
    NO_SUCH_PROFILE = "no_such_profile"  # not one of this customer's profiles


def is_administrator(administrator_id: str | None, user_id: str) -> bool:
    return administrator_id is not None and administrator_id == user_id


def check_member_change(
    *, administrator_id: str | None, actor_id: str, member_id: str
) -> MemberRefusal | None:
    """May `actor_id` change or remove the membership of `member_id`? Not their own: a
    customer's administrator must be one of its members (DESIGN §5), and there is no
    hand-over of the role here."""
    if not is_administrator(administrator_id, actor_id):
        return MemberRefusal.NOT_ADMINISTRATOR
    if member_id == actor_id:
        return MemberRefusal.OWN_MEMBERSHIP
    return None
