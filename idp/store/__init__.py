"""The one async store layer: a repository per aggregate over one `Database`."""

from __future__ import annotations

from idp.store.audit import AuditRepository
from idp.store.authorization_codes import AuthorizationCodeRepository
from idp.store.challenges import ChallengeRepository
from idp.store.client_assertions import ClientAssertionRepository
from idp.store.clients import ClientCache, ClientRepository
from idp.store.connected_apps import ConnectedAppRepository
from idp.store.consents import ConsentRepository
from idp.store.customers import CustomerRepository
from idp.store.database import Database
from idp.store.devices import DeviceRepository
from idp.store.dpop import DPoPProofRepository
from idp.store.factors import FactorRepository
from idp.store.grants import GrantRepository
from idp.store.initial_access_tokens import InitialAccessTokenRepository
from idp.store.members import MemberRepository, ProfileRepository
from idp.store.pushed_requests import PushedRequestRepository
from idp.store.sessions import SessionRepository
from idp.store.submissions import SubmissionRepository
from idp.store.throttle import ThrottleRepository
from idp.store.users import UserRepository


class Store:
    def __init__(self, database_url: str, pool_size: int = 20) -> None:
        self.db = Database(database_url, pool_size)
        self.users = UserRepository(self.db)
        self.clients = ClientRepository(self.db)
        self.client_cache = ClientCache(self.clients)
        self.codes = AuthorizationCodeRepository(self.db)
        self.devices = DeviceRepository(self.db)
        self.grants = GrantRepository(self.db)
        self.sessions = SessionRepository(self.db)
        self.consents = ConsentRepository(self.db)
        self.challenges = ChallengeRepository(self.db)
        self.throttle = ThrottleRepository(self.db)
        self.customers = CustomerRepository(self.db)
        self.members = MemberRepository(self.db)
        self.profiles = ProfileRepository(self.db)  # issue 18: administrators' changes
        self.connected_apps = ConnectedAppRepository(self.db)  # issue 18: the account page
        self.submissions = SubmissionRepository(self.db)
        self.audit = AuditRepository(self.db)
        self.factors = FactorRepository(self.db)  # issue 17: second factors
        self.pushed_requests = PushedRequestRepository(self.db)  # issue 16: RFC 9126
        self.client_assertions = ClientAssertionRepository(self.db)  # issue 16: RFC 7523
        self.initial_access_tokens = InitialAccessTokenRepository(self.db)  # issue 16: RFC 7591
        self.dpop_proofs = DPoPProofRepository(self.db)  # issue 16: DPoP `jti`s seen

    async def close(self) -> None:
        await self.db.dispose()


__all__ = ["Store"]
