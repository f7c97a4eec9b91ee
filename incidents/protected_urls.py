"""URLs of the protected reporting channel: public pages and the handlers' pages."""

from django.urls import path

from . import protected_views

# Mounted at /report/ (namespace "report"): no login.
public_urlpatterns = [
    path("", protected_views.report_form, name="report"),
    path("status/", protected_views.report_status, name="status"),
]

# Mounted at /protected-reports/ (namespace "protected"): the ethics function and GRC.
staff_urlpatterns = [
    path("", protected_views.report_list, name="list"),
    path("<int:pk>/", protected_views.report_detail, name="detail"),
    path("<int:pk>/reply/", protected_views.report_reply, name="reply"),
    path("<int:pk>/status/", protected_views.report_set_status, name="set-status"),
    path("<int:pk>/convert/", protected_views.report_convert, name="convert"),
]
