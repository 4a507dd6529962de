"""Payments: the list, the payment page with its line items, refunds and deletion."""

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q, prefetch_related_objects
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from customers.models import Customer
from events.services import Actor
from memberships.models import Membership
from network_admin.access import staff_permission_required
from network_admin.pagination import COUNT_CAP, SortKey, counted_tabs, tab_counts
from network_admin.preferences import ROWS_PER_PAGE as PER_PAGE
from network_admin.preferences import keyset_page
from payments import services
from payments.forms import LineItemForm, PaymentForm, PaymentListForm, RefundForm
from payments.models import ZERO, Payment, Refund, currency_decimals, payment_page

NEWEST_FIRST = [SortKey("created_at", descending=True), SortKey("id", descending=True)]
PAGE_EVENTS = 10


def _in_tab(tab: str) -> Q:
    return Q() if tab == "all" else Q(status=tab)


@staff_permission_required("payments.view_payment")
@vary_on_headers("HX-Request")
def payment_list(request):
    form = PaymentListForm(request.GET)
    tab, search, customer_id, gateway = map(form.value, ("tab", "q", "customer", "gateway"))
    payments = Payment.objects.all()
    if search:
        payments = payments.search(search)
    if customer_id:
        payments = payments.filter(customer_id=customer_id)
    if gateway:
        payments = payments.filter(gateway=gateway)
    # Each tab with its count: exact up to COUNT_CAP, beyond it the planner's estimate.
    subsets = {key: _in_tab(key) for key in PaymentListForm.TABS}
    counts = tab_counts(payments, subsets, searched=bool(search), cap=COUNT_CAP)
    rows = counts.rows.filter(_in_tab(tab)).with_customer()
    # A search of more payments than the count cap walks the newest payments' index, or the
    # status tabs', which carry the searched columns (keys_first: see paginate).
    many_found = bool(search) and counts["all"][1]
    page = keyset_page(request, rows, NEWEST_FIRST, size=PER_PAGE, keys_first=many_found)
    tabs = counted_tabs(PaymentListForm.TABS, counts)
    filtered = bool(search or customer_id or gateway)
    ctx = {
        "section": "payments",
        "tab": tab,
        "q": search,
        "gateway": gateway,
        "gateways": PaymentListForm.GATEWAYS,
        "customer_id": customer_id,
        "customer": (
            Customer.objects.select_related("user").filter(pk=customer_id).first()
            if customer_id
            else None
        ),
        "tabs": tabs,
        "page": page,
        "filtered": filtered,
        "network_is_empty": not filtered and tabs[0]["count"] == 0,
    }
    template = "payments/payment_list.html"
    if request.htmx and request.htmx.target == "payment-results":
        template += "#results"
    return render(request, template, ctx)


def _payment_or_404(pk: int) -> Payment:
    return payment_page.one_or_404(pk=pk)


