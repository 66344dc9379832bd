"""Programme pages (the map is the portal's): studies, study data for its researchers, consent withdrawal."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from werkplaats.casework import access as case_access
from werkplaats.core.audit import log_access
from werkplaats.core.downloads import attachment
from werkplaats.core.i18n import current_language
from werkplaats.core.pseudonyms import study_pseudonym
from werkplaats.core.versioning import ConcurrentEditError
from werkplaats.partnership.http import AuthenticatedHttpRequest
from werkplaats.programme import access, services
from werkplaats.programme.forms import FIELD_OF_KEY, StudyForm, study_initial
from werkplaats.programme.models import Consent, ConsentText, Study


@login_required
def study_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    study = access.access_study_by_id(request.user, pk)
    return render(
        request,
        "programme/study_detail.html",
        {
            "study": study,
            "participations": study.participations.select_related("organisation"),
            "is_researcher": study.researchers.filter(pk=request.user.pk).exists(),
        },
    )


def _labels(form: StudyForm) -> dict[str, str]:
    """The setup file's keys named as the form shows them, for the checks' messages."""
    return {key: str(form.fields[name].label) for key, name in FIELD_OF_KEY.items()}


def _save_study(
    request: AuthenticatedHttpRequest, form: StudyForm, study: Study | None
) -> tuple[Study | None, int]:
    """Run the shared checks and the save; the study, or None and the page's status."""
    if not form.is_valid():
        return None, 400
    try:
        saved, _changes = services.study_save(
            by=request.user,
            entry=form.entry(study),
            study=study,
            expected_version=form.cleaned_data["version"],
            labels=_labels(form),
        )
    except ConcurrentEditError as exc:
        form.add_error(None, exc)
        return None, 409
    except ValidationError as exc:
        for key, errors in exc.message_dict.items():
            name = FIELD_OF_KEY.get(key)
            form.add_error(name if name in form.fields else None, errors)
        return None, 400
    return saved, 200


