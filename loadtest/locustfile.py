"""What a busy day of network admins looks like to the server: each simulated admin logs in once,
then browses the customer list, searches it and opens customer pages, pausing between clicks.

Run it through `make loadtest` (loadtest/run.sh): a throwaway database, gunicorn on 127.0.0.1
and a bounded run. Every answer must be a 200 and the page it should be; anything else counts as
a failure. Results are in docs/operations.md.
"""

import os
import re
from random import Random

from locust import HttpUser, between, task

USERNAME = os.environ.get("LOADTEST_USERNAME", "loadtest")
PASSWORD = os.environ["LOADTEST_PASSWORD"]
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CUSTOMER_LINK = re.compile(r'href="/customers/(\d+)/"')
# Fragments of names and email addresses the demo network is full of, and some it has not.
SEARCHES = ["an", "son", "ma", "example", "li", "@", "zz", "van de", "o'"]
# Which page each simulated admin opens next: test data, nothing secret, repeatable.
pick = Random(2026).choice  # noqa: S311


class NetworkAdmin(HttpUser):
    wait_time = between(0.5, 2)

    def on_start(self):
        page = self.client.get("/login/", name="/login/")
        token = CSRF.search(page.text)[1]
        response = self.client.post(
            "/login/",
            {"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": f"{self.host}/login/"},
            name="/login/ (POST)",
        )
        if "/login/" in response.url:
            raise RuntimeError(f"{USERNAME} could not log in: check LOADTEST_PASSWORD")
        self.customer_ids = []

    def _list(self, url: str, name: str) -> None:
        with self.client.get(url, name=name, catch_response=True) as response:
            if response.status_code != 200 or "customer-results" not in response.text:
                response.failure(f"not the customer list: {response.status_code}")
                return
            self.customer_ids = CUSTOMER_LINK.findall(response.text) or self.customer_ids

    @task(4)
    def browse_the_list(self):
        self._list("/customers/", "/customers/")

    @task(3)
    def search(self):
        self._list(f"/customers/?q={pick(SEARCHES)}", "/customers/?q=…")

    @task(5)
    def open_a_customer(self):
        if not self.customer_ids:
            self.browse_the_list()
            return
        url = f"/customers/{pick(self.customer_ids)}/"
        with self.client.get(url, name="/customers/<id>/", catch_response=True) as response:
            if response.status_code != 200 or "At a Glance" not in response.text:
                response.failure(f"not a customer page: {response.status_code}")