def _add_errors(form, error: ValidationError) -> None:
    """Show a service's refusal next to the fields it names, and the rest above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _render_page(request, payment: Payment, *, editing=None, **forms):
    """The payment page; `forms` replaces any of its forms with a bound one showing errors."""
    lines = list(payment.line_items.all())
    # Prefetched, so the refunded total and the delete rule below read them without a query.
    prefetch_related_objects([payment], "refunds")
    refunds = list(payment.refunds.all())
    refunded = sum(
        (refund.amount for refund in refunds if refund.status != Refund.Status.FAILED), ZERO
    )
    refundable = payment.total - refunded
    editing = next((line for line in lines if str(line.pk) == str(editing)), None)
    ctx = {
        "section": "payments",
        "payment": payment,
        "lines": lines,
        "refunds": refunds,
        "refunded": refunded,
        "refundable": refundable,
        "can_refund": services.refund_refusal(payment) is None and refundable > 0,
        "events": payment.events(PAGE_EVENTS),
        "delete_refusal": services.payment_delete_refusal(payment),
        "editing": editing,
        "payment_form": PaymentForm(payment=payment),
        "add_form": LineItemForm(prefix="add"),
        "edit_form": editing and LineItemForm.for_line(editing, prefix="line"),
        **forms,
    }
    return render(request, "payments/payment_detail.html", ctx)


@staff_permission_required("payments.view_payment")
def payment_detail(request, pk):
    payment = _payment_or_404(pk)
    return _render_page(request, payment, editing=request.GET.get("edit_line"))


def _change(request, payment: Payment, form, change, message, **page):
    """Run `change(cleaned_data)` for a valid form, then say `message(result)` and go back to
    the payment. A refusal is shown as a message, a field error next to its field."""
    if form.is_valid():
        try:
            result = change(form.cleaned_data)
        except services.PaymentError as error:
            messages.error(request, str(error))
            return redirect("payments:detail", pk=payment.pk)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, message(result))
            return redirect("payments:detail", pk=payment.pk)
    # Reloaded: a refused change may have been applied to `payment` before it was rolled back.
    return _render_page(request, _payment_or_404(payment.pk), **page)


@staff_permission_required("payments.view_payment", "payments.change_payment")
@require_POST
def payment_update(request, pk):
    payment = _payment_or_404(pk)
    form = PaymentForm(request.POST, payment=payment)

    def change(data):
        return services.payment_update(
            actor=Actor.from_request(request), payment=payment, values=data
        )

    def message(changes):
        if not changes:
            return _("Nothing changed.")
        return _("Payment %(payment)s saved.") % {"payment": payment}

    return _change(request, payment, form, change, message, payment_form=form)


@staff_permission_required("payments.view_payment", "payments.change_payment")
@require_POST
def line_add(request, pk):
    payment = _payment_or_404(pk)
    form = LineItemForm(request.POST, prefix="add")

    def change(data):
        return services.line_item_add(actor=Actor.from_request(request), payment=payment, **data)

    def message(line):
        return _("Line item “%(title)s” added; the totals were recomputed.") % {"title": line.title}

    return _change(request, payment, form, change, message, add_form=form)


@staff_permission_required("payments.view_payment", "payments.change_payment")
@require_POST
def line_edit(request, pk, line_pk):
    payment = _payment_or_404(pk)
    line = get_object_or_404(payment.line_items, pk=line_pk)
    form = LineItemForm(request.POST, prefix="line")

    def change(data):
        return services.line_item_update(
            actor=Actor.from_request(request), payment=payment, line=line, values=data
        )

    def message(_changes):
        return _("Line item “%(title)s” saved; the totals were recomputed.") % {
            "title": form.cleaned_data["title"]
        }

    return _change(request, payment, form, change, message, editing=line.pk, edit_form=form)


@staff_permission_required("payments.view_payment", "payments.change_payment")
@require_http_methods(["GET", "POST"])
def line_remove(request, pk, line_pk):
    payment = _payment_or_404(pk)
    line = get_object_or_404(payment.line_items, pk=line_pk)
    if request.method == "POST":
        try:
            services.line_item_remove(actor=Actor.from_request(request), payment=payment, line=line)
        except services.PaymentError as error:
            messages.error(request, str(error))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("Line item “%(title)s” removed; the totals were recomputed.")
                % {"title": line.title},
            )
        return redirect("payments:detail", pk=payment.pk)
    ctx = {"section": "payments", "payment": payment, "line": line}
    return render(request, "payments/line_item_confirm_remove.html", ctx)


def _say_refunded(request, refund: Refund, *, cancel_membership: bool) -> None:
    payment = refund.payment
    facts = {"amount": services.money(refund.amount, payment.currency), "payment": payment}
    if refund.status == Refund.Status.FAILED:
        messages.error(
            request,
            _(
                "This form was already submitted, and its refund of %(amount)s failed. Open the "
                "refund form again to try once more."
            )
            % facts,
        )
        return
    if refund.status == Refund.Status.PENDING:
        messages.info(request, _("The refund of %(amount)s is still in progress.") % facts)
        return
    messages.success(request, _("Refunded %(amount)s of payment %(payment)s.") % facts)
    if cancel_membership:
        membership = Membership.objects.get(pk=payment.membership_id)
        if membership.status == Membership.Status.CANCELLED:
            messages.success(
                request, _("Membership %(membership)s is cancelled.") % {"membership": membership}
            )
        else:
            messages.warning(
                request,
                _("Membership %(membership)s could not be cancelled. Cancel it on its own page.")
                % {"membership": membership},
            )


@staff_permission_required("payments.view_payment", "payments.refund_payment")
@require_http_methods(["GET", "POST"])
def payment_refund(request, pk):
    payment = _payment_or_404(pk)
    refundable = payment.refundable()
    form = RefundForm(
        request.POST or None,
        payment=payment,
        initial={
            "amount": f"{refundable:.{currency_decimals(payment.currency)}f}",
            "idempotency_key": uuid.uuid4(),
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            refund = services.refund_create(
                actor=Actor.from_request(request),
                payment=payment,
                amount=data["amount"],
                reason=data["reason"],
                idempotency_key=data["idempotency_key"],
                cancel_membership=data.get("cancel_membership", False),
            )
        except services.PaymentError as error:
            # Refused outright, or failed at the gateway (the failed refund is on the page).
            messages.error(request, str(error))
            return redirect("payments:detail", pk=payment.pk)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            _say_refunded(request, refund, cancel_membership=data.get("cancel_membership", False))
            return redirect(reverse("payments:detail", args=[payment.pk]) + f"#refund-{refund.pk}")
    ctx = {
        "section": "payments",
        "payment": payment,
        "form": form,
        "refunded": payment.total - refundable,
        "refundable": refundable,
        "refusal": services.refund_refusal(payment),
    }
    return render(request, "payments/refund_form.html", ctx)


@staff_permission_required("payments.view_payment", "payments.delete_payment")
@require_http_methods(["GET", "POST"])
def payment_delete(request, pk):
    payment = _payment_or_404(pk)
    if request.method == "POST":
        try:
            services.payment_delete(actor=Actor.from_request(request), payment=payment)
        except services.PaymentError as error:
            messages.error(request, str(error))
            return redirect("payments:detail", pk=payment.pk)
        messages.success(request, _("Payment %(payment)s deleted.") % {"payment": payment})
        return redirect("payments:list")
    ctx = {
        "section": "payments",
        "payment": payment,
        "lines": payment.line_items.count(),
        "refusal": services.payment_delete_refusal(payment),
    }
    return render(request, "payments/payment_confirm_delete.html", ctx)
