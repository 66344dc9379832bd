from django.urls import path

from werkplaats.stories.views import coding, dilemmas, sources, synthesis

app_name = "stories"

urlpatterns = [
    path("stories/", sources.index, name="index"),
    path("stories/sources/new/", sources.source_new, name="source_new"),
    path("stories/sources/<int:pk>/", sources.source_detail, name="source"),
    path("stories/sources/<int:pk>/consent/", sources.source_consent, name="source_consent"),
    path("stories/sources/<int:pk>/anonymise/", sources.source_anonymise, name="source_anonymise"),
    path("stories/documents/<int:pk>/edit/", sources.document_edit, name="document_edit"),
    path(
        "stories/documents/<int:pk>/teaching/",
        sources.document_teaching,
        name="document_teaching",
    ),
    path("stories/codebooks/", coding.codebooks, name="codebooks"),
    path("stories/codebooks/import/", coding.codebook_import, name="codebook_import"),
    path("stories/codebooks/<int:pk>/", coding.codebook_detail, name="codebook"),
    path("stories/codebooks/<int:pk>/export.qdc", coding.codebook_export, name="codebook_export"),
    path("stories/studies/<int:pk>/rounds/new/", coding.round_new, name="round_new"),
    path("stories/studies/<int:pk>/import/", coding.project_import, name="project_import"),
    path("stories/studies/<int:pk>/findings/", synthesis.findings, name="findings"),
    path("stories/studies/<int:pk>/dialogues/", synthesis.dialogues, name="dialogues"),
    path("stories/studies/<int:study>/cases/<str:case>/", sources.case, name="case"),
    path("stories/rounds/<int:pk>/", coding.round_detail, name="round"),
    path(
        "stories/rounds/<int:pk>/documents/<int:doc>/", coding.code_document, name="code_document"
    ),
    path("stories/rounds/<int:pk>/done/", coding.round_done, name="round_done"),
    path("stories/rounds/<int:pk>/compare/", coding.compare, name="compare"),
    path("stories/rounds/<int:pk>/export.qdpx", coding.round_export, name="round_export"),
    path("stories/rounds/<int:pk>/joint-display/", synthesis.joint_display, name="joint_display"),
    path("stories/findings/<int:pk>/", synthesis.finding_detail, name="finding"),
    path("stories/dialogues/<int:pk>/", synthesis.dialogue_detail, name="dialogue"),
    path("stories/dilemmas/<int:pk>/share/", dilemmas.dilemma_share, name="dilemma_share"),
    path("stories/teaching/", dilemmas.teaching, name="teaching"),
    path("stories/check/<str:token>/", synthesis.member_check_link, name="member_check_link"),
    path("me/stories/", sources.my_stories, name="mine"),
    path("stories/co-coding/", coding.co_coding, name="co_coding"),
    path("me/stories/<int:pk>/withdraw/", sources.story_withdraw, name="story_withdraw"),
    path("me/checks/<int:pk>/", synthesis.member_check_respond, name="member_check_respond"),
]
