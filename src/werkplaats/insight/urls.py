from django.urls import URLPattern, path

from werkplaats.core.lazy_views import lazy_view

# The views import the statistics core (numpy, pandas, scipy): they are imported on their
# first request, not with the URL map (core.lazy_views).
_VIEWS = "werkplaats.insight.views."
_JOINT = "werkplaats.insight.joint_views."

app_name = "insight"

urlpatterns = [
    path("studies/<int:pk>/report/", lazy_view(_VIEWS + "study_report"), name="study"),
    path("studies/<int:pk>/report/build/", lazy_view(_VIEWS + "study_build"), name="study_build"),
    path("studies/<int:pk>/report.pdf", lazy_view(_VIEWS + "study_pdf"), name="study_pdf"),
    path("studies/<int:pk>/plan/", lazy_view(_VIEWS + "plan_page"), name="plan"),
    path("studies/<int:pk>/plan/lock/", lazy_view(_VIEWS + "plan_lock"), name="plan_lock"),
    path("studies/<int:pk>/plan.yaml", lazy_view(_VIEWS + "plan_file"), name="plan_file"),
    path(
        "studies/<int:pk>/export/<str:fmt>/",
        lazy_view(_VIEWS + "study_export"),
        name="study_export",
    ),
    path("studies/<int:pk>/cmo/new/", lazy_view(_VIEWS + "cmo_new"), name="cmo_new"),
    path("cmo/<int:pk>/", lazy_view(_VIEWS + "cmo_edit"), name="cmo_edit"),
    path("trajectories/<int:pk>/progress/", lazy_view(_VIEWS + "progress"), name="progress"),
    path("me/progress/", lazy_view(_VIEWS + "my_progress"), name="my_progress"),
    path("teams/<int:pk>/feedback/", lazy_view(_VIEWS + "team_feedback"), name="team"),
    path(
        "organisations/<int:pk>/feedback/",
        lazy_view(_VIEWS + "organisation_feedback"),
        name="organisation",
    ),
    path(
        "organisations/<int:pk>/outcome-measures/",
        lazy_view(_VIEWS + "outcome_measures"),
        name="measures",
    ),
    path("municipality/outcomes/", lazy_view(_VIEWS + "municipality"), name="municipality"),
    path(
        "rounds/<int:pk>/joint-display/",
        lazy_view(_JOINT + "joint_display"),
        name="joint_display",
    ),
    path(
        "studies/<int:study>/cases/<str:case>/model/",
        lazy_view(_JOINT + "case_model"),
        name="case_model",
    ),
]

# Mounted by config/urls.py at the site's root in the ``casework`` namespace, where the
# policy figures page has always been (``casework:figures`` at /figures/).
IN_NAMESPACE: dict[str, list[URLPattern]] = {
    "casework": [path("figures/", lazy_view("werkplaats.insight.figures.figures"), name="figures")],
}
