from django.urls import path

from werkplaats.instruments import views

app_name = "instruments"

urlpatterns = [
    path("instruments/", views.library, name="library"),
    path("instruments/import/", views.import_definitions, name="import"),
    path("instruments/versions/<int:pk>/", views.version_detail, name="version"),
    path("instruments/versions/<int:pk>/export/", views.version_export, name="export"),
]
