"""What a list page shows around its rows, read off its HTML."""

import re


def tabs_shown(response) -> dict[str, str]:
    """The list's tabs as an admin reads them: each label with the count beside it."""
    tabs = re.search(r'<nav class="tabs".*?</nav>', response.content.decode(), re.S).group()
    return dict(re.findall(r'>([^<>]+) <span class="count">([^<>]*)</span></a>', tabs))
