from django.urls import path

from werkplaats.partnership import views

app_name = "partnership"

urlpatterns = [
    path("teams/<int:pk>/", views.team_detail, name="team"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation"),
]
