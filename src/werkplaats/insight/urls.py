from django.urls import URLPattern, path

from werkplaats.insight import figures, views

app_name = "insight"

urlpatterns = [
    path("studies/<int:pk>/report/", views.study_report, name="study"),
    path("studies/<int:pk>/report.pdf", views.study_pdf, name="study_pdf"),
    path("studies/<int:pk>/export/<str:fmt>/", views.study_export, name="study_export"),
    path("studies/<int:pk>/cmo/new/", views.cmo_new, name="cmo_new"),
    path("cmo/<int:pk>/", views.cmo_edit, name="cmo_edit"),
    path("trajectories/<int:pk>/progress/", views.progress, name="progress"),
    path("me/progress/", views.my_progress, name="my_progress"),
    path("teams/<int:pk>/feedback/", views.team_feedback, name="team"),
    path("organisations/<int:pk>/feedback/", views.organisation_feedback, name="organisation"),
    path("municipality/outcomes/", views.municipality, name="municipality"),
]

# Mounted by config/urls.py at the site's root in the ``casework`` namespace, where the
# policy figures page has always been (``casework:figures`` at /figures/).
IN_NAMESPACE: dict[str, list[URLPattern]] = {
    "casework": [path("figures/", figures.figures, name="figures")],
}
