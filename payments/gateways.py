"""Payment gateways as refunds see them: one small adapter per gateway, one method each.

An adapter refunds money at its gateway and returns the gateway's refund ID, or raises. It runs
outside every database transaction and may be abandoned when it takes too long, so it must not
use the database: the refund service records what happened.
"""

import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Protocol

from django.utils.translation import gettext as _

from memberships.models import Membership
from payments.models import Payment

logger = logging.getLogger(__name__)

# How long an admin waits for a gateway before the refund is given up as failed.
TIMEOUT_SECONDS = 20


class GatewayError(Exception):
    """The gateway did not refund; the message says why in words an admin can act on."""


class RefundAdapter(Protocol):
    def refund(self, payment: Payment, amount: Decimal, idempotency_key: uuid.UUID) -> str:
        """Refund `amount` of `payment` at the gateway and return the gateway's refund ID.

        The gateway must treat a repeated `idempotency_key` as the same refund. Raise
        GatewayError with an admin-readable message when the gateway refuses.
        """
        ...


class ManualGateway:
    """Money paid by hand is refunded by hand: there is nobody to ask, so it is done at once."""

    def refund(self, payment: Payment, amount: Decimal, idempotency_key: uuid.UUID) -> str:
        return ""


ADAPTERS: dict[str, RefundAdapter] = {Membership.Gateway.MANUAL: ManualGateway()}


def refund(payment: Payment, amount: Decimal, idempotency_key: uuid.UUID) -> str:
    """Refund through the payment's gateway adapter; any failure becomes a GatewayError."""
    name = payment.get_gateway_display() if payment.gateway else _("no gateway")
    adapter = ADAPTERS.get(payment.gateway)
    if adapter is None:
        raise GatewayError(
            _(
                "Refunds through %(gateway)s aren't connected yet, so nothing was refunded. "
                "Refund the money in %(gateway)s itself."
            )
            % {"gateway": name}
        )
    # A worker thread is the one way to stop waiting for an adapter that hangs.
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="refund")
    try:
        return pool.submit(adapter.refund, payment, amount, idempotency_key).result(
            timeout=TIMEOUT_SECONDS
        )
    except GatewayError:
        raise
    # Also what an adapter's own network timeout raises.
    except TimeoutError:
        raise GatewayError(
            _(
                "%(gateway)s did not answer within %(seconds)d seconds. Check in %(gateway)s "
                "whether the money was refunded before trying again."
            )
            % {"gateway": name, "seconds": TIMEOUT_SECONDS}
        ) from None
    except Exception as error:
        logger.exception("Refund adapter %s failed for payment %s", payment.gateway, payment.pk)
        raise GatewayError(
            _(
                "%(gateway)s failed unexpectedly (%(error)s). Check in %(gateway)s whether the "
                "money was refunded before trying again."
            )
            % {"gateway": name, "error": type(error).__name__}
        ) from error
    finally:
        pool.shutdown(wait=False)
