"""Who is on the other end of a request."""

from django.conf import settings
from ipware import get_client_ip


def client_ip(request) -> str | None:
    """The client's IP address, trusting X-Forwarded-For only as far as our own proxies go.

    With no trusted proxies (the default) the header is ignored: any client can forge it.
    Behind N proxies, ipware reads the header in strict mode, so a forged chain (one with
    more entries than our proxies add) falls back to the address that connected to us
    rather than to whatever the client wrote.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies == 0:
        ip, _routable = get_client_ip(request, request_header_order=["REMOTE_ADDR"])
    else:
        # ipware counts the proxies listed in the header, i.e. all but the last hop.
        ip, _routable = get_client_ip(request, proxy_count=proxies - 1, strict=True)
    return ip
