import pytest

from network_admin import pagination
from network_admin.pagination import forget_estimates
from tests.factories import CustomerFactory, UserFactory


@pytest.fixture(autouse=True)
def _uncounted_lists():
    """Every test counts its own data: no planner estimate kept from an earlier test's lists."""
    forget_estimates()


class PlannerStandIn:
    """Stands in for PostgreSQL's row estimates (`pagination._estimate`), which depend on table
    statistics: every query is expected to match `rows`; `asked` holds the keys of each EXPLAIN."""

    def __init__(self, rows: int = 100):
        self.rows = rows
        self.asked: list[set] = []

    def __call__(self, database, queries):
        self.asked.append(set(queries))
        return dict.fromkeys(queries, self.rows)


@pytest.fixture
def planner(monkeypatch):
    stand_in = PlannerStandIn()
    monkeypatch.setattr(pagination, "_estimate", stand_in)
    return stand_in


class KeptNumbersClock:
    """Stands in for the clock kept estimates and counts expire by (`pagination.time`): it
    stays where it is until a test moves it on."""

    def __init__(self):
        self.now = 1_000.0

    def monotonic(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def kept_numbers_clock(monkeypatch):
    clock = KeptNumbersClock()
    monkeypatch.setattr(pagination, "time", clock)
    return clock


@pytest.fixture
def network_admin(db):
    return UserFactory(is_staff=True, role="Network admin", first_name="Jane", last_name="Admin")


@pytest.fixture
def support_agent(db):
    return UserFactory(is_staff=True, role="Support agent", first_name="Sam", last_name="Agent")


@pytest.fixture
def customer(db):
    return CustomerFactory(user__first_name="Ada", user__last_name="Lovelace")


@pytest.fixture
def admin_client(client, network_admin):
    client.force_login(network_admin)
    return client


@pytest.fixture
def agent_client(client, support_agent):
    client.force_login(support_agent)
    return client


@pytest.fixture
def customer_client(client, customer):
    client.force_login(customer.user)
    return client
