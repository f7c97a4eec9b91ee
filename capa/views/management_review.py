"""HTML side of the management review (clause 9.3): the list of reviews, a review's page with
its compiled inputs (live while a draft, frozen once recorded), its forms, and the incident
page's note on which review covered the incident. Every write is one call to
``capa.services``; a refusal shows the rule's own words."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from aims.core.exceptions import ApplicationError, PermissionRefused
from aims.core.pagination import DeferredJoinPaginator
from aims.core.views import show_service_error
from incidents.views.common import form_errors_text, refused

from .. import permissions, selectors, services, workflow
from ..choices import ManagementReviewStatus
from ..forms import ManagementReviewForm, ReviewActionForm, TransitionForm

PAGE_SIZE = 25
form_methods = require_http_methods(["GET", "POST"])


def _visible_review(request, pk):
    """The review, for someone who reads reviews (the others are refused before the lookup)."""
    review = selectors.management_review_page(request.user, pk)
    if review is None:
        raise Http404(_("No such management review, or you may not see it."))
    return review


def _bar_rows(inputs) -> list[dict]:
    """The trend as rows, each with the busiest month's total (the scale of its bar)."""
    rows = inputs.get("trend") or []
    peak = max((row["total"] for row in rows), default=0)
    return [{**row, "peak": peak} for row in rows]


@login_required
@require_http_methods(["GET", "HEAD"])
def reviews(request):
    user = request.user
    decision = permissions.can_read_reviews(user)
    if not decision:
        return refused(request, decision.message)
    page = DeferredJoinPaginator(
        selectors.management_reviews_visible_to(user).order_by("-meeting_date", "-id"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "capa/mr_list.html",
        {
            "page_obj": page,
            "reviews": page.object_list,
            "can_create": permissions.can_manage_review(user),
        },
    )


@login_required
@form_methods
def review_create(request):
    user = request.user
    decision = permissions.can_manage_review(user)
    if not decision:
        return refused(request, decision.message)
    form = ManagementReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            review = services.management_review_create(actor=user, data=form.cleaned_data)
        except PermissionRefused as exc:
            return refused(request, exc.message)
        except ApplicationError as exc:
            show_service_error(form, exc)
        else:
            messages.success(request, _("%s prepared.") % review.reference)
            return redirect(review)
    return render(request, "capa/mr_form.html", {"form": form, "review": None})


@login_required
@form_methods
def review_edit(request, pk):
    user = request.user
    decision = permissions.can_manage_review(user)
    if not decision:
        return refused(request, decision.message)
    review = _visible_review(request, pk)
    if review.status == ManagementReviewStatus.APPROVED:
        messages.error(request, _("%s is approved: its record is final.") % review.reference)
        return redirect(review)
    frozen = review.is_frozen
    initial = {
        "meeting_date": review.meeting_date,
        "period_start": review.period_start,
        "period_end": review.period_end,
        "attendees": [row.user for row in review.attendance.all()],
        "other_attendees": review.other_attendees,
        "minutes": review.minutes,
        "decisions": review.decisions,
    }
    form = ManagementReviewForm(request.POST or None, initial=initial, frozen=frozen)
    if request.method == "POST" and form.is_valid():
        try:
            services.management_review_update(actor=user, review=review, data=form.cleaned_data)
        except PermissionRefused as exc:
            return refused(request, exc.message)
        except ApplicationError as exc:
            show_service_error(form, exc)
        else:
            messages.success(request, _("%s saved.") % review.reference)
            return redirect(review)
    return render(request, "capa/mr_form.html", {"form": form, "review": review})


@login_required
@require_http_methods(["GET", "HEAD"])
def review_detail(request, pk):
    user = request.user
    decision = permissions.can_read_reviews(user)
    if not decision:
        return refused(request, decision.message)
    review = _visible_review(request, pk)
    inputs = selectors.review_inputs_of(review)
    moves = [
        m
        for m in workflow.MANAGEMENT_REVIEW_LIFECYCLE.moves_from(review.status)
        if workflow.MANAGEMENT_REVIEW_LIFECYCLE.may(m, user, review)
    ]
    can_manage = permissions.can_manage_review(user, review)
    return render(
        request,
        "capa/mr_detail.html",
        {
            "review": review,
            "inputs": inputs,
            "trend": _bar_rows(inputs),
            "attendees": [row.user for row in review.attendance.all()],
            "actions": [row.capa for row in review.actions.all()],
            "moves": moves,
            "can_edit": can_manage and review.status != ManagementReviewStatus.APPROVED,
            "can_add_action": can_manage
            and permissions.can_create_capa(user)
            and review.status != ManagementReviewStatus.DRAFT,
            "action_form": ReviewActionForm(),
        },
    )


@login_required
@require_POST
def review_transition(request, pk):
    decision = permissions.can_manage_review(request.user)
    if not decision:
        return refused(request, decision.message)
    review = _visible_review(request, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect(review)
    try:
        services.management_review_transition(
            actor=request.user,
            review=review,
            to=form.cleaned_data["to"],
            reason=form.cleaned_data["reason"],
        )
    except PermissionRefused as exc:
        return refused(request, exc.message)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(review)
    messages.success(request, _("%s updated.") % review.reference)
    return redirect(review)


@login_required
@require_POST
def review_action_add(request, pk):
    decision = permissions.can_manage_review(request.user)
    if not decision:
        return refused(request, decision.message)
    review = _visible_review(request, pk)
    form = ReviewActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect(review)
    try:
        capa = services.management_review_action_add(
            actor=request.user, review=review, data=form.cleaned_data
        )
    except PermissionRefused as exc:
        return refused(request, exc.message)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(review)
    messages.success(request, _("%s raised.") % capa.reference)
    return redirect(review)


def review_coverage_section(request, incident) -> dict | None:
    """The incident page's note for a P0/P1: which management review covered it, or that none
    has yet. Shown to those who read management reviews."""
    if incident.severity is None or incident.severity > 1 or incident.status == "rejected":
        return None
    if not permissions.can_read_reviews(request.user):
        return None
    return {"covering": list(selectors.review_coverage_of(incident))}
