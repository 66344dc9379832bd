from django.urls import path

from werkplaats.casework import views

app_name = "casework"

urlpatterns = [
    path("trajectories/<int:pk>/edit/", views.trajectory_edit, name="trajectory_edit"),
    path("trajectories/<int:pk>/goals/new/", views.goal_new, name="goal_new"),
    path("trajectories/<int:pk>/dilemmas/new/", views.dilemma_new, name="dilemma_new"),
    path("trajectories/<int:pk>/network/new/", views.network_member_new, name="network_member_new"),
    path("trajectories/<int:pk>/manage/", views.trajectory_manage, name="trajectory_manage"),
    path("trajectories/<int:pk>/status/", views.trajectory_status, name="trajectory_status"),
    path("trajectories/<int:pk>/hand-over/", views.trajectory_hand_over, name="hand_over"),
    path("trajectories/<int:pk>/invite-client/", views.client_invite, name="client_invite"),
    path("teams/<int:pk>/dilemmas/", views.team_dilemmas, name="team_dilemmas"),
    path("teams/<int:pk>/dilemmas/print/", views.team_dilemmas_print, name="team_dilemmas_print"),
    path("dilemmas/across-teams/", views.dilemmas_across_teams, name="dilemmas_across_teams"),
    path("working-principles/", views.working_principles, name="working_principles"),
    path("goals/<int:pk>/edit/", views.goal_edit, name="goal_edit"),
    path("goals/<int:pk>/score/", views.goal_score, name="goal_score"),
]
