from django.urls import path

from werkplaats.stories import views

app_name = "stories"

urlpatterns = [
    path("stories/", views.index, name="index"),
    path("stories/sources/new/", views.source_new, name="source_new"),
    path("stories/sources/<int:pk>/", views.source_detail, name="source"),
    path("stories/sources/<int:pk>/consent/", views.source_consent, name="source_consent"),
    path("stories/sources/<int:pk>/anonymise/", views.source_anonymise, name="source_anonymise"),
    path("stories/documents/<int:pk>/edit/", views.document_edit, name="document_edit"),
    path("stories/codebooks/", views.codebooks, name="codebooks"),
    path("stories/codebooks/import/", views.codebook_import, name="codebook_import"),
    path("stories/codebooks/<int:pk>/", views.codebook_detail, name="codebook"),
    path("stories/codebooks/<int:pk>/export.qdc", views.codebook_export, name="codebook_export"),
    path("stories/studies/<int:pk>/rounds/new/", views.round_new, name="round_new"),
    path("stories/studies/<int:pk>/import/", views.project_import, name="project_import"),
    path("stories/studies/<int:pk>/findings/", views.findings, name="findings"),
    path("stories/studies/<int:pk>/dialogues/", views.dialogues, name="dialogues"),
    path("stories/studies/<int:study>/cases/<str:case>/", views.case, name="case"),
    path("stories/rounds/<int:pk>/", views.round_detail, name="round"),
    path("stories/rounds/<int:pk>/documents/<int:doc>/", views.code_document, name="code_document"),
    path("stories/rounds/<int:pk>/done/", views.round_done, name="round_done"),
    path("stories/rounds/<int:pk>/compare/", views.compare, name="compare"),
    path("stories/rounds/<int:pk>/export.qdpx", views.round_export, name="round_export"),
    path("stories/rounds/<int:pk>/joint-display/", views.joint_display, name="joint_display"),
    path("stories/findings/<int:pk>/", views.finding_detail, name="finding"),
    path("stories/dialogues/<int:pk>/", views.dialogue_detail, name="dialogue"),
    path("stories/check/<str:token>/", views.member_check_link, name="member_check_link"),
    path("me/stories/", views.my_stories, name="mine"),
    path("me/stories/<int:pk>/withdraw/", views.story_withdraw, name="story_withdraw"),
    path("me/checks/<int:pk>/", views.member_check_respond, name="member_check_respond"),
]
