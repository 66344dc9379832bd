from django.urls import path

from werkplaats.context import views

app_name = "context"

urlpatterns = [
    path("context/teams/<int:pk>/", views.team, name="team"),
    path("context/teams/<int:pk>/scan/", views.team_scan, name="team_scan"),
    path("context/organisations/<int:pk>/", views.organisation, name="organisation"),
    path("context/organisations/<int:pk>/scan/", views.organisation_scan, name="organisation_scan"),
    path("context/municipalities/", views.municipalities, name="municipalities"),
    path(
        "context/municipalities/<int:pk>/<int:year>/",
        views.municipality_year,
        name="municipality_year",
    ),
]
