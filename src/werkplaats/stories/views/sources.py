"""Sources pages: the list, new sources, a source (memos, consent), anonymisation, the
anonymised text, the teller's own stories, the case page next to a trajectory."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from werkplaats.casework import access as case_access
from werkplaats.casework.network_map import network_svg
from werkplaats.core.audit import log_access
from werkplaats.core.pseudonyms import study_pseudonym
from werkplaats.core.versioning import save_form
from werkplaats.partnership.access import require_role
from werkplaats.partnership.http import AuthenticatedHttpRequest
from werkplaats.partnership.models import Role, User
from werkplaats.stories import access, forms, selectors, services
from werkplaats.stories.anonymise import apply_masks, preview_digest, propose_masks
from werkplaats.stories.import_slots import ImportsBusy, import_slot
from werkplaats.stories.models import Memo, Source
from werkplaats.stories.refi_qda import RefiQdaError
from werkplaats.stories.sandbox import run_limited
from werkplaats.stories.views.common import form_errors, refused

MASK_KINDS = {
    "name": gettext_lazy("name"),
    "place": gettext_lazy("place"),
    "date": gettext_lazy("date"),
    "contact": gettext_lazy("contact details"),
}


@login_required
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    access.require_story_role(request.user)
    user = request.user
    sources = (
        access.visible_sources(user).select_related("study", "trajectory__client")[:200]
        if user.has_role(*access.SOURCE_READERS)
        else []
    )
    rounds = user.coder_assignments.select_related("round__study").order_by("-round__created_at")
    studies = user.studies.all() if user.has_role(Role.RESEARCHER) else []
    return render(
        request,
        "stories/index.html",
        {
            "sources": sources,
            "assignments": rounds,
            "studies": studies,
            "can_add": user.has_role(*access.SOURCE_WRITERS),
            "is_researcher": user.has_role(Role.RESEARCHER),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def source_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_role(request.user, *access.SOURCE_WRITERS)
    form = forms.SourceForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        upload = data.pop("upload")
        text = data.pop("text").strip()
        if upload is not None:
            try:
                with import_slot(request.user.pk):
                    text = run_limited(upload.name, upload.read())
            except ImportsBusy:
                form.add_error(
                    "upload",
                    _("You are already importing a file. Wait until it is done, then try again."),
                )
            except RefiQdaError as exc:
                form.add_error("upload", refused(exc))
        if not form.errors:
            try:
                source = services.source_create(
                    user=request.user,
                    text=text,
                    imported_from=upload.name if upload else "",
                    **data,
                )
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(request, _("The source was saved."))
                return redirect("stories:source", pk=source.pk)
    return render(
        request, "stories/form.html", {"form": form, "title": _("New source"), "multipart": True}
    )


@login_required
@require_http_methods(["GET", "POST"])
def source_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    may = access.source_capabilities(request.user, pk)
    source = may.source
    # Care and research memos are kept apart: each route sees and adds only its own.
    memo_form = forms.MemoForm(request.POST or None)
    if request.method == "POST":
        if memo_form.is_valid():
            services.memo_add(
                user=request.user,
                text=memo_form.cleaned_data["memo"],
                source=source,
                context=may.memo_context,
            )
            return redirect("stories:source", pk=pk)
    return render(
        request,
        "stories/source_detail.html",
        {
            "source": source,
            "memos": source.memos.filter(context=may.memo_context).select_related("author"),
            "memo_context": Memo.Context(may.memo_context).label,
            "memo_form": memo_form,
            "shared_versions": source.shared_versions.all() if may.can_see_shared_versions else [],
            "teaching_consent": may.can_see_shared_versions and source.teaching_consent_stands(),
            "can_share": may.can_share,
            "can_record_consent": may.can_record_consent,
            "is_teller": may.is_teller,
        },
    )


@login_required
@require_POST
def source_consent(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    source = access.access_source_by_id(request.user, pk, write=True)
    try:
        services.source_record_consent(source=source, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Research consent was recorded."))
    return redirect("stories:source", pk=pk)


def _known_names(user: User, source: Source) -> tuple[list[str], list[str]]:
    """Names and places to propose masks for: the teller's name as entered, and what
    casework knows around the client (read and logged through casework.access)."""
    names = [source.teller_name] if source.teller_name else []
    places: list[str] = []
    client = source.teller_client or (source.trajectory.client if source.trajectory else None)
    if client is not None:
        client_names, places = case_access.names_to_mask(user, client)
        names += client_names
    return names, places


@login_required
@require_http_methods(["GET", "POST"])
def source_anonymise(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Propose masks, let a person review them, and store the shared version apart."""
    source = access.access_source_for_research(request.user, pk)
    names, places = _known_names(request.user, source)
    extra = []
    if request.method == "POST":
        extra = [t.strip() for t in request.POST.get("extra_terms", "").splitlines() if t.strip()]
    proposals = propose_masks(
        source.text, known_names=names, known_places=places, extra_terms=extra
    )
    form = forms.AnonymiseForm(
        request.POST or None,
        proposals=proposals,
        initial={"title": f"{source.get_kind_display()} {source.pk}"},
    )
    preview = digest = None
    changed = False
    if request.method == "POST" and form.is_valid():
        chosen = form.chosen()
        title = form.cleaned_data["title"]
        preview = apply_masks(source.text, chosen)
        digest = preview_digest(title, preview)
        # Only what was shown is stored: an approval names the preview it saw, and when
        # the ticks, the added terms or the title changed since, the new preview is shown
        # to approve instead.
        changed = "approve" in request.POST and request.POST.get("previewed") != digest
        if "approve" in request.POST and not changed:
            try:
                services.shared_version_create(
                    source=source,
                    user=request.user,
                    masks=chosen,
                    title=title,
                    expected_text=preview,
                )
            except ValidationError as exc:
                form_errors(form, exc)
            else:
                messages.success(
                    request, _("The anonymised version was stored; the original stays as it was.")
                )
                return redirect("stories:source", pk=pk)
    return render(
        request,
        "stories/anonymise.html",
        {
            "source": source,
            "form": form,
            "preview": preview,
            "preview_title": form.cleaned_data.get("title") if preview is not None else None,
            "digest": digest,
            "changed_since_preview": changed,
            "proposals": [
                (form.field_for(m), m, MASK_KINDS.get(m.kind, m.kind)) for m in proposals
            ],
        },
        status=409 if changed else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def document_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Correct an anonymised text; segments whose snippet no longer matches show as changed."""
    document = access.access_document_for_research(request.user, pk)
    form = forms.DocumentForm(
        request.POST or None, initial={"text": document.text, "version": document.version}
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        refused = save_form(
            form,
            lambda: services.shared_version_correct(
                document=document,
                user=request.user,
                text=form.cleaned_data["text"],
                expected_version=form.cleaned_data["version"],
            ),
        )
        if refused is None:
            messages.success(request, _("The text was corrected."))
            return redirect("stories:source", pk=document.source_id)
        status = refused
    return render(
        request,
        "stories/form.html",
        {"form": form, "title": _("Correct the anonymised text")},
        status=status,
    )


@login_required
@require_POST
def document_teaching(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A researcher on the study offers an anonymised story as teaching material (only
    when its teller, a client, gave consent for teaching), or takes it off."""
    document = access.access_document_for_research(
        request.user, pk, "to offer as teaching material"
    )
    teaching = request.POST.get("teaching") == "yes"
    try:
        services.story_teaching_set(document=document, user=request.user, teaching=teaching)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("The anonymised story is offered to educators as teaching material.")
            if teaching
            else _("The anonymised story is no longer teaching material."),
        )
    return redirect("stories:source", pk=document.source_id)


