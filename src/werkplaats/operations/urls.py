from django.urls import path

from werkplaats.operations import views

app_name = "operations"
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("tasks/", views.my_tasks, name="tasks"),
    path("messages/", views.preferences, name="preferences"),
    path("messages/stop/<str:token>/", views.stop, name="stop"),
]
