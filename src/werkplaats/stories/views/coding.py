"""Coding pages: codebooks, coding rounds, the coding screen, comparison, REFI-QDA exchange."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_http_methods, require_POST

from werkplaats.core.audit import log_access
from werkplaats.core.downloads import attachment
from werkplaats.partnership.access import require_role
from werkplaats.partnership.http import AuthenticatedHttpRequest
from werkplaats.stories import access, exchange, forms, selectors, services
from werkplaats.stories.refi_qda import RefiQdaError
from werkplaats.stories.refi_qda.offsets import codepoint_to_utf16
from werkplaats.stories.unitising import split_units
from werkplaats.stories.views.common import form_errors, refused


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
                form_errors(form, exc)
            else:
                messages.success(request, _("The code was added."))
                return redirect("stories:codebook", pk=pk)
    codes = list(codebook.codes.prefetch_related("memos"))
    tree = selectors.code_tree(codes)
    return render(
        request,
        "stories/codebook.html",
        {"codebook": codebook, "tree": tree, "form": form, "memo_form": memo_form},
    )


@login_required
def codebook_export(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    codebook = access.access_codebook_by_id(request.user, pk)
    return attachment(
        exchange.codebook_export(codebook, request.user),
        f"codebook-{codebook.pk}.qdc",
        "application/xml",
    )


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
            form_errors(form, exc)
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
            form_errors(form, exc)
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
        here = redirect("stories:code_document", pk=pk, doc=doc)
        try:
            if action == "delete":
                services.segment_delete(assignment=assignment, segment_id=_posted_id(request))
                return here
            if action == "memo":
                if memo_form.is_valid():
                    text = memo_form.cleaned_data["memo"]
                    services.memo_add(user=request.user, text=text, document=document)
                    return here
            elif action == "segment_memo":
                segment = selectors.own_segment(assignment, document, _posted_id(request))
                if memo_form.is_valid():
                    text = memo_form.cleaned_data["memo"]
                    services.memo_add(user=request.user, text=text, segment=segment)
                    return here
            elif form.is_valid():
                data = form.cleaned_data
                services.segments_code(
                    assignment=assignment,
                    document=document,
                    code=data["code"],
                    units=data["units"] or [],
                    start=data["start"],
                    end=data["end"],
                    utf16=bool(data["utf16"]),
                    memo=data["memo"],
                )
                messages.success(request, _("Coded."))
                return here
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
            "only_mine": selectors.blind_in_progress(coding_round),
            "segments": segments,
            "memos": selectors.visible_document_memos(coding_round, document, request.user),
        },
        status=status,
    )


def _posted_id(request: AuthenticatedHttpRequest) -> int:
    """The segment a delete or memo action names; ValueError (a 400) if it is not a number."""
    return int(request.POST.get("segment", 0))


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
    if selectors.blind_in_progress(coding_round):
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
    return attachment(
        exchange.round_export(coding_round, request.user),
        f"round-{coding_round.pk}.qdpx",
        "application/zip",
    )


IGNORED = {
    "Cases": gettext_noop("cases (%(count)d) are not kept"),
    "Variables": gettext_noop("variables (%(count)d) are not kept"),
    "SetMembers": gettext_noop(
        "set members that are notes or sources not imported (%(count)d) are not kept"
    ),
    "Links": gettext_noop("links between codings (%(count)d) are not kept"),
    "Graphs": gettext_noop("graphs (%(count)d) are not kept"),
}


def _import_losses(imported: exchange.ProjectImport) -> list[str]:
    """The loss report of a REFI-QDA import: every part of the project not kept."""
    lines = []
    for name in imported.missing_sources:
        lines.append(
            _(
                "The text of source %(name)s is not in the file: the source and its codings "
                "were left out."
            )
            % {"name": name[:80]}
        )
    for name, kind, count in imported.media_sources:
        lines.append(
            _(
                "%(kind)s %(name)s was not imported: Werkplaats holds text sources only. "
                "Its %(count)d selection(s) are kept as references (position and codes)."
            )
            % {"kind": kind, "name": name[:80], "count": count}
        )
    for part, count in imported.ignored:
        lines.append(_(IGNORED[part]) % {"count": count})
    return lines


@login_required
@require_http_methods(["GET", "POST"])
def project_import(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    study = access.researcher_study(request.user, pk)
    form = forms.ProjectImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            imported = exchange.project_import(
                user=request.user,
                study=study,
                data=data["upload"].read(),
                kind=data["kind"],
                offsets=data["offsets"],
            )
        except RefiQdaError as exc:
            form.add_error("upload", refused(exc))
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            return render(
                request,
                "stories/import_report.html",
                {
                    "study": study,
                    "coding_round": imported.coding_round,
                    "lines": _import_losses(imported),
                    # kept, not lost: named on the page so the importer knows who they are
                    "external_coders": [n[:80] for n in imported.unmatched_coders],
                },
            )
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
def co_coding(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Agree to co-code stories (or withdraw): only then a researcher can ask you."""
    require_role(request.user, *access.CODER_ROLES)
    if request.method == "POST":
        agree = request.POST.get("agree") == "yes"
        services.co_coding_set(user=request.user, agree=agree)
        if agree:
            messages.success(request, _("Thank you: researchers can now ask you to co-code."))
        else:
            messages.success(request, _("Researchers can no longer ask you to co-code."))
        return redirect("stories:co_coding")
    agreed = services.co_coding_agreed(request.user)
    return render(request, "stories/co_coding.html", {"agreed": agreed})
