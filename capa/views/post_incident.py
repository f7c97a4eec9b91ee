"""HTML side of the post-incident review: the list of reviews (status and overdue filters),
the review page with its lessons form, the moves (submit, return, approve) and its CAPAs, and
the section on the incident page. Every write is one call to ``capa.services``."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from aims.clocks.services import clocks_of
from aims.core.concurrency import version_of
from aims.core.exceptions import ApplicationError, PermissionRefused
from aims.core.pagination import DeferredJoinPaginator
from aims.core.views import show_service_error
from incidents.views.common import form_errors_text, refused

from .. import permissions, selectors, services, workflow
from ..choices import ReviewStatus
from ..clocks import REVIEW_CLOCK
from ..forms import ReviewCapaForm, ReviewForm, TransitionForm

PAGE_SIZE = 25


def _visible(request, pk):
    review = selectors.review_page(request.user, pk)
    if review is None:
        raise Http404(_("No such post-incident review, or you may not see it."))
    return review


@login_required
@require_http_methods(["GET", "HEAD"])
def review_list(request):
    user = request.user
    decision = permissions.can_read(user)
    if not decision:
        return refused(request, decision.message)
    status = request.GET.get("status", "")
    if status not in ReviewStatus.values:
        status = ""
    overdue = {"yes": True, "no": False}.get(request.GET.get("overdue", ""))
    rows = selectors.review_list(user, status=status, overdue=overdue)
    page = DeferredJoinPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "capa/pir_list.html",
        {
            "page_obj": page,
            "reviews": page.object_list,
            "statuses": [(v, label, v == status) for v, label in ReviewStatus.choices],
            "overdue": request.GET.get("overdue", ""),
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def review_detail(request, pk):
    user = request.user
    review = _visible(request, pk)
    may_edit = review.is_editable and bool(permissions.can_edit_review(user, review))
    form = None
    if request.method == "POST":
        if not review.is_editable:
            messages.error(request, _("%s can no longer be edited.") % review.reference)
            return redirect(review)
        decision = permissions.can_edit_review(user, review)
        if not decision:
            return refused(request, decision.message)
        form = ReviewForm(request.POST, instance=review)
        if form.is_valid():
            data = {k: form.cleaned_data[k] for k in form.changed_data if k != "version"}
            try:
                services.review_update(
                    actor=user,
                    review=review,
                    data=data,
                    expected_version=form.cleaned_data["version"],
                )
            except PermissionRefused as exc:
                return refused(request, exc.message)
            except ApplicationError as exc:
                show_service_error(form, exc)
            else:
                messages.success(request, _("%s saved.") % review.reference)
                return redirect(review)
        review = _visible(request, pk)
    elif may_edit:
        form = ReviewForm(instance=review, initial={"version": version_of(review)})
    moves = [
        m
        for m in workflow.REVIEW_LIFECYCLE.moves_from(review.status)
        if workflow.REVIEW_LIFECYCLE.may(m, user, review)
    ]
    may_raise = review.status != ReviewStatus.APPROVED and bool(
        permissions.can_raise_review_capa(user, review)
    )
    return render(
        request,
        "capa/pir_detail.html",
        {
            "review": review,
            "incident": review.incident,
            "facts": selectors.review_facts(review),
            "actions": list(review.actions.all()),
            "form": form,
            "moves": moves,
            "capa_form": ReviewCapaForm(auto_id="pircapa-%s") if may_raise else None,
            "clocks": list(clocks_of(review.incident).filter(kind=REVIEW_CLOCK)),
            "version": version_of(review),
        },
        status=400 if form is not None and form.errors else 200,
    )


@login_required
@require_POST
def review_transition(request, pk):
    review = _visible(request, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect(review)
    to = form.cleaned_data["to"]
    try:
        services.review_transition(
            actor=request.user, review=review, to=to, reason=form.cleaned_data["reason"]
        )
    except PermissionRefused as exc:
        return refused(request, exc.message)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(review)
    messages.success(
        request,
        _("%(ref)s is now %(status)s.")
        % {"ref": review.reference, "status": ReviewStatus(to).label.lower()},
    )
    return redirect(review)


@login_required
@require_POST
def review_capa(request, pk):
    review = _visible(request, pk)
    decision = permissions.can_raise_review_capa(request.user, review)
    if not decision:
        return refused(request, decision.message)
    form = ReviewCapaForm(request.POST, auto_id="pircapa-%s")
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect(review)
    data = dict(form.cleaned_data)
    update_kind = data.pop("update_kind")
    try:
        action = services.review_raise_capa(
            actor=request.user, review=review, update_kind=update_kind, data=data
        )
    except PermissionRefused as exc:
        return refused(request, exc.message)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(review)
    messages.success(request, _("%s raised.") % action.capa.reference)
    return redirect(review)


def review_section(request, incident) -> dict:
    """The incident page's section: the review's status, due date and link (once closed)."""
    review = selectors.review_of(incident)
    return {"review": review}
