"""The portal's URLs.

The pages that moved here from a domain app kept their path and their name in that app's
namespace (``casework:trajectory``, ``casework:caseload``, ``casework:contact_new``, ``casework:me``, ``casework:me_data``,
``programme:map``), so links, bookmarks and the access matrix did not change:
``config/urls.py`` mounts each list of ``IN_NAMESPACE`` into that namespace.
"""

from django.contrib.auth import views as auth_views
from django.urls import URLPattern, path
from django.views.i18n import set_language

from werkplaats.partnership import password_reset, second_factor, session_warning
from werkplaats.portal import caseload, contact, views

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=second_factor.LoginForm
        ),
        name="login",
    ),
    path("login/forgot/", password_reset.reset, name="password_reset"),
    path("login/second-factor/", second_factor.verify, name="second_factor"),
    path("login/second-factor/setup/", second_factor.setup, name="second_factor_setup"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("session/keep-alive/", session_warning.keep_alive, name="session_keep_alive"),
    path("i18n/setlang/", set_language, name="set_language"),
]

IN_NAMESPACE: dict[str, list[URLPattern]] = {
    "casework": [
        path("caseload/", caseload.caseload, name="caseload"),
        path("trajectories/<int:pk>/", views.trajectory_detail, name="trajectory"),
        path("trajectories/<int:pk>/contacts/new/", contact.contact_new, name="contact_new"),
        path("clients/new/", views.client_new, name="client_new"),
        path("me/", views.me, name="me"),
        path("me/data/", views.me_data, name="me_data"),
        path("me/my-data/", views.me_data_page, name="me_data_page"),
        path("me/my-data.pdf", views.me_data_pdf, name="me_data_pdf"),
    ],
    "programme": [
        path("programme/", views.programme_map, name="map"),
    ],
}
