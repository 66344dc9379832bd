"""Stories pages: thin views — parse, check access, call a service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from werkplaats.casework.network_map import network_svg
from werkplaats.core.audit import log_access
from werkplaats.core.pseudonyms import study_pseudonym
from werkplaats.core.versioning import ConcurrentEditError
from werkplaats.partnership.http import AuthenticatedHttpRequest
from werkplaats.partnership.models import Role
from werkplaats.stories import access, exchange, forms, selectors, services
from werkplaats.stories.anonymise import propose_masks
from werkplaats.stories.extract import extract_text
from werkplaats.stories.models import Code, JointDisplayCell, Memo, Segment, Source
from werkplaats.stories.refi_qda import RefiQdaError
from werkplaats.stories.refi_qda.offsets import codepoint_to_utf16
from werkplaats.stories.unitising import split_units

MASK_KINDS = {
    "name": gettext_lazy("name"),
    "place": gettext_lazy("place"),
    "date": gettext_lazy("date"),
    "contact": gettext_lazy("contact details"),
}


def refused(exc: RefiQdaError) -> str:
    """The translated reason a file was refused."""
    message = _(exc.message)
    return message % exc.params if exc.params else message


def _errors(form, exc: ValidationError) -> None:  # type: ignore[no-untyped-def]
    for message in exc.messages:
        form.add_error(None, message)


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
    access.require_role(request.user, *access.SOURCE_WRITERS)
    form = forms.SourceForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        upload = data.pop("upload")
        text = data.pop("text").strip()
        if upload is not None:
            try:
                text = extract_text(upload.name, upload.read())
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
                _errors(form, exc)
            else:
                messages.success(request, _("The source was saved."))
                return redirect("stories:source", pk=source.pk)
    return render(
        request, "stories/form.html", {"form": form, "title": _("New source"), "multipart": True}
    )


@login_required
@require_http_methods(["GET", "POST"])
def source_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    source = access.access_source_by_id(request.user, pk)
    # Care and research memos are kept apart: each route sees and adds only its own.
    memo_context = access.source_memo_context(request.user, source)
    memo_form = forms.MemoForm(request.POST or None)
    if request.method == "POST":
        if memo_form.is_valid():
            services.memo_add(
                user=request.user,
                text=memo_form.cleaned_data["memo"],
                source=source,
                context=memo_context,
            )
            return redirect("stories:source", pk=pk)
    is_study_researcher = bool(
        source.study_id and source.study.researchers.filter(pk=request.user.pk).exists()  # type: ignore[union-attr]
    )
    is_lead = (
        source.trajectory is not None and source.trajectory.lead_professional_id == request.user.pk
    )
    return render(
        request,
        "stories/source_detail.html",
        {
            "source": source,
            "memos": source.memos.filter(context=memo_context).select_related("author"),
            "memo_context": Memo.Context(memo_context).label,
            "memo_form": memo_form,
            "shared_versions": source.shared_versions.all() if is_study_researcher else [],
            "can_share": is_study_researcher and source.has_research_consent,
            "can_record_consent": (is_study_researcher or is_lead)
            and source.research_consent_at is None
            and source.withdrawn_at is None
            and source.study_id is not None,
            "is_teller": source.teller_client is not None
            and source.teller_client.user_id == request.user.pk,
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


def _known_names(source) -> tuple[list[str], list[str]]:  # type: ignore[no-untyped-def]
    names = [source.teller_name] if source.teller_name else []
    places: list[str] = []
    client = source.teller_client or (source.trajectory.client if source.trajectory_id else None)
    if client is not None:
        identity = getattr(client, "identity", None)
        if identity is not None:
            names.append(identity.name)
        if client.neighbourhood_id:
            places += [client.neighbourhood.name, client.neighbourhood.municipality.name]
        for trajectory in client.trajectories.all():
            for snapshot in trajectory.network_snapshots.prefetch_related("members"):
                names += [m.label for m in snapshot.members.all()]
            lead = trajectory.lead_professional
            names += [n for n in (lead.first_name, lead.last_name) if n]
    return names, places


@login_required
@require_http_methods(["GET", "POST"])
def source_anonymise(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Propose masks, let a person review them, and store the shared version apart."""
    source = access.access_source_for_research(request.user, pk)
    names, places = _known_names(source)
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
    preview = None
    if request.method == "POST" and form.is_valid():
        chosen = form.chosen()
        if "approve" in request.POST:
            try:
                services.shared_version_create(
                    source=source, user=request.user, masks=chosen, title=form.cleaned_data["title"]
                )
            except ValidationError as exc:
                _errors(form, exc)
            else:
                messages.success(
                    request, _("The anonymised version was stored; the original stays as it was.")
                )
                return redirect("stories:source", pk=pk)
        from werkplaats.stories.anonymise import apply_masks

        preview = apply_masks(source.text, chosen)
    return render(
        request,
        "stories/anonymise.html",
        {
            "source": source,
            "form": form,
            "preview": preview,
            "proposals": [
                (form[f"mask_{i}"], m, MASK_KINDS.get(m.kind, m.kind))
                for i, m in enumerate(proposals)
            ],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def document_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Correct an anonymised text; segments whose snippet no longer matches show as changed."""
    document = access.access_document_for_research(request.user, pk)
    form = forms.DocumentForm(
        request.POST or None, initial={"text": document.text, "version": document.version}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.shared_version_correct(
                document=document,
                user=request.user,
                text=form.cleaned_data["text"],
                expected_version=form.cleaned_data["version"],
            )
        except ConcurrentEditError as exc:
            _errors(form, exc)
            return render(
                request,
                "stories/form.html",
                {"form": form, "title": _("Correct the anonymised text")},
                status=409,
            )
        messages.success(request, _("The text was corrected."))
        return redirect("stories:source", pk=document.source_id)
    return render(
        request, "stories/form.html", {"form": form, "title": _("Correct the anonymised text")}
    )


@login_required
def my_stories(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The teller's own stories, and the questions researchers sent back to them."""
    access.require_role(request.user, Role.CLIENT)
    from werkplaats.stories.models import MemberCheck

    stories = Source.objects.filter(teller_client__user=request.user)
    checks = MemberCheck.objects.filter(client__user=request.user).select_related("finding")
    for story in stories:
        log_access(request.user, "view", story, "own story")
    for check in checks:
        log_access(request.user, "view", check, "own member check")
    return render(request, "stories/mine.html", {"stories": stories, "checks": checks})


@login_required
@require_POST
def story_withdraw(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    source = access.access_own_story_by_id(request.user, pk)
    try:
        services.story_withdraw(source=source, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Your story is withdrawn. It is no longer used for research."))
    return redirect("stories:mine")


@login_required
@require_http_methods(["GET", "POST"])
def codebooks(request: AuthenticatedHttpRequest) -> HttpResponse:
    books = access.visible_codebooks(request.user)
    form = forms.CodebookForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        codebook = services.codebook_create(user=request.user, **form.cleaned_data)
        return redirect("stories:codebook", pk=codebook.pk)
    return render(request, "stories/codebooks.html", {"codebooks": books, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def codebook_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    codebook = access.access_codebook_by_id(request.user, pk)
    form = forms.CodeForm(request.POST or None, codebook=codebook)
    memo_form = forms.MemoForm(request.POST or None, prefix="memo")
    if request.method == "POST":
        if "memo_on" in request.POST:
            memo_on = request.POST.get("memo_on", "")
            code = codebook.codes.filter(pk=int(memo_on)).first() if memo_on.isdigit() else None
            if code is None:
                raise Http404
            if memo_form.is_valid():
                services.memo_add(user=request.user, text=memo_form.cleaned_data["memo"], code=code)
                return redirect("stories:codebook", pk=pk)
        elif form.is_valid():
            try:
                services.code_create(codebook=codebook, user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                _errors(form, exc)
            else:
                messages.success(request, _("The code was added."))
                return redirect("stories:codebook", pk=pk)
    codes = list(codebook.codes.prefetch_related("memos"))
    tree = _tree(codes)
    return render(
        request,
        "stories/codebook.html",
        {"codebook": codebook, "tree": tree, "form": form, "memo_form": memo_form},
    )


def _tree(codes: list[Code]) -> list[tuple[Code, int]]:
    children: dict[int | None, list[Code]] = {}
    for code in codes:
        children.setdefault(code.parent_id, []).append(code)
    result: list[tuple[Code, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for code in children.get(parent, []):
            result.append((code, depth))
            walk(code.pk, depth + 1)

    walk(None, 0)
    return result


@login_required
def codebook_export(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    codebook = access.access_codebook_by_id(request.user, pk)
    response = HttpResponse(
        exchange.codebook_export(codebook, request.user), content_type="application/xml"
    )
    response["Content-Disposition"] = f'attachment; filename="codebook-{codebook.pk}.qdc"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def codebook_import(request: AuthenticatedHttpRequest) -> HttpResponse:
    access.visible_codebooks(request.user)  # researchers only
    form = forms.CodebookImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        upload = data.pop("upload")
        try:
            codebook = exchange.codebook_import(user=request.user, data=upload.read(), **data)
        except RefiQdaError as exc:
            form.add_error("upload", refused(exc))
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("The codebook was imported."))
            return redirect("stories:codebook", pk=codebook.pk)
    return render(
        request,
        "stories/form.html",
        {"form": form, "title": _("Import a codebook (REFI-QDA)"), "multipart": True},
    )


@login_required
@require_http_methods(["GET", "POST"])
def round_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    study = access.researcher_study(request.user, pk)
    form = forms.RoundForm(
        request.POST or None,
        user=request.user,
        study=study,
        codebooks=access.visible_codebooks(request.user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            coding_round = services.round_create(
                user=request.user, study=study, **form.cleaned_data
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            return redirect("stories:round", pk=coding_round.pk)
    return render(
        request, "stories/form.html", {"form": form, "title": _("New coding round"), "study": study}
    )


@login_required
def round_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    coding_round = access.access_round_by_id(request.user, pk)
    assignments = list(coding_round.assignments.select_related("coder"))
    mine = next((a for a in assignments if a.coder_id == request.user.pk), None)
    return render(
        request,
        "stories/round.html",
        {
            "round": coding_round,
            "documents": selectors.round_documents(coding_round),
            "assignments": assignments,
            "mine": mine,
            "all_done": selectors.all_done(coding_round),
            "is_researcher": access.is_round_researcher(request.user, coding_round),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def code_document(request: AuthenticatedHttpRequest, pk: int, doc: int) -> HttpResponse:
    """The coding screen: select text (or tick sentences) and choose a code."""
    assignment, document = access.access_assignment(request.user, pk, doc)
    coding_round = assignment.round
    units = split_units(document.text, "sentence")
    form = forms.SegmentForm(request.POST or None, coding_round=coding_round, n_units=len(units))
    memo_form = forms.MemoForm(request.POST or None, prefix="memo")
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "code")
        try:
            if action == "delete":
                services.segment_delete(
                    assignment=assignment, segment_id=int(request.POST.get("segment", 0))
                )
                return redirect("stories:code_document", pk=pk, doc=doc)
            if action == "memo":
                if memo_form.is_valid():
                    services.memo_add(
                        user=request.user, text=memo_form.cleaned_data["memo"], document=document
                    )
                    return redirect("stories:code_document", pk=pk, doc=doc)
            elif action == "segment_memo":
                segment = coding_round.segments.filter(
                    pk=int(request.POST.get("segment", 0)), coder=request.user, document=document
                ).first()
                if segment is None:
                    raise Http404
                if memo_form.is_valid():
                    services.memo_add(
                        user=request.user, text=memo_form.cleaned_data["memo"], segment=segment
                    )
                    return redirect("stories:code_document", pk=pk, doc=doc)
            elif form.is_valid():
                data = form.cleaned_data
                spans = (
                    [(units[i].start, units[i].end) for i in data["units"]] if data["units"] else []
                )
                utf16 = False
                if data["start"] is not None and data["end"] is not None:
                    spans.append((data["start"], data["end"]))
                    utf16 = bool(data["utf16"])
                with transaction.atomic():
                    for start, end in spans:
                        services.segment_add(
                            assignment=assignment,
                            document=document,
                            code=data["code"],
                            start=start,
                            end=end,
                            memo=data["memo"],
                            utf16=utf16 and (start, end) == spans[-1],
                        )
                messages.success(request, _("Coded."))
                return redirect("stories:code_document", pk=pk, doc=doc)
        except (ValidationError, ValueError) as exc:
            form.add_error(None, " ".join(getattr(exc, "messages", [str(exc)])))
            status = 400
    segments = selectors.visible_segments(coding_round, document, request.user).prefetch_related(
        "memos"
    )
    return render(
        request,
        "stories/code_document.html",
        {
            "round": coding_round,
            "assignment": assignment,
            "document": document,
            "units": [
                (i, document.text[u.start : u.end], codepoint_to_utf16(document.text, u.start))
                for i, u in enumerate(units)
            ],
            "form": form,
            "memo_form": memo_form,
            "tree": selectors.coding_tree(coding_round),
            "selected_label": _("Selected:"),
            "only_mine": coding_round.blind and not selectors.all_done(coding_round),
            "segments": segments,
            "memos": Memo.objects.filter(document=document, author=request.user)
            if coding_round.blind and not selectors.all_done(coding_round)
            else Memo.objects.filter(document=document),
        },
        status=status,
    )


@login_required
@require_POST
def round_done(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    coding_round = access.access_round_by_id(request.user, pk)
    assignment = coding_round.assignments.filter(coder=request.user).first()
    if assignment is None:
        raise Http404
    services.assignment_finish(assignment=assignment)
    messages.success(request, _("Thank you! Your coding is marked as done."))
    return redirect("stories:round", pk=pk)


@login_required
def compare(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Agreement and disagreement unit by unit: material for the dialogue, not a verdict."""
    coding_round = access.access_round_by_id(request.user, pk)
    if coding_round.blind and not selectors.all_done(coding_round):
        return render(request, "stories/compare.html", {"round": coding_round, "waiting": True})
    result = selectors.round_comparison(coding_round)
    codes = {c.pk: c for c in coding_round.codebook.codes.all()}
    assignments = list(coding_round.assignments.select_related("coder").order_by("pk"))
    log_access(request.user, "view", coding_round, "comparison")
    return render(
        request,
        "stories/compare.html",
        {
            "round": coding_round,
            "result": result,
            "codes": codes,
            "per_code": [(codes[k], v) for k, v in result.per_code.items()],
            "coders": [
                (a.coder_id, f"{_('Coder')} {i + 1}", a.coder) for i, a in enumerate(assignments)
            ],
            "rows": [
                (
                    row,
                    [
                        sorted(codes[c].name for c in (row.codes_by_coder[a.coder_id] or []))
                        if row.codes_by_coder[a.coder_id] is not None
                        else None
                        for a in assignments
                    ],
                )
                for row in result.rows
            ],
        },
    )


@login_required
def round_export(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    coding_round = access.access_round_for_research(request.user, pk)
    response = HttpResponse(
        exchange.round_export(coding_round, request.user), content_type="application/zip"
    )
    response["Content-Disposition"] = f'attachment; filename="round-{coding_round.pk}.qdpx"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def project_import(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    study = access.researcher_study(request.user, pk)
    form = forms.ProjectImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            coding_round = exchange.project_import(
                user=request.user,
                study=study,
                data=data["upload"].read(),
                kind=data["kind"],
                offsets=data["offsets"],
            )
        except RefiQdaError as exc:
            form.add_error("upload", refused(exc))
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("The project was imported."))
            return redirect("stories:round", pk=coding_round.pk)
    return render(
        request,
        "stories/form.html",
        {
            "form": form,
            "title": _("Import a project (REFI-QDA)"),
            "study": study,
            "multipart": True,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def joint_display(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    coding_round = access.access_round_for_research(request.user, pk)
    status = 200
    if request.method == "POST":
        form = forms.JointCellForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            theme = coding_round.codebook.codes.filter(
                pk=data["theme"], parent__isnull=True
            ).first()
            if theme is None:
                raise Http404
            try:
                services.joint_cell_save(
                    coding_round=coding_round,
                    theme=theme,
                    group=data["group"] or "",
                    relation=data["relation"],
                    meta_inference=data["meta_inference"],
                    user=request.user,
                    expected_version=data["version"],
                )
            except ConcurrentEditError as exc:
                messages.error(request, " ".join(exc.messages))
                status = 409
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                status = 400
            else:
                return redirect("stories:joint_display", pk=pk)
    groups, cells = selectors.joint_display(coding_round)
    from werkplaats.casework.models import TargetGroup

    group_names = {g.code: str(g) for g in TargetGroup.objects.all()}
    log_access(request.user, "view", coding_round, "joint display")
    return render(
        request,
        "stories/joint_display.html",
        {
            "round": coding_round,
            "cells": cells,
            "group_names": group_names,
            "relations": JointDisplayCell.Relation.choices,
        },
        status=status,
    )


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


@login_required
@require_http_methods(["GET", "POST"])
def findings(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    study = access.researcher_study(request.user, pk)
    form = forms.FindingForm(request.POST or None, study=study)
    if request.method == "POST" and form.is_valid():
        try:
            finding = services.finding_create(study=study, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            return redirect("stories:finding", pk=finding.pk)
    return render(
        request,
        "stories/findings.html",
        {
            "study": study,
            "findings": study.findings.all(),
            "form": form,
            "rounds": study.coding_rounds.all(),
            "sessions": study.dialogue_sessions.all(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def finding_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    finding = access.access_finding_by_id(request.user, pk)
    form = forms.MemberCheckForm(request.POST or None, study=finding.study)
    link = None
    if request.method == "POST":
        if "discussed" in request.POST:
            services.finding_mark_discussed(finding=finding, user=request.user)
            return redirect("stories:finding", pk=pk)
        if form.is_valid():
            try:
                _check, token = services.member_check_create(
                    finding=finding, user=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                _errors(form, exc)
            else:
                messages.success(request, _("The member check was sent."))
                if token:
                    link = request.build_absolute_uri(
                        reverse("stories:member_check_link", kwargs={"token": token})
                    )
                    form = forms.MemberCheckForm(study=finding.study)
                else:
                    return redirect("stories:finding", pk=pk)
    return render(
        request,
        "stories/finding.html",
        {
            "finding": finding,
            "form": form,
            "link": link,
            "checks": finding.member_checks.select_related("response"),
            "quotes": finding.quotes.filter(
                document__source__in=Source.objects.research_usable()
            ).select_related("code"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def dialogues(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    study = access.researcher_study(request.user, pk)
    form = forms.DialogueForm(request.POST or None, study=study)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        participants = form.participants()
        data = {k: v for k, v in data.items() if not k.startswith("n_")}
        try:
            session = services.dialogue_create(
                study=study, user=request.user, participants=participants, **data
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            return redirect("stories:dialogue", pk=session.pk)
    return render(
        request,
        "stories/dialogues.html",
        {"study": study, "sessions": study.dialogue_sessions.all(), "form": form},
    )


@login_required
def dialogue_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    session = access.access_dialogue_by_id(request.user, pk)
    return render(
        request,
        "stories/dialogue.html",
        {
            "session": session,
            "participants": session.participants.all(),
            "findings": session.findings.prefetch_related(
                Prefetch(
                    "quotes",
                    queryset=Segment.objects.filter(
                        document__source__in=Source.objects.research_usable()
                    ),
                )
            ),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_check_respond(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    check = access.access_own_member_check(request.user, pk)
    return _respond(request, check, request.user)


@require_http_methods(["GET", "POST"])
def member_check_link(request, token: str) -> HttpResponse:  # type: ignore[no-untyped-def]
    """A one-time link: no login; once answered or expired it shows a plain message."""
    check = services.member_check_by_token(token)
    if check is None:
        return render(request, "stories/member_check.html", {"gone": True})
    user = request.user if request.user.is_authenticated else None
    return _respond(request, check, user)


def _respond(request, check, user) -> HttpResponse:  # type: ignore[no-untyped-def]
    form = forms.MemberCheckResponseForm(request.POST or None)
    if check.answered:
        return render(request, "stories/member_check.html", {"check": check, "answered": True})
    if request.method == "POST" and form.is_valid():
        try:
            services.member_check_respond(check=check, user=user, **form.cleaned_data)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            return render(request, "stories/member_check.html", {"check": check, "thanks": True})
    return render(request, "stories/member_check.html", {"check": check, "form": form})
