from django.urls import path

from werkplaats.operations import views

urlpatterns = [path("healthz", views.healthz, name="healthz")]
