from django.urls import path

from werkplaats.measurements import views

app_name = "measurements"

urlpatterns = [
    path("trajectories/<int:pk>/measurements/", views.trajectory, name="trajectory"),
    path("trajectories/<int:pk>/measurements/plan/", views.plan_edit, name="plan_edit"),
    path(
        "trajectories/<int:pk>/measurements/start/", views.assessment_start, name="assessment_start"
    ),
    path("trajectories/<int:pk>/measurements/export/", views.export, name="export"),
    path("methods/<int:pk>/measurement-plan/", views.method_schedule, name="method_schedule"),
    path("assessments/<int:pk>/", views.fill, name="fill"),
    path("assessments/<int:pk>/answer/", views.answer, name="answer"),
    path("assessments/<int:pk>/send/", views.complete, name="complete"),
    path("answers/import/", views.answers_import, name="answers_import"),
    path("q/<str:token>/", views.link, name="link"),
    path("q/<str:token>/answer/", views.link_answer, name="link_answer"),
    path("q/<str:token>/send/", views.link_complete, name="link_complete"),
]
