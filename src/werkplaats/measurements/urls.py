from django.urls import path

from werkplaats.measurements.views import answering, imports, plans

app_name = "measurements"

urlpatterns = [
    path("trajectories/<int:pk>/measurements/", plans.trajectory, name="trajectory"),
    path("trajectories/<int:pk>/measurements/plan/", plans.plan_edit, name="plan_edit"),
    path(
        "trajectories/<int:pk>/measurements/start/", plans.assessment_start, name="assessment_start"
    ),
    path("trajectories/<int:pk>/measurements/export/", plans.export, name="export"),
    path("methods/<int:pk>/measurement-plan/", plans.method_schedule, name="method_schedule"),
    path("assessments/<int:pk>/", answering.fill, name="fill"),
    path("assessments/<int:pk>/answer/", answering.answer, name="answer"),
    path("assessments/<int:pk>/send/", answering.complete, name="complete"),
    path("answers/import/", imports.answers_import, name="answers_import"),
    path("q/<str:token>/", answering.link, name="link"),
    path("q/<str:token>/answer/", answering.link_answer, name="link_answer"),
    path("q/<str:token>/send/", answering.link_complete, name="link_complete"),
]
