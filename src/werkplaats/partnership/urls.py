from django.urls import path

from werkplaats.partnership import views

app_name = "partnership"

urlpatterns = [
    path("teams/<int:pk>/", views.team_detail, name="team"),
    path("teams/<int:pk>/edit/", views.team_edit, name="team_edit"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation"),
    path("organisations/<int:pk>/people/new/", views.member_invite, name="member_invite"),
    path("organisations/<int:pk>/people/<int:member>/", views.member_edit, name="member"),
    path(
        "organisations/<int:pk>/people/<int:member>/invite/",
        views.member_reinvite,
        name="member_reinvite",
    ),
    path("organisations/<int:pk>/teams/new/", views.team_new, name="team_new"),
    path("invitation/<str:token>/", views.invitation, name="invitation"),
]
