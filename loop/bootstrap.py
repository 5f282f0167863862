"""The composition root: the application store and its services, built from
settings; nothing is built at import."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from eventsourcing.domain import datetime_now_with_tzinfo

from loop.rules.counties import LISHU as LISHU_COUNTY
from loop.rules.counties import CountyPreset, county_preset
from loop.rules.policy import LISHU, PRESETS, Policy
from loop.rules.scoring import LISHU_SCORING, ScoringPolicy, resolve_scoring
from loop.services.accounts import AccountDirectory
from loop.services.bank import Bank
from loop.services.imports import RollImport
from loop.services.incidents import IncidentFlow
from loop.services.notices import Notices
from loop.services.organisation import Registry
from loop.services.tasks import Tasks
from loop.services.training import Training
from loop.services.volunteers import Volunteers
from loop.settings import Settings
from loop.storage.application import LoopApplication
from loop.storage.keys import KeyStore
from loop.storage.keys_file import record_key
from loop.storage.persistence import application_env, build_key_store, schema_lock


@dataclass
class Loop:
    """The one application store and every service over it."""

    app: LoopApplication
    incidents: IncidentFlow
    volunteers: Volunteers
    bank: Bank
    notices: Notices
    tasks: Tasks
    training: Training
    registry: Registry
    accounts: AccountDirectory
    imports: RollImport

    def close(self) -> None:
        self.app.close()


def open_loop(
    env: Mapping[str, str] | None = None,
    *,
    policy: Policy = LISHU,
    scoring: ScoringPolicy = LISHU_SCORING,
    clock: Callable[[], datetime] = datetime_now_with_tzinfo,
    key_store: KeyStore | None = None,
    record_key: bytes | None = None,
    county: CountyPreset = LISHU_COUNTY,
) -> Loop:
    """The store named by the eventsourcing ``env`` (default: in memory) and its
    services; ``record_key`` signs the chain rows and snapshot records; ``county``
    names the task and training rules and the words of admission
    (``loop.rules.counties``)."""
    app = LoopApplication(env, clock=clock, key_store=key_store, record_key=record_key)
    registry = Registry(app)
    incidents = IncidentFlow(app, policy=policy, scoring=scoring)
    incidents.departments = lambda community: [
        (unit.code, unit.name) for unit in registry.tree().departments(community)
    ]
    tasks, training = Tasks(app, scoring), Training(app, scoring)
    tasks.policy = county.task_policy(scoring)
    tasks.training = training.policy = county.training_policy(scoring)
    tasks.volunteers = training.volunteers = Volunteers(app, scoring, county)
    return Loop(
        app=app,
        registry=registry,
        accounts=AccountDirectory(app, registry),
        imports=RollImport(app, registry, scoring, county),
        incidents=incidents,
        volunteers=Volunteers(app, scoring, county),
        bank=Bank(app, scoring, policy),
        notices=Notices(app),
        tasks=tasks,
        training=training,
    )


def build_loop(settings: Settings | None = None) -> Loop:
    """The store and services the settings (default: ``LISHU_*``) describe."""
    settings = settings or Settings()
    county = county_preset(settings.policy)
    with schema_lock(settings.database_url, settings.postgres_connect_timeout):
        return open_loop(
            application_env(settings),
            policy=PRESETS[county.policy],
            scoring=resolve_scoring(settings.scoring or county.scoring),
            county=county,
            key_store=build_key_store(settings),
            record_key=record_key(settings),
        )
