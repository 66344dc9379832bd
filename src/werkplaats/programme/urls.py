from django.urls import path

from werkplaats.programme import views

app_name = "programme"

urlpatterns = [
    path("studies/new/", views.study_new, name="study_new"),
    path("studies/<int:pk>/", views.study_detail, name="study"),
    path("studies/<int:pk>/edit/", views.study_edit, name="study_edit"),
    path("studies/<int:pk>/data/", views.study_data, name="study_data"),
    path("trajectories/<int:pk>/study-consent/", views.study_consent_new, name="study_consent_new"),
    path(
        "trajectories/<int:pk>/teaching-consent/",
        views.teaching_consent_new,
        name="teaching_consent_new",
    ),
    path("consents/<int:pk>/document/", views.consent_document, name="consent_document"),
    path("me/consents/<int:pk>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path("me/consents/<int:pk>/renew/", views.consent_renew, name="consent_renew"),
]
