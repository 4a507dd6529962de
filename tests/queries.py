"""What a request sent to the database, for tests of how a page is read."""

from django.db import connection
from django.test.utils import CaptureQueriesContext


def get_with_statements(client, url, params=None):
    """`client`'s response to GET `url` with `params`, and the SQL statements it sent: read at
    once, since the next request empties the connection's query log."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    return response, [query["sql"] for query in queries.captured_queries]


def finds_keys_first(statements) -> bool:
    """Whether a statement found a page's keys on their own before reading its rows
    (network_admin.pagination.paginate's keys_first)."""
    return any('"id" IN (SELECT' in statement for statement in statements)