@login_required
@require_http_methods(["GET", "POST"])
def study_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    access.access_study_to_create(request.user)
    form = StudyForm(
        request.POST or None,
        initial={
            "researchers": [request.user.username],
            "participation": Study.Participation.CONSULTED,
            "phase": Study.Phase.DESIGN,
        },
    )
    status = 200
    if request.method == "POST":
        saved, status = _save_study(request, form, None)
        if saved is not None:
            messages.success(request, _("The study was created."))
            return redirect("programme:study", pk=saved.pk)
    return render(
        request,
        "programme/study_form.html",
        {"form": form, "study": None, "title": _("New study")},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def study_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    study = access.access_study_to_edit_by_id(request.user, pk)
    form = StudyForm(request.POST or None, initial=study_initial(study))
    status = 200
    if request.method == "POST":
        saved, status = _save_study(request, form, study)
        if saved is not None:
            messages.success(request, _("The study was saved."))
            return redirect("programme:study", pk=saved.pk)
    return render(
        request,
        "programme/study_form.html",
        {"form": form, "study": study, "title": _("Edit study")},
        status=status,
    )


@login_required
def study_data(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Pseudonymised overview of the consenting clients, for the study's researchers."""
    study = access.access_study_data_by_id(request.user, pk)
    clients = access.consenting_clients(study).select_related("neighbourhood__municipality")
    shown = list(clients[:1000])
    rows = [
        {
            "key": study_pseudonym(study.pk, c.pk),
            "birth_decade": (c.birth_year // 10 * 10) if c.birth_year else None,
            "municipality": c.neighbourhood.municipality.name if c.neighbourhood else "",
            "n_trajectories": c.trajectories.count(),
        }
        for c in shown
    ]
    log_access(
        request.user,
        "view",
        study,
        f"pseudonymised data, {len(rows)} clients",
        clients=[c.pk for c in shown],
        on_behalf_of=f"study: {study.title}",
    )
    return render(request, "programme/study_data.html", {"study": study, "rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def consent_withdraw(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """GET asks first (what stops, what stays, how to say yes again); POST withdraws."""
    consent = access.access_own_consent_by_id(request.user, pk)
    if request.method == "GET":
        log_access(request.user, "view", consent)
        return render(request, "programme/consent_withdraw.html", {"consent": consent})
    if not consent.client_can_withdraw:
        # Care is stopped together with the social worker (the page says so); a posted
        # form must not do what the page does not offer.
        messages.error(
            request,
            _("Consent for care is stopped together with your social worker, not here."),
        )
        return redirect(reverse("casework:me") + "#result")
    try:
        services.consent_withdraw(consent=consent, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if consent.is_teaching:
            messages.success(
                request,
                _(
                    "Your stories are no longer used in teaching. They were taken out of the "
                    "lessons now. You can say yes again below."
                ),
            )
        else:
            messages.success(
                request,
                _(
                    "You no longer take part in the study “%(study)s”. From now on your "
                    "answers and stories are not used for it. You can say yes again below."
                )
                % {"study": consent.study.title if consent.study else ""},
            )
    return redirect(reverse("casework:me") + "#result")


@login_required
@require_POST
def consent_renew(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A client who withdrew says yes again to the same study, or to teaching: a new
    consent from now."""
    consent = access.access_own_consent_by_id(request.user, pk)
    if not consent.client_can_withdraw or consent.withdrawn_at is None:
        messages.error(request, _("This consent has not been withdrawn."))
        return redirect(reverse("casework:me") + "#result")
    try:
        services.consent_give(
            client=consent.client,
            user=request.user,
            study=consent.study,
            teaching=consent.is_teaching,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if consent.is_teaching:
            messages.success(request, _("Your stories may be used in teaching again, from today."))
        else:
            messages.success(
                request,
                _("You take part in the study “%(study)s” again, from today.")
                % {"study": consent.study.title if consent.study else ""},
            )
    return redirect(reverse("casework:me") + "#result")


def _agreement_errors(request: AuthenticatedHttpRequest, shown: ConsentText) -> list[str]:
    """Why a posted consent form records nothing: the text changed since the page showed
    it, or the client's agreement was not ticked."""
    if request.POST.get("consent_text") != str(shown.pk):
        return [
            _(
                "The consent text was changed while this page was open. Nothing was "
                "saved: read the new text below with the client and ask again."
            )
        ]
    if request.POST.get("agree") != "yes":
        return [_("Tick the box only when the client agrees; without it nothing is recorded.")]
    return []


@login_required
@require_http_methods(["GET", "POST"])
def study_consent_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Record, with the client, their consent for a study: choose the study, show the text
    in the client's language, and record the consent with that text's version and a PDF."""
    trajectory = case_access.access_trajectory_to_manage(request.user, pk)
    studies = access.consent_studies_for(trajectory)
    data = request.POST if request.method == "POST" else request.GET
    study_id = str(data.get("study", ""))
    study = studies.filter(pk=int(study_id)).first() if study_id.isdigit() else None
    asked = str(data.get("language", ""))
    language = asked if asked in ("nl", "en") else current_language()
    shown = services.current_consent_text(study=study) if study else None
    given = set(
        Consent.objects.filter(
            client=trajectory.client, study__isnull=False, withdrawn_at__isnull=True
        ).values_list("study_id", flat=True)
    )
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        status = 400
        if study is None or shown is None:
            errors.append(_("Choose one of the studies listed."))
        else:
            errors = _agreement_errors(request, shown)
        if not errors and study is not None and shown is not None:
            try:
                services.study_consent_record(
                    client=trajectory.client,
                    user=request.user,
                    study=study,
                    shown=shown,
                    language=language,
                )
            except ValidationError as exc:
                errors.extend(exc.messages)
            else:
                messages.success(
                    request,
                    _("The consent for %(study)s is recorded, with the text the client agreed to.")
                    % {"study": study.display_title},
                )
                return redirect("casework:trajectory", pk=trajectory.pk)
    return render(
        request,
        "programme/study_consent_new.html",
        {
            "trajectory": trajectory,
            "studies": [(s, s.pk in given) for s in studies],
            "study": study,
            "shown": shown,
            "wording": shown.text_in(language) if shown else "",
            "language": language,
            "already": study is not None and study.pk in given,
            "errors": errors,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def teaching_consent_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Record, with the client, their consent that their anonymised stories may be used in
    teaching: the organisation's teaching text in the client's language, stored with its
    version and a PDF, as for a study."""
    trajectory = case_access.access_trajectory_to_manage(request.user, pk)
    shown = services.teaching_consent_text(trajectory.team.organisation)
    data = request.POST if request.method == "POST" else request.GET
    asked = str(data.get("language", ""))
    language = asked if asked in ("nl", "en") else current_language()
    already = Consent.objects.teaching_standing().filter(client=trajectory.client).exists()
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        status = 400
        errors = _agreement_errors(request, shown)
        if not errors:
            try:
                services.teaching_consent_record(
                    client=trajectory.client, user=request.user, shown=shown, language=language
                )
            except ValidationError as exc:
                errors.extend(exc.messages)
            else:
                messages.success(
                    request,
                    _("The consent for teaching is recorded, with the text the client agreed to."),
                )
                return redirect("casework:trajectory", pk=trajectory.pk)
    return render(
        request,
        "programme/teaching_consent_new.html",
        {
            "trajectory": trajectory,
            "shown": shown,
            "wording": shown.text_in(language),
            "language": language,
            "already": already,
            "errors": errors,
        },
        status=status,
    )


@login_required
def consent_document(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    consent = access.access_consent_document_by_id(request.user, pk)
    assert consent.document is not None
    return attachment(
        bytes(consent.document),
        f"consent-{consent.client.pseudonym}-{consent.pk}.pdf",
        "application/pdf",
    )