@login_required
def my_stories(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The teller's own stories, and the questions researchers sent back to them."""
    require_role(request.user, Role.CLIENT)
    from werkplaats.stories.models import MemberCheck

    stories = Source.objects.filter(teller_client__user=request.user)
    checks = MemberCheck.objects.filter(client__user=request.user).select_related("finding")
    for story in stories:
        log_access(request.user, "view", story, "own story")
    for check in checks:
        log_access(request.user, "view", check, "own member check")
    return render(request, "stories/mine.html", {"stories": stories, "checks": checks})


@login_required
@require_http_methods(["GET", "POST"])
def story_withdraw(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """GET asks first, naming the story; POST withdraws it."""
    source = access.access_own_story_by_id(request.user, pk)
    if request.method == "GET":
        log_access(request.user, "view", source, "withdrawal asked")
        return render(request, "stories/story_withdraw.html", {"story": source})
    try:
        services.story_withdraw(source=source, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Your story “%(title)s” is withdrawn. It is no longer used for research.")
            % {"title": source.title},
        )
    return redirect(reverse("stories:mine") + "#result")


@login_required
def case(request: AuthenticatedHttpRequest, study: int, case: str) -> HttpResponse:
    study_obj, trajectory = access.access_trajectory_case(request.user, study, case)
    view = selectors.case_view(study_obj, trajectory)
    latest = view.waves[-1] if view.waves else None
    if trajectory.lead_professional_id == request.user.pk:
        label = trajectory.client.pseudonym
        research = None
        svg = network_svg(latest.members, label) if latest else None
    else:
        # Researchers see pseudonymised data only: the per-study key, relations instead of
        # names in the network, goals as level series without their text, dates by month.
        label = study_pseudonym(study_obj.pk, trajectory.client_id)
        research = selectors.research_case(view)
        svg = network_svg(latest.members, label, labels=False) if latest else None
    return render(
        request,
        "stories/case.html",
        {
            "study": study_obj,
            "view": view,
            "research": research,
            "label": label,
            "network_svg": svg,
        },
    )
