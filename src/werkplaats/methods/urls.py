from django.urls import path

from werkplaats.methods import views

app_name = "methods"

urlpatterns = [
    path("methods/", views.library, name="library"),
    path("methods/new/", views.method_new, name="new"),
    path("methods/<int:pk>/", views.detail, name="detail"),
    path("methods/<int:pk>/edit/", views.method_edit, name="edit"),
    path("trajectories/<int:pk>/fidelity/", views.fidelity_period, name="fidelity_period"),
]
