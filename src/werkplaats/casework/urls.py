from django.urls import path

from werkplaats.casework import views

app_name = "casework"

urlpatterns = [
    path("caseload/", views.caseload, name="caseload"),
    path("trajectories/<int:pk>/edit/", views.trajectory_edit, name="trajectory_edit"),
    path("trajectories/<int:pk>/contacts/new/", views.contact_new, name="contact_new"),
    path("trajectories/<int:pk>/goals/new/", views.goal_new, name="goal_new"),
    path("trajectories/<int:pk>/dilemmas/new/", views.dilemma_new, name="dilemma_new"),
    path("trajectories/<int:pk>/network/new/", views.network_member_new, name="network_member_new"),
    path("goals/<int:pk>/edit/", views.goal_edit, name="goal_edit"),
    path("goals/<int:pk>/score/", views.goal_score, name="goal_score"),
]
