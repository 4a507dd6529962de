from django.utils import timezone

from customers.models import Customer

SEEN_AT = "customers.last_seen_at"
SEEN_EVERY_SECONDS = 60


class LastSeenMiddleware:
    """Keep a customer's `last_seen` fresh (the "Online" tab) while they use the app.

    At most one write a minute per session, and never for staff, nor for an admin who has
    switched to the customer: only the customer's own visits make them "online".
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.is_staff:
            return response
        if request.session.get("hijack_history"):
            return response
        now = timezone.now()
        if now.timestamp() - request.session.get(SEEN_AT, 0) >= SEEN_EVERY_SECONDS:
            Customer.objects.filter(user=user).update(last_seen=now)
            request.session[SEEN_AT] = now.timestamp()
        return response
